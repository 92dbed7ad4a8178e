/**
 * llama.cpp's summary formulas (tools/perplexity: `kl_divergence`), restated.
 */

import { sortedQuantile } from '../quantile.js';

export { sortedQuantile };

/**
 * Mean and its uncertainty from a sum, a sum of squares and a count: f = S/N,
 * σ = sqrt((S2/N − f²)/(N − 1)) when that variance is positive and N > 10, else 0.
 *
 * @example
 * meanAndUncertainty(55, 385, 10); // { mean: 5.5, stderr: 0 } (N ≤ 10)
 */
export function meanAndUncertainty(sum: number, sum2: number, count: number): { mean: number; stderr: number } {
  if (count < 1) return { mean: 0, stderr: 0 };
  const f = sum / count;
  // an infinite mean has no standard error (NaN here; results show it as null)
  if (!Number.isFinite(f)) return { mean: f, stderr: NaN };
  const v = sum2 / count - f * f;
  return { mean: f, stderr: v > 0 && count > 10 ? Math.sqrt(v / (count - 1)) : 0 };
}

/**
 * Covariance of the two means: (Sab/N − (Sa/N)(Sb/N))/(N − 1), 0 below 10 values.
 *
 * @example
 * meanCovariance(10, 10, 20, 5); // 0 (fewer than 10 values)
 */
export function meanCovariance(sumA: number, sumB: number, sumAB: number, count: number): number {
  if (count < 10) return 0;
  return (sumAB / count - (sumA / count) * (sumB / count)) / (count - 1);
}

/** The quantiles llama.cpp prints for KLD, with their JSON keys. */
export const KLD_QUANTILES: ReadonlyArray<[key: string, f: number]> = [
  ['max', 1],
  ['p999', 0.999],
  ['p99', 0.99],
  ['p95', 0.95],
  ['p90', 0.9],
  ['median', 0.5],
  ['p10', 0.1],
  ['p05', 0.05],
  ['p01', 0.01],
  ['p001', 0.001],
  ['min', 0],
];

/** The quantiles llama.cpp prints for Δp (KLD's plus the quartiles). */
export const DELTA_P_QUANTILES: ReadonlyArray<[key: string, f: number]> = [
  ['max', 1],
  ['p999', 0.999],
  ['p99', 0.99],
  ['p95', 0.95],
  ['p90', 0.9],
  ['p75', 0.75],
  ['median', 0.5],
  ['p25', 0.25],
  ['p10', 0.1],
  ['p05', 0.05],
  ['p01', 0.01],
  ['p001', 0.001],
  ['min', 0],
];
