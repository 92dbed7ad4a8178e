import { DataError } from '../errors.js';
import type { Matrix } from '../divergence/types.js';
import { KdTree } from './kdTree.js';

/**
 * Digamma at a positive integer: ψ(k) = −γ + Σ_{j<k} 1/j.
 *
 * @example
 * digammaInt(2); // 1 − γ = 0.42278433509846713
 */
export function digammaInt(k: number): number {
  let s = -0.5772156649015329;
  for (let j = 1; j < k; j++) s += 1 / j;
  return s;
}

/**
 * Row-major float64 data of a matrix (float32 input widened; float64 returned as is).
 *
 * @example
 * toFloat64({ data: new Float32Array([1, 2]), rows: 1, cols: 2 }); // Float64Array [1, 2]
 */
export function toFloat64(m: Matrix): Float64Array {
  return m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
}

/**
 * Scales two sample sets by one common power of two so that their largest |x| is near 1:
 * every KL estimator here (kNN, Gaussian fit, histogram) is unchanged by a common scaling, and
 * squared distances of values beyond ~1e154 no longer overflow (nor those below ~1e-154 underflow).
 * Sets already in range are returned as they are.
 *
 * @example
 * scaleTogether(new Float64Array([1e200]), new Float64Array([-1e200])); // [[~0.68], [~-0.68]]
 */
export function scaleTogether(a: Float64Array, b: Float64Array): [Float64Array, Float64Array] {
  let max = 0;
  for (const s of [a, b]) for (let i = 0; i < s.length; i++) max = Math.max(max, Math.abs(s[i]!));
  if (max === 0 || (max < 1e100 && max > 1e-100)) return [a, b];
  const f = 2 ** -Math.round(Math.log2(max));
  return [a.map((x) => x * f), b.map((x) => x * f)];
}

/** A sample set prepared for the estimator: points, a tree over them, and group labels. */
export interface SampleSet {
  pts: Float64Array;
  n: number;
  d: number;
  tree: KdTree;
  /** Copies of the same original point share a group (bootstrap); default: the point index. */
  groups: Int32Array;
}

/**
 * Builds a {@link SampleSet} (points plus a k-d tree); `groups` label copies of one original point.
 *
 * @example
 * const s = sampleSet(new Float64Array([0, 0, 1, 1]), 2, 2); // two 2-D points
 */
export function sampleSet(pts: Float64Array, n: number, d: number, groups?: Int32Array): SampleSet {
  const g = groups ?? Int32Array.from({ length: n }, (_, i) => i);
  return { pts, n, d, tree: new KdTree(pts, n, d), groups: g };
}

/**
 * Distance from point i to its k-th nearest neighbour that lies at a positive distance,
 * and the rank used: the smallest rank ≥ k whose distance is > 0 (ties at distance 0, from
 * duplicated points, move to the next distinct neighbour). Returns rank 0 if none exists.
 */
function kthPositive(set: SampleSet, q: Float64Array, off: number, k: number, excludeGroup: number): { dist: number; rank: number } {
  let kk = k;
  for (;;) {
    const nb = set.tree.knn(q, off, kk, excludeGroup >= 0 ? set.groups : undefined, excludeGroup);
    for (let r = k - 1; r < nb.dist.length; r++) if (nb.dist[r]! > 0) return { dist: nb.dist[r]!, rank: r + 1 };
    if (nb.dist.length < kk) return { dist: 0, rank: 0 };
    kk = Math.min(kk * 2, set.n);
    if (kk <= nb.dist.length) return { dist: 0, rank: 0 };
  }
}

/**
 * Distance from a point of the other set to its k-th nearest neighbour in `set` once the
 * neighbours at distance 0 (copies of that very point in `set`) are set aside, and how many
 * were set aside. `dist` is 0 when fewer than k points lie at a positive distance.
 */
function kthBeyondCopies(set: SampleSet, q: Float64Array, off: number, k: number): { dist: number; copies: number } {
  let kk = Math.min(k, set.n);
  for (;;) {
    const nb = set.tree.knn(q, off, kk);
    let copies = 0;
    while (copies < nb.dist.length && nb.dist[copies] === 0) copies++;
    if (copies + k <= nb.dist.length) return { dist: nb.dist[copies + k - 1]!, copies };
    if (kk >= set.n) return { dist: 0, copies };
    kk = Math.min(Math.max(kk * 2, copies + k), set.n);
  }
}

/**
 * The k-nearest-neighbour estimate of KL(X‖Y) from samples x₁..xₙ ~ X and y₁..yₘ ~ Y in d
 * dimensions (Wang, Kulkarni & Verdú 2009; Pérez-Cruz 2008):
 *
 *   D̂ = (d/n) Σᵢ log(νₖ(i)/ρₖ(i)) + log(m/(n − 1)),
 *
 * ρₖ(i) the distance from xᵢ to its k-th nearest neighbour among the other x's, νₖ(i) to its
 * k-th nearest neighbour among the y's. Consistent as n, m → ∞ for fixed k. Where duplicated
 * x's put a k-th neighbour at distance 0, the next neighbour at a positive distance is used
 * (rank lᵢ for ρ) with the correction (1/n) Σ [ψ(lᵢ) − ψ(k)] of WKV's general form. A y equal
 * to xᵢ (a sample in both sets) is the same point, so like xᵢ itself it is not its neighbour:
 * the cᵢ copies are set aside and log(m/(n − 1)) becomes the mean of log((m − cᵢ)/(n − 1)).
 * Two identical sets then give exactly 0.
 *
 * @example
 * const x = sampleSet(new Float64Array([0, 1, 2, 3]), 4, 1);
 * const y = sampleSet(new Float64Array([0.5, 1.5, 2.5, 3.5]), 4, 1);
 * knnKlSets(x, y, 1); // a (noisy) estimate of KL(X‖Y)
 */
export function knnKlSets(x: SampleSet, y: SampleSet, k: number, names: [string, string] = ['the first set', 'the second set']): number {
  const { n, d } = x;
  const m = y.n;
  if (n < k + 1) throw new DataError(`kNN estimator: needs more than k = ${k} samples in ${names[0]}, got ${n}`);
  if (m < k) throw new DataError(`kNN estimator: needs at least k = ${k} samples in ${names[1]}, got ${m}`);
  let sumLog = 0;
  let sumPsi = 0;
  let sumLogM = 0;
  for (let i = 0; i < n; i++) {
    const rho = kthPositive(x, x.pts, i * d, k, x.groups[i]!);
    const nu = kthBeyondCopies(y, x.pts, i * d, k);
    if (rho.rank === 0) throw new DataError(`kNN estimator: every sample of ${names[0]} equals its sample ${i}; the estimator needs distinct points`);
    if (nu.dist === 0) throw new DataError(`kNN estimator: fewer than k = ${k} samples of ${names[1]} differ from sample ${i} of ${names[0]}; the estimator needs distinct points`);
    sumLog += Math.log(nu.dist) - Math.log(rho.dist);
    if (rho.rank !== k) sumPsi += digammaInt(rho.rank) - digammaInt(k);
    sumLogM += nu.copies === 0 ? 0 : Math.log((m - nu.copies) / m);
  }
  return (d / n) * sumLog + sumPsi / n + sumLogM / n + Math.log(m / (n - 1));
}

/**
 * kNN estimate of KL(A‖B) between two sample matrices (rows = samples, same number of columns).
 *
 * @example
 * knnKl({ data: new Float64Array([0, 1, 2, 3]), rows: 4, cols: 1 }, { data: new Float64Array([0.5, 1.5, 2.5, 9]), rows: 4, cols: 1 });
 */
export function knnKl(a: Matrix, b: Matrix, opts: { k?: number } = {}): number {
  if (a.cols !== b.cols) throw new DataError(`dimension mismatch: A has ${a.cols} columns, B has ${b.cols}`);
  const k = opts.k ?? 1;
  const [pa, pb] = scaleTogether(toFloat64(a), toFloat64(b));
  return knnKlSets(sampleSet(pa, a.rows, a.cols), sampleSet(pb, b.rows, b.cols), k, ['A', 'B']);
}
