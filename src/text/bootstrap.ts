/**
 * Percentile interval of bootstrap replicates: the (1 − level)/2 and (1 + level)/2 quantiles
 * (linear interpolation). Infinite replicates sort to the top and can make the upper end +∞.
 *
 * @example
 * percentileInterval([3, 1, 2, 5, 4], 0.5); // [2, 4]
 */
export function percentileInterval(replicates: readonly number[], level = 0.95): [number, number] {
  const s = [...replicates].sort((x, y) => x - y);
  const at = (q: number) => {
    const h = (s.length - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, s.length - 1);
    if (s[lo] === s[hi]) return s[lo]!;
    return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
  };
  return [at((1 - level) / 2), at((1 + level) / 2)];
}
