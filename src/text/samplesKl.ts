import { DataError } from '../errors.js';
import type { Matrix } from '../divergence/types.js';
import { percentileInterval } from './bootstrap.js';
import { fitSampleGaussian, sampleGaussianKl } from './gaussianFitKl.js';
import { histogramKl, type HistogramKl } from './histogramKl.js';
import { knnKlSets, sampleSet, scaleTogether, toFloat64, type SampleSet } from './knnKl.js';
import { createRng, type Rng } from '../random.js';

/** KL between two sets of continuous samples, forward = KL(A‖B). */
export interface SamplesDivergence {
  dim: number;
  n: { a: number; b: number };
  knn: {
    /** kNN estimate of KL(A‖B). */
    forward: number;
    /** kNN estimate of KL(B‖A). */
    reverse: number;
    /** Bootstrap percentile interval of KL(A‖B), or null without bootstrap. */
    forwardCi: [number, number] | null;
    reverseCi: [number, number] | null;
    k: number;
    bootstrap: number;
    level: number;
    seed: number;
    /** Bootstrap replicates skipped because a resample had no two distinct points (tiny sets only). */
    skippedReplicates: number;
    /** Why the estimate of KL(A‖B) should not be read as a result (negative, or a likely large bias); null when none. */
    forwardWarning: string | null;
    reverseWarning: string | null;
  };
  /** Closed-form KL between Gaussians fitted to A and to B (+∞ if a covariance is singular). */
  gaussian: { forward: number; reverse: number; singular: { a: boolean; b: boolean } };
  /** Histogram estimate, for 1-D samples only. */
  histogram?: HistogramKl;
}

/** Options of {@link samplesDivergence}. */
export interface SamplesOptions {
  /** Neighbour rank k of the kNN estimator (default 1). */
  k?: number;
  /** Bootstrap replicates for the intervals (default 100; 0 for none). */
  bootstrap?: number;
  /** Confidence level of the intervals (default 0.95). */
  level?: number;
  /** PRNG seed of the bootstrap (default 1). */
  seed?: number;
  /** Histogram bins for 1-D data (default: Freedman–Diaconis). */
  bins?: number;
  /** Called after each bootstrap replicate. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Why a kNN estimate should not be read as a KL value: it is negative (KL never is: the
 * estimate is bias or noise), or the dimension is large against the sample size, d > ln n,
 * where the estimator's bias (which decays like n^(−1/d)) is likely larger than the value.
 *
 * @example
 * knnWarning(-0.4, 2, 1000, 1000); // 'negative: …'
 */
export function knnWarning(value: number, d: number, n: number, m: number): string | null {
  const ln = Math.log(Math.min(n, m));
  if (value < 0) return `negative (${value.toPrecision(3)}): KL is never below 0, so this is the estimator's bias or noise, not a divergence`;
  if (d > ln) return `likely biased: d = ${d} is above ln n = ${ln.toFixed(1)}, where the kNN bias (shrinking like n^(-1/d)) can exceed the value`;
  return null;
}

function resample(pts: Float64Array, n: number, d: number, rng: Rng): SampleSet {
  const out = new Float64Array(n * d);
  const groups = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = rng.int(n);
    groups[i] = j;
    out.set(pts.subarray(j * d, (j + 1) * d), i * d);
  }
  return sampleSet(out, n, d, groups);
}

/**
 * Compares two sets of continuous samples (rows = samples, columns = dimensions), e.g. features
 * of generated and of real images: the kNN estimator of KL both ways with a bootstrap percentile
 * interval (copies of one original point are not each other's neighbours), the closed-form KL
 * between Gaussians fitted to each set, and for 1-D data a histogram estimate.
 *
 * @example
 * const a = { data: new Float64Array([0, 1, 2, 3, 4]), rows: 5, cols: 1 };
 * const b = { data: new Float64Array([1, 2, 3, 4, 5]), rows: 5, cols: 1 };
 * samplesDivergence(a, b, { bootstrap: 0 }).gaussian.forward; // 0.2 = (3 − 2)²/(2·2.5): means 2 and 3, both variances 2.5
 */
export function samplesDivergence(a: Matrix, b: Matrix, opts: SamplesOptions = {}): SamplesDivergence {
  if (a.cols !== b.cols) throw new DataError(`dimension mismatch: A has ${a.cols} columns, B has ${b.cols}; both sets need the same dimensions`);
  const k = opts.k ?? 1;
  const reps = opts.bootstrap ?? 100;
  const level = opts.level ?? 0.95;
  const seed = opts.seed ?? 1;
  const d = a.cols;
  const [pa, pb] = scaleTogether(toFloat64(a), toFloat64(b));
  for (const [name, m] of [['A', a], ['B', b]] as const) {
    if (m.rows < k + 1) throw new DataError(`${name}: the kNN estimator with k = ${k} needs at least ${k + 1} samples, got ${m.rows}`);
  }
  const sa = sampleSet(pa, a.rows, d);
  const sb = sampleSet(pb, b.rows, d);
  const forward = knnKlSets(sa, sb, k, ['A', 'B']);
  const reverse = knnKlSets(sb, sa, k, ['B', 'A']);
  let forwardCi: [number, number] | null = null;
  let reverseCi: [number, number] | null = null;
  let skipped = 0;
  if (reps > 0) {
    const rng = createRng(seed);
    const fr: number[] = [];
    const rr: number[] = [];
    for (let t = 0; t < reps; t++) {
      const ra = resample(pa, a.rows, d, rng);
      const rb = resample(pb, b.rows, d, rng);
      try {
        const f = knnKlSets(ra, rb, k);
        const r = knnKlSets(rb, ra, k);
        fr.push(f);
        rr.push(r);
      } catch (e) {
        // With very few samples a resample can consist of copies of one point: skip it.
        if (!(e instanceof DataError)) throw e;
        skipped++;
      }
      opts.onProgress?.(t + 1, reps);
    }
    if (fr.length > 0) {
      forwardCi = percentileInterval(fr, level);
      reverseCi = percentileInterval(rr, level);
    }
  }
  const ga = fitSampleGaussian({ data: pa, rows: a.rows, cols: d });
  const gb = fitSampleGaussian({ data: pb, rows: b.rows, cols: d });
  const gf = sampleGaussianKl(ga, gb);
  const gr = sampleGaussianKl(gb, ga);
  const out: SamplesDivergence = {
    dim: d,
    n: { a: a.rows, b: b.rows },
    knn: {
      forward,
      reverse,
      forwardCi,
      reverseCi,
      k,
      bootstrap: reps,
      level,
      seed,
      skippedReplicates: skipped,
      forwardWarning: knnWarning(forward, d, a.rows, b.rows),
      reverseWarning: knnWarning(reverse, d, b.rows, a.rows),
    },
    gaussian: { forward: gf, reverse: gr, singular: { a: !Number.isFinite(sampleGaussianKl(ga, ga)), b: !Number.isFinite(sampleGaussianKl(gb, gb)) } },
  };
  if (d === 1) out.histogram = histogramKl(pa, pb, opts.bins === undefined ? {} : { bins: opts.bins });
  return out;
}
