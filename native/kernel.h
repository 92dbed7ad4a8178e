// klscope fused kernel: one pair of rows (P, Q) in, every measure out, two reads of each row.
//
// Numerics (see README.md, "Fast fused kernels"): the per-element work is float32 in vectors of
// one register of the target (GCC/clang vector extensions, W lanes below), sums are
// float64, and every accumulated term is non-negative so that a float32 relative error per term
// stays a relative error of the total (no cancellation):
//   KL(P||Q) = sum p*phi(x), phi(x) = x + e^-x - 1 >= 0, x = log p - log q  (sum q - sum p = 0)
//   KL(Q||P) = sum q*phi(-x)
//   JS       = 1/2 sum (p+q)*D(u), D(u) = ln2 - H2((1+u)/2) >= 0, u = (q-p)/(q+p)
//   |p-q|    = p*|expm1(-x)| near x = 0
// Near x = 0 (|x| < 2: nearly every element of LM-like pairs, even at KL 0.1) each of these is a
// polynomial in x with relative accuracy (phi_wide, js_near: no division, no logarithm), and a
// vector whose lanes are all near takes only those; the other vectors blend in the far forms.
// x is formed from the inputs exactly (a two-sum of a - b minus the split lse difference), so
// near-equal rows keep their digits; log-sum-exp errors only scale KL by (1 + eps).
// measures = 'kl' on float32 logits first tries fast_kl_row (two exps per element, no JS/TV),
// which hands near-equal, masked and invalid rows back to this exact form.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>
#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace klk {

// Lanes per vector follow the compile target: one register of float lanes (16 with AVX-512, 8
// with AVX2 or AVX, 4 with SSE/NEON). Wider vectors than the registers would be split into
// register pairs and double the live registers of the hot loops (they spill on AVX2's 16 ymm).
#if defined(__AVX512F__)
constexpr int W = 16;
#elif defined(__AVX__)
constexpr int W = 8;
#else
constexpr int W = 4;
#endif
constexpr int VB = 4 * W;  // bytes of one float vector
typedef float vf __attribute__((vector_size(VB)));
typedef int32_t vi __attribute__((vector_size(VB)));
typedef double vd __attribute__((vector_size(2 * VB)));
typedef int64_t vl __attribute__((vector_size(2 * VB)));

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kLn2 = 0.6931471805599453f;

enum Kind { LOGITS = 0, LOGPROBS = 1, PROBS = 2 };

static inline __attribute__((always_inline)) vf splat(float x) { return vf{} + x; }
static inline __attribute__((always_inline)) vf sel(vi m, vf a, vf b) { return m ? a : b; }
static inline __attribute__((always_inline)) vf vabs(vf x) {
  vi b;
  std::memcpy(&b, &x, VB);
  b &= 0x7fffffff;
  vf r;
  std::memcpy(&r, &b, VB);
  return r;
}
static inline __attribute__((always_inline)) vf vmin(vf a, vf b) { return a < b ? a : b; }
static inline __attribute__((always_inline)) vf vmax(vf a, vf b) { return a > b ? a : b; }

// log of a positive float (subnormals too): exponent from the bits, mantissa m in
// [sqrt(.5), sqrt(2)), log m = 2 atanh((m-1)/(m+1)) by its odd series (|s| <= 0.1716, < 3e-9).
static inline __attribute__((always_inline)) vf vlog(vf v) {
  vi sub = v < 1.17549435e-38f;
  vf vs = sel(sub, v * 16777216.f, v);
  vi b;
  std::memcpy(&b, &vs, VB);
  vi e = ((b >> 23) & 0xff) - 127;
  vi mb = (b & 0x007fffff) | 0x3f800000;
  vf m;
  std::memcpy(&m, &mb, VB);
  vi big = m > 1.41421356f;
  m = sel(big, m * 0.5f, m);
  vf ef = __builtin_convertvector(e - big, vf);  // big is -1 where true
  ef = sel(sub, ef - 24.f, ef);
  vf s = (m - 1.f) / (m + 1.f);
  vf s2 = s * s;
  vf poly = splat(1.f / 11.f);
  poly = poly * s2 + 1.f / 9.f;
  poly = poly * s2 + 1.f / 7.f;
  poly = poly * s2 + 1.f / 5.f;
  poly = poly * s2 + 1.f / 3.f;
  poly = poly * s2 + 1.f;
  vf lm = 2.f * s * poly;
  vf r = ef * 0.693359375f + lm;
  r = r + ef * -2.12194440e-4f;
  return sel(v == 0.f, splat(-kInf), r);
}

// log1p(d) for |d| < 1 with relative accuracy: 2 atanh(d/(2+d)), |s| < 1/3.
static inline __attribute__((always_inline)) vf vlog1p_small(vf d) {
  vf s = d / (2.f + d);
  vf s2 = s * s;
  vf poly = splat(1.f / 19.f);
  poly = poly * s2 + 1.f / 17.f;
  poly = poly * s2 + 1.f / 15.f;
  poly = poly * s2 + 1.f / 13.f;
  poly = poly * s2 + 1.f / 11.f;
  poly = poly * s2 + 1.f / 9.f;
  poly = poly * s2 + 1.f / 7.f;
  poly = poly * s2 + 1.f / 5.f;
  poly = poly * s2 + 1.f / 3.f;
  poly = poly * s2 + 1.f;
  return 2.f * s * poly;
}

// A float64 sum of float lanes as two registers of W/2 float64 lanes. (The 2W-byte type vd is
// two registers too, but GCC 12 moves its halves through the stack when converting to it and
// adding to it on AVX2: the hot loops use this instead.)
typedef double vh __attribute__((vector_size(VB)));
typedef float vfh __attribute__((vector_size(VB / 2)));
#if defined(__AVX512F__)
#define KLK_LO 0, 1, 2, 3, 4, 5, 6, 7
#define KLK_HI 8, 9, 10, 11, 12, 13, 14, 15
#elif defined(__AVX__)
#define KLK_LO 0, 1, 2, 3
#define KLK_HI 4, 5, 6, 7
#else
#define KLK_LO 0, 1
#define KLK_HI 2, 3
#endif
struct Dsum {
  vh lo = vh{}, hi = vh{};
  inline __attribute__((always_inline)) void add(vf v) {
    lo += __builtin_convertvector(__builtin_shufflevector(v, v, KLK_LO), vh);
    hi += __builtin_convertvector(__builtin_shufflevector(v, v, KLK_HI), vh);
  }
  inline __attribute__((always_inline)) void add(vd v) {
    lo += __builtin_shufflevector(v, v, KLK_LO);
    hi += __builtin_shufflevector(v, v, KLK_HI);
  }
  double total() const {
    double s = 0;
    for (int k = 0; k < W / 2; k++) s += lo[k] + hi[k];
    return s;
  }
};

// e^y for y <= 0 (and -inf; pass 1 and the fast path): rounding by the 1.5*2^23 trick inside one FMA,
// whose bits also give 2^k (no float-int conversion); below -87 the floor gives ~1e-38, not 0,
// which no sum here can see.
static inline __attribute__((always_inline)) vf vexp_neg(vf y) {
  vf x = vmax(y, splat(-87.f));
  vf t = x * 1.4426950408889634f + 12582912.f;
  vf k = t - 12582912.f;
  // one-step reduction with ln2 rounded to float: r is off by k * 1.9e-9, i.e. every weight
  // is scaled by e^(-2.7e-9 y), the same as changing the logits' scale by 3e-9: invisible
  vf r = x - k * 0.6931471805599453f;
  // degree 5, fitted for relative error on |r| <= ln2/2 (1e-7; 2e-7 evaluated in float32)
  vf p = splat(0.008312526158988476f);
  p = p * r + 0.04189016669988632f;
  p = p * r + 0.16667114198207855f;
  p = p * r + 0.499992311000824f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  vi tb;
  std::memcpy(&tb, &t, VB);
  vi sb = (tb + 127) << 23;  // the low bits of t hold k (the magic number's low 9 bits are 0)
  vf scale;
  std::memcpy(&scale, &sb, VB);
  return p * scale;
}

static inline __attribute__((always_inline)) bool any_lane(vi m) {
#if defined(__AVX512F__)
  __m512i v;
  std::memcpy(&v, &m, VB);
  return _mm512_test_epi32_mask(v, v) != 0;
#elif defined(__AVX__)
  __m256i v;
  std::memcpy(&v, &m, VB);
  return !_mm256_testz_si256(v, v);
#else
  int32_t o = 0;
  for (int k = 0; k < W; k++) o |= m[k];
  return o != 0;
#endif
}

struct Side {
  double shift;  // log domain: log p = x - shift
  double scale;  // probs: p = x * scale
  int32_t argmax;
  bool ok;
};

struct RowResult {
  double forward, reverse, entropyP, entropyQ, crossPQ, crossQP, js, tvd, lpt, lqt;
  int32_t argmaxP, argmaxQ;
  bool invalid;
};

// Loads W values from x[i..] (i + W <= n) or the tail padded with `fill`, as float lanes;
// float64 input is rounded to float (pass 1 uses it only for the max and e^(x - m)).
// Each loop runs full vectors without tests and then one padded tail vector: with the tail test
// inside the loop GCC emitted masked per-lane code into the hot path of the shared library.
#define KLK_LOOP(i, start, end, ...)               \
  {                                               \
    int i = (start);                              \
    for (; i + W <= (end); i += W) {              \
      constexpr bool full = true;                 \
      __VA_ARGS__                                 \
    }                                             \
    if (i < (end)) {                              \
      constexpr bool full = false;                \
      __VA_ARGS__                                 \
    }                                             \
  }

template <typename T>
static inline __attribute__((always_inline)) vf loadf(const T* x, int i, int n, float fill, bool full) {
  vf v;
  if (full) {
    if constexpr (sizeof(T) == 4) std::memcpy(&v, x + i, sizeof v);
    else for (int k = 0; k < W; k++) v[k] = (float)x[i + k];
    return v;
  }
  for (int k = 0; k < W; k++) v[k] = i + k < n ? (float)x[i + k] : fill;
  return v;
}

template <typename T>
static inline __attribute__((always_inline)) vd loadd(const T* x, int i, int n, double fill) {
  vd v;
  for (int k = 0; k < W; k++) v[k] = i + k < n ? (double)x[i + k] : fill;
  return v;
}

constexpr int BLOCK = 2048;

// Prefetch hint for the next row pair (see fast_kl_row): prefetcht0, the best of t0/t1/t2 measured
// (2 threads, 256 cold rows).
#ifndef KLK_PF
#define KLK_PF 3
#endif

// Pass 1: validity, argmax (first index wins) and the normaliser. Log domain: blocked online
// log-sum-exp (block max first; the running sum is rescaled by e^(m_old - m_new) once per block
// where the max grows; the block's e^(x - m) are summed in float, then float64 every 256).
// KIND is a template parameter: with the input kind known at compile time the loops carry no
// kind tests (a runtime kind made GCC's code about 3x slower).
template <typename T, int KIND>
static Side pass1(const T* x, int n, bool normalize, double tol, float* ex, double* mb) {
  constexpr int kind = KIND;
  Side bad{0, 0, -1, false};
  constexpr bool probs = kind == PROBS;
  const float fill = probs ? 0.f : -kInf;
  double s = 0;
  T m = -(T)INFINITY;
  int32_t arg = 0;
  for (int b0 = 0; b0 < n; b0 += BLOCK) {
    int b1 = b0 + BLOCK < n ? b0 + BLOCK : n;
    vi badv = vi{};
    T bm = -(T)INFINITY;
    if constexpr (sizeof(T) == 4) {
      vf bmv = splat(-kInf);
      vd sum64 = vd{};
      KLK_LOOP(i, b0, b1, {
        vf v = loadf(x, i, b1, fill, full);
        if constexpr (probs) {
          badv |= ~((v >= 0.f) & (v < kInf));
          sum64 += __builtin_convertvector(v, vd);  // the normaliser needs float64 digits
        } else {
          badv |= ~(v < kInf);  // NaN or +inf (a masked -inf is valid)
          if constexpr (kind == LOGPROBS) badv |= v > 1e-6f;
        }
        bmv = vmax(bmv, v);
      })
      for (int k = 0; k < W; k++) bm = bmv[k] > bm ? bmv[k] : bm;
      if (probs)
        for (int k = 0; k < W; k++) s += sum64[k];
    } else {
      // float64 input: validity and max in float64, so the shift keeps the input's digits
      vd bmv = vd{} - INFINITY;
      vd sum64 = vd{};
      for (int i = b0; i < b1; i += W) {
        vd v = loadd(x, i, b1, fill);
        vl bd;
        if (probs) {
          bd = ~((v >= 0.0) & (v < INFINITY));
          sum64 += v;
        } else {
          bd = (v != v) | (v == INFINITY);
          if (kind == LOGPROBS) bd |= v > 1e-6;
        }
        badv |= __builtin_convertvector(bd, vi);
        bmv = v > bmv ? v : bmv;
      }
      for (int k = 0; k < W; k++) bm = bmv[k] > bm ? bmv[k] : bm;
      if (probs)
        for (int k = 0; k < W; k++) s += sum64[k];
    }
    for (int k = 0; k < W; k++)
      if (badv[k]) return bad;
    if (bm > m) {
      if (!probs) s = m == -(T)INFINITY ? 0 : s * std::exp((double)m - (double)bm);
      m = bm;
      for (int i = b0; i < b1; i++)
        if (x[i] == bm) { arg = i; break; }
    }
    if (probs) continue;
    mb[b0 / BLOCK] = (double)m;
    if (m == -(T)INFINITY) {
      std::memset(ex + b0, 0, sizeof(float) * (size_t)((b1 - b0 + W - 1) / W * W));
      continue;
    }
    const vf mv = splat((float)m);
    const auto ex1 = [&](int i, bool full) __attribute__((always_inline)) {
      vf arg_;
      if constexpr (sizeof(T) == 4) arg_ = loadf(x, i, b1, -kInf, full) - mv;
      else arg_ = __builtin_convertvector(loadd(x, i, b1, -INFINITY) - (double)m, vf);
      // arg_ <= 0: the cheaper e^y of the fast path (2e-7 relative), 0 below -87 (masked
      // logits, padding): weights under e^-87 of the block's max are invisible in every sum
      vf e = sel(arg_ >= -87.f, vexp_neg(arg_), vf{});
      // kept for pass 2: p = e * e^(m - lse), one multiply instead of an exp
      std::memcpy(ex + i, &e, sizeof e);
      return e;
    };
    // float partial sums of 16 vectors per lane (four independent chains of four, so that the
    // adds do not wait on each other), then float64 vector sums
    Dsum blk;
    int i = b0;
    const int b4 = b0 + (b1 - b0) / (4 * W) * (4 * W);
    while (i < b4) {
      const int iEnd = i + 16 * W < b4 ? i + 16 * W : b4;
      vf p0 = vf{}, p1 = vf{}, p2 = vf{}, p3 = vf{};
      for (; i < iEnd; i += 4 * W) {
        p0 += ex1(i, true);
        p1 += ex1(i + W, true);
        p2 += ex1(i + 2 * W, true);
        p3 += ex1(i + 3 * W, true);
      }
      blk.add((p0 + p1) + (p2 + p3));
    }
    vf part = vf{};
    for (; i + W <= b1; i += W) part += ex1(i, true);
    if (i < b1) part += ex1(i, false);
    blk.add(part);
    s += blk.total();
  }
  if (probs) {
    if (s == 0) return bad;
    if (std::fabs(s - 1) > tol && !normalize) return bad;
    double scale = normalize ? 1 / s : 1;
    return Side{0, scale, arg, true};
  }
  if (m == -(T)INFINITY) return bad;
  double lse = (double)m + std::log(s);
  if (kind == LOGITS) return Side{lse, 1, arg, true};
  double mass = std::exp(lse);
  if (!normalize && std::fabs(mass - 1) > tol) return bad;
  return Side{normalize ? lse : 0, 1, arg, true};
}

// Splits a double into float hi + lo with hi + lo = d to ~2^-48 relative.
static inline __attribute__((always_inline)) void split(double d, float& hi, float& lo) {
  hi = (float)d;
  lo = (float)(d - (double)hi);
}

struct Acc {
  vf f = vf{}, r = vf{}, hp = vf{}, hq = vf{}, js = vf{}, tv = vf{}, d = vf{}, sg = vf{};
};

// float64 sums of Acc's partial sums. A zero q under a nonzero p makes the term of f +inf (or
// NaN where p underflowed to 0: 0 * inf), so a non-finite f is KL(P||Q) = inf (r likewise):
// no flag accumulators in the hot loop.
struct AccD {
  Dsum f, r, hp, hq, js, tv, d, sg;
  void flush(Acc& a) {
    f.add(a.f); r.add(a.r); hp.add(a.hp); hq.add(a.hq); js.add(a.js); tv.add(a.tv); d.add(a.d); sg.add(a.sg);
    a = Acc{};
  }
};

// phi(x) and phi(-x) for |x| < 0.5 by their even/odd series (relative error ~1 ulp); returns
// x^2. (Horner: Estrin's shorter chains cost more multiplies, and these loops are bound by
// throughput: measured slower.)
static inline __attribute__((always_inline)) vf phi_pair(vf x, vf& phiF, vf& phiR) {
  vf x2 = x * x;
  vf E = splat(1.f / 40320.f);
  E = E * x2 + 1.f / 720.f;
  E = E * x2 + 1.f / 24.f;
  E = E * x2 + 0.5f;
  vf O = splat(1.f / 362880.f);
  O = O * x2 + 1.f / 5040.f;
  O = O * x2 + 1.f / 120.f;
  O = O * x2 + 1.f / 6.f;
  O = O * x;
  phiF = x2 * (E - O);
  phiR = x2 * (E + O);
  return x2;
}

// phi(x) and phi(-x) for |x| < 2 (terms): phi(x)/x^2 = E(x^2) - x O(x^2) with the even part
// E = (cosh x - 1)/x^2 and the odd part O = (sinh x - x)/x^3, each a degree-4 relative minimax
// fit on x^2 <= 4 (< 8e-9); phiF, phiR within 3.2e-7 relative evaluated in float32. Returns x^2.
static inline __attribute__((always_inline)) vf phi_wide(vf x, vf& phiF, vf& phiR) {
  vf x2 = x * x;
  vf E = splat(2.968770928739971e-07f);
  E = E * x2 + 2.4727649336688736e-05f;
  E = E * x2 + 0.0013889923025039099f;
  E = E * x2 + 0.041666616705275945f;
  E = E * x2 + 0.5000000037866504f;
  vf O = splat(2.669341542848847e-08f);
  O = O * x2 + 2.74999838452403e-06f;
  O = O * x2 + 0.0001984207981033233f;
  O = O * x2 + 0.008333329362629137f;
  O = O * x2 + 0.16666666697434004f;
  O = O * x;
  phiF = x2 * (E - O);
  phiR = x2 * (E + O);
  return x2;
}

// D(tanh(x/2)) / x^2 as a function of x^2 for |x| < 2 (see terms: the division-free JS form).
static inline __attribute__((always_inline)) vf js_near(vf w) {
  vf J = splat(-4.968212142403097e-09f);
  J = J * w + 1.2808293705091743e-07f;
  J = J * w + -1.7645497110634616e-06f;
  J = J * w + 1.884407067107424e-05f;
  J = J * w + -0.000184095926402909f;
  J = J * w + 0.001735932788482847f;
  J = J * w + -0.015624966325730039f;
  J = J * w + 0.12499999894050337f;
  return J;
}

// The per-element work shared by all input kinds, from p, q, log p, log q and x = log p - log q;
// pz/qz: the side is exactly zero (masked logit, zero probability).
// ALL = false: only what KL both ways, the entropies and cross-entropies need (no JS, no TV).
template <bool ALL>
static inline __attribute__((always_inline)) void terms(vf p, vf q, vf la, vf lb, vf x, vi pz, vi qz, Acc& acc) {
  // a zero side makes x infinite (0 when both are zero), whatever the arithmetic gave
  x = sel(qz, splat(kInf), x);
  x = sel(pz, sel(qz, vf{}, splat(-kInf)), x);
  vf ax = vabs(x);
  // near: |x| < 2 (close pairs: nearly every lane of LM-like rows, even at KL 0.1), where every
  // term has a series form in x with relative accuracy: NaN and infinite x are not near
  vi near = ax < 2.f;
  vf phiF, phiR;  // phi(x) = x + e^-x - 1 and phi(-x)
  const vf x2 = phi_wide(x, phiF, phiR);
  vf e1 = phiF - x;  // expm1(-x) = q/p - 1
  vf zero = vf{};
  acc.hp += sel(pz, zero, -p * la);
  acc.hq += sel(qz, zero, -q * lb);
  if (__builtin_expect(!any_lane(~near), 1)) {
    // every lane near: the series forms only (JS without division or logarithm)
    acc.f += p * phiF;
    acc.r += q * phiR;
    acc.d += p * e1;
    if constexpr (!ALL) return;
    acc.tv += p * vabs(e1);
    acc.sg += sel(e1 > 0.f, q, -q);
    acc.js += (p + q) * (x2 * js_near(x2));
    return;
  }
  vf pxl = sel(pz, zero, p * x);
  vf qxl = sel(qz, zero, q * x);
  // away from x = 0 the three parts of p*phi(x) = p*x - p + q do not cancel badly
  vf tf = sel(near, p * phiF, (pxl - p) + q);
  vf tr = sel(near, q * phiR, (p - qxl) - q);
  // p > 0 = q: tf = +inf (NaN if p underflowed), making the sum non-finite (see AccD); both
  // zero: x = 0, tf = 0
  acc.f += tf;
  acc.r += tr;
  // q - p, for rows that do not sum to exactly 1 (sum p phi(x) = KL + sum(q - p))
  acc.d += sel(near, p * e1, q - p);
  if constexpr (!ALL) return;
  acc.tv += sel(near, p * vabs(e1), vabs(p - q));
  // sum of q sign(q - p) over the terms that depend on x: how TV moves when x shifts by the
  // log-sum-exp error (see fused_row)
  acc.sg += sel(near, sel(e1 > 0.f, q, -q), vf{});
  // JS far from x = 0: hi*(ln2 - L) + lo*(ln2 - |x| - L), L = log1p(lo/hi) = 2 atanh(u),
  // u = lo/(2 hi + lo) <= e^-2/(2 + e^-2) < 0.064 (four terms of the series: < 3e-11)
  vi pbig = x > 0.f;
  vf hi = sel(pbig, p, q);
  vf lo = sel(pbig, q, p);
  vf u = lo / (2.f * hi + lo);
  vf w = u * u;
  vf L = splat(1.f / 7.f);
  L = L * w + 1.f / 5.f;
  L = L * w + 1.f / 3.f;
  L = L * w + 1.f;
  L = 2.f * u * L;
  vf loterm = sel(lo > 0.f, lo * ((kLn2 - ax) - L), zero);
  vf jsl = sel(hi > 0.f, hi * (kLn2 - L) + loterm, zero);
  acc.js += sel(near, (p + q) * (x2 * js_near(x2)), jsl);
}

template <typename T, int KIND, bool ALL>
__attribute__((noinline)) static RowResult fused_row_t(const T* a, const T* b, int n, bool normalize, double tol, int32_t target, const T* na = nullptr, const T* nb = nullptr) {
  // the next row pair, fetched into the caches during pass 2 (itself if none)
  if (!na || !nb) { na = a; nb = b; }
  constexpr int kind = KIND;
  RowResult res{};
  // scratch of this thread: pass 1's e^(x - m) of both rows and each block's m
  // (vectors of vf: 64-byte aligned, so stores never split a cache line)
  static thread_local std::vector<vf> scratch;
  static thread_local std::vector<double> blockMax;
  const size_t nW = (size_t)(n + W - 1) / W * W;
  const size_t nB = (size_t)(n + BLOCK - 1) / BLOCK;
  if (scratch.size() < 2 * nW / W) scratch.resize(2 * nW / W);
  if (blockMax.size() < 2 * nB) blockMax.resize(2 * nB);
  float* ea = reinterpret_cast<float*>(scratch.data());
  float* eb = ea + nW;
  double* ma = blockMax.data();
  double* mbq = ma + nB;
  Side A = pass1<T, KIND>(a, n, normalize, tol, ea, ma);
  Side B = pass1<T, KIND>(b, n, normalize, tol, eb, mbq);
  res.argmaxP = A.ok && B.ok ? A.argmax : -1;
  res.argmaxQ = A.ok && B.ok ? B.argmax : -1;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!A.ok || !B.ok) {
    res.forward = res.reverse = res.entropyP = res.entropyQ = res.crossPQ = res.crossQP = res.js = res.tvd = nan;
    res.lpt = res.lqt = nan;
    res.invalid = true;
    return res;
  }
  Acc acc;
  AccD tot;
  int cnt = 0;
  if constexpr (KIND != PROBS) {
    float aH, aL, bH, bL, cH, cL;
    split(A.shift, aH, aL);
    split(B.shift, bH, bL);
    split(A.shift - B.shift, cH, cL);
    vf sA = vf{}, sB = vf{};
    KLK_LOOP(i, 0, n, {
      if (i % BLOCK == 0) {
        sA = splat((float)std::exp(ma[i / BLOCK] - A.shift));
        sB = splat((float)std::exp(mbq[i / BLOCK] - B.shift));
      }
      vf la, lb, x;
      vi pz, qz;
      if constexpr (sizeof(T) == 4) {
        vf av = loadf(a, i, n, -kInf, full);
        vf bv = loadf(b, i, n, -kInf, full);
        __builtin_prefetch(na + i, 0, KLK_PF);
        __builtin_prefetch(nb + i, 0, KLK_PF);
        pz = av == -kInf;
        qz = bv == -kInf;
        la = (av - aH) - aL;
        lb = (bv - bH) - bL;
        // two-sum: s + e = av - bv exactly; then x = (s - cH) + (e - cL), s - cH exact near x = 0
        vf s = av - bv;
        vf bb = s - av;
        vf e = (av - (s - bb)) + ((-bv) - bb);
        x = (s - cH) + (e - cL);
      } else {
        vd av = loadd(a, i, n, -INFINITY);
        vd bv = loadd(b, i, n, -INFINITY);
        pz = __builtin_convertvector(av == -INFINITY, vi);
        qz = __builtin_convertvector(bv == -INFINITY, vi);
        la = __builtin_convertvector(av - A.shift, vf);
        lb = __builtin_convertvector(bv - B.shift, vf);
        x = __builtin_convertvector((av - bv) - (A.shift - B.shift), vf);
      }
      vf p, q;
      std::memcpy(&p, ea + i, sizeof p);
      std::memcpy(&q, eb + i, sizeof q);
      p *= sA;
      q *= sB;
      terms<ALL>(p, q, la, lb, x, pz, qz, acc);
      if (++cnt == 16) {
        tot.flush(acc);
        cnt = 0;
      }
    })
  } else {
    const float sa = (float)A.scale, sb = (float)B.scale;
    KLK_LOOP(i, 0, n, {
      vf p, q, d;
      if constexpr (sizeof(T) == 4) {
        p = loadf(a, i, n, 0.f, full) * sa;
        q = loadf(b, i, n, 0.f, full) * sb;
        d = (p - q) / q;  // p - q exact near p = q (Sterbenz)
      } else {
        // float64 probabilities: the relative difference in float64 before rounding to float
        vd pd = loadd(a, i, n, 0.0) * A.scale;
        vd qd = loadd(b, i, n, 0.0) * B.scale;
        p = __builtin_convertvector(pd, vf);
        q = __builtin_convertvector(qd, vf);
        d = __builtin_convertvector((pd - qd) / qd, vf);
      }
      vi pz = p == 0.f;
      vi qz = q == 0.f;
      vf la = vlog(p);
      vf lb = vlog(q);
      // x = log(p/q): near 1 from log1p((p - q)/q), so near-equal rows keep their digits
      vf r = p / q;
      vi near = (r > 0.5f) & (r < 2.f);
      vf x = sel(near, vlog1p_small(d), la - lb);
      x = sel(pz & qz, vf{}, x);
      terms<ALL>(p, q, la, lb, x, pz, qz, acc);
      if (++cnt == 16) {
        tot.flush(acc);
        cnt = 0;
      }
    })
  }
  tot.flush(acc);
  // sum p*phi(x) = KL + sum(q - p). Rows normalised by a log-sum-exp shift (logits, normalised log-probabilities) sum to 1 by
  // construction, and there the shift's own rounding only scales KL by (1 + eps): no term.
  // Rows taken as given (probabilities, raw log-probabilities) use the measured sum(q - p).
  const double tF = tot.f.total(), tR = tot.r.total(), tD = tot.d.total(), tHp = tot.hp.total(), tHq = tot.hq.total();
  const bool infF = !std::isfinite(tF), infR = !std::isfinite(tR);
  const bool useD = kind == PROBS || (kind == LOGPROBS && !normalize);
  double dq = useD ? tD : 0;
  double fwd = tF - dq;
  double rev = tR + dq;
  fwd = fwd < 0 ? 0 : fwd;
  rev = rev < 0 ? 0 : rev;
  double hp = tHp < 0 ? 0 : tHp;
  double hq = tHq < 0 ? 0 : tHq;
  const double inf = std::numeric_limits<double>::infinity();
  res.forward = infF ? inf : fwd;
  res.reverse = infR ? inf : rev;
  res.entropyP = hp;
  res.entropyQ = hq;
  res.crossPQ = infF ? inf : hp + fwd;
  res.crossQP = infR ? inf : hq + rev;
  double js = 0.5 * tot.js.total();
  res.js = !ALL ? nan : js < 0 ? 0 : (js > 0.6931471805599453 ? 0.6931471805599453 : js);
  // TV of near-equal rows is sensitive to the shift difference: with x off by eps everywhere,
  // the measured sum(q - p) is eps and sum|p - q| is off by eps * sum q sign(q - p). Only
  // terms near x = 0 change sign and matter; the correction is first order (rows normalised).
  double tvSum = tot.tv.total();
  if (!useD) tvSum -= tD * tot.sg.total();
  double tv = 0.5 * (tvSum < 0 ? 0 : tvSum);
  res.tvd = !ALL ? nan : tv > 1 ? 1 : tv;
  if (target >= 0 && target < n) {
    if (kind == PROBS) {
      res.lpt = std::log((double)a[target] * A.scale);
      res.lqt = std::log((double)b[target] * B.scale);
    } else {
      res.lpt = (double)a[target] - A.shift;
      res.lqt = (double)b[target] - B.shift;
    }
  } else {
    res.lpt = res.lqt = nan;
  }
  res.invalid = false;
  return res;
}

// Fast path for measures = 'kl' on float32 logit rows: one read of each row for the maxima, one
// for the sums, two exps per element and no stores. With ya = a - mA, yb = b - mB (the rows'
// maxima), weights ea = e^ya, eb = e^yb, SA = sum ea, SB = sum eb, rho = SB/SA and
// x = ya - yb = log p - log q - log rho, the compensated (phi) form is
//   KL(P||Q) = F/SA - phi(-log rho),  F = sum ea phi(x),   phi(x) = x + e^-x - 1 >= 0
//   KL(Q||P) = R/SB - phi(log rho),   R = sum eb phi(-x)
// (sum ea x = F - (SB - SA), so F/SA - phi(-log rho) = sum p (x + log rho)). Every term of F
// and R is non-negative, so float32 errors stay relative to F; the subtracted phi(-log rho) ~
// (rho - 1)^2/2 moves only by |rho - 1| times the error of log rho. That error comes from the
// float32 weights (exp and the rounding of y, relative u (1 + |y|) each, independent): about
// u sqrt(sum p^2 (1 + |y|)^2), dominated by the heaviest weights of a peaked row. So weights
// above kHeavy * SA (a lower bound of SA from pass 1) take a float64 path (rare vectors: the
// few heavy tokens of a peaked row), and the light ones leave only a small error. x is formed
// exactly near 0 (a two-sum of a - b minus the split mA - mB), as in the exact path.
// H(P) = log SA - UA/SA with UA = sum ea ya. When the error estimate is not far below a KL
// (or 1e-9 absolute for tiny ones), or a row is not all-finite (masked logits, invalid
// values), the caller recomputes the row with the exact path (fused_row_t).
constexpr double kFastRelBound = 5e-6;   // allowed relative error estimate of a fast KL
constexpr double kFastAbsBound = 2e-10;  // allowed absolute error estimate (KL below 1e-4)
constexpr double kExpErr = 6e-8;         // float32 rounding unit
constexpr double kSigma = 8;             // safety factor on the statistical error estimate
constexpr float kHeavy = 1.f / 1024;     // weights above kHeavy * SA take the float64 path

// e^y in float64 for -700 <= y <= 0 (clamped below): Cody-Waite with ln2 in two parts and a
// degree-11 Taylor polynomial on |r| <= ln2/2 (truncation < 2e-14 relative).
static inline __attribute__((always_inline)) vd vexpd_neg(vd y) {
  vd x = y > -700.0 ? y : vd{} - 700.0;
  vd t = x * 1.4426950408889634 + 6755399441055744.0;  // 1.5 * 2^52: round to integer
  vd k = t - 6755399441055744.0;
  vd r = x - k * 0.6931471803691238;
  r = r - k * 1.9082149292705877e-10;
  vd p = vd{} + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  vl kb = __builtin_convertvector(k, vl);
  vl sb = (kb + 1023) << 52;
  vd scale;
  std::memcpy(&scale, &sb, 2 * VB);
  return p * scale;
}

static inline __attribute__((always_inline)) vd cvtd(vf v) { return __builtin_convertvector(v, vd); }


// Register budget of the fast loops. AVX2 has 16 vector registers; one float vector is one of
// them, a float64 vector of the same lanes two. The loops therefore keep only float partial
// sums in registers, over chunks of kChunk vectors, and add them to float64 sums that live in
// memory once per chunk (a float sum of kChunk non-negative terms per lane is off by at most
// (kChunk - 1) u relative). Sums that only feed error estimates stay float for the whole row
// (up to ~n/W terms per lane: relative error n/W * u < 1e-3, nothing for an estimate).
constexpr int kChunk = 4;

// The plain two-exp form for broad rows (no weight near SA, KL not tiny): with T = sum ea x,
// KL(P||Q) = TA/SA - log rho, a difference of O(1) terms whose float32 error is about
// u sqrt(sum p^2 (1 + |y|)^2): small when every p is small. Fewer operations than the phi form;
// returns false when its estimate is not far below both KLs (the phi form runs then).
static inline __attribute__((always_inline)) bool two_exp_pass(const float* a, const float* b, int n, float mA, float mB, const float* na, const float* nb, double out[6]) {
  const vf mAv = splat(mA), mBv = splat(mB);
  // float partial sums over kChunk vectors, then float64 (see kChunk); the squares that only
  // feed the error estimate stay float for the row
  Dsum sa, sb, ta, tb, ua, ub;
  vf fxa = vf{}, fxb = vf{};
  const auto body = [&](vf av, vf bv, bool full, vf& fsa, vf& fsb, vf& fta, vf& ftb, vf& fua, vf& fub) __attribute__((always_inline)) {
    vf ya = av - mAv, yb = bv - mBv;
    vf ea = vexp_neg(ya), eb = vexp_neg(yb);
    if (!full) {
      ya = sel(ya == -kInf, vf{}, ya);
      yb = sel(yb == -kInf, vf{}, yb);
    }
    vf x = ya - yb;
    fsa += ea;
    fsb += eb;
    fta += ea * x;
    ftb += eb * x;
    fua += ea * ya;
    fub += eb * yb;
    vf ra = ea - ea * ya, rb = eb - eb * yb;
    fxa += ra * ra;
    fxb += rb * rb;
  };
  const int nFull = n / W * W;
  for (int i = 0; i < nFull;) {
    const int iEnd = i + kChunk * W < nFull ? i + kChunk * W : nFull;
    vf fsa = vf{}, fsb = vf{}, fta = vf{}, ftb = vf{}, fua = vf{}, fub = vf{};
    for (; i < iEnd; i += W) {
      vf av, bv;
      std::memcpy(&av, a + i, sizeof av);
      std::memcpy(&bv, b + i, sizeof bv);
      __builtin_prefetch(na + i, 0, KLK_PF);
      __builtin_prefetch(nb + i, 0, KLK_PF);
      body(av, bv, true, fsa, fsb, fta, ftb, fua, fub);
    }
    sa.add(fsa); sb.add(fsb); ta.add(fta); tb.add(ftb); ua.add(fua); ub.add(fub);
  }
  if (nFull < n) {
    vf fsa = vf{}, fsb = vf{}, fta = vf{}, ftb = vf{}, fua = vf{}, fub = vf{};
    body(loadf(a, nFull, n, -kInf, false), loadf(b, nFull, n, -kInf, false), false, fsa, fsb, fta, ftb, fua, fub);
    sa.add(fsa); sb.add(fsb); ta.add(fta); tb.add(ftb); ua.add(fua); ub.add(fub);
  }
  const double SA = sa.total(), SB = sb.total(), TA = ta.total(), TB = tb.total(), UA = ua.total(), UB = ub.total();
  double XA = 0, XB = 0;
  for (int k = 0; k < W; k++) { XA += fxa[k]; XB += fxb[k]; }
  if (!std::isfinite(SA + SB + TA + TB + UA + UB + XA + XB)) return false;
  const double lSA = std::log(SA), lSB = std::log(SB);
  const double fwd = TA / SA - lSA + lSB;
  const double rev = -TB / SB - lSB + lSA;
  // the rounding of the float partial sums of SA, SB moves log SA directly: per chunk and lane
  // at most (kChunk - 1) u of a partial sum c, random across chunks, so about u sqrt(sum c^2) <=
  // 2u sqrt(sum e^2) (Cauchy-Schwarz, 4 terms): within the exp term's scale, counted once more
  const double err = 2 * kSigma * kExpErr * (std::sqrt(XA) / SA + std::sqrt(XB) / SB);
  if (err > kFastRelBound * fwd || err > kFastRelBound * rev) return false;
  out[0] = fwd; out[1] = rev; out[2] = SA; out[3] = SB; out[4] = UA; out[5] = UB;
  return true;
}


// The float64 sums of the phi pass (kept in memory: see kChunk).
struct PhiSums {
  Dsum sa, sb, f, r, ua, ub;
};

// A vector with a heavy weight (see fast_kl_row): float64 y, x and weights (to 1e-14); padding
// lanes (-inf) give weight 0. Rare (the few heaviest tokens of a peaked row): the hot loop only
// notes where they are, and they are summed after it, so that its registers hold float lanes
// only (a call or float64 temporaries inside it made GCC keep its sums in memory).
// A -inf inside the row (a masked logit) is not padding: its e^-700 * -inf makes UA non-finite,
// which hands the row to the exact path, as in the light vectors.
template <bool full>
static inline __attribute__((always_inline)) void phi_heavy(vf av, vf bv, double mA, double mB, PhiSums& S) {
  vd ad = cvtd(av), bd = cvtd(bv);
  vd yad = ad - mA, ybd = bd - mB;
  vd ead = vexpd_neg(yad), ebd = vexpd_neg(ybd);
  if (!full) {
    vl pa = ad == -INFINITY, pb = bd == -INFINITY;
    ead = pa ? vd{} : ead;
    ebd = pb ? vd{} : ebd;
    yad = pa ? vd{} : yad;
    ybd = pb ? vd{} : ybd;
  }
  vd xd = yad - ybd;
  // ea phi(x) = ea x + eb - ea: float64 cancellation leaves ~1e-16 ea absolute
  S.sa.add(ead);
  S.sb.add(ebd);
  S.f.add((ead * xd - ead) + ebd);
  S.r.add((ead - ebd * xd) - ebd);
  S.ua.add(ead * yad);
  S.ub.add(ebd * ybd);
}

// Float partial sums of the phi pass: per chunk (s*, f, r, u*) and per row (error scales).
struct PhiPart {
  vf sa = vf{}, sb = vf{}, f = vf{}, r = vf{}, ua = vf{}, ub = vf{};
  inline __attribute__((always_inline)) void add(vf ea, vf eb, vf tf, vf tr, vf ya, vf yb) {
    sa += ea; sb += eb; f += tf; r += tr; ua += ea * ya; ub += eb * yb;
  }
};
struct PhiErr {
  vf fy = vf{}, ry = vf{}, xa = vf{}, xb = vf{}, fr = vf{};
};

// phi_wide's relative error in float32 (its fit and evaluation), the scale of the derived
// weights' deterministic error below.
constexpr double kPhiWideErr = 3.2e-7;
// Chunk of the phi pass: longer than kChunk (fewer float64 flushes per vector); its float
// partial sums are off by at most (kPhiChunk - 1) u relative, counted in the error estimate.
constexpr int kPhiChunk = 8;

// One light vector of the phi pass (no weight above the heavy thresholds).
// Near (every lane |x| < 2: all of LM-like rows at KL 1e-3 and 1e-2, ~90 % at 1e-1) Q's weight
// is not a second exp: yb = ya - x, so eb = ea e^-x = ea (1 + expm1(-x)) with expm1(-x) =
// phi(x) - x from the series that phi needs anyway. eb then carries ea's rounding, which
// cancels in rho = SB/SA up to sum (q - p) eps; phi_wide's error adds kPhiWideErr ea phi(x)
// = kPhiWideErr tf to eb (deterministic: summed into the estimate). Far vectors compute eb.
template <bool full>
static inline __attribute__((always_inline)) void phi_light(vf av, vf bv, vf mAv, vf mBv, vf cH, vf cL, PhiPart& c, PhiErr& e2) {
  vf ya = av - mAv, yb = bv - mBv;
  vf ea = vexp_neg(ya);
  // two-sum: s + e = av - bv exactly; x = (s - cH) + (e - cL), exact where x is small
  vf s = av - bv;
  vf bb = s - av;
  vf e = (av - (s - bb)) + ((-bv) - bb);
  vf x = (s - cH) + (e - cL);
  if (!full) {  // padding: -inf - m = -inf, e = 0; keep the products finite
    vi pad = av == -kInf;
    ea = sel(pad, vf{}, ea);
    ya = sel(pad, vf{}, ya);
    yb = sel(pad, vf{}, yb);
    x = sel(pad, vf{}, x);
  }
  if (__builtin_expect(!any_lane(~(vabs(x) < 2.f)), 1)) {
    vf phiF, phiR;
    phi_wide(x, phiF, phiR);
    vf d1 = ea * (phiF - x);  // eb - ea
    vf eb = ea + d1;
    vf tf = ea * phiF, tr = eb * phiR;
    c.add(ea, eb, tf, tr, ya, yb);
    // deterministic error scales of the terms: weight error u |y| (y <= 0; eb's is ea's) and
    // the fit of phi inside eb; the random one of log rho: (eb - ea)(1 + |ya|)
    e2.fy -= tf * ya;
    e2.ry -= tr * ya;
    e2.fr += tf * phiR;
    vf ra = d1 - d1 * ya;
    e2.xa += ra * ra;
    return;
  }
  vf eb = vexp_neg(yb);
  if (!full) eb = sel(av == -kInf, vf{}, eb);
  vf phiF, phiR;
  phi_pair(x, phiF, phiR);
  vi small = vabs(x) < 0.5f;
  // away from x = 0 the three parts of ea phi(x) = ea x - ea + eb do not cancel badly
  vf tf = sel(small, ea * phiF, (ea * x - ea) + eb);
  vf tr = sel(small, eb * phiR, (ea - eb * x) - eb);
  c.add(ea, eb, tf, tr, ya, yb);
  // deterministic error scale of the terms (weight error u |y|), and the random one of the
  // independent weights: e (1 + |y|)
  e2.fy -= tf * ya;
  e2.ry -= tr * yb;
  vf ra = ea - ea * ya, rb = eb - eb * yb;
  e2.xa += ra * ra;
  e2.xb += rb * rb;
}

// After a chunk: the float64 sums take its partial sums, and the random scale of the derived
// weights' own rounding (eb within ~2u (eb + |eb - ea|) <= 2u (2 eb + ea) per lane) is bounded
// by the square of the chunk's lane sum of 2 eb + ea (all terms >= 0).
static inline __attribute__((always_inline)) void phi_flush(PhiSums& S, const PhiPart& c, PhiErr& e2) {
  S.sa.add(c.sa); S.sb.add(c.sb); S.f.add(c.f); S.r.add(c.r); S.ua.add(c.ua); S.ub.add(c.ub);
  vf g = 2.f * c.sb + c.sa;
  e2.xb += g * g;
}

// The compensated (phi) pass over a row pair with maxima mA, mB (see fast_kl_row); SAlb, SBlb
// are lower bounds of SA, SB. Returns false when its error estimate is not small enough.
static inline __attribute__((always_inline)) bool phi_pass(const float* a, const float* b, int n, float mA, float mB, double SAlb, double SBlb, const float* na, const float* nb,
                                                           double& SA, double& SB, double& UA, double& UB, double& fwd, double& rev) {
  const vf mAv = splat(mA), mBv = splat(mB);
  // heavy: ya > log(kHeavy * SAlb) (at least -87, so that no weight below it is "heavy")
  const vf thrA = splat((float)std::log(kHeavy * SAlb)), thrB = splat((float)std::log(kHeavy * SBlb));
  // x = (a - b) - (mA - mB): the float64 difference of the maxima in two floats
  float cHs, cLs;
  split((double)mA - (double)mB, cHs, cLs);
  const vf cH = splat(cHs), cL = splat(cLs);
  PhiSums S;
  PhiErr e2;
  static thread_local std::vector<int> heavy;
  if ((int)heavy.size() < n / W + 1) heavy.resize(n / W + 1);
  int* hv = heavy.data();
  int nh = 0;
  const int nFull = n / W * W;
  for (int i = 0; i < nFull;) {
    const int iEnd = i + kPhiChunk * W < nFull ? i + kPhiChunk * W : nFull;
    PhiPart c;
    for (; i < iEnd; i += W) {
      vf av, bv;
      std::memcpy(&av, a + i, sizeof av);
      std::memcpy(&bv, b + i, sizeof bv);
      __builtin_prefetch(na + i, 0, KLK_PF);
      __builtin_prefetch(nb + i, 0, KLK_PF);
      if (__builtin_expect(any_lane(((av - mAv) > thrA) | ((bv - mBv) > thrB)), 0)) hv[nh++] = i;
      else phi_light<true>(av, bv, mAv, mBv, cH, cL, c, e2);
    }
    phi_flush(S, c, e2);
  }
  for (int k = 0; k < nh; k++) {
    vf av, bv;
    std::memcpy(&av, a + hv[k], sizeof av);
    std::memcpy(&bv, b + hv[k], sizeof bv);
    phi_heavy<true>(av, bv, mA, mB, S);
  }
  if (nFull < n) {
    vf av = loadf(a, nFull, n, -kInf, false), bv = loadf(b, nFull, n, -kInf, false);
    if (any_lane(((av - mAv) > thrA) | ((bv - mBv) > thrB))) {
      phi_heavy<false>(av, bv, mA, mB, S);
    } else {
      PhiPart c;
      phi_light<false>(av, bv, mAv, mBv, cH, cL, c, e2);
      phi_flush(S, c, e2);
    }
  }
  double F = 0, R = 0, XA = 0, XB = 0, FY = 0, RY = 0, FR = 0;
  SA = S.sa.total(); SB = S.sb.total(); F = S.f.total(); R = S.r.total(); UA = S.ua.total(); UB = S.ub.total();
  for (int k = 0; k < W; k++) {
    XA += e2.xa[k]; XB += e2.xb[k]; FY += e2.fy[k]; RY += e2.ry[k]; FR += e2.fr[k];
  }
  if (!std::isfinite(SA + SB + F + R + UA + UB + XA + XB + FY + RY + FR)) return false;
  // phi(-log rho) = d - log1p(d), d = rho - 1; phi(log rho) = d' - log1p(d'), d' = 1/rho - 1
  const double d = (SB - SA) / SA, dr = (SA - SB) / SB;
  const double gF = d - std::log1p(d), gR = dr - std::log1p(dr);
  fwd = F / SA - gF;
  rev = R / SB - gR;
  // error estimate: the terms' own (relative, deterministic bound) and |rho - 1| times that
  // of log rho (light weights, kSigma standard deviations)
  // (kSigma standard deviations), plus the derived weights' deterministic part (SB off by at
  // most kPhiWideErr F, each term of R by kPhiWideErr tf phi(-x)). The terms' own relative
  // errors, at most 3.3 u (exp), 5.3 u (phi), 7 u (chunk sum: kPhiChunk - 1) and in R 8 u
  // (the derived weight), are rounding errors of independent sizes, not all of one sign: their
  // root sum of squares, 9.4 u and 12.5 u, is taken as 10 u and 14 u.
  const double eLog = kSigma * kExpErr * (std::sqrt(XA) / SA + std::sqrt(XB) / SB) + kPhiWideErr * F / SB;
  const double errF = kExpErr * (10 * F + FY) / SA + std::fabs(d) * eLog;
  const double errR = kExpErr * (14 * R + RY) / SB + kPhiWideErr * FR / SB + std::fabs(dr) * eLog;
  if (errF > kFastRelBound * fwd && errF > kFastAbsBound) return false;
  if (errR > kFastRelBound * rev && errR > kFastAbsBound) return false;
  return true;
}

// A row whose weights sum (lower bound from pass 1) to at least this much is broad: no weight
// exceeds 1/kBroad of SA, and the two-exp form is tried first.
constexpr double kBroad = 8;

__attribute__((noinline)) static bool fast_kl_row(const float* a, const float* b, int n, int32_t target, RowResult& res, const float* na = nullptr, const float* nb = nullptr) {
  // the next row pair, fetched into the caches while this one computes (itself if none)
  if (!na || !nb) { na = a; nb = b; }
  // pass 1: every block's lane maxima (the only work per vector: two max), the row maxima from
  // them, and the first index of each maximum by a scan of the first block holding it. The
  // blocks' lane maxima are distinct elements, so their weights sum to a lower bound of SA (SB).
  // A NaN or infinity anywhere (masked logits, invalid rows) makes a sum of pass 2 non-finite:
  // exact path.
  static thread_local std::vector<vf> blk;
  constexpr int LB = 32 * W;  // block of the lower bound: ~n/32 distinct elements enter it
  const int nB = (n + LB - 1) / LB;
  if ((int)blk.size() < 2 * nB) blk.resize(2 * nB);
  vf ma = splat(-kInf), mb = splat(-kInf);
  for (int b0 = 0, j = 0; b0 < n; b0 += LB, j++) {
    const int b1 = b0 + LB < n ? b0 + LB : n;
    vf bma = splat(-kInf), bmb = splat(-kInf);
    KLK_LOOP(i, b0, b1, {
      bma = vmax(bma, loadf(a, i, b1, -kInf, full));
      bmb = vmax(bmb, loadf(b, i, b1, -kInf, full));
    })
    blk[2 * j] = bma;
    blk[2 * j + 1] = bmb;
    ma = vmax(ma, bma);
    mb = vmax(mb, bmb);
  }
  float mA = -kInf, mB = -kInf;
  for (int k = 0; k < W; k++) { mA = ma[k] > mA ? ma[k] : mA; mB = mb[k] > mB ? mb[k] : mB; }
  if (!(mA > -kInf && mA < kInf && mB > -kInf && mB < kInf)) return false;
  const auto first = [&](const float* x, int side, float m) {
    for (int j = 0; j < nB; j++) {
      if (!any_lane(blk[2 * j + side] == m)) continue;
      const int b1 = (j + 1) * LB < n ? (j + 1) * LB : n;
      for (int i = j * LB; i < b1; i++) if (x[i] == m) return (int32_t)i;
    }
    return (int32_t)n;
  };
  const int32_t argA = first(a, 0, mA), argB = first(b, 1, mB);
  const vf mAv = splat(mA), mBv = splat(mB);
  vf la = vf{}, lb = vf{};
  for (int j = 0; j < nB; j++) {
    la += vexp_neg(blk[2 * j] - mAv);
    lb += vexp_neg(blk[2 * j + 1] - mBv);
  }
  double SAlb = 0, SBlb = 0;
  for (int k = 0; k < W; k++) { SAlb += la[k]; SBlb += lb[k]; }
  double SA = 0, SB = 0, UA = 0, UB = 0, fwd = 0, rev = 0;
  double two[6];
  if (SAlb >= kBroad && SBlb >= kBroad && two_exp_pass(a, b, n, mA, mB, na, nb, two)) {
    fwd = two[0]; rev = two[1]; SA = two[2]; SB = two[3]; UA = two[4]; UB = two[5];
  } else if (!phi_pass(a, b, n, mA, mB, SAlb, SBlb, na, nb, SA, SB, UA, UB, fwd, rev)) {
    return false;
  }
  const double lSA = std::log(SA), lSB = std::log(SB);
  fwd = fwd < 0 ? 0 : fwd;
  rev = rev < 0 ? 0 : rev;
  double hp = lSA - UA / SA, hq = lSB - UB / SB;
  hp = hp < 0 ? 0 : hp;
  hq = hq < 0 ? 0 : hq;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  res.forward = fwd;
  res.reverse = rev;
  res.entropyP = hp;
  res.entropyQ = hq;
  res.crossPQ = hp + fwd;
  res.crossQP = hq + rev;
  res.js = res.tvd = nan;
  res.argmaxP = argA;
  res.argmaxQ = argB;
  if (target >= 0 && target < n) {
    res.lpt = ((double)a[target] - (double)mA) - lSA;
    res.lqt = ((double)b[target] - (double)mB) - lSB;
  } else {
    res.lpt = res.lqt = nan;
  }
  res.invalid = false;
  return true;
}

/** The fused pass over one row pair; `all` = false skips JS and TV (set to NaN). */
template <typename T>
static RowResult fused_row(const T* a, const T* b, int n, int kind, bool normalize, double tol, int32_t target, bool all = true, const T* na = nullptr, const T* nb = nullptr) {
  switch (kind) {
    case LOGITS:
      if constexpr (sizeof(T) == 4) {
        RowResult r{};
        if (!all && fast_kl_row(a, b, n, target, r, na, nb)) return r;
      }
      return all ? fused_row_t<T, LOGITS, true>(a, b, n, normalize, tol, target, na, nb) : fused_row_t<T, LOGITS, false>(a, b, n, normalize, tol, target);
    case LOGPROBS:
      return all ? fused_row_t<T, LOGPROBS, true>(a, b, n, normalize, tol, target) : fused_row_t<T, LOGPROBS, false>(a, b, n, normalize, tol, target);
    default:
      return all ? fused_row_t<T, PROBS, true>(a, b, n, normalize, tol, target) : fused_row_t<T, PROBS, false>(a, b, n, normalize, tol, target);
  }
}

}  // namespace klk
