import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianSamples } from './gaussianSamples.js';
import { createRng } from '../random.js';

describe('gaussianSamples', () => {
  test('sample mean and covariance near N(μ, LLᵀ) (n = 50,000, 6 standard errors)', () => {
    const n = 50_000;
    // L = [[2, 0], [0.5, 1]] → Σ = [[4, 1], [1, 1.25]].
    const m = gaussianSamples(createRng(9), { n, mean: [1, -2], chol: [2, 0, 0.5, 1] });
    let s0 = 0, s1 = 0, c00 = 0, c01 = 0, c11 = 0;
    for (let i = 0; i < n; i++) {
      s0 += m.data[2 * i]!;
      s1 += m.data[2 * i + 1]!;
    }
    const m0 = s0 / n;
    const m1 = s1 / n;
    for (let i = 0; i < n; i++) {
      const a = m.data[2 * i]! - m0;
      const b = m.data[2 * i + 1]! - m1;
      c00 += a * a;
      c01 += a * b;
      c11 += b * b;
    }
    assert.ok(Math.abs(m0 - 1) < 6 * Math.sqrt(4 / n));
    assert.ok(Math.abs(m1 + 2) < 6 * Math.sqrt(1.25 / n));
    // Var of a sample covariance entry ≈ (σ_ii σ_jj + σ_ij²)/n.
    assert.ok(Math.abs(c00 / n - 4) < 6 * Math.sqrt((16 + 16) / n));
    assert.ok(Math.abs(c01 / n - 1) < 6 * Math.sqrt((4 * 1.25 + 1) / n));
    assert.ok(Math.abs(c11 / n - 1.25) < 6 * Math.sqrt((2 * 1.25 ** 2) / n));
  });
});
