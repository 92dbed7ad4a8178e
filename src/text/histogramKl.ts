import { ArgumentError } from '../errors.js';
import { relEntr } from '../rows/terms.js';
import { sortedQuantile } from '../quantile.js';

/** Result of {@link histogramKl}. */
export interface HistogramKl {
  /** KL(A‖B) of the binned distributions. */
  forward: number;
  /** KL(B‖A). */
  reverse: number;
  bins: number;
  /** Pseudo-count added to every bin of both histograms. */
  pseudoCount: number;
}

/** Options of {@link histogramKl}. */
export interface HistogramOptions {
  /** Number of equal-width bins; default by the Freedman–Diaconis rule on the pooled data. */
  bins?: number;
  /** Pseudo-count per bin (default 0.5, the Krichevsky–Trofimov / Jeffreys prior) so empty bins stay finite; 0 for raw frequencies. */
  pseudoCount?: number;
}

/** The most histogram bins (two arrays of this many float64 each; far more bins than samples only adds pseudo-counts). */
export const MAX_BINS = 1_000_000;

/**
 * Histogram estimate of KL between two 1-D sample sets: both are binned on the same
 * equal-width grid over the pooled range, and KL is taken between the bin frequencies (the bin
 * width cancels, so this approximates the KL of the densities). The default bin count is the
 * Freedman–Diaconis rule, width 2·IQR·N^(−1/3) on the pooled sample, kept within [5, 1000].
 *
 * @example
 * histogramKl(new Float64Array([0, 0.1, 0.2, 1]), new Float64Array([0.5, 0.9, 1, 1.1]), { bins: 2 });
 */
export function histogramKl(a: ArrayLike<number>, b: ArrayLike<number>, opts: HistogramOptions = {}): HistogramKl {
  const pooled = Float64Array.from({ length: a.length + b.length }, (_, i) => (i < a.length ? a[i]! : b[i - a.length]!)).sort();
  const lo = pooled[0]!;
  const hi = pooled[pooled.length - 1]!;
  let bins = opts.bins;
  if (bins !== undefined && !(Number.isInteger(bins) && bins >= 1 && bins <= MAX_BINS)) {
    throw new ArgumentError({ where: 'invalid bins', expected: `an integer in [1, ${MAX_BINS}]`, got: bins });
  }
  if (bins === undefined) {
    const iqr = sortedQuantile(pooled, 0.75) - sortedQuantile(pooled, 0.25);
    const width = 2 * iqr * Math.cbrt(1 / pooled.length);
    bins = width > 0 ? Math.ceil((hi - lo) / width) : 1;
    bins = Math.min(1000, Math.max(5, bins));
  }
  const alpha = opts.pseudoCount ?? 0.5;
  const span = hi - lo;
  const count = (x: ArrayLike<number>) => {
    const c = new Float64Array(bins!).fill(alpha);
    for (let i = 0; i < x.length; i++) {
      const t = span > 0 ? Math.floor(((x[i]! - lo) / span) * bins!) : 0;
      c[Math.min(bins! - 1, Math.max(0, t))]! += 1;
    }
    const total = x.length + alpha * bins!;
    for (let j = 0; j < bins!; j++) c[j]! /= total;
    return c;
  };
  const pa = count(a);
  const pb = count(b);
  let f = 0;
  let r = 0;
  for (let j = 0; j < bins; j++) {
    f += relEntr(pa[j]!, pb[j]!);
    r += relEntr(pb[j]!, pa[j]!);
  }
  return { forward: Math.max(0, f), reverse: Math.max(0, r), bins, pseudoCount: alpha };
}
