// klscope .kld row-pair loop: two rows of llama.cpp 16-bit codes in, the per-row sums of the
// compare loop out (KL both ways, twice JS, |p − q| summed, argmax of each side, window masses).
//
// It is the native twin of kldPairRow in src/compare/rowStats.ts (the reference, which also keeps
// every check and error message): the same decode (log p = min + scale·code in float64), the same
// window (code >= the row's threshold code, computed by the caller with llama.cpp's float32 rule),
// the same probabilities from two 256-entry exp tables per row, the same JS term (a series in
// r = tanh(d/2) for |d| < 0.25, else p·(log p − log m) + q·(log q − log m)), all in float64.
// Only the order of the float64 sums differs (8 lanes, then a reduction).
//
// With AVX-512 the loop runs 8 tokens per step: codes widen to int32, the exp tables are read
// with gathers, the logarithm is a float64 polynomial (2·atanh series, ~1 ulp), and a step whose
// 8 tokens all lie outside both windows only updates the argmax.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace kld {

constexpr double kLn2 = 0.6931471805599453;

struct Side {
  double scale, min;
  int thr;  // first code in the window (65536: none)
  const uint16_t* codes;
  double hi[256], lo[256];
};

// exp(min + scale·code) = exp(min + 256·scale·hi) · exp(scale·lo), code = 256·hi + lo.
static inline void fill_tables(Side& s) {
  for (int j = 0; j < 256; j++) {
    s.hi[j] = std::exp(s.min + 256 * s.scale * j);
    s.lo[j] = std::exp(s.scale * j);
  }
}

struct Sums {
  double fwd = 0, rev = 0, js = 0, tv = 0, sp = 0, sq = 0;
  int amA = 0, amB = 0, maxA = -1, maxB = -1;
};

// Twice the JS contribution of one token (see jsTerm in rowStats.ts).
static inline double js_term(double p, double q, double la, double lb, bool inA, bool inB) {
  if (!inA || !inB || p == 0 || q == 0) return (p + q) * kLn2;
  double d = lb - la;
  if (d < 0.25 && d > -0.25) {
    double h1 = 0.5 * d, h2 = h1 * h1;
    double r = h1 * (1 - h2 * (1.0 / 3 - h2 * (2.0 / 15 - h2 * (17.0 / 315 - h2 * (62.0 / 2835)))));
    double r2 = r * r;
    return 0.5 * (p + q) * r2 * (1 + r2 * (1.0 / 6 + r2 * (1.0 / 15 + r2 * (1.0 / 28 + r2 / 45))));
  }
  double s = p + q;
  double lm = s > 1e-300 ? std::log(s) - kLn2 : (la > lb ? la : lb) + std::log1p(std::exp(-std::fabs(la - lb))) - kLn2;
  return p * (la - lm) + q * (lb - lm);
}

// Tokens [i0, i1) one at a time: the tail of the vector loop, and the whole loop without AVX-512.
static inline void scalar_range(const Side& A, const Side& B, int i0, int i1, Sums& s) {
  for (int i = i0; i < i1; i++) {
    int x = A.codes[i], y = B.codes[i];
    if (x > s.maxA) { s.maxA = x; s.amA = i; }
    if (y > s.maxB) { s.maxB = y; s.amB = i; }
    bool inA = x >= A.thr, inB = y >= B.thr;
    if (!inA && !inB) continue;
    double la = A.min + A.scale * x, lb = B.min + B.scale * y;
    double p = inA ? A.hi[x >> 8] * A.lo[x & 255] : 0;
    double q = inB ? B.hi[y >> 8] * B.lo[y & 255] : 0;
    s.sp += p;
    s.sq += q;
    if (inA) s.fwd += p * (la - lb);
    if (inB) s.rev += q * (lb - la);
    s.tv += std::fabs(p - q);
    s.js += js_term(p, q, la, lb, inA, inB);
  }
}

#if defined(__AVX512F__)
// log of 8 positive normal doubles: s = m·2^e with m in [sqrt(1/2), sqrt(2)),
// log m = 2·atanh(t), t = (m − 1)/(m + 1), |t| <= 0.1716, odd series to t^21 (< 1e-17).
static inline __m512d vlog(__m512d s) {
  __m512i bits = _mm512_castpd_si512(s);
  // shift the mantissa into [sqrt(1/2), sqrt(2)) by offsetting with the bits of sqrt(1/2)
  const __m512i off = _mm512_set1_epi64(0x3fe6a09e667f3bcdLL);
  __m512i t0 = _mm512_sub_epi64(bits, off);
  __m512i e = _mm512_srai_epi64(t0, 52);
  __m512i mb = _mm512_sub_epi64(bits, _mm512_slli_epi64(e, 52));
  __m512d m = _mm512_castsi512_pd(mb);
  __m512d ed = _mm512_cvtepi64_pd(e);
  __m512d one = _mm512_set1_pd(1.0);
  __m512d t = _mm512_div_pd(_mm512_sub_pd(m, one), _mm512_add_pd(m, one));
  __m512d t2 = _mm512_mul_pd(t, t);
  __m512d p = _mm512_set1_pd(1.0 / 21);
  p = _mm512_fmadd_pd(p, t2, _mm512_set1_pd(1.0 / 19));
  p = _mm512_fmadd_pd(p, t2, _mm512_set1_pd(1.0 / 17));
  p = _mm512_fmadd_pd(p, t2, _mm512_set1_pd(1.0 / 15));
  p = _mm512_fmadd_pd(p, t2, _mm512_set1_pd(1.0 / 13));
  p = _mm512_fmadd_pd(p, t2, _mm512_set1_pd(1.0 / 11));
  p = _mm512_fmadd_pd(p, t2, _mm512_set1_pd(1.0 / 9));
  p = _mm512_fmadd_pd(p, t2, _mm512_set1_pd(1.0 / 7));
  p = _mm512_fmadd_pd(p, t2, _mm512_set1_pd(1.0 / 5));
  p = _mm512_fmadd_pd(p, t2, _mm512_set1_pd(1.0 / 3));
  p = _mm512_fmadd_pd(p, t2, one);
  __m512d lm = _mm512_mul_pd(_mm512_mul_pd(p, t), _mm512_set1_pd(2.0));
  // e·ln2 split in two so the sum keeps its digits
  lm = _mm512_fmadd_pd(ed, _mm512_set1_pd(1.4286068203094172321e-06), lm);
  return _mm512_fmadd_pd(ed, _mm512_set1_pd(0.693145751953125), lm);
}

static inline double hsum(__m512d v) { return _mm512_reduce_add_pd(v); }
#endif

// The sums of one row pair; A and B hold scale, min, threshold and codes (tables filled here).
static inline Sums row_pair(Side& A, Side& B, int cols) {
  fill_tables(A);
  fill_tables(B);
  Sums s;
  int i = 0;
#if defined(__AVX512F__)
  __m512d fwd = _mm512_setzero_pd(), rev = fwd, js = fwd, tv = fwd, sp = fwd, sq = fwd;
  __m256i maxA = _mm256_set1_epi32(-1), maxB = maxA, amA = _mm256_setzero_si256(), amB = amA;
  __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i eight = _mm256_set1_epi32(8), low = _mm256_set1_epi32(255);
  const __m256i thA = _mm256_set1_epi32(A.thr), thB = _mm256_set1_epi32(B.thr);
  const __m512d sa = _mm512_set1_pd(A.scale), ma = _mm512_set1_pd(A.min);
  const __m512d sb = _mm512_set1_pd(B.scale), mb = _mm512_set1_pd(B.min);
  const __m512d zero = _mm512_setzero_pd(), ln2 = _mm512_set1_pd(kLn2), half = _mm512_set1_pd(0.5);
  const __m512d absMask = _mm512_castsi512_pd(_mm512_set1_epi64(0x7fffffffffffffffLL));
  for (; i + 8 <= cols; i += 8, idx = _mm256_add_epi32(idx, eight)) {
    __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(A.codes + i)));
    __m256i y = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.codes + i)));
    // argmax, first index wins: each lane keeps its first largest code
    __mmask8 gA = _mm256_cmpgt_epi32_mask(x, maxA), gB = _mm256_cmpgt_epi32_mask(y, maxB);
    maxA = _mm256_mask_mov_epi32(maxA, gA, x);
    amA = _mm256_mask_mov_epi32(amA, gA, idx);
    maxB = _mm256_mask_mov_epi32(maxB, gB, y);
    amB = _mm256_mask_mov_epi32(amB, gB, idx);
    __mmask8 inA = _mm256_cmpge_epi32_mask(x, thA), inB = _mm256_cmpge_epi32_mask(y, thB);
    if ((inA | inB) == 0) continue;
    __m512d xd = _mm512_cvtepi32_pd(x), yd = _mm512_cvtepi32_pd(y);
    __m512d la = _mm512_add_pd(ma, _mm512_mul_pd(sa, xd));
    __m512d lb = _mm512_add_pd(mb, _mm512_mul_pd(sb, yd));
    __m512d p = _mm512_mul_pd(_mm512_mask_i32gather_pd(zero, inA, _mm256_srli_epi32(x, 8), A.hi, 8),
                              _mm512_mask_i32gather_pd(zero, inA, _mm256_and_si256(x, low), A.lo, 8));
    __m512d q = _mm512_mul_pd(_mm512_mask_i32gather_pd(zero, inB, _mm256_srli_epi32(y, 8), B.hi, 8),
                              _mm512_mask_i32gather_pd(zero, inB, _mm256_and_si256(y, low), B.lo, 8));
    sp = _mm512_add_pd(sp, p);
    sq = _mm512_add_pd(sq, q);
    __m512d d = _mm512_sub_pd(lb, la);
    fwd = _mm512_mask_sub_pd(fwd, inA, fwd, _mm512_mul_pd(p, d));
    rev = _mm512_mask_add_pd(rev, inB, rev, _mm512_mul_pd(q, d));
    __m512d diff = _mm512_sub_pd(p, q);
    tv = _mm512_add_pd(tv, _mm512_and_pd(diff, absMask));
    __m512d s2 = _mm512_add_pd(p, q);
    // JS: (p + q)·ln 2 where one side is out or 0; the series near d = 0; else the logarithm
    __mmask8 both = inA & inB & _mm512_cmp_pd_mask(p, zero, _CMP_NEQ_OQ) & _mm512_cmp_pd_mask(q, zero, _CMP_NEQ_OQ);
    __m512d term = _mm512_mul_pd(s2, ln2);
    if (both) {
      __m512d ad = _mm512_and_pd(d, absMask);
      __mmask8 near = both & _mm512_cmp_pd_mask(ad, _mm512_set1_pd(0.25), _CMP_LT_OQ);
      __mmask8 far = both & ~near;
      if (near) {
        __m512d h1 = _mm512_mul_pd(half, d), h2 = _mm512_mul_pd(h1, h1);
        __m512d r = _mm512_set1_pd(62.0 / 2835);
        r = _mm512_fnmadd_pd(h2, r, _mm512_set1_pd(17.0 / 315));
        r = _mm512_fnmadd_pd(h2, r, _mm512_set1_pd(2.0 / 15));
        r = _mm512_fnmadd_pd(h2, r, _mm512_set1_pd(1.0 / 3));
        r = _mm512_fnmadd_pd(h2, r, _mm512_set1_pd(1.0));
        r = _mm512_mul_pd(h1, r);
        __m512d r2 = _mm512_mul_pd(r, r);
        __m512d g = _mm512_set1_pd(1.0 / 45);
        g = _mm512_fmadd_pd(r2, g, _mm512_set1_pd(1.0 / 28));
        g = _mm512_fmadd_pd(r2, g, _mm512_set1_pd(1.0 / 15));
        g = _mm512_fmadd_pd(r2, g, _mm512_set1_pd(1.0 / 6));
        g = _mm512_fmadd_pd(r2, g, _mm512_set1_pd(1.0));
        __m512d v = _mm512_mul_pd(_mm512_mul_pd(_mm512_mul_pd(half, s2), r2), g);
        term = _mm512_mask_mov_pd(term, near, v);
      }
      if (far) {
        __mmask8 tiny = far & _mm512_cmp_pd_mask(s2, _mm512_set1_pd(1e-300), _CMP_LE_OQ);
        if (tiny) {
          // p + q subnormal: these lanes take the scalar form (log from the logs)
          alignas(64) double P[8], Q[8], LA[8], LB[8], T[8];
          _mm512_store_pd(P, p);
          _mm512_store_pd(Q, q);
          _mm512_store_pd(LA, la);
          _mm512_store_pd(LB, lb);
          _mm512_store_pd(T, term);
          for (int l = 0; l < 8; l++)
            if ((far >> l) & 1) T[l] = js_term(P[l], Q[l], LA[l], LB[l], true, true);
          term = _mm512_load_pd(T);
        } else {
          __m512d lm = _mm512_sub_pd(vlog(s2), ln2);
          __m512d v = _mm512_fmadd_pd(p, _mm512_sub_pd(la, lm), _mm512_mul_pd(q, _mm512_sub_pd(lb, lm)));
          term = _mm512_mask_mov_pd(term, far, v);
        }
      }
    }
    js = _mm512_add_pd(js, term);
  }
  s.fwd = hsum(fwd);
  s.rev = hsum(rev);
  s.js = hsum(js);
  s.tv = hsum(tv);
  s.sp = hsum(sp);
  s.sq = hsum(sq);
  alignas(32) int32_t MA[8], IA[8], MB[8], IB[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(MA), maxA);
  _mm256_store_si256(reinterpret_cast<__m256i*>(IA), amA);
  _mm256_store_si256(reinterpret_cast<__m256i*>(MB), maxB);
  _mm256_store_si256(reinterpret_cast<__m256i*>(IB), amB);
  for (int l = 0; l < 8; l++) {
    if (MA[l] > s.maxA || (MA[l] == s.maxA && IA[l] < s.amA)) { s.maxA = MA[l]; s.amA = IA[l]; }
    if (MB[l] > s.maxB || (MB[l] == s.maxB && IB[l] < s.amB)) { s.maxB = MB[l]; s.amB = IB[l]; }
  }
#endif
  scalar_range(A, B, i, cols, s);
  return s;
}

}  // namespace kld
