import type { Matrix } from '../divergence/types.js';

/** Mean vector and covariance matrix (row-major d × d, divisor n − 1) of a sample matrix. */
export interface SampleGaussian {
  d: number;
  mean: Float64Array;
  cov: Float64Array;
}

/**
 * Fits a Gaussian to samples: the mean and the unbiased covariance (two passes, so that large
 * offsets do not cancel digits).
 *
 * @example
 * fitSampleGaussian({ data: new Float64Array([0, 2]), rows: 2, cols: 1 }); // mean [1], cov [2]
 */
export function fitSampleGaussian(m: Matrix): SampleGaussian {
  const { rows: n, cols: d, data } = m;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = data[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[a * d + b]! += c[a]! * c[b]!;
  }
  const div = Math.max(n - 1, 1);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b]! /= div;
      cov[b * d + a] = cov[a * d + b]!;
    }
  }
  return { d, mean, cov };
}

/**
 * Lower Cholesky factor of a symmetric matrix, or null when it is not positive definite.
 *
 * @example
 * cholesky(new Float64Array([4, 2, 2, 2]), 2); // Float64Array [2, 0, 1, 1]
 */
export function cholesky(a: Float64Array, d: number): Float64Array | null {
  const l = new Float64Array(d * d);
  // Relative threshold: a pivot this small against the diagonal means a (near-)singular matrix.
  let maxDiag = 0;
  for (let i = 0; i < d; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * d + i]!));
  const eps = maxDiag * d * 1e-13;
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= l[j * d + k]! ** 2;
    if (!(s > eps)) return null;
    const ljj = Math.sqrt(s);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!;
      for (let k = 0; k < j; k++) t -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = t / ljj;
    }
  }
  return l;
}

/** Solves L·x = b in place (L lower triangular). */
function forwardSolve(l: Float64Array, d: number, b: Float64Array): Float64Array {
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * b[k]!;
    b[i] = s / l[i * d + i]!;
  }
  return b;
}

/**
 * Closed-form KL(N_a‖N_b) between Gaussians:
 * ½[tr(Σ_b⁻¹Σ_a) + (μ_b − μ_a)ᵀΣ_b⁻¹(μ_b − μ_a) − d + ln det Σ_b − ln det Σ_a],
 * through Cholesky factors: tr(Σ_b⁻¹Σ_a) = ‖L_b⁻¹L_a‖²_F and ln det Σ = 2 Σ ln Lᵢᵢ.
 * +Infinity when a covariance is singular (fewer samples than dimensions, or collinear columns).
 *
 * @example
 * const a = { d: 1, mean: new Float64Array([0]), cov: new Float64Array([1]) };
 * const b = { d: 1, mean: new Float64Array([1]), cov: new Float64Array([1]) };
 * sampleGaussianKl(a, b); // 0.5
 */
export function sampleGaussianKl(a: SampleGaussian, b: SampleGaussian): number {
  const d = a.d;
  const la = cholesky(a.cov, d);
  const lb = cholesky(b.cov, d);
  if (!la || !lb) return Infinity;
  let trace = 0;
  const col = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) col[i] = la[i * d + j]!;
    forwardSolve(lb, d, col);
    for (let i = 0; i < d; i++) trace += col[i]! ** 2;
  }
  const diff = new Float64Array(d);
  for (let i = 0; i < d; i++) diff[i] = b.mean[i]! - a.mean[i]!;
  forwardSolve(lb, d, diff);
  let maha = 0;
  for (let i = 0; i < d; i++) maha += diff[i]! ** 2;
  let logDet = 0;
  for (let i = 0; i < d; i++) logDet += 2 * (Math.log(lb[i * d + i]!) - Math.log(la[i * d + i]!));
  return Math.max(0, 0.5 * (trace + maha - d + logDet));
}
