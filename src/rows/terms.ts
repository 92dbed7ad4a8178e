// The per-element terms of the divergences, with their zero rules, and the finishing clamps of
// their sums. Every TypeScript path (the measures on rows, the kernels' float64 reference, the
// compare loops, top-k) sums these; the SIMD kernels are tested against the reference built on them.

/**
 * Elementwise relative entropy x·log(x/y) with scipy's `rel_entr` conventions:
 * 0 when x = 0 (and y >= 0), +Infinity when x > 0 and y = 0. Near-equal values take the
 * log1p branch, log(x/y) = log1p((x − y)/y), which keeps the digits that a rounded ratio
 * loses; a ratio that over- or underflows falls back to log x − log y.
 * Negative or NaN input is refused by the row rules before it gets here; called
 * directly with such values this returns NaN (scipy returns +Infinity).
 *
 * @example
 * relEntr(1, 0.5); // 0.6931471805599453
 * relEntr(1, 0);   // Infinity
 * relEntr(0, 0);   // 0
 */
export function relEntr(x: number, y: number): number {
  if (x === 0 && y >= 0) return 0;
  if (!(x > 0) || !(y >= 0)) return NaN;
  if (y === 0) return Infinity;
  const r = x / y;
  if (r > 0.5 && r < 2) return x * Math.log1p((x - y) / y);
  // 2.2250738585072014e-308 is the smallest normal double: below it the ratio has lost digits.
  if (r >= 2.2250738585072014e-308 && r < Infinity) return x * Math.log(r);
  return x * (Math.log(x) - Math.log(y));
}

/**
 * One term p·(log p − log q) of KL(P‖Q) from the logs. In the log domain a probability may
 * underflow to 0 while its log is finite, so the zero rules look at the logs: log p = −∞
 * contributes 0, log q = −∞ (with log p finite) makes the KL +Infinity.
 *
 * @example
 * klLogTerm(0.5, Math.log(0.5), Math.log(0.25)); // 0.34657359027997264
 * klLogTerm(0, -Infinity, -Infinity); // 0
 * klLogTerm(0.5, Math.log(0.5), -Infinity); // Infinity
 */
export function klLogTerm(p: number, lp: number, lq: number): number {
  if (lp === -Infinity) return 0;
  if (lq === -Infinity) return Infinity;
  return p * (lp - lq);
}

/**
 * One term p·log(p/q) of KL(P‖Q) from both domains: with log-domain input (logits,
 * log-probabilities) the logs are subtracted before multiplying ({@link klLogTerm}), which is
 * exact to the input; with probabilities it is {@link relEntr}.
 *
 * @example
 * klTerm(0.5, 0.25, Math.log(0.5), Math.log(0.25), false); // 0.34657359027997264
 */
export function klTerm(p: number, q: number, lp: number, lq: number, logDomain: boolean): number {
  return logDomain ? klLogTerm(p, lp, lq) : relEntr(p, q);
}

/**
 * One term −p·log p of the entropy H(P): 0·log 0 = 0, and a probability that underflowed to 0
 * counts 0 whatever its log.
 *
 * @example
 * entropyTerm(0.5, Math.log(0.5)); // 0.34657359027997264
 * entropyTerm(0, -Infinity); // 0
 */
export function entropyTerm(p: number, lp: number): number {
  return p > 0 ? -p * lp : 0;
}

/**
 * One term −p·log q of the cross-entropy H(P,Q): 0 where p = 0, +Infinity where p > 0 and q = 0
 * (log q = −∞).
 *
 * @example
 * crossEntropyTerm(0.5, Math.log(0.25)); // 0.6931471805599453
 * crossEntropyTerm(0.5, -Infinity); // Infinity
 */
export function crossEntropyTerm(p: number, lq: number): number {
  if (!(p > 0)) return 0;
  return lq === -Infinity ? Infinity : -p * lq;
}

/**
 * One token's p·log(2p/(p+q)) + q·log(2q/(p+q)): twice its contribution to JS(P, Q) (halve the
 * sum with {@link jsFromTermSum}). With one side at 0 it is (p + q)·ln 2. For near-equal
 * log-probabilities (|d| < 0.25, d = log q − log p) it is m·h(r) with m = (p + q)/2,
 * r = tanh(d/2) and h(r) = (1+r)log(1+r) + (1−r)log(1−r) = Σ r^(2k)/(k(2k−1)): a short series
 * instead of a logarithm, relative error below 1e-10 (and no cancellation as p → q).
 *
 * @example
 * jsTerm(1, 0, 0, -Infinity); // 0.6931471805599453 = ln 2
 * jsTerm(0.5, 0.5, Math.log(0.5), Math.log(0.5)); // 0
 */
export function jsTerm(p: number, q: number, la: number, lb: number): number {
  if (p === 0 || q === 0) return (p + q) * Math.LN2;
  const d = lb - la;
  if (d < 0.25 && d > -0.25) {
    const h1 = 0.5 * d;
    const h2 = h1 * h1;
    const r = h1 * (1 - h2 * (1 / 3 - h2 * (2 / 15 - h2 * (17 / 315 - h2 * (62 / 2835)))));
    const r2 = r * r;
    return 0.5 * (p + q) * r2 * (1 + r2 * (1 / 6 + r2 * (1 / 15 + r2 * (1 / 28 + r2 / 45))));
  }
  // log m = log((p + q)/2); from the logs when p + q is subnormal (the log would lose digits)
  const s = p + q;
  const lm = s > 1e-300 ? Math.log(s) - Math.LN2 : (la > lb ? la : lb) + Math.log1p(Math.exp(-Math.abs(la - lb))) - Math.LN2;
  return p * (la - lm) + q * (lb - lm);
}

/**
 * log(m/a) where m/a = 1 + w·(b/a − 1) and x = log(b/a): log((1 − w) + w·e^x) without overflow.
 * For x <= 0, log1p(w·expm1(x)) is exact near x = 0; for x > 0 factor out w·e^x.
 */
function logMixRatio(x: number, w: number): number {
  if (w === 0) return 0;
  if (x <= 0) return Math.log1p(w * Math.expm1(x));
  if (w === 1) return x;
  return x + Math.log(w) + Math.log1p(((1 - w) / w) * Math.exp(-x));
}

/**
 * One term a·log(a/m) of KL(A‖M) with the mixture m = a + w·(b − a), the half of a generalized
 * JS divergence JSD(β) that any weight needs (the symmetric β = ½ of the hot loops is
 * {@link jsTerm}). Computed from the log-ratio so that m never underflows to 0 where a > 0; with
 * probabilities the ratio takes the log1p branch near 1, as in {@link relEntr}, exact to the input.
 *
 * @example
 * mixtureKlTerm(1, 0, 0, -Infinity, false, 0.5); // 0.6931471805599453 = ln 2
 */
export function mixtureKlTerm(a: number, b: number, la: number, lb: number, logDomain: boolean, w: number): number {
  if (a === 0) return 0;
  let x: number;
  if (logDomain) x = lb - la;
  else {
    const r = b / a;
    x = r > 0.5 && r < 2 ? Math.log1p((b - a) / a) : r === 0 ? -Infinity : Number.isFinite(r) && r > 0 ? Math.log(r) : lb - la;
  }
  return -a * logMixRatio(x, w);
}

/**
 * Binary entropy h(β) in nats: the upper bound of JSD(β); ln 2 at β = ½.
 *
 * @example
 * binaryEntropy(0.5); // 0.6931471805599453
 */
export function binaryEntropy(beta: number): number {
  return entropyTerm(beta, Math.log(beta)) + entropyTerm(1 - beta, Math.log(1 - beta));
}

/**
 * Rounding can leave a sum of non-negative quantities a hair below 0: report it as 0.
 *
 * @example
 * clampNonNegative(-1e-18); // 0
 */
export function clampNonNegative(x: number): number {
  return x < 0 ? 0 : x;
}

/**
 * JS(P, Q) from the sum of {@link jsTerm}: halved and clamped to [0, ln 2], the range rounding
 * may leave.
 *
 * @example
 * jsFromTermSum(2); // 0.6931471805599453 = ln 2
 */
export function jsFromTermSum(s: number): number {
  return Math.min(clampNonNegative(0.5 * s), Math.LN2);
}

/**
 * Total variation ½ Σ |p − q| from the sum Σ |p − q|, capped at 1 (rounding can step over it).
 *
 * @example
 * tvFromSum(0.2); // 0.1
 */
export function tvFromSum(s: number): number {
  return Math.min(0.5 * s, 1);
}
