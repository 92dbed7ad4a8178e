/** Rows the core reads: plain arrays or typed arrays (float32 input is accumulated in float64). */
export type RowValues = ArrayLike<number>;

/** The largest value of x[off, off + n) (NaN is passed over); −Infinity for an empty range. */
function maxOf(x: RowValues, off: number, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (x[off + i]! > m) m = x[off + i]!;
  return m;
}

/**
 * Σ exp(x_i − m) over x[off, off + n), for the shift m = the row's max: the largest term is
 * exp(0) = 1, so nothing overflows and the sum is at least 1.
 */
export function shiftedExpSum(x: RowValues, off: number, n: number, m: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(x[off + i]! - m);
  return s;
}

/**
 * Logarithm of Σ exp(x_i) without overflow: shift by the max so the largest term is exp(0) = 1.
 * Returns −Infinity for an empty row or a row of −Infinity; +Infinity or NaN in the row give +Infinity or NaN.
 * `off` and `n` select x[off, off + n) (default: the whole row).
 *
 * @example
 * logSumExp([1000, 1000]); // 1000 + ln 2 = 1000.6931471805599
 * logSumExp([0, -Infinity]); // 0
 */
export function logSumExp(x: RowValues, off = 0, n = x.length - off): number {
  const m = maxOf(x, off, n);
  if (!Number.isFinite(m)) return m;
  return m + Math.log(shiftedExpSum(x, off, n, m));
}

/**
 * Writes x[off, off + n) − shift into out[0, n): the log-softmax of a logit row for
 * shift = {@link logSumExp} of the row.
 *
 * @example
 * const out = new Float64Array(2);
 * shiftInto(out, [3, 1], 0, 2, 3)[1]; // -2
 */
export function shiftInto(out: Float64Array, x: RowValues, off: number, n: number, shift: number): Float64Array {
  for (let i = 0; i < n; i++) out[i] = x[off + i]! - shift;
  return out;
}

/**
 * Stable log-softmax of a logit row into float64: log p_i = x_i − lse(x). The logits are never
 * exponentiated unshifted, so [1000, 999, 998] works where a naive softmax gives NaN.
 *
 * @example
 * logSoftmax([1000, 999, 998])[0]; // -0.40760596444442854 (exact −0.4076059644443806…: x − lse keeps the digits of 1000.4076…)
 */
export function logSoftmax(x: RowValues): Float64Array {
  return shiftInto(new Float64Array(x.length), x, 0, x.length, logSumExp(x));
}
