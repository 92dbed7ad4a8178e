// Quantiles of sorted values by linear interpolation between order statistics, the one rule
// used by every summary of klscope (llama.cpp's KLD quantiles, bootstrap intervals, histogram
// ranges): the value at fractional index f·(N − 1), as numpy's default ("linear") method.

/**
 * Quantile of sorted values, interpolated linearly at index f·(N − 1); f ≤ 0 gives the first,
 * f ≥ 1 the last value. f = ½ is the median (mean of the two middle values for even N). NaN for
 * no values; Infinity when either neighbour is Infinity (no ∞ − ∞).
 *
 * @example
 * sortedQuantile(Float64Array.from([1, 2, 3, 4]), 0.5); // 2.5
 * sortedQuantile([0, 10], 0.25); // 2.5
 */
export function sortedQuantile(sorted: ArrayLike<number>, f: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (f <= 0) return sorted[0]!;
  if (f >= 1) return sorted[n - 1]!;
  const r = f * (n - 1);
  const i = Math.floor(r);
  const w = r - i;
  const a = sorted[i]!;
  if (w === 0) return a;
  const b = sorted[Math.min(i + 1, n - 1)]!;
  if (a === b) return a;
  if (a === Infinity || b === Infinity) return Infinity;
  return (1 - w) * a + w * b;
}
