// klscope fused kernel for WebAssembly SIMD (AssemblyScript): the same numerics as
// native/kernel.h in 4-lane f32x4 vectors with float64 sums. See docs/kernels.md.
//
// Memory is managed by the host: it writes the two rows (float32, padded to a multiple of 4
// with -Infinity for logits/log-probabilities or 0 for probabilities) and calls `row`, which
// writes 13 float64 results at `out`.

const LN2: f32 = 0.6931471805599453;
const INF: f32 = Infinity;

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
// @ts-ignore: decorator
@inline function fma(a: v128, b: v128, c: f32): v128 {
  return f32x4.add(f32x4.mul(a, b), f32x4.splat(c));
}
/** mask ? a : b, lane-wise (mask lanes all ones or all zeros) */
// @ts-ignore: decorator
@inline function sel(mask: v128, a: v128, b: v128): v128 {
  return v128.bitselect(a, b, mask);
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
 * e^x in float32 (~1 ulp) on [-87.3, 88.7], 0 below (and for -Infinity): Cody-Waite reduction
 * x = k ln2 + r, |r| <= ln2/2, degree-7 Taylor polynomial (< 5e-9 relative), 2^k from the bits.
 */
// @ts-ignore: decorator
@inline function vexp(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, splat(-87.3)), splat(88.7));
  const k = f32x4.nearest(mul(xc, splat(1.4426950408889634)));
  let r = sub(xc, mul(k, splat(0.693359375)));
  r = sub(r, mul(k, splat(-2.1219444e-4)));
  let p = splat(<f32>1 / 5040);
  p = fma(p, r, <f32>1 / 720);
  p = fma(p, r, <f32>1 / 120);
  p = fma(p, r, <f32>1 / 24);
  p = fma(p, r, <f32>1 / 6);
  p = fma(p, r, 0.5);
  p = fma(p, r, 1);
  p = fma(p, r, 1);
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  return sel(f32x4.ge(x, splat(-87.3)), mul(p, scale), f32x4.splat(0));
}

/** log of a positive float (subnormals too): 2 atanh((m-1)/(m+1)) on m in [sqrt .5, sqrt 2). */
// @ts-ignore: decorator
@inline function vlog(v: v128): v128 {
  const sub_ = f32x4.lt(v, splat(1.17549435e-38));
  const vs = sel(sub_, mul(v, splat(16777216)), v);
  const e = i32x4.sub(v128.and(i32x4.shr_u(vs, 23), i32x4.splat(0xff)), i32x4.splat(127));
  let m = v128.or(v128.and(vs, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, splat(1.41421356));
  m = sel(big, mul(m, splat(0.5)), m);
  let ef = f32x4.convert_i32x4_s(i32x4.sub(e, big));
  ef = sel(sub_, sub(ef, splat(24)), ef);
  const s = f32x4.div(sub(m, splat(1)), add(m, splat(1)));
  const s2 = mul(s, s);
  let poly = splat(<f32>1 / 11);
  poly = fma(poly, s2, <f32>1 / 9);
  poly = fma(poly, s2, <f32>1 / 7);
  poly = fma(poly, s2, <f32>1 / 5);
  poly = fma(poly, s2, <f32>1 / 3);
  poly = fma(poly, s2, 1);
  const lm = mul(mul(splat(2), s), poly);
  let r = add(mul(ef, splat(0.693359375)), lm);
  r = add(r, mul(ef, splat(-2.1219444e-4)));
  return sel(f32x4.eq(v, splat(0)), splat(-INF), r);
}

/** log1p(d) for |d| < 1 with relative accuracy: 2 atanh(d/(2+d)). */
// @ts-ignore: decorator
@inline function vlog1pSmall(d: v128): v128 {
  const s = f32x4.div(d, add(splat(2), d));
  const s2 = mul(s, s);
  let poly = splat(<f32>1 / 19);
  poly = fma(poly, s2, <f32>1 / 17);
  poly = fma(poly, s2, <f32>1 / 15);
  poly = fma(poly, s2, <f32>1 / 13);
  poly = fma(poly, s2, <f32>1 / 11);
  poly = fma(poly, s2, <f32>1 / 9);
  poly = fma(poly, s2, <f32>1 / 7);
  poly = fma(poly, s2, <f32>1 / 5);
  poly = fma(poly, s2, <f32>1 / 3);
  poly = fma(poly, s2, 1);
  return mul(mul(splat(2), s), poly);
}

// pass-1 results per side
let gShift: f64 = 0;
let gScale: f64 = 0;
let gMass: f64 = 0;
let gArg: i32 = 0;
let gOk: bool = false;

const BLOCK: i32 = 2048;

/**
 * Pass 1 over one padded row: validity, argmax (first index wins), normaliser. Log domain:
 * blocked online log-sum-exp (block max; rescale the running sum by e^(m_old - m_new) when the
 * max grows; sum the block's e^(x - m) in f32x4, flushed to float64 every 64 values).
 */
function pass1(x: usize, n: i32, n4: i32, kind: i32, normalize: bool, tol: f64): void {
  gOk = false;
  gArg = 0;
  const probs = kind == 2;
  let s: f64 = 0;
  let m: f32 = -INF;
  for (let b0 = 0; b0 < n4; b0 += BLOCK) {
    const b1 = min(b0 + BLOCK, n4);
    let bmv = splat(-INF);
    let bad = i32x4.splat(0);
    let sum = splat(0);
    let cnt = 0;
    for (let i = b0; i < b1; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      if (probs) {
        bad = v128.or(bad, v128.not(v128.and(f32x4.ge(v, splat(0)), f32x4.lt(v, splat(INF)))));
        sum = add(sum, v);
        if (++cnt == 16) {
          s += hsum(sum);
          sum = splat(0);
          cnt = 0;
        }
      } else {
        bad = v128.or(bad, v128.or(f32x4.ne(v, v), f32x4.eq(v, splat(INF))));
        if (kind == 1) bad = v128.or(bad, f32x4.gt(v, splat(1e-6)));
      }
      bmv = f32x4.max(bmv, v);
    }
    if (v128.any_true(bad)) return;
    if (probs) s += hsum(sum);
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
    if (probs || m == -INF) continue;
    const mv = splat(m);
    let part = splat(0);
    cnt = 0;
    for (let i = b0; i < b1; i += 4) {
      part = add(part, vexp(sub(v128.load(x + (<usize>i << 2)), mv)));
      if (++cnt == 16) {
        s += hsum(part);
        part = splat(0);
        cnt = 0;
      }
    }
    s += hsum(part);
  }
  if (probs) {
    if (s == 0) return;
    if (Math.abs(s - 1) > tol && !normalize) return;
    gShift = 0;
    gScale = normalize ? 1 / s : 1;
    gMass = normalize ? s * gScale : s;
    gOk = true;
    return;
  }
  if (m == -INF) return;
  const lse = <f64>m + Math.log(s);
  if (kind == 0) {
    gShift = lse;
    gScale = 1;
    gMass = 1;
    gOk = true;
    return;
  }
  const mass = Math.exp(lse);
  if (!normalize && Math.abs(mass - 1) > tol) return;
  gShift = normalize ? lse : 0;
  gScale = 1;
  gMass = normalize ? 1 : mass;
  gOk = true;
}

// float32 accumulators of pass 2, flushed into float64 totals every 16 vectors
let aF = f32x4.splat(0);
let aR = f32x4.splat(0);
let aHP = f32x4.splat(0);
let aHQ = f32x4.splat(0);
let aJS = f32x4.splat(0);
let aTV = f32x4.splat(0);
let aInfF = i32x4.splat(0);
let aInfR = i32x4.splat(0);
let tF: f64 = 0;
let tR: f64 = 0;
let tHP: f64 = 0;
let tHQ: f64 = 0;
let tJS: f64 = 0;
let tTV: f64 = 0;
let tInfF: bool = false;
let tInfR: bool = false;

function flush(): void {
  tF += hsum(aF);
  tR += hsum(aR);
  tHP += hsum(aHP);
  tHQ += hsum(aHQ);
  tJS += hsum(aJS);
  tTV += hsum(aTV);
  tInfF = tInfF || v128.any_true(aInfF);
  tInfR = tInfR || v128.any_true(aInfR);
  aF = aR = aHP = aHQ = aJS = aTV = f32x4.splat(0);
  aInfF = aInfR = i32x4.splat(0);
}

/**
 * The per-element terms, all non-negative: p*phi(x), q*phi(-x) with phi(x) = x + e^-x - 1,
 * |p - q|, (p+q) D(u) for JS, -p log p, -q log q. pz/qz: the side is exactly zero.
 */
// @ts-ignore: decorator
@inline function terms(p: v128, q: v128, la: v128, lb: v128, x: v128, pz: v128, qz: v128): void {
  const zero = splat(0);
  const ax = f32x4.abs(x);
  const small = f32x4.lt(ax, splat(0.5));
  const x2 = mul(x, x);
  let E = splat(<f32>1 / 40320);
  E = fma(E, x2, <f32>1 / 720);
  E = fma(E, x2, <f32>1 / 24);
  E = fma(E, x2, 0.5);
  let O = splat(<f32>1 / 362880);
  O = fma(O, x2, <f32>1 / 5040);
  O = fma(O, x2, <f32>1 / 120);
  O = fma(O, x2, <f32>1 / 6);
  O = mul(O, x);
  const phiF = mul(x2, sub(E, O)); // phi(x) = x + e^-x - 1 near 0
  const phiR = mul(x2, add(E, O)); // phi(-x)
  const e1 = sub(phiF, x); // expm1(-x) = q/p - 1
  const pxl = sel(pz, zero, mul(p, x));
  const qxl = sel(qz, zero, mul(q, x));
  let tf = sel(small, mul(p, phiF), add(sub(pxl, p), q));
  let tr = sel(small, mul(q, phiR), sub(sub(p, qxl), q));
  tf = sel(qz, zero, tf);
  tr = sel(pz, zero, tr);
  aInfF = v128.or(aInfF, v128.andnot(qz, pz));
  aInfR = v128.or(aInfR, v128.andnot(pz, qz));
  aF = add(aF, tf);
  aR = add(aR, tr);
  aTV = add(aTV, sel(small, mul(p, f32x4.abs(e1)), f32x4.abs(sub(p, q))));
  const pbig = f32x4.gt(x, zero);
  const hi = sel(pbig, p, q);
  const lo = sel(pbig, q, p);
  const num = sel(small, e1, lo);
  const den = sel(small, add(splat(2), e1), add(add(hi, hi), lo));
  const u = f32x4.div(num, den);
  const w = mul(u, u);
  let D = splat(<f32>1 / 90);
  D = fma(D, w, <f32>1 / 56);
  D = fma(D, w, <f32>1 / 30);
  D = fma(D, w, <f32>1 / 12);
  D = fma(D, w, 0.5);
  D = mul(D, w);
  let L = splat(<f32>1 / 11);
  L = fma(L, w, <f32>1 / 9);
  L = fma(L, w, <f32>1 / 7);
  L = fma(L, w, <f32>1 / 5);
  L = fma(L, w, <f32>1 / 3);
  L = fma(L, w, 1);
  L = mul(mul(splat(2), u), L); // log1p(lo/hi)
  const loterm = sel(f32x4.gt(lo, zero), mul(lo, sub(sub(splat(LN2), ax), L)), zero);
  const jsl = sel(f32x4.gt(hi, zero), add(mul(hi, sub(splat(LN2), L)), loterm), zero);
  aJS = add(aJS, sel(small, mul(add(p, q), D), jsl));
  aHP = add(aHP, sel(f32x4.gt(p, zero), f32x4.neg(mul(p, la)), zero));
  aHQ = add(aHQ, sel(f32x4.gt(q, zero), f32x4.neg(mul(q, lb)), zero));
}

/**
 * The fused pass over one row pair at `pp`, `qp` (float32, `n` values padded to n4), input kind
 * 0 logits, 1 log-probabilities, 2 probabilities. Writes at `out` (float64): forward, reverse,
 * H(P), H(Q), H(P,Q), H(Q,P), JS, TV, log p[target], log q[target], argmax P, argmax Q, invalid.
 */
export function row(pp: usize, qp: usize, n: i32, kind: i32, normalize: i32, tol: f64, target: i32, out: usize): void {
  const n4 = (n + 3) & ~3;
  const norm = normalize != 0;
  pass1(pp, n, n4, kind, norm, tol);
  const okA = gOk;
  const shA = gShift;
  const scA = gScale;
  const maA = gMass;
  const argA = gArg;
  pass1(qp, n, n4, kind, norm, tol);
  const okB = gOk;
  const shB = gShift;
  const scB = gScale;
  const maB = gMass;
  const argB = gArg;
  store<f64>(out, <f64>argA, 80);
  store<f64>(out, <f64>argB, 88);
  if (!okA || !okB) {
    for (let k = 0; k < 10; k++) store<f64>(out + (<usize>k << 3), NaN);
    store<f64>(out, 1, 96);
    return;
  }
  tF = tR = tHP = tHQ = tJS = tTV = 0;
  tInfF = tInfR = false;
  aF = aR = aHP = aHQ = aJS = aTV = f32x4.splat(0);
  aInfF = aInfR = i32x4.splat(0);
  let cnt = 0;
  if (kind != 2) {
    // log p = a - shift as float hi + lo; x = (a - b) - (shiftA - shiftB) by a two-sum, so
    // s - cH is exact (Sterbenz) where x is near 0 and x keeps its relative precision
    const aH = <f32>shA;
    const aL = <f32>(shA - <f64>aH);
    const bH = <f32>shB;
    const bL = <f32>(shB - <f64>bH);
    const c = shA - shB;
    const cH = <f32>c;
    const cL = <f32>(c - <f64>cH);
    const vaH = splat(aH);
    const vaL = splat(aL);
    const vbH = splat(bH);
    const vbL = splat(bL);
    const vcH = splat(cH);
    const vcL = splat(cL);
    const ninf = splat(-INF);
    for (let i = 0; i < n4; i += 4) {
      const av = v128.load(pp + (<usize>i << 2));
      const bv = v128.load(qp + (<usize>i << 2));
      const pz = f32x4.eq(av, ninf);
      const qz = f32x4.eq(bv, ninf);
      const la = sub(sub(av, vaH), vaL);
      const lb = sub(sub(bv, vbH), vbL);
      const s = sub(av, bv);
      const bb = sub(s, av);
      const e = add(sub(av, sub(s, bb)), sub(f32x4.neg(bv), bb));
      const x = add(sub(s, vcH), sub(e, vcL));
      terms(vexp(la), vexp(lb), la, lb, x, pz, qz);
      if (++cnt == 16) {
        flush();
        cnt = 0;
      }
    }
  } else {
    const sa = splat(<f32>scA);
    const sb = splat(<f32>scB);
    const zero = splat(0);
    for (let i = 0; i < n4; i += 4) {
      const p = mul(v128.load(pp + (<usize>i << 2)), sa);
      const q = mul(v128.load(qp + (<usize>i << 2)), sb);
      const pz = f32x4.eq(p, zero);
      const qz = f32x4.eq(q, zero);
      const la = vlog(p);
      const lb = vlog(q);
      // x = log(p/q): near 1 from log1p((p - q)/q), p - q exact there (Sterbenz)
      const r = f32x4.div(p, q);
      const near = v128.and(f32x4.gt(r, splat(0.5)), f32x4.lt(r, splat(2)));
      let x = sel(near, vlog1pSmall(f32x4.div(sub(p, q), q)), sub(la, lb));
      x = sel(v128.and(pz, qz), zero, x);
      terms(p, q, la, lb, x, pz, qz);
      if (++cnt == 16) {
        flush();
        cnt = 0;
      }
    }
  }
  flush();
  // sum p*phi(x) = KL + (sum q - sum p): remove the mass difference of unnormalised rows
  let fwd = tF - (maB - maA);
  let rev = tR - (maA - maB);
  fwd = fwd < 0 ? 0 : fwd;
  rev = rev < 0 ? 0 : rev;
  const hp = tHP < 0 ? 0 : tHP;
  const hq = tHQ < 0 ? 0 : tHQ;
  store<f64>(out, tInfF ? Infinity : fwd, 0);
  store<f64>(out, tInfR ? Infinity : rev, 8);
  store<f64>(out, hp, 16);
  store<f64>(out, hq, 24);
  store<f64>(out, tInfF ? Infinity : hp + fwd, 32);
  store<f64>(out, tInfR ? Infinity : hq + rev, 40);
  const js = 0.5 * tJS;
  store<f64>(out, js < 0 ? 0 : min(js, 0.6931471805599453), 48);
  store<f64>(out, min(0.5 * tTV, 1), 56);
  if (target >= 0 && target < n) {
    const a = <f64>load<f32>(pp + (<usize>target << 2));
    const b = <f64>load<f32>(qp + (<usize>target << 2));
    store<f64>(out, kind == 2 ? Math.log(a * scA) : a - shA, 64);
    store<f64>(out, kind == 2 ? Math.log(b * scB) : b - shB, 72);
  } else {
    store<f64>(out, NaN, 64);
    store<f64>(out, NaN, 72);
  }
  store<f64>(out, 0, 96);
}
