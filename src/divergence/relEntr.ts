/**
 * Elementwise relative entropy x·log(x/y) with scipy's `rel_entr` conventions:
 * 0 when x = 0 (and y >= 0), +Infinity when x > 0 and y = 0. Near-equal values take the
 * log1p branch, log(x/y) = log1p((x − y)/y), which keeps the digits that a rounded ratio
 * loses; a ratio that over- or underflows falls back to log x − log y.
 * Negative or NaN input is refused by klscope's row validation before it gets here; called
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
 * One term p·log(p/q) of KL(P‖Q) from both domains: with log-domain input (logits,
 * log-probabilities) the logs are subtracted before multiplying, which is exact to the input;
 * with probabilities it is {@link relEntr}.
 */
export function klTerm(p: number, q: number, lp: number, lq: number, logDomain: boolean): number {
  if (!logDomain) return relEntr(p, q);
  // In the log domain a probability may underflow to 0 while its log is finite: zero rules
  // look at the logs, and the term is the difference of logs times p.
  if (lp === -Infinity) return 0;
  if (lq === -Infinity) return Infinity;
  return p * (lp - lq);
}
