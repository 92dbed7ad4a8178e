import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { digammaInt, knnKl } from './knnKl.js';
import { createRng } from '../random.js';
import { gaussianSamples } from './gaussianSamples.js';

/** KL(N(m1, diag s1²) ‖ N(m2, diag s2²)), summed over independent coordinates. */
function klDiag(m1: number[], s1: number[], m2: number[], s2: number[]): number {
  let t = 0;
  for (let j = 0; j < m1.length; j++) t += Math.log(s2[j]! / s1[j]!) + (s1[j]! ** 2 + (m1[j]! - m2[j]!) ** 2) / (2 * s2[j]! ** 2) - 0.5;
  return t;
}

const diagSamples = (seed: number, n: number, m: number[], s: number[]) => gaussianSamples(createRng(seed), { n, mean: m, chol: [s[0]!, 0, 0, s[1]!] });

describe('kNN KL estimator', () => {
  test('digamma at integers', () => {
    assert.ok(Math.abs(digammaInt(1) + 0.5772156649015329) < 1e-15);
    assert.ok(Math.abs(digammaInt(5) - (-0.5772156649015329 + 1 + 1 / 2 + 1 / 3 + 1 / 4)) < 1e-15);
  });
  test('2-D Gaussians, 5,000 samples each: within 5% of the closed form (mean shift), 10% (different scales), both ways', () => {
    // The estimator's own spread at n = 5,000 is about 3% of KL ≈ 1 (seed to seed), and where
    // one density is wider its tails are sparsely sampled, which biases the estimate down by a
    // few percent; hence the looser bound for the second case.
    const cases: Array<[number[], number[], number[], number[], number]> = [
      [[0, 0], [1, 1], [1.5, 0], [1, 1], 0.05],
      [[0, 0], [1, 1], [1, 1], [1.2, 0.9], 0.1],
    ];
    for (const [m1, s1, m2, s2, tol] of cases) {
      const a = diagSamples(1, 5000, m1, s1);
      const b = diagSamples(101, 5000, m2, s2);
      const f = klDiag(m1, s1, m2, s2);
      const r = klDiag(m2, s2, m1, s1);
      const ef = knnKl(a, b);
      const er = knnKl(b, a);
      assert.ok(Math.abs(ef - f) < tol * f, `KL(A‖B): estimate ${ef}, exact ${f}`);
      assert.ok(Math.abs(er - r) < tol * r, `KL(B‖A): estimate ${er}, exact ${r}`);
    }
  });
  test('equal distributions: close to 0', () => {
    const a = diagSamples(3, 3000, [0, 0], [1, 1]);
    const b = diagSamples(4, 3000, [0, 0], [1, 1]);
    assert.ok(Math.abs(knnKl(a, b, { k: 3 })) < 0.05);
  });
  test('matches the formula evaluated by brute force on a small 1-D set', () => {
    const x = [0, 0.3, 1.1, 2.0, 2.2];
    const y = [0.5, 1.0, 3.0];
    const k = 1;
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      const rho = x.filter((_, j) => j !== i).map((v) => Math.abs(v - x[i]!)).sort((p, q) => p - q)[k - 1]!;
      const nu = y.map((v) => Math.abs(v - x[i]!)).sort((p, q) => p - q)[k - 1]!;
      s += Math.log(nu / rho);
    }
    const expected = s / x.length + Math.log(y.length / (x.length - 1));
    const got = knnKl({ data: Float64Array.from(x), rows: 5, cols: 1 }, { data: Float64Array.from(y), rows: 3, cols: 1 });
    assert.ok(Math.abs(got - expected) < 1e-14, `${got} vs ${expected}`);
  });
  test('duplicated points use the next distinct neighbour with the digamma correction', () => {
    // x₀ and x₁ coincide: their ρ is the distance to the next distinct point (rank 2), + ψ(2) − ψ(1) = 1 each.
    const x = [0, 0, 1, 3];
    const y = [0.5, 2.5];
    const rho = [1, 1, 1, 2];
    const nu = [0.5, 0.5, 0.5, 0.5];
    const expected = rho.reduce((s, r, i) => s + Math.log(nu[i]! / r), 0) / 4 + (1 + 1) / 4 + Math.log(2 / 3);
    const got = knnKl({ data: Float64Array.from(x), rows: 4, cols: 1 }, { data: Float64Array.from(y), rows: 2, cols: 1 });
    assert.ok(Math.abs(got - expected) < 1e-14, `${got} vs ${expected}`);
    assert.throws(() => knnKl({ data: new Float64Array([1, 1, 1]), rows: 3, cols: 1 }, { data: new Float64Array([0, 2]), rows: 2, cols: 1 }), /every sample of A equals its sample 0; the estimator needs distinct points/);
    assert.throws(() => knnKl({ data: new Float64Array([1, 2]), rows: 1, cols: 2 }, { data: new Float64Array([0]), rows: 1, cols: 1 }), /dimension mismatch: A has 2 columns, B has 1/);
  });
});
