import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cholesky, fitSampleGaussian, sampleGaussianKl, type SampleGaussian } from './gaussianFitKl.js';
import { createRng } from '../random.js';

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const g = (mean: number[], cov: number[]): SampleGaussian => ({ d: mean.length, mean: Float64Array.from(mean), cov: Float64Array.from(cov) });

/** KL between 2-D Gaussians by the textbook formula with an explicit 2 × 2 inverse. */
function kl2(m0: number[], S0: number[], m1: number[], S1: number[]): number {
  const det0 = S0[0]! * S0[3]! - S0[1]! * S0[2]!;
  const det1 = S1[0]! * S1[3]! - S1[1]! * S1[2]!;
  const inv = [S1[3]! / det1, -S1[1]! / det1, -S1[2]! / det1, S1[0]! / det1];
  const tr = inv[0]! * S0[0]! + inv[1]! * S0[2]! + inv[2]! * S0[1]! + inv[3]! * S0[3]!;
  const dx = m1[0]! - m0[0]!;
  const dy = m1[1]! - m0[1]!;
  const maha = dx * (inv[0]! * dx + inv[1]! * dy) + dy * (inv[2]! * dx + inv[3]! * dy);
  return 0.5 * (tr + maha - 2 + Math.log(det1 / det0));
}

describe('Gaussian-fit KL', () => {
  test('1-D closed form log(s₂/s₁) + (s₁² + Δ²)/(2s₂²) − ½', () => {
    near(sampleGaussianKl(g([0], [1]), g([1], [1])), 0.5);
    near(sampleGaussianKl(g([0], [4]), g([1], [1])), Math.log(1 / 2) + (4 + 1) / 2 - 0.5);
  });
  test('2-D correlated covariances against the explicit-inverse formula', () => {
    const S0 = [1, 0.3, 0.3, 2];
    const S1 = [1.5, -0.4, -0.4, 0.8];
    near(sampleGaussianKl(g([0, 1], S0), g([1, -0.5], S1)), kl2([0, 1], S0, [1, -0.5], S1));
    near(sampleGaussianKl(g([1, -0.5], S1), g([0, 1], S0)), kl2([1, -0.5], S1, [0, 1], S0));
    near(sampleGaussianKl(g([0, 1], S0), g([0, 1], S0)), 0);
  });
  test('fitSampleGaussian recovers the mean and unbiased covariance of a hand example', () => {
    const f = fitSampleGaussian({ data: new Float64Array([1, 2, 3, 6, 5, 4]), rows: 3, cols: 2 });
    assert.deepEqual(Array.from(f.mean), [3, 4]);
    // Centered rows (−2, −2), (0, 2), (2, 0): Σ = [[8, 4], [4, 8]] / 2.
    assert.deepEqual(Array.from(f.cov), [4, 2, 2, 4]);
  });
  test('large offsets do not cancel digits (two-pass covariance)', () => {
    const rng = createRng(2);
    const data = Float64Array.from({ length: 2000 }, () => 1e9 + rng.normal());
    const f = fitSampleGaussian({ data, rows: 2000, cols: 1 });
    const shifted = fitSampleGaussian({ data: data.map((v) => v - 1e9), rows: 2000, cols: 1 });
    near(f.cov[0]!, shifted.cov[0]!, 1e-6);
  });
  test('singular covariance: ∞, and Cholesky refuses it', () => {
    assert.equal(cholesky(new Float64Array([1, 1, 1, 1]), 2), null);
    assert.equal(sampleGaussianKl(g([0, 0], [1, 1, 1, 1]), g([0, 0], [1, 0, 0, 1])), Infinity);
  });
});
