import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { meanAndUncertainty, meanCovariance, sortedQuantile } from './llamaStats.js';

describe("llama.cpp's summary formulas", () => {
  test('mean ± uncertainty: sqrt(var/(N−1)) only when N > 10', () => {
    const xs = Array.from({ length: 12 }, (_, i) => i + 1); // 1..12
    const s = xs.reduce((a, b) => a + b, 0); // 78
    const s2 = xs.reduce((a, b) => a + b * b, 0); // 650
    const r = meanAndUncertainty(s, s2, 12);
    assert.equal(r.mean, 6.5);
    // population variance of 1..12 is (144 − 1)/12 = 143/12
    assert.ok(Math.abs(r.stderr - Math.sqrt(143 / 12 / 11)) < 1e-15);
    assert.equal(meanAndUncertainty(55, 385, 10).stderr, 0);
    assert.deepEqual(meanAndUncertainty(0, 0, 0), { mean: 0, stderr: 0 });
  });

  test('covariance of the means, 0 below 10 values', () => {
    // a = 1..10, b = 2a: cov = 2·var(a)/(N − 1) with var(a) = 8.25
    const a = Array.from({ length: 10 }, (_, i) => i + 1);
    const sa = 55;
    const sb = 110;
    const sab = a.reduce((s, x) => s + 2 * x * x, 0);
    assert.ok(Math.abs(meanCovariance(sa, sb, sab, 10) - (2 * 8.25) / 9) < 1e-12);
    assert.equal(meanCovariance(1, 1, 1, 9), 0);
  });

  test('quantiles interpolate at f·(N − 1); the median of an even count is the middle mean', () => {
    const v = Float64Array.from([1, 2, 4, 8]);
    assert.equal(sortedQuantile(v, 0.5), 3);
    assert.equal(sortedQuantile(v, 0), 1);
    assert.equal(sortedQuantile(v, 1), 8);
    assert.ok(Math.abs(sortedQuantile(v, 0.9) - (0.3 * 4 + 0.7 * 8)) < 1e-12); // index 2.7: 0.3·4 + 0.7·8
    assert.equal(sortedQuantile([5], 0.3), 5);
  });
});
