// klscope .klref bounds of one .kld candidate row: the certified intervals and point estimates of
// KL(base‖candidate), KL(candidate‖base), JS and TVD, after the candidate pass of klref.h.
//
// It is the native twin of rowBounds in src/compare/bounds.ts for a .kld candidate (the
// reference; the Method note there derives every step). The reference row's own part (the tail
// masses, the greedy vertices of the three views and the floors) comes in from TypeScript
// (tailPlan) as numbers, so the two sides take every discrete decision from the same values; the
// float64 operations are the reference's, in the same order and without fused multiply-adds.
// The one difference is the C library's exp, log and log1p in place of V8's: both are within an
// ulp of the true value, and the bounds' rounding slack ((V + 16)·2⁻⁵² times the magnitudes) is
// far wider than what that can move, so the intervals stay certified.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>
#include "klref.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace klref {

// Numbers per row of the bounds' params (see setBoundsParams in src/compare/bounds.ts): the
// nine of the code pass, two offsets used by the row batches, then
// 11 window (log q), 12 kw (top-k entries in the base's window), 13 n (tail size), 14 mF, 15 mR,
// 16–19 vF (nHi, r, lo, hi), 20–23 vR, 24–27 vJ; 28 the row's logp offset (row batches).
constexpr int BOUNDS_PARAMS = 30;
// Results per row: the ten of the code pass, then lo[4], hi[4], est[4] (kld, reverseKld, js,
// tvd) and the first top-k id that appears twice (−1: none; else no bound is computed).
constexpr int BOUNDS_OUT = 23;

struct Vertex {
  double nHi, r, lo, hi;
};

static const double LN2 = 0.6931471805599453;
static const double E = 2.718281828459045;
static const double EPS = 2.220446049250313e-16;

// JavaScript's Math.max / Math.min (a NaN wins), the reference's clamps.
static inline double jmax(double a, double b) { return a != a || b != b ? NAN : a > b ? a : b; }
static inline double jmin(double a, double b) { return a != a || b != b ? NAN : a < b ? a : b; }
// |x| for the rounding slack; an infinite term is exact and adds nothing.
static inline double fa(double x) { return std::isinf(x) ? 0 : std::fabs(x); }
// p·log(p/q) from p and the logs, with 0·log 0 = 0 and p > 0 = q giving +∞.
static inline double fwd_term(double p, double lp, double lq) {
  if (p == 0) return 0;
  if (lq == -INFINITY) return INFINITY;
  return p * (lp - lq);
}
// Twice the JS term of (p, q), log p given where known (NaN: computed here if needed). log1p of
// d = (p − q)/(p + q) is accurate when p ≈ q; far apart 1 ∓ d may round to 0, so the logs of
// p, q and p + q are taken themselves.
static inline double js_pair_logp(double p, double lp, double q) {
  const double s = p + q;
  if (s == 0) return 0;
  if (p == 0 || q == 0) return s * LN2;
  const double d = (p - q) / s;
  if (d < 0.5 && d > -0.5) return p * std::log1p(d) + q * std::log1p(-d);
  const double ls = std::log(s) - LN2;
  return p * ((lp == lp ? lp : std::log(p)) - ls) + q * (std::log(q) - ls);
}
static inline double js_pair(double p, double q) { return js_pair_logp(p, NAN, q); }
// storedLogpError of src/io/klref.ts: float32 rounding of a stored log-probability.
static inline double stored_logp_error(double v) { return std::fabs(v) * 5.9604644775390625e-8 + 1.401298464324817e-45; }

// The tail sums of twice JS and twice TVD at the floor's vertex (floorTailJsTvd of the
// reference): ft = {JS sum, TVD sum, their magnitudes}.
static inline void floor_tail_js_tvd(const double* tail, const double* tailQ, int cap, int n, double win, const Vertex& v, double qTw, double sumF, double absSumF, double ft[4]) {
  const double lo = v.lo;
  const double logLo = std::log(lo);
  double ju = qTw * LN2, tu = qTw, absJ = qTw, absT = qTw, known = 0, absK = 0;
  const double logHi = std::log(v.hi);
  for (int j = 0; j < cap; j++) {
    const double x = tail[j];
    const double q = x >= win ? tailQ[j] : 0;
    const double p = j < v.nHi ? v.hi : j == v.nHi ? v.r : lo;
    const double js = j < v.nHi ? js_pair_logp(p, logHi, q) : j == v.nHi ? js_pair(p, q) : js_pair_logp(p, logLo, q);
    ju += js - q * LN2;
    tu += std::fabs(p - q) - q;
    absJ += js + q;
    absT += p + q;
    const double f = lo * (logLo - x);
    known += f;
    absK += fa(f);
  }
  const int rest = n - cap;
  if (rest > 0) {
    // the rest sit at lo, each with q ≥ qb, the largest known q (see the reference)
    const double xb = tail[cap - 1];
    const double qb = xb >= win ? std::exp(xb) : 0;
    const double dT = lo - 2 * jmin(lo, qb);
    tu += rest * dT;
    absT += rest * 3 * lo;
    const double b1 = rest * (js_pair(lo, qb) - qb * LN2);
    const double b2 = qb > 0 && std::isfinite(sumF) && std::isfinite(known) ? sumF - known + rest * lo * (LN2 - 1) : INFINITY;
    if (b2 < b1) {
      ju += b2;
      absJ += absSumF + absK + rest * lo;
    } else {
      ju += b1;
      absJ += rest * (lo + qb);
    }
  }
  ft[0] = ju;
  ft[1] = tu;
  ft[2] = absJ;
  ft[3] = absT;
}

// The first id of ids[0, k) that appears twice, or −1 (−2: an id outside [0, V), which the
// caller's row checks exclude); `bits` (V bits) is zero on entry and on return.
static inline int duplicate_id(const int32_t* ids, int k, int V, uint64_t* bits) {
  int dup = -1, i = 0;
  for (; i < k; i++) {
    const uint32_t id = (uint32_t)ids[i];
    if (id >= (uint32_t)V) {
      dup = -2;
      break;
    }
    const uint64_t b = 1ull << (id & 63);
    if (bits[id >> 6] & b) {
      dup = (int)id;
      break;
    }
    bits[id >> 6] |= b;
  }
  for (int j = 0; j < i; j++) bits[(uint32_t)ids[j] >> 6] = 0;
  return dup;
}

// One row: the code pass (klref::tail_pass into out[0, 10) and in.heap), then the bounds into
// out[10, 23). logp: the stored top-k log-probabilities; p: the row's params (BOUNDS_PARAMS).
static inline void row_bounds(const TailIn& in, const double* logp, const double* p, double* out) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  static thread_local std::vector<uint64_t> bits;
  static thread_local std::vector<double> tailQ;
  const int V = in.V, k = in.k;
  if ((int)bits.size() < V / 64 + 1) bits.assign(V / 64 + 1, 0);
  for (int i = 0; i < 10; i++) out[i] = 0;
  out[22] = duplicate_id(in.ids, k, V, bits.data());
  if (out[22] != -1) return;
  tail_pass(in, out);
  const double win = p[11];
  const int kw = (int)p[12], n = (int)p[13];
  const double mF = p[14], mR = p[15];
  const Vertex vF{p[16], p[17], p[18], p[19]}, vR{p[20], p[21], p[22], p[23]}, vJ{p[24], p[25], p[26], p[27]};
  const double logLoF = in.logLoF, logLoR = in.logLoR;
  const int cap = in.cap;
  const double scale = in.scale, min = in.min;
  double LO[4] = {0, 0, 0, 0}, HI[4] = {0, 0, 0, 0}, EST[4] = {0, 0, 0, 0}, ABS[4] = {0, 0, 0, 0};
  double ALT_HI[4] = {INFINITY, INFINITY, INFINITY, INFINITY}, ALT_ABS[4] = {0, 0, 0, 0};
  // top-k entries: each term over the interval of its stored value
  for (int i = 0; i < k; i++) {
    const int32_t id = in.ids[i];
    const double v = logp[i];
    const double e = v == -INFINITY ? 0 : stored_logp_error(v);
    const double la = v - e;
    const double lb = jmin(0, v + e);
    const double a = std::exp(la), b = std::exp(lb), pe = std::exp(v);
    const int code = in.codes[id];
    const double lqi = min + scale * code;
    const double qf = in.expHi[code >> 8] * in.expLo[code & 255];  // forward KL sees every candidate token
    const double qw = lqi >= win ? qf : 0;                        // the others see the candidate's window
    const double lqw = qw > 0 ? lqi : -INFINITY;
    if (i < kw) {
      // forward: convex in p, minimum at p = q/e
      const double ga = fwd_term(a, la, lqi), gb = fwd_term(b, lb, lqi);
      const double ps = jmin(b, jmax(a, qf / E));
      const double gs = fwd_term(ps, std::log(ps), lqi);
      LO[0] += gs;
      HI[0] += jmax(ga, gb);
      EST[0] += fwd_term(pe, v, lqi);
      ABS[0] += fa(ga) + fa(gb) + fa(gs);
      // JS and TVD: convex, minimum at p = q
      const double pc = jmin(b, jmax(a, qw));
      const double ja = js_pair(a, qw), jb = js_pair(b, qw);
      LO[2] += pc == a ? ja : pc == b ? jb : js_pair(pc, qw);
      HI[2] += jmax(ja, jb);
      EST[2] += js_pair(pe, qw);
      ABS[2] += ja + jb;
      LO[3] += std::fabs(pc - qw);
      HI[3] += jmax(std::fabs(a - qw), std::fabs(b - qw));
      EST[3] += std::fabs(pe - qw);
      ABS[3] += b + qw;
    } else {
      // outside a .kld base's window: p = 0 for forward KL, JS and TVD
      LO[2] += qw * LN2;
      HI[2] += qw * LN2;
      EST[2] += qw * LN2;
      LO[3] += qw;
      HI[3] += qw;
      EST[3] += qw;
      ABS[2] += qw;
      ABS[3] += qw;
    }
    // reverse: q·(log q − log p) decreases in p
    if (qw > 0) {
      const double ra = qw * (lqw - la), rb = qw * (lqw - lb);
      LO[1] += rb;
      HI[1] += ra;
      EST[1] += qw * (lqw - v);
      ABS[1] += fa(ra) + fa(rb);
    }
  }
  // the tail, from the code pass (tailPassCodes of the reference)
  const double qT = out[0], qTw = out[1], sumFwdLo = out[2], sumRevLo = out[3], cntW = out[4];
  const double loF = vF.lo, loR = vR.lo;
  // magnitudes for the rounding slack: every log q of the row lies in [min, 0]
  double absSumF = loF > 0 ? loF * V * (std::fabs(logLoF) + std::fabs(min)) : 0;
  double absR = loR > 0 ? qTw * (std::fabs(min) + std::fabs(logLoR)) : 0;
  if (!std::isfinite(absSumF)) absSumF = 0;
  if (!std::isfinite(absR)) absR = 0;
  double absF = absSumF;
  const double sOut = in.nOut > 0 ? out[6] : 0, sOutW = in.nOut > 0 ? out[7] : 0;
  const double* tail = in.heap;  // the cap least likely tail values, increasing
  if (n > 0) {
    const double qIn = qT - sOut > 0 ? qT - sOut : qT;
    const double qInW = qTw - sOutW >= 0 ? qTw - sOutW : qTw;
    const double xW = qTw - qInW;
    const double fl = mF > 0 ? (qIn > 0 ? mF * std::log(mF / qIn) : INFINITY) : 0;
    const double rl = qTw > 0 ? (mR > 0 ? qTw * std::log(qTw / mR) : INFINITY) : 0;
    const double jl = js_pair(mF, qInW) + xW * LN2;
    const double tl = std::fabs(mF - qInW) + xW;
    LO[0] += fl;
    EST[0] += fl;
    LO[1] += rl;
    EST[1] += rl;
    LO[2] += jl;
    EST[2] += jl;
    LO[3] += tl;
    EST[3] += tl;
    ABS[0] += fa(fl) + mF + qT;
    ABS[1] += fa(rl) + mR + qTw;
    ABS[2] += mF + qTw;
    ABS[3] += mF + qTw;
    // upper bounds at the greedy vertex of each view
    double fu = sumFwdLo;
    const double logHi = std::log(vF.hi);
    for (int j = 0; j <= vF.nHi && j < n; j++) {
      const double x = tail[j];
      const double pj = j < vF.nHi ? vF.hi : vF.r;
      const double lp = j < vF.nHi ? logHi : std::log(pj);
      const double d = fwd_term(pj, lp, x) - (vF.lo > 0 ? vF.lo * (logLoF - x) : 0);
      fu += d;
      absF += fa(d);
    }
    // exp of the vertex tokens' log q, once for the JS, TVD and reverse sweeps below
    const int nq = (int)jmin(n, jmax(jmax(vJ.nHi, vR.nHi), vF.lo > 0 ? cap - 1 : 0) + 1);
    if ((int)tailQ.size() < nq) tailQ.resize(nq);
    double* tq = tailQ.data();
    for (int j = 0; j < nq; j++) tq[j] = std::exp(tail[j]);
    double ju = qTw * LN2, tu = qTw;
    const double logHiJ = std::log(vJ.hi);
    for (int j = 0; j <= vJ.nHi && j < n; j++) {
      const double x = tail[j];
      const double q = x >= win ? tq[j] : 0;
      const double pj = j < vJ.nHi ? vJ.hi : vJ.r;
      ju += (j < vJ.nHi ? js_pair_logp(pj, logHiJ, q) : js_pair(pj, q)) - q * LN2;
      tu += std::fabs(pj - q) - q;
    }
    // reverse view: without a floor, a token left at 0 where q > 0 makes it unbounded
    double ru;
    const double covered = vR.nHi + (vR.r > 0 ? 1 : 0);
    if (vR.lo == 0 && cntW > 0 && covered < n) ru = INFINITY;
    else {
      ru = sumRevLo;
      const double logHiR = std::log(vR.hi);
      for (int j = 0; j <= vR.nHi && j < n; j++) {
        const double x = tail[j];
        if (!(x >= win) || x == -INFINITY) continue;
        const double q = tq[j];
        const double pj = j < vR.nHi ? vR.hi : vR.r;
        const double lp = j < vR.nHi ? logHiR : std::log(pj);
        const double d = (pj > 0 ? q * (x - lp) : INFINITY) - (vR.lo > 0 ? q * (x - logLoR) : 0);
        ru += d;
        absR += fa(d);
      }
    }
    // with a floor: the vertex of [lo, hi] as a second bound of JS and TVD
    if (vF.lo > 0) {
      double ft[4];
      floor_tail_js_tvd(tail, tq, cap, n, win, vF, qTw, sumFwdLo, absSumF, ft);
      ALT_HI[2] = HI[2] + ft[0];
      ALT_HI[3] = HI[3] + ft[1];
      ALT_ABS[2] = ABS[2] + ft[2];
      ALT_ABS[3] = ABS[3] + ft[3];
    }
    HI[0] += fu;
    HI[1] += ru;
    HI[2] += ju;
    HI[3] += tu;
    ABS[0] += absF;
    ABS[1] += absR;
    ABS[2] += fa(ju);
    ABS[3] += fa(tu);
  }
  const double slack = (V + 16) * EPS;
  const double caps[4] = {INFINITY, INFINITY, 2 * LN2, 2};
  for (int i = 0; i < 4; i++) {
    const double s = slack * ABS[i];
    const double half = i >= 2 ? 0.5 : 1;  // JS and TVD sums are twice the measure
    const double c = caps[i] * half;
    const double l = LO[i] * half - s;
    double h = HI[i] * half + s;
    const double alt = ALT_HI[i] * half + slack * ALT_ABS[i];
    if (alt < h) h = alt;
    const double lo = jmin(c, jmax(0, l != l ? 0 : l));
    const double hi = jmin(c, jmax(0, h != h ? INFINITY : h));
    out[10 + i] = lo;
    out[14 + i] = hi;
    out[18 + i] = jmin(hi, jmax(lo, EST[i] * half));
  }
}

}  // namespace klref

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
