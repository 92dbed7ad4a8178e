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
// 8 tokens all lie outside both windows only updates the argmax. With AVX2 (no AVX-512) the same
// step runs as 8 int32 lanes for codes, argmax and windows, and two halves of 4 float64 lanes for
// the rest, with the same logarithm; without either, the scalar loop.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <atomic>
#include <thread>
#include <vector>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace kld {

constexpr double kLn2 = 0.6931471805599453;

struct Side {
  double scale, min;
  int thr;  // first code in the window (65536: none)
  const uint16_t* codes;
#if defined(__AVX512F__)
  // exp(min + scale·code) = e3[c >> 12]·e2[(c >> 8) & 15]·e1[(c >> 4) & 15]·e0[c & 15]: four
  // 16-entry tables, each two registers, read with vpermt2pd (the gathers a 256-entry table
  // needs cost several times more on this hardware); relative error <= 3.5 ulp
  alignas(64) double e[4][16];
#else
  double hi[256], lo[256];
#endif
};

#if defined(__AVX512F__)
static inline void fill_tables(Side& s) {
  for (int j = 0; j < 16; j++) {
    s.e[0][j] = std::exp(s.scale * j);
    s.e[1][j] = std::exp(16 * s.scale * j);
    s.e[2][j] = std::exp(256 * s.scale * j);
    s.e[3][j] = std::exp(s.min + 4096 * s.scale * j);
  }
}

// p of one code, the products in the order of the vector loop
static inline double prob(const Side& s, int c) {
  return (s.e[3][c >> 12] * s.e[2][(c >> 8) & 15]) * (s.e[1][(c >> 4) & 15] * s.e[0][c & 15]);
}
#else
// exp(min + scale·code) = exp(min + 256·scale·hi) · exp(scale·lo), code = 256·hi + lo.
static inline void fill_tables(Side& s) {
  for (int j = 0; j < 256; j++) {
    s.hi[j] = std::exp(s.min + 256 * s.scale * j);
    s.lo[j] = std::exp(s.scale * j);
  }
}

static inline double prob(const Side& s, int c) { return s.hi[c >> 8] * s.lo[c & 255]; }
#endif

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
    double p = inA ? prob(A, x) : 0;
    double q = inB ? prob(B, y) : 0;
    s.sp += p;
    s.sq += q;
    if (inA) s.fwd += p * (la - lb);
    if (inB) s.rev += q * (lb - la);
    s.tv += std::fabs(p - q);
    s.js += js_term(p, q, la, lb, inA, inB);
  }
}

#if defined(__AVX512F__)
// 1/c_j and log c_j for the 16 intervals of vlog's reduced mantissa m in [0.75, 1.5): its top four
// mantissa bits j pick [1 + j/16, 1 + (j+1)/16) for j < 8 and [(1 + j/16)/2, (1 + (j+1)/16)/2)
// for j >= 8; c_j is the interval's centre, so |m/c_j − 1| <= 1/32. log c_j is taken as
// −log(1/c_j) of the rounded reciprocal, so that log m = log c_j + log1p(m·(1/c_j) − 1) holds
// for the stored numbers.
struct LogTables {
  alignas(64) double inv[16];
  alignas(64) double lg[16];
};
static inline const LogTables& log_tables() {
  static const LogTables t = [] {
    LogTables t;
    for (int j = 0; j < 16; j++) {
      double c = j < 8 ? 1 + (j + 0.5) / 16 : 0.5 * (1 + (j + 0.5) / 16);
      t.inv[j] = 1 / c;
      t.lg[j] = -std::log(t.inv[j]);
    }
    return t;
  }();
  return t;
}

// log of 8 positive normal doubles without a division: s = m·2^e, m in [0.75, 1.5) (getmant,
// exact), log s = e·ln 2 + log c_j + log1p(r), r = m/c_j − 1 by one FMA, |r| <= 1/32; log1p as
// its Taylor series to r^9 (the first term left out, r^10/10, is below 1e-16: the JS term of two
// lanes 0.25 nats apart cancels about 256-fold, so the logarithm needs ~4e-15 absolute for a
// 1e-12 row sum). inv0/inv1 and lg0/lg1 are the two halves of the tables.
static inline __m512d vlog(__m512d s, __m512d inv0, __m512d inv1, __m512d lg0, __m512d lg1) {
  const __m512d one = _mm512_set1_pd(1.0);
  __m512d m = _mm512_getmant_pd(s, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_src);
  __m512d e = _mm512_sub_pd(_mm512_getexp_pd(s), _mm512_getexp_pd(m));
  // bits 51..48 of m: vpermt2pd reads the low four bits of each 64-bit index
  __m512i j = _mm512_srli_epi64(_mm512_castpd_si512(m), 48);
  __m512d r = _mm512_fmsub_pd(m, _mm512_permutex2var_pd(inv0, j, inv1), one);
  __m512d lc = _mm512_permutex2var_pd(lg0, j, lg1);
  __m512d c = _mm512_set1_pd(1.0 / 9);
  c = _mm512_fmadd_pd(c, r, _mm512_set1_pd(-1.0 / 8));
  c = _mm512_fmadd_pd(c, r, _mm512_set1_pd(1.0 / 7));
  c = _mm512_fmadd_pd(c, r, _mm512_set1_pd(-1.0 / 6));
  c = _mm512_fmadd_pd(c, r, _mm512_set1_pd(1.0 / 5));
  c = _mm512_fmadd_pd(c, r, _mm512_set1_pd(-1.0 / 4));
  c = _mm512_fmadd_pd(c, r, _mm512_set1_pd(1.0 / 3));
  c = _mm512_fmadd_pd(c, r, _mm512_set1_pd(-1.0 / 2));
  __m512d l1p = _mm512_fmadd_pd(_mm512_mul_pd(r, r), c, r);
  // e·ln2 split in two so the sum keeps its digits
  __m512d lm = _mm512_add_pd(_mm512_fmadd_pd(e, _mm512_set1_pd(1.4286068203094172321e-06), lc), l1p);
  return _mm512_fmadd_pd(e, _mm512_set1_pd(0.693145751953125), lm);
}

// p of 8 codes X (one per 64-bit lane) from a side's four nibble tables, 0 outside the mask
static inline __m512d vprob(const Side& s, __m512i X, __mmask8 in) {
  const double* e0 = s.e[0];
  const double* e1 = s.e[1];
  const double* e2 = s.e[2];
  const double* e3 = s.e[3];
  __m512d a = _mm512_permutex2var_pd(_mm512_load_pd(e3), _mm512_srli_epi64(X, 12), _mm512_load_pd(e3 + 8));
  __m512d b = _mm512_permutex2var_pd(_mm512_load_pd(e2), _mm512_srli_epi64(X, 8), _mm512_load_pd(e2 + 8));
  __m512d c = _mm512_permutex2var_pd(_mm512_load_pd(e1), _mm512_srli_epi64(X, 4), _mm512_load_pd(e1 + 8));
  __m512d d = _mm512_permutex2var_pd(_mm512_load_pd(e0), X, _mm512_load_pd(e0 + 8));
  return _mm512_maskz_mul_pd(in, _mm512_mul_pd(a, b), _mm512_mul_pd(c, d));
}

static inline double hsum(__m512d v) { return _mm512_reduce_add_pd(v); }
#endif

#if !defined(__AVX512F__) && defined(__AVX2__)
// log of 4 positive normal doubles, the same reduction and series as the AVX-512 vlog; AVX2 has
// neither a 64-bit arithmetic shift nor an int64 → double conversion, so the exponent is taken
// with a bias of 1024 (positive for every normal double) and converted through 2^52.
static inline __m256d vlog4(__m256d s) {
  __m256i bits = _mm256_castpd_si256(s);
  const __m256i off = _mm256_set1_epi64x(0x3fe6a09e667f3bcdLL - (1024LL << 52));
  __m256i k = _mm256_srli_epi64(_mm256_sub_epi64(bits, off), 52);  // e + 1024
  __m256i e = _mm256_sub_epi64(k, _mm256_set1_epi64x(1024));
  __m256d m = _mm256_castsi256_pd(_mm256_sub_epi64(bits, _mm256_slli_epi64(e, 52)));
  // k < 2^12: its bits under those of 2^52 make the double 2^52 + k
  const __m256d two52 = _mm256_castsi256_pd(_mm256_set1_epi64x(0x4330000000000000LL));
  __m256d ed = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(k, _mm256_castpd_si256(two52))), _mm256_add_pd(two52, _mm256_set1_pd(1024.0)));
  __m256d one = _mm256_set1_pd(1.0);
  __m256d t = _mm256_div_pd(_mm256_sub_pd(m, one), _mm256_add_pd(m, one));
  __m256d t2 = _mm256_mul_pd(t, t);
  __m256d p = _mm256_set1_pd(1.0 / 17);
  p = _mm256_fmadd_pd(p, t2, _mm256_set1_pd(1.0 / 15));
  p = _mm256_fmadd_pd(p, t2, _mm256_set1_pd(1.0 / 13));
  p = _mm256_fmadd_pd(p, t2, _mm256_set1_pd(1.0 / 11));
  p = _mm256_fmadd_pd(p, t2, _mm256_set1_pd(1.0 / 9));
  p = _mm256_fmadd_pd(p, t2, _mm256_set1_pd(1.0 / 7));
  p = _mm256_fmadd_pd(p, t2, _mm256_set1_pd(1.0 / 5));
  p = _mm256_fmadd_pd(p, t2, _mm256_set1_pd(1.0 / 3));
  p = _mm256_fmadd_pd(p, t2, one);
  __m256d lm = _mm256_mul_pd(_mm256_mul_pd(p, t), _mm256_set1_pd(2.0));
  lm = _mm256_fmadd_pd(ed, _mm256_set1_pd(1.4286068203094172321e-06), lm);
  return _mm256_fmadd_pd(ed, _mm256_set1_pd(0.693145751953125), lm);
}

// Float64 accumulators of the AVX2 loop, 4 lanes each.
struct Acc4 {
  __m256d fwd = _mm256_setzero_pd(), rev = fwd, js = fwd, tv = fwd, sp = fwd, sq = fwd;
};

// 4 tokens of the AVX2 step: codes x, y (int32 in 4 lanes), window masks inA, inB (all ones per
// 64-bit lane in the window); the same arithmetic as the AVX-512 step.
static inline void half4(const Side& A, const Side& B, __m128i x, __m128i y, __m256d inA, __m256d inB, Acc4& c) {
  const __m256d zero = _mm256_setzero_pd(), ln2 = _mm256_set1_pd(kLn2), half = _mm256_set1_pd(0.5);
  const __m256d absMask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  const __m128i low = _mm_set1_epi32(255);
  __m256d xd = _mm256_cvtepi32_pd(x), yd = _mm256_cvtepi32_pd(y);
  __m256d la = _mm256_add_pd(_mm256_set1_pd(A.min), _mm256_mul_pd(_mm256_set1_pd(A.scale), xd));
  __m256d lb = _mm256_add_pd(_mm256_set1_pd(B.min), _mm256_mul_pd(_mm256_set1_pd(B.scale), yd));
  __m256d p = _mm256_mul_pd(_mm256_mask_i32gather_pd(zero, A.hi, _mm_srli_epi32(x, 8), inA, 8),
                            _mm256_mask_i32gather_pd(zero, A.lo, _mm_and_si128(x, low), inA, 8));
  __m256d q = _mm256_mul_pd(_mm256_mask_i32gather_pd(zero, B.hi, _mm_srli_epi32(y, 8), inB, 8),
                            _mm256_mask_i32gather_pd(zero, B.lo, _mm_and_si128(y, low), inB, 8));
  c.sp = _mm256_add_pd(c.sp, p);
  c.sq = _mm256_add_pd(c.sq, q);
  __m256d d = _mm256_sub_pd(lb, la);
  // outside its window p is exactly 0 (masked gather) and d finite, so p·d adds nothing there
  c.fwd = _mm256_fnmadd_pd(p, d, c.fwd);
  c.rev = _mm256_fmadd_pd(q, d, c.rev);
  c.tv = _mm256_add_pd(c.tv, _mm256_and_pd(_mm256_sub_pd(p, q), absMask));
  __m256d s2 = _mm256_add_pd(p, q);
  // in a window p >= e^-16.1 > 0, so "both in, neither 0" is "both in", and p + q is never
  // subnormal there (the scalar js_term's other branches cannot occur)
  __m256d both = _mm256_and_pd(inA, inB);
  __m256d term = _mm256_mul_pd(s2, ln2);
  int bm = _mm256_movemask_pd(both);
  if (bm) {
    __m256d nearAll = _mm256_cmp_pd(_mm256_and_pd(d, absMask), _mm256_set1_pd(0.25), _CMP_LT_OQ);
    __m256d near = _mm256_and_pd(both, nearAll);
    __m256d far = _mm256_andnot_pd(nearAll, both);
    int nm = _mm256_movemask_pd(near), fm = _mm256_movemask_pd(far);
    if (nm) {
      __m256d h1 = _mm256_mul_pd(half, d), h2 = _mm256_mul_pd(h1, h1);
      __m256d r = _mm256_set1_pd(62.0 / 2835);
      r = _mm256_fnmadd_pd(h2, r, _mm256_set1_pd(17.0 / 315));
      r = _mm256_fnmadd_pd(h2, r, _mm256_set1_pd(2.0 / 15));
      r = _mm256_fnmadd_pd(h2, r, _mm256_set1_pd(1.0 / 3));
      r = _mm256_fnmadd_pd(h2, r, _mm256_set1_pd(1.0));
      r = _mm256_mul_pd(h1, r);
      __m256d r2 = _mm256_mul_pd(r, r);
      __m256d g = _mm256_set1_pd(1.0 / 45);
      g = _mm256_fmadd_pd(r2, g, _mm256_set1_pd(1.0 / 28));
      g = _mm256_fmadd_pd(r2, g, _mm256_set1_pd(1.0 / 15));
      g = _mm256_fmadd_pd(r2, g, _mm256_set1_pd(1.0 / 6));
      g = _mm256_fmadd_pd(r2, g, _mm256_set1_pd(1.0));
      __m256d v = _mm256_mul_pd(_mm256_mul_pd(_mm256_mul_pd(half, s2), r2), g);
      term = _mm256_blendv_pd(term, v, near);
    }
    if (fm) {
      __m256d lm = _mm256_sub_pd(vlog4(s2), ln2);
      __m256d v = _mm256_fmadd_pd(p, _mm256_sub_pd(la, lm), _mm256_mul_pd(q, _mm256_sub_pd(lb, lm)));
      term = _mm256_blendv_pd(term, v, far);
    }
  }
  c.js = _mm256_add_pd(c.js, term);
}

static inline double hsum4(__m256d v) {
  __m128d a = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(a, _mm_unpackhi_pd(a, a)));
}
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
  const __m256i eight = _mm256_set1_epi32(8);
  const LogTables& lt = log_tables();
  const __m512d inv0 = _mm512_load_pd(lt.inv), inv1 = _mm512_load_pd(lt.inv + 8);
  const __m512d lg0 = _mm512_load_pd(lt.lg), lg1 = _mm512_load_pd(lt.lg + 8);
  const __m256i thA = _mm256_set1_epi32(A.thr), thB = _mm256_set1_epi32(B.thr);
  const __m512d sa = _mm512_set1_pd(A.scale), ma = _mm512_set1_pd(A.min);
  const __m512d sb = _mm512_set1_pd(B.scale), mb = _mm512_set1_pd(B.min);
  const __m512d ln2 = _mm512_set1_pd(kLn2), half = _mm512_set1_pd(0.5);
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
    __m512d p = vprob(A, _mm512_cvtepu32_epi64(x), inA);
    __m512d q = vprob(B, _mm512_cvtepu32_epi64(y), inB);
    sp = _mm512_add_pd(sp, p);
    sq = _mm512_add_pd(sq, q);
    __m512d d = _mm512_sub_pd(lb, la);
    // outside its window p is exactly 0 and d finite, so p·d adds nothing there
    fwd = _mm512_fnmadd_pd(p, d, fwd);
    rev = _mm512_fmadd_pd(q, d, rev);
    __m512d diff = _mm512_sub_pd(p, q);
    tv = _mm512_add_pd(tv, _mm512_and_pd(diff, absMask));
    __m512d s2 = _mm512_add_pd(p, q);
    // JS: (p + q)·ln 2 where one side is out or 0; the series near d = 0; else the logarithm
    // in a window p >= e^-16.1 > 0 (the threshold code is where the float32 decode passes −16),
    // so "both in, neither 0" is "both in", and p + q is never subnormal there
    __mmask8 both = inA & inB;
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
        __m512d lm = _mm512_sub_pd(vlog(s2, inv0, inv1, lg0, lg1), ln2);
        __m512d v = _mm512_fmadd_pd(p, _mm512_sub_pd(la, lm), _mm512_mul_pd(q, _mm512_sub_pd(lb, lm)));
        term = _mm512_mask_mov_pd(term, far, v);
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
#elif defined(__AVX2__)
  Acc4 c;
  __m256i maxA = _mm256_set1_epi32(-1), maxB = maxA, amA = _mm256_setzero_si256(), amB = amA;
  __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i eight = _mm256_set1_epi32(8);
  // x >= thr as x > thr − 1 (thr <= 65536, codes <= 65535)
  const __m256i thA = _mm256_set1_epi32(A.thr - 1), thB = _mm256_set1_epi32(B.thr - 1);
  for (; i + 8 <= cols; i += 8, idx = _mm256_add_epi32(idx, eight)) {
    __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(A.codes + i)));
    __m256i y = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.codes + i)));
    // argmax, first index wins: each lane keeps its first largest code
    __m256i gA = _mm256_cmpgt_epi32(x, maxA), gB = _mm256_cmpgt_epi32(y, maxB);
    maxA = _mm256_blendv_epi8(maxA, x, gA);
    amA = _mm256_blendv_epi8(amA, idx, gA);
    maxB = _mm256_blendv_epi8(maxB, y, gB);
    amB = _mm256_blendv_epi8(amB, idx, gB);
    __m256i inA = _mm256_cmpgt_epi32(x, thA), inB = _mm256_cmpgt_epi32(y, thB);
    int any = _mm256_movemask_epi8(_mm256_or_si256(inA, inB));
    if (any == 0) continue;
    // int32 masks widened to the 64-bit lanes of each half
    if (any & 0xffff)
      half4(A, B, _mm256_castsi256_si128(x), _mm256_castsi256_si128(y), _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(inA))),
            _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(inB))), c);
    if (any & 0xffff0000)
      half4(A, B, _mm256_extracti128_si256(x, 1), _mm256_extracti128_si256(y, 1), _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(inA, 1))),
            _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(inB, 1))), c);
  }
  s.fwd = hsum4(c.fwd);
  s.rev = hsum4(c.rev);
  s.js = hsum4(c.js);
  s.tv = hsum4(c.tv);
  s.sp = hsum4(c.sp);
  s.sq = hsum4(c.sq);
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

// Rows [0, n) of two blocks of raw .kld rows (8-byte head, then cols codes, rowBytes apart):
// heads holds per row scale, min and threshold code of A, then of B; out gets per row forward,
// reverse, twice JS, sum |p − q|, argmax A, argmax B, window mass A, window mass B. With
// threads > 1 the rows are handed out one at a time to that many std::threads (the calling one
// included), so rows of unequal cost still share the work evenly.
static inline void rows(const uint8_t* ra, const uint8_t* rb, size_t rowBytes, int cols, int n, const double* heads, double* out, int threads) {
  std::atomic<int> next{0};
  auto work = [&] {
    Side A, B;
    for (int k; (k = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
      const double* h = heads + 6 * (size_t)k;
      A.scale = h[0];
      A.min = h[1];
      A.thr = (int)h[2];
      B.scale = h[3];
      B.min = h[4];
      B.thr = (int)h[5];
      A.codes = reinterpret_cast<const uint16_t*>(ra + k * rowBytes + 8);
      B.codes = reinterpret_cast<const uint16_t*>(rb + k * rowBytes + 8);
      Sums s = row_pair(A, B, cols);
      double* o = out + 8 * (size_t)k;
      o[0] = s.fwd;
      o[1] = s.rev;
      o[2] = s.js;
      o[3] = s.tv;
      o[4] = s.amA;
      o[5] = s.amB;
      o[6] = s.sp;
      o[7] = s.sq;
    }
  };
  if (threads > n) threads = n;
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; t++) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

}  // namespace kld
