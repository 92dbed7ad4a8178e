import { sortedQuantile } from '../quantile.js';

/**
 * Percentile interval of bootstrap replicates: the (1 − level)/2 and (1 + level)/2 quantiles
 * (linear interpolation). Infinite replicates sort to the top and can make the upper end +∞.
 *
 * @example
 * percentileInterval([3, 1, 2, 5, 4], 0.5); // [2, 4]
 */
export function percentileInterval(replicates: readonly number[], level = 0.95): [number, number] {
  const s = [...replicates].sort((x, y) => x - y);
  return [sortedQuantile(s, (1 - level) / 2), sortedQuantile(s, (1 + level) / 2)];
}
