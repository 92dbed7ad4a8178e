// klscope fused kernel for WebAssembly SIMD (AssemblyScript): the numerics of native/kernel.h
// in 4-lane f32x4 vectors with float64 sums. See the "Fast fused kernels" section of README.md.
//
// The host writes the two rows (float32, padded to a multiple of 4 with -Infinity for logits and
// log-probabilities, 0 for probabilities) into memory and calls `row`, which writes its float64
// results at `out` in the slots of assembly/slots.ts (generated from the measure table).
import { F64_SLOTS, SLOT_ARGMAX_P, SLOT_ARGMAX_Q, SLOT_CROSS_ENTROPY_PQ, SLOT_CROSS_ENTROPY_QP, SLOT_ENTROPY_P, SLOT_ENTROPY_Q, SLOT_FORWARD, SLOT_INVALID, SLOT_JS_DIVERGENCE, SLOT_LOGP_TARGET, SLOT_LOGQ_TARGET, SLOT_REVERSE, SLOT_TVD } from './slots';

const INF: f32 = Infinity;

// Vector constants live in memory and are read with v128.load32_splat (one instruction): as
// v128.const literals V8 would rebuild each of them in every loop iteration.
const KF = memory.data<f32>([
  0, 1, 0.5, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, // 0-7: e^r Taylor
  -87.3, 88.7, 1.4426950408889634, 0.693359375, -2.12194440e-4, 12582912, // 8-13: exp reduction
  1.0 / 40320, 1.0 / 362880, // 14-15: phi series
  1.0 / 12, 1.0 / 30, 1.0 / 56, 1.0 / 90, // 16-19: D(u) series
  1.0 / 3, 1.0 / 5, 1.0 / 7, 1.0 / 9, 1.0 / 11, 1.0 / 13, 1.0 / 15, 1.0 / 17, 1.0 / 19, // 20-28: atanh series
  2, 0.6931471805599453, -Infinity, Infinity, 1e-6, 1.17549435e-38, 16777216, 1.41421356, 24, // 29-37
]);
const KI = memory.data<i32>([0x4b400000 - 127, 0xff, 127, 0x007fffff, 0x3f800000, 1, 2, 0x7fffffff]);

// @ts-ignore: decorator
@inline function kc(i: i32): v128 {
  return v128.load32_splat(KF + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function ki(i: i32): v128 {
  return v128.load32_splat(KI + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function splat(x: f32): v128 {
  return f32x4.splat(x);
}
// @ts-ignore: decorator
@inline function add(a: v128, b: v128): v128 {
  return f32x4.add(a, b);
}
// @ts-ignore: decorator
@inline function sub(a: v128, b: v128): v128 {
  return f32x4.sub(a, b);
}
// @ts-ignore: decorator
@inline function mul(a: v128, b: v128): v128 {
  return f32x4.mul(a, b);
}
/**
 * a*b + c: two roundings in the baseline module (wasm SIMD has no fused multiply-add); in the
 * relaxed-SIMD module (build/kernels-relaxed.wasm) one or two, as the hardware has FMA or not,
 * so every error bound below holds for both.
 */
// @ts-ignore: decorator
@inline function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
/** c - a*b, fused or not like `fma` */
// @ts-ignore: decorator
@inline function fms(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}
/** mask ? a : b, lane-wise (mask lanes all ones or all zeros: comparisons only) */
// @ts-ignore: decorator
@inline function sel(mask: v128, a: v128, b: v128): v128 {
  // one blend instead of and, andnot, or; the same result for such masks
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_laneselect<i32>(a, b, mask);
  return v128.bitselect(a, b, mask);
}
/** |x| by clearing the sign bit (one instruction) */
// @ts-ignore: decorator
@inline function vabs(x: v128): v128 {
  return v128.and(x, ki(7));
}

/** Sum of the 4 lanes in float64. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f64 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/**
 * e^x in float32 (~1 ulp) on [-87.3, 88.7], 0 below (and for -Infinity). Cody-Waite reduction
 * x = k ln2 + r, |r| <= ln2/2, degree-7 Taylor polynomial (< 5e-9 relative). k is rounded by
 * adding 1.5*2^23, whose low mantissa bits then hold k, and 2^k is built from those bits.
 */
// @ts-ignore: decorator
@inline function vexp(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, kc(8)), kc(9));
  const kb = fma(xc, kc(10), kc(13)); // 1.5*2^23 + k
  const k = sub(kb, kc(13));
  let r = sub(xc, mul(k, kc(11)));
  r = sub(r, mul(k, kc(12)));
  let p = fma(kc(7), r, kc(6));
  p = fma(p, r, kc(5));
  p = fma(p, r, kc(4));
  p = fma(p, r, kc(3));
  p = fma(p, r, kc(2));
  p = fma(p, r, kc(1));
  p = fma(p, r, kc(1));
  const scale = i32x4.shl(i32x4.sub(kb, ki(0)), 23); // (k + 127) << 23
  return sel(f32x4.ge(x, kc(8)), mul(p, scale), kc(0));
}

/** log of a positive float (subnormals too): 2 atanh((m-1)/(m+1)) on m in [sqrt .5, sqrt 2). */
// @ts-ignore: decorator
@inline function vlog(v: v128): v128 {
  const tiny = f32x4.lt(v, kc(34));
  const vs = sel(tiny, mul(v, kc(35)), v);
  const e = i32x4.sub(v128.and(i32x4.shr_u(vs, 23), ki(1)), ki(2));
  let m = v128.or(v128.and(vs, ki(3)), ki(4));
  const big = f32x4.gt(m, kc(36));
  m = sel(big, mul(m, kc(2)), m);
  let ef = f32x4.convert_i32x4_s(i32x4.sub(e, big)); // big lanes are -1: exponent + 1
  ef = sel(tiny, sub(ef, kc(37)), ef);
  const s = f32x4.div(sub(m, kc(1)), add(m, kc(1)));
  const s2 = mul(s, s);
  let poly = fma(kc(24), s2, kc(23));
  poly = fma(poly, s2, kc(22));
  poly = fma(poly, s2, kc(21));
  poly = fma(poly, s2, kc(20));
  poly = fma(poly, s2, kc(1));
  const lm = mul(add(s, s), poly);
  const r = add(add(mul(ef, kc(11)), lm), mul(ef, kc(12)));
  return sel(f32x4.eq(v, kc(0)), kc(31), r);
}

/** log1p(d) for |d| < 1 with relative accuracy: 2 atanh(d/(2+d)). */
// @ts-ignore: decorator
@inline function vlog1pSmall(d: v128): v128 {
  const s = f32x4.div(d, add(kc(29), d));
  const s2 = mul(s, s);
  let poly = fma(kc(28), s2, kc(27));
  poly = fma(poly, s2, kc(26));
  poly = fma(poly, s2, kc(25));
  poly = fma(poly, s2, kc(24));
  poly = fma(poly, s2, kc(23));
  poly = fma(poly, s2, kc(22));
  poly = fma(poly, s2, kc(21));
  poly = fma(poly, s2, kc(20));
  poly = fma(poly, s2, kc(1));
  return mul(add(s, s), poly);
}

// pass-1 results of the last call
let gShift: f64 = 0;
let gScale: f64 = 0;
let gArg: i32 = 0;
let gOk: bool = false;

const BLOCK: i32 = 2048;

/**
 * Pass 1 over one padded row: validity, argmax (first index wins), normaliser. Log domain:
 * blocked online log-sum-exp (block max; rescale the running sum by e^(m_old - m_new) when the
 * max grows; sum the block's e^(x - m) in f32x4, flushed to float64 every 64 values).
 */
function pass1(x: usize, n4: i32, kind: i32, normalize: bool, tol: f64, ex: usize, mb: usize): void {
  gOk = false;
  gArg = -1;
  const probs = kind == 2;
  let s: f64 = 0;
  let s64 = f64x2.splat(0);
  let m: f32 = -INF;
  for (let b0 = 0; b0 < n4; b0 += BLOCK) {
    const b1 = min(b0 + BLOCK, n4);
    let bmv = kc(31);
    let bad = kc(0);
    let cnt = 0;
    for (let i = b0; i < b1; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      if (probs) {
        bad = v128.or(bad, v128.not(v128.and(f32x4.ge(v, kc(0)), f32x4.lt(v, kc(32)))));
        // the normaliser needs float64 digits
        s64 = f64x2.add(s64, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))));
      } else {
        bad = v128.or(bad, v128.or(f32x4.ne(v, v), f32x4.eq(v, kc(32))));
        if (kind == 1) bad = v128.or(bad, f32x4.gt(v, kc(33)));
      }
      bmv = f32x4.pmax(bmv, v); // NaN never wins; such rows are flagged anyway
    }
    if (v128.any_true(bad)) return;
    const bm = max(max(f32x4.extract_lane(bmv, 0), f32x4.extract_lane(bmv, 1)), max(f32x4.extract_lane(bmv, 2), f32x4.extract_lane(bmv, 3)));
    if (bm > m) {
      if (!probs) s = m == -INF ? 0 : s * Math.exp(<f64>m - <f64>bm);
      m = bm;
      for (let i = b0; i < b1; i++) {
        if (load<f32>(x + (<usize>i << 2)) == bm) {
          gArg = i;
          break;
        }
      }
    }
    if (probs) continue;
    store<f64>(mb + (<usize>(b0 / BLOCK) << 3), <f64>m);
    if (m == -INF) {
      memory.fill(ex + (<usize>b0 << 2), 0, <usize>(b1 - b0) << 2);
      continue;
    }
    const mv = splat(m);
    let part = kc(0);
    cnt = 0;
    for (let i = b0; i < b1; i += 4) {
      const e = vexp(sub(v128.load(x + (<usize>i << 2)), mv));
      // kept for pass 2: p = e * e^(m - lse), one multiply instead of an exp
      v128.store(ex + (<usize>i << 2), e);
      part = add(part, e);
      if (++cnt == 16) {
        s += hsum(part);
        part = kc(0);
        cnt = 0;
      }
    }
    s += hsum(part);
  }
  if (probs) {
    s = f64x2.extract_lane(s64, 0) + f64x2.extract_lane(s64, 1);
    if (s == 0) return;
    if (Math.abs(s - 1) > tol && !normalize) return;
    gShift = 0;
    gScale = normalize ? 1 / s : 1;
    gOk = true;
    return;
  }
  if (m == -INF) return;
  const lse = <f64>m + Math.log(s);
  if (kind == 0) {
    gShift = lse;
    gScale = 1;
    gOk = true;
    return;
  }
  const mass = Math.exp(lse);
  if (!normalize && Math.abs(mass - 1) > tol) return;
  gShift = normalize ? lse : 0;
  gScale = 1;
  gOk = true;
}

/**
 * The fused pass over one row pair at `pp`, `qp` (float32, `n` values padded to a multiple of
 * 4), input kind 0 logits, 1 log-probabilities, 2 probabilities. Writes at `out` (float64):
 * KL(P‖Q), KL(Q‖P), H(P), H(Q), H(P,Q), H(Q,P), JS, TV, log p[target], log q[target],
 * argmax P, argmax Q, invalid.
 */
export function row(pp: usize, qp: usize, n: i32, kind: i32, normalize: i32, tol: f64, target: i32, out: usize, scratch: usize, all: i32): void {
  const n4 = (n + 3) & ~3;
  const norm = normalize != 0;
  // scratch: pass 1's e^(x - m) of both rows (2 n4 floats), then each block's m (float64)
  const ea = scratch;
  const eb = scratch + (<usize>n4 << 2);
  const nb = (n4 + BLOCK - 1) / BLOCK;
  const ma = scratch + (<usize>n4 << 3);
  const mbq = ma + (<usize>nb << 3);
  pass1(pp, n4, kind, norm, tol, ea, ma);
  const okA = gOk;
  const shA = gShift;
  const scA = gScale;
  const argA = gArg;
  pass1(qp, n4, kind, norm, tol, eb, mbq);
  const okB = gOk;
  const shB = gShift;
  const scB = gScale;
  const argB = gArg;
  store<f64>(out, okA && okB ? <f64>argA : -1, SLOT_ARGMAX_P);
  store<f64>(out, okA && okB ? <f64>argB : -1, SLOT_ARGMAX_Q);
  if (!okA || !okB) {
    for (let k = 0; k < F64_SLOTS; k++) store<f64>(out + (<usize>k << 3), NaN);
    store<f64>(out, 1, SLOT_INVALID);
    return;
  }
  // float32 partial sums (locals, so they stay in registers), into float64 every 16 vectors
  let tF: f64 = 0, tR: f64 = 0, tHP: f64 = 0, tHQ: f64 = 0, tJS: f64 = 0, tTV: f64 = 0, tD: f64 = 0, tSG: f64 = 0;
  const zero = kc(0);
  let aF = zero, aR = zero, aHP = zero, aHQ = zero, aJS = zero, aTV = zero, aD = zero, aSG = zero;
  let aInf = zero;
  let cnt = 0;
  const logDomain = kind != 2;
  // log p = a - shift with the shift as float hi + lo; x = (a - b) - (shiftA - shiftB) from a
  // two-sum of a - b, so s - cH is exact (Sterbenz) where x is near 0: x keeps its digits
  const aH = <f32>shA;
  const bH = <f32>shB;
  const c = shA - shB;
  const cH = <f32>c;
  const vaH = splat(aH);
  const vaL = splat(<f32>(shA - <f64>aH));
  const vbH = splat(bH);
  const vbL = splat(<f32>(shB - <f64>bH));
  const vcH = splat(cH);
  const vcL = splat(<f32>(c - <f64>cH));
  const sa = splat(<f32>scA);
  const sb = splat(<f32>scB);
  let sA = zero;
  let sB = zero;
  for (let i = 0; i < n4; i += 4) {
    if (logDomain && i % BLOCK == 0) {
      const bi = <usize>(i / BLOCK) << 3;
      sA = splat(<f32>Math.exp(load<f64>(ma + bi) - shA));
      sB = splat(<f32>Math.exp(load<f64>(mbq + bi) - shB));
    }
    const av = v128.load(pp + (<usize>i << 2));
    const bv = v128.load(qp + (<usize>i << 2));
    let p: v128, q: v128, la: v128, lb: v128, x: v128, pz: v128, qz: v128;
    if (logDomain) {
      pz = f32x4.eq(av, kc(31));
      qz = f32x4.eq(bv, kc(31));
      la = sub(sub(av, vaH), vaL);
      lb = sub(sub(bv, vbH), vbL);
      const s = sub(av, bv);
      const bb = sub(s, av);
      const e = sub(sub(av, sub(s, bb)), add(bv, bb));
      x = add(sub(s, vcH), sub(e, vcL));
      p = mul(v128.load(ea + (<usize>i << 2)), sA);
      q = mul(v128.load(eb + (<usize>i << 2)), sB);
    } else {
      p = mul(av, sa);
      q = mul(bv, sb);
      pz = f32x4.eq(p, zero);
      qz = f32x4.eq(q, zero);
      la = vlog(p);
      lb = vlog(q);
      // x = log(p/q): near 1 from log1p((p - q)/q), p - q exact there (Sterbenz)
      const r = f32x4.div(p, q);
      const near = v128.and(f32x4.gt(r, kc(2)), f32x4.lt(r, kc(29)));
      x = sel(near, vlog1pSmall(f32x4.div(sub(p, q), q)), sub(la, lb));
      x = sel(v128.and(pz, qz), zero, x);
    }
    // a zero side makes x infinite (0 when both are zero), whatever the arithmetic gave
    x = sel(qz, kc(32), x);
    x = sel(pz, sel(qz, zero, kc(31)), x);
    // every term is non-negative: p phi(x), q phi(-x) with phi(x) = x + e^-x - 1, |p - q|,
    // (p+q) D(u) for JS, -p log p, -q log q; so float32 errors stay relative to the sums
    const ax = vabs(x);
    const small = f32x4.lt(ax, kc(2));
    const x2 = mul(x, x);
    let E = fma(kc(14), x2, kc(6));
    E = fma(E, x2, kc(4));
    E = fma(E, x2, kc(2));
    let O = fma(kc(15), x2, kc(7));
    O = fma(O, x2, kc(5));
    O = fma(O, x2, kc(3));
    O = mul(O, x);
    const phiF = mul(x2, sub(E, O)); // phi(x) = x + e^-x - 1, |x| < 0.5
    const phiR = mul(x2, add(E, O)); // phi(-x)
    const e1 = sub(phiF, x); // expm1(-x) = q/p - 1
    const pxl = sel(pz, zero, mul(p, x));
    const qxl = sel(qz, zero, mul(q, x));
    // away from x = 0 the parts of p phi(x) = p x - p + q do not cancel badly
    aF = add(aF, sel(qz, zero, sel(small, mul(p, phiF), add(sub(pxl, p), q))));
    aR = add(aR, sel(pz, zero, sel(small, mul(q, phiR), sub(sub(p, qxl), q))));
    // infinite KL: bit 0 forward (p > 0 = q), bit 1 reverse (q > 0 = p)
    aInf = v128.or(aInf, v128.or(v128.and(v128.andnot(qz, pz), ki(5)), v128.and(v128.andnot(pz, qz), ki(6))));
    // q - p, for rows that do not sum to exactly 1 (sum p phi(x) = KL + sum(q - p))
    aD = add(aD, sel(small, mul(p, e1), sub(q, p)));
    aHP = sub(aHP, sel(f32x4.gt(p, zero), mul(p, la), zero));
    aHQ = sub(aHQ, sel(f32x4.gt(q, zero), mul(q, lb), zero));
    if (all != 0) {
      aTV = add(aTV, sel(small, mul(p, vabs(e1)), vabs(sub(p, q))));
      // q sign(q - p) near x = 0, for the TV correction below
      aSG = add(aSG, v128.and(small, sel(f32x4.gt(e1, zero), q, f32x4.neg(q))));
      // JS: near 0 (p+q) D(u), u = e1/(2+e1); else hi (ln2 - L) + lo (ln2 - |x| - L) with
      // L = log1p(lo/hi) = 2 atanh(lo/(2 hi + lo)): one division serves both branches
      const pbig = f32x4.gt(x, zero);
      const hi = sel(pbig, p, q);
      const lo = sel(pbig, q, p);
      const u = f32x4.div(sel(small, e1, lo), sel(small, add(kc(29), e1), add(add(hi, hi), lo)));
      const w = mul(u, u);
      let D = fma(kc(19), w, kc(18));
      D = fma(D, w, kc(17));
      D = fma(D, w, kc(16));
      D = fma(D, w, kc(2));
      D = mul(D, w);
      let L = fma(kc(24), w, kc(23));
      L = fma(L, w, kc(22));
      L = fma(L, w, kc(21));
      L = fma(L, w, kc(20));
      L = fma(L, w, kc(1));
      L = mul(add(u, u), L);
      const ln2 = kc(30);
      const loterm = sel(f32x4.gt(lo, zero), mul(lo, sub(sub(ln2, ax), L)), zero);
      const jsl = sel(f32x4.gt(hi, zero), add(mul(hi, sub(ln2, L)), loterm), zero);
      aJS = add(aJS, sel(small, mul(add(p, q), D), jsl));
    }
    if (++cnt == 16) {
      tF += hsum(aF);
      tR += hsum(aR);
      tHP += hsum(aHP);
      tHQ += hsum(aHQ);
      tJS += hsum(aJS);
      tTV += hsum(aTV);
      tD += hsum(aD);
      tSG += hsum(aSG);
      aF = aR = aHP = aHQ = aJS = aTV = aD = aSG = zero;
      cnt = 0;
    }
  }
  tF += hsum(aF);
  tR += hsum(aR);
  tHP += hsum(aHP);
  tHQ += hsum(aHQ);
  tJS += hsum(aJS);
  tTV += hsum(aTV);
  tD += hsum(aD);
  tSG += hsum(aSG);
  const inf1 = v128.or(aInf, i32x4.shuffle(aInf, aInf, 2, 3, 0, 1));
  const inf2 = i32x4.extract_lane(v128.or(inf1, i32x4.shuffle(inf1, inf1, 1, 0, 3, 2)), 0);
  const infF = (inf2 & 1) != 0;
  const infR = (inf2 & 2) != 0;
  // sum p phi(x) = KL + sum(q - p). Rows normalised by a log-sum-exp shift (logits, normalised
  // log-probabilities) sum to 1 by construction, and the shift's own rounding only scales KL
  // by (1 + eps): no term. Rows taken as given (probabilities, raw log-probabilities) use the
  // measured sum(q - p).
  const useD = kind == 2 || (kind == 1 && !norm);
  const dq = useD ? tD : 0;
  let fwd = tF - dq;
  let rev = tR + dq;
  fwd = fwd < 0 ? 0 : fwd;
  rev = rev < 0 ? 0 : rev;
  const hp = tHP < 0 ? 0 : tHP;
  const hq = tHQ < 0 ? 0 : tHQ;
  store<f64>(out, infF ? Infinity : fwd, SLOT_FORWARD);
  store<f64>(out, infR ? Infinity : rev, SLOT_REVERSE);
  store<f64>(out, hp, SLOT_ENTROPY_P);
  store<f64>(out, hq, SLOT_ENTROPY_Q);
  store<f64>(out, infF ? Infinity : hp + fwd, SLOT_CROSS_ENTROPY_PQ);
  store<f64>(out, infR ? Infinity : hq + rev, SLOT_CROSS_ENTROPY_QP);
  const js = 0.5 * tJS;
  store<f64>(out, all == 0 ? NaN : js < 0 ? 0 : min(js, 0.6931471805599453), SLOT_JS_DIVERGENCE);
  // TV of near-equal rows is sensitive to the shift difference: with x off by eps everywhere,
  // the measured sum(q - p) is eps and sum|p - q| moves by eps * sum q sign(q - p) (first order)
  let tv = tTV;
  if (!useD) tv -= tD * tSG;
  store<f64>(out, all == 0 ? NaN : min(0.5 * (tv < 0 ? 0 : tv), 1), SLOT_TVD);
  if (target >= 0 && target < n) {
    const a = <f64>load<f32>(pp + (<usize>target << 2));
    const b = <f64>load<f32>(qp + (<usize>target << 2));
    store<f64>(out, kind == 2 ? Math.log(a * scA) : a - shA, SLOT_LOGP_TARGET);
    store<f64>(out, kind == 2 ? Math.log(b * scB) : b - shB, SLOT_LOGQ_TARGET);
  } else {
    store<f64>(out, NaN, SLOT_LOGP_TARGET);
    store<f64>(out, NaN, SLOT_LOGQ_TARGET);
  }
  store<f64>(out, 0, SLOT_INVALID);
}

// ---------------------------------------------------------------------------------------------
// Fast path for measures = 'kl' on logit rows: the compensated (phi) form of native/kernel.h,
// fast_kl_row, which has the derivation. With ya = a - mA, yb = b - mB, x = ya - yb, weights
// ea = e^ya, eb = e^yb, SA = sum ea, SB = sum eb, rho = SB/SA:
//   KL(P||Q) = F/SA - phi(-log rho), F = sum ea phi(x);  KL(Q||P) = R/SB - phi(log rho), R = sum eb phi(-x)
//   H(P) = log SA - UA/SA, UA = sum ea ya
// Every term of F and R is non-negative; x is formed exactly near 0 (two-sum); the weights
// above SA/1024 (SA bounded below by the blocks' lane maxima of pass 1) are computed in float64,
// so the error of log rho stays small on peaked rows. Returns 0 (and the host runs `row`) when
// a row has a non-finite value or when the error estimate is not far below a KL.

const KFAST = memory.data<f32>([-87, 1.4426950408889634, 12582912 + 127, 0.693359375, -2.12194440e-4, 0.008312526158988476, 0.04189016669988632, 0.16667114198207855, 0.499992311000824, 0, 1, 0, 127, 0.6931471805599453]);
// phi series: even part 1/8!, 1/6!, 1/4!, 1/2; odd part 1/9!, 1/7!, 1/5!, 1/3!
const KPHI = memory.data<f32>([1.0 / 40320, 1.0 / 720, 1.0 / 24, 0.5, 1.0 / 362880, 1.0 / 5040, 1.0 / 120, 1.0 / 6]);

// @ts-ignore: decorator
@inline function kf(i: i32): v128 {
  return v128.load32_splat(KFAST + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function kp(i: i32): v128 {
  return v128.load32_splat(KPHI + (<usize>i << 2));
}

/** e^y for y <= 0 (NaN stays NaN); below -87 about 1e-38 instead of 0, invisible in the sums. */
// @ts-ignore: decorator
@inline function vexpNeg(y: v128): v128 {
  const x = f32x4.pmax(y, kf(0)); // pmax(y, c) = y < c ? c : y: NaN passes through
  // t = 1.5*2^23 + 127 + k, k = round(x / ln2): the low mantissa bits of t hold k + 127, so
  // t << 23 is 2^k (k + 127 in 1..127 for x >= -87)
  const t = fma(x, kf(1), kf(2));
  const k = sub(t, kf(2));
  // one-step reduction with ln2 rounded to float: r is off by k * 1.9e-9, which scales every
  // weight by e^(1.9e-9 y ln2 / ln2): a relative change of the logits' temperature of ~3e-9
  const r = fms(k, kf(13), x);
  // degree-5 polynomial 1 + r + c2 r^2 + .. + c5 r^5 fitted for relative error on |r| <= ln2/2
  // (1e-7), evaluated as r + r^2 (c2 + c3 r) + r^4 (c4 + c5 r): half the dependent steps of
  // Horner's form (latency bounds these loops), and e = 2^k + 2^k q rounds once at the end
  const r2 = mul(r, r);
  const q = fma(mul(r2, r2), fma(kf(5), r, kf(6)), fma(r2, fma(kf(7), r, kf(8)), r));
  const scale = i32x4.shl(t, 23);
  return fma(q, scale, scale);
}

// @ts-ignore: decorator
@inline function hsum2(v: v128): v128 {
  return f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
}

// @ts-ignore: decorator
@inline function f64sum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// Register budget of the fast loops: TurboFan gives wasm 16 vector registers and keeps a value
// that does not fit in a stack slot, reloading (and storing) it in every iteration. So the
// inner loops hold only float32 partial sums over a chunk of CHUNK vectors and the vector
// temporaries; the float64 sums live in memory (ACC) and take the chunk sums once per chunk;
// the per-call constants are read from memory (PAR) like the others. A float32 sum of CHUNK
// non-negative terms per lane is off by at most (CHUNK - 1) u relative.
const CHUNK: i32 = 8;
// f32 per-call constants of the fast passes: mA, mB, thrA, thrB, cH, cL
const PAR = memory.data(32, 16);
// sums of the fast passes: float64 pairs (hsum2) or float32 lanes, 16 bytes each
const ACC = memory.data(16 * 16, 16);
// phiForm's chunk sums of ea ya, eb yb and the error scale, kept in memory (L1) rather than in
// registers: three live vectors fewer in its loop, so the others spill less (1-3 % faster)
const CS = memory.data(3 * 16, 16);

// @ts-ignore: decorator
@inline function par(i: i32): v128 {
  return v128.load32_splat(PAR + (<usize>i << 2));
}
/** ACC[slot] += the float64 pair sum of v */
// @ts-ignore: decorator
@inline function accAdd(slot: i32, v: v128): void {
  const p = ACC + (<usize>slot << 4);
  v128.store(p, f64x2.add(v128.load(p), hsum2(v)));
}
/** ACC[slot] += v lane-wise in float32 (sums that only feed error estimates) */
// @ts-ignore: decorator
@inline function accAddF(slot: i32, v: v128): void {
  const p = ACC + (<usize>slot << 4);
  v128.store(p, add(v128.load(p), v));
}
// @ts-ignore: decorator
@inline function accD(slot: i32): f64 {
  return f64sum(v128.load(ACC + (<usize>slot << 4)));
}
// @ts-ignore: decorator
@inline function accF(slot: i32): f64 {
  return f64sum(hsum2(v128.load(ACC + (<usize>slot << 4))));
}

// Results of twoExp / phiForm for rowKl.
let gSA: f64 = 0, gSB: f64 = 0, gUA: f64 = 0, gUB: f64 = 0, gF: f64 = 0, gR: f64 = 0;

/**
 * The plain two-exp form for broad rows (every weight far below SA): KL(P||Q) = TA/SA - log rho
 * with TA = sum ea x, fewer operations than the phi form. Its float32 error, about
 * u sqrt(sum p^2 (1 + |y|)^2), is small when every p is; returns 0 when the estimate is not far
 * below both KLs (the phi form runs then). The padding must hold mA - 200, mB - 200.
 */
function twoExp(pp: usize, qp: usize, n4: i32, mA: f32, mB: f32): i32 {
  store<f32>(PAR, mA);
  store<f32>(PAR, mB, 4);
  memory.fill(ACC, 0, 8 * 16);
  const zero = kc(0);
  for (let i = 0; i < n4; ) {
    const iEnd = min(i + CHUNK * 4, n4);
    let sa = zero, sb = zero, ta = zero, tb = zero, ua = zero, ub = zero;
    for (; i < iEnd; i += 4) {
      const ya = sub(v128.load(pp + (<usize>i << 2)), par(0));
      const yb = sub(v128.load(qp + (<usize>i << 2)), par(1));
      const ea = vexpNeg(ya);
      const eb = vexpNeg(yb);
      const x = sub(ya, yb);
      sa = add(sa, ea);
      sb = add(sb, eb);
      ta = fma(ea, x, ta);
      tb = fma(eb, x, tb);
      ua = fma(ea, ya, ua);
      ub = fma(eb, yb, ub);
    }
    accAdd(0, sa);
    accAdd(1, sb);
    accAdd(2, ta);
    accAdd(3, tb);
    accAdd(4, ua);
    accAdd(5, ub);
    // error scale of the weights, sum (e (1 - y))^2 (y <= 0): bounded above by the squares of
    // the chunk's lane sums of e (1 - y) = sa - ua, all terms being >= 0
    const ra = sub(sa, ua);
    const rb = sub(sb, ub);
    accAddF(6, mul(ra, ra));
    accAddF(7, mul(rb, rb));
  }
  const SA = accD(0);
  const SB = accD(1);
  const UA = accD(4);
  const UB = accD(5);
  const lSA = Math.log(SA);
  const lSB = Math.log(SB);
  const fwd = accD(2) / SA - lSA + lSB;
  const rev = -accD(3) / SB - lSB + lSA;
  const XA = accF(6);
  const XB = accF(7);
  if (!isFinite(fwd + rev + UA + UB + XA + XB)) return 0;
  const err = 8 * 6e-8 * (Math.sqrt(XA) / SA + Math.sqrt(XB) / SB);
  if (err > 5e-6 * fwd || err > 5e-6 * rev) return 0;
  gSA = SA;
  gSB = SB;
  gUA = UA;
  gUB = UB;
  gF = fwd;
  gR = rev;
  return 1;
}

/**
 * The compensated (phi) form over a row pair with maxima mA, mB and lower bounds LA, LB of SA,
 * SB (see rowKl); results in gSA.. gR. Returns 0 when its error estimate is not small enough.
 * The padding must hold mA - 200, mB - 200. `hv` has room for one i32 per vector: the heavy
 * vectors' indices, summed in float64 after the vector loop (a call or float64 temporaries
 * inside it would crowd its registers).
 */
function phiForm(pp: usize, qp: usize, n4: i32, mA: f32, mB: f32, LA: f64, LB: f64, hv: usize): i32 {
  // x = (a - b) - (mA - mB), with mA - mB (exact in float64) split in two floats
  const cD = <f64>mA - <f64>mB;
  const cHs = <f32>cD;
  store<f32>(PAR, mA);
  store<f32>(PAR, mB, 4);
  store<f32>(PAR, <f32>Math.log(LA / 1024), 8);
  store<f32>(PAR, <f32>Math.log(LB / 1024), 12);
  store<f32>(PAR, cHs, 16);
  store<f32>(PAR, <f32>(cD - <f64>cHs), 20);
  memory.fill(ACC, 0, 10 * 16);
  const zero = kc(0);
  let nh = 0;
  for (let i = 0; i < n4; ) {
    const iEnd = min(i + CHUNK * 4, n4);
    let sa = zero, sb = zero, f = zero, r = zero;
    v128.store(CS, zero);
    v128.store(CS, zero, 16);
    v128.store(CS, zero, 32);
    for (; i < iEnd; i += 4) {
      const av = v128.load(pp + (<usize>i << 2));
      const bv = v128.load(qp + (<usize>i << 2));
      const ya = sub(av, par(0));
      const yb = sub(bv, par(1));
      if (v128.any_true(v128.or(f32x4.gt(ya, par(2)), f32x4.gt(yb, par(3))))) {
        store<i32>(hv + (<usize>nh << 2), i);
        nh++;
        continue;
      }
      const ea = vexpNeg(ya);
      const eb = vexpNeg(yb);
      // two-sum: s + e = av - bv exactly; x = (s - cH) + (e - cL), exact where x is small
      const s = sub(av, bv);
      const bb = sub(s, av);
      const e = sub(sub(av, sub(s, bb)), add(bv, bb));
      const x = add(sub(s, par(4)), sub(e, par(5)));
      const x2 = mul(x, x);
      let E = fma(kp(0), x2, kp(1));
      E = fma(E, x2, kp(2));
      E = fma(E, x2, kp(3));
      let O = fma(kp(4), x2, kp(5));
      O = fma(O, x2, kp(6));
      O = fma(O, x2, kp(7)); // phi(+-x) = x2 (E -+ x O)
      const small = f32x4.lt(vabs(x), kp(3)); // |x| < 0.5 (the series' 1/2: one constant fewer)
      // away from x = 0 the parts of ea phi(x) = ea x + (eb - ea) do not cancel badly
      const tf = sel(small, mul(ea, mul(x2, fms(O, x, E))), fma(ea, x, sub(eb, ea)));
      const tr = sel(small, mul(eb, mul(x2, fma(O, x, E))), fms(eb, x, sub(ea, eb)));
      sa = add(sa, ea);
      sb = add(sb, eb);
      f = add(f, tf);
      r = add(r, tr);
      v128.store(CS, fma(ea, ya, v128.load(CS)));
      v128.store(CS, fma(eb, yb, v128.load(CS, 16)), 16);
      // the terms' error scale: their weights' error u |y| (y <= 0), both directions in one
      // sum (a bound of each: one sum fewer)
      v128.store(CS, fms(tr, yb, fms(tf, ya, v128.load(CS, 32))), 32);
    }
    const ua = v128.load(CS);
    const ub = v128.load(CS, 16);
    const fry = v128.load(CS, 32);
    accAdd(0, sa);
    accAdd(1, sb);
    accAdd(2, f);
    accAdd(3, r);
    accAdd(4, ua);
    accAdd(5, ub);
    accAddF(6, fry);
    // the weights' random error scale, sum (e (1 - y))^2, bounded by the chunk's lane sums
    const ra = sub(sa, ua);
    const rb = sub(sb, ub);
    accAddF(8, mul(ra, ra));
    accAddF(9, mul(rb, rb));
  }
  // the heavy weights, in float64: ea phi(x) = ea x - ea + eb, cancellation leaves ~1e-16 ea
  let hSA: f64 = 0, hSB: f64 = 0, hF: f64 = 0, hR: f64 = 0, hUA: f64 = 0, hUB: f64 = 0;
  for (let j = 0; j < nh; j++) {
    const i0 = load<i32>(hv + (<usize>j << 2));
    for (let k = 0; k < 4; k++) {
      const yad = <f64>load<f32>(pp + (<usize>(i0 + k) << 2)) - <f64>mA;
      const ybd = <f64>load<f32>(qp + (<usize>(i0 + k) << 2)) - <f64>mB;
      const ead = Math.exp(yad);
      const ebd = Math.exp(ybd);
      const xd = yad - ybd;
      hSA += ead;
      hSB += ebd;
      hF += (ead * xd - ead) + ebd;
      hR += (ead - ebd * xd) - ebd;
      hUA += ead * yad;
      hUB += ebd * ybd;
    }
  }
  const SA = accD(0) + hSA;
  const SB = accD(1) + hSB;
  const F = accD(2) + hF;
  const R = accD(3) + hR;
  const UA = accD(4) + hUA;
  const UB = accD(5) + hUB;
  const FY = accF(6); // sum of tf |ya| and tr |yb|: bounds each
  const RY = FY;
  const XA = accF(8);
  const XB = accF(9);
  if (!isFinite(SA + SB + F + R + UA + UB + FY + RY + XA + XB)) return 0;
  // phi(-log rho) = d - log1p(d), d = rho - 1; phi(log rho) = d' - log1p(d'), d' = 1/rho - 1
  const d = (SB - SA) / SA;
  const dq = (SA - SB) / SB;
  const fwd = F / SA - (d - Math.log1p(d));
  const rev = R / SB - (dq - Math.log1p(dq));
  // error estimate (see native/kernel.h): the terms' own, and |rho - 1| times that of log rho
  const eLog = 8 * 6e-8 * (Math.sqrt(XA) / SA + Math.sqrt(XB) / SB);
  const errF = 6e-8 * (8 * F + FY) / SA + Math.abs(d) * eLog;
  const errR = 6e-8 * (8 * R + RY) / SB + Math.abs(dq) * eLog;
  if (errF > 5e-6 * fwd && errF > 2e-10) return 0;
  if (errR > 5e-6 * rev && errR > 2e-10) return 0;
  gSA = SA;
  gSB = SB;
  gUA = UA;
  gUB = UB;
  gF = fwd;
  gR = rev;
  return 1;
}

/** The first index in [0, 256 nb) of the row at `x` whose value is m, from the block lane maxima at `bm` (32-byte stride); n4 if none. */
function firstIndex(x: usize, bm: usize, nb: i32, n4: i32, m: f32): i32 {
  const mv = splat(m);
  for (let j = 0; j < nb; j++) {
    if (!v128.any_true(f32x4.eq(v128.load(bm + (<usize>j << 5)), mv))) continue;
    const b1 = min((j << 8) + 256, n4);
    for (let i = j << 8; i < b1; i++) if (load<f32>(x + (<usize>i << 2)) == m) return i;
  }
  return n4;
}

/**
 * The 'kl' fast path over one logit row pair (float32, `n` values, padded to a multiple of 4
 * with -Infinity; the padding is overwritten during the call and reset). Writes the 13 results
 * at `out` like `row` and returns 1, or returns 0 when the caller must run `row` instead.
 * `scratch` holds 32 bytes per 256 values and 4 bytes per 4 values (n4 + 32 ceil(n4 / 256)).
 */
export function rowKl(pp: usize, qp: usize, n: i32, target: i32, out: usize, scratch: usize): i32 {
  const n4 = (n + 3) & ~3;
  if (n < 1) return 0;
  // pass 1: the lane maxima of each 256-element block (distinct elements: the sum of their
  // weights is a lower bound of SA, SB), stored at `scratch`; the row maxima from them
  let ma = kc(31);
  let mb = kc(31);
  let nb = 0;
  for (let b0 = 0; b0 < n4; b0 += 256) {
    const b1 = b0 + 256 < n4 ? b0 + 256 : n4;
    let bma = kc(31);
    let bmb = kc(31);
    for (let i = b0; i < b1; i += 4) {
      bma = f32x4.pmax(bma, v128.load(pp + (<usize>i << 2)));
      bmb = f32x4.pmax(bmb, v128.load(qp + (<usize>i << 2)));
    }
    store<v128>(scratch + (<usize>nb << 5), bma);
    store<v128>(scratch + (<usize>nb << 5), bmb, 16);
    ma = f32x4.pmax(ma, bma);
    mb = f32x4.pmax(mb, bmb);
    nb++;
  }
  const mA = max(max(f32x4.extract_lane(ma, 0), f32x4.extract_lane(ma, 1)), max(f32x4.extract_lane(ma, 2), f32x4.extract_lane(ma, 3)));
  const mB = max(max(f32x4.extract_lane(mb, 0), f32x4.extract_lane(mb, 1)), max(f32x4.extract_lane(mb, 2), f32x4.extract_lane(mb, 3)));
  if (!(isFinite(mA) && isFinite(mB))) return 0;
  // argmax: the first index holding the maximum (in the first block whose lanes hold it)
  const argA = firstIndex(pp, scratch, nb, n4, mA);
  const argB = firstIndex(qp, scratch + 16, nb, n4, mB);
  // padding for pass 2: far below the max, so e ~ 1e-38 and x = 0
  for (let i = n; i < n4; i++) {
    store<f32>(pp + (<usize>i << 2), mA - 200);
    store<f32>(qp + (<usize>i << 2), mB - 200);
  }
  const mAv = splat(mA);
  const mBv = splat(mB);
  let la = kc(0);
  let lb = kc(0);
  for (let j = 0; j < nb; j++) {
    la = add(la, vexpNeg(sub(v128.load(scratch + (<usize>j << 5)), mAv)));
    lb = add(lb, vexpNeg(sub(v128.load(scratch + (<usize>j << 5), 16), mBv)));
  }
  const LA = f64sum(hsum2(la));
  const LB = f64sum(hsum2(lb));
  // broad rows (weights sum to 8 or more, by the lower bound): the two-exp form first
  let SA: f64 = 0, SB: f64 = 0, UA: f64 = 0, UB: f64 = 0, fwd: f64 = 0, rev: f64 = 0;
  if ((LA >= 8 && LB >= 8 && twoExp(pp, qp, n4, mA, mB)) || phiForm(pp, qp, n4, mA, mB, LA, LB, scratch + (<usize>nb << 5))) {
    SA = gSA;
    SB = gSB;
    UA = gUA;
    UB = gUB;
    fwd = gF;
    rev = gR;
  } else {
    for (let i = n; i < n4; i++) {
      store<f32>(pp + (<usize>i << 2), -INF);
      store<f32>(qp + (<usize>i << 2), -INF);
    }
    return 0;
  }
  for (let i = n; i < n4; i++) {
    store<f32>(pp + (<usize>i << 2), -INF);
    store<f32>(qp + (<usize>i << 2), -INF);
  }
  const lSA = Math.log(SA);
  const lSB = Math.log(SB);
  fwd = fwd < 0 ? 0 : fwd;
  rev = rev < 0 ? 0 : rev;
  let hp = lSA - UA / SA;
  let hq = lSB - UB / SB;
  hp = hp < 0 ? 0 : hp;
  hq = hq < 0 ? 0 : hq;
  store<f64>(out, fwd, SLOT_FORWARD);
  store<f64>(out, rev, SLOT_REVERSE);
  store<f64>(out, hp, SLOT_ENTROPY_P);
  store<f64>(out, hq, SLOT_ENTROPY_Q);
  store<f64>(out, hp + fwd, SLOT_CROSS_ENTROPY_PQ);
  store<f64>(out, hq + rev, SLOT_CROSS_ENTROPY_QP);
  store<f64>(out, NaN, SLOT_JS_DIVERGENCE);
  store<f64>(out, NaN, SLOT_TVD);
  if (target >= 0 && target < n) {
    store<f64>(out, (<f64>load<f32>(pp + (<usize>target << 2)) - <f64>mA) - lSA, SLOT_LOGP_TARGET);
    store<f64>(out, (<f64>load<f32>(qp + (<usize>target << 2)) - <f64>mB) - lSB, SLOT_LOGQ_TARGET);
  } else {
    store<f64>(out, NaN, SLOT_LOGP_TARGET);
    store<f64>(out, NaN, SLOT_LOGQ_TARGET);
  }
  store<f64>(out, <f64>argA, SLOT_ARGMAX_P);
  store<f64>(out, <f64>argB, SLOT_ARGMAX_Q);
  store<f64>(out, 0, SLOT_INVALID);
  return 1;
}
