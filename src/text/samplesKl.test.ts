import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { samplesDivergence } from './samplesKl.js';
import { createRng } from '../random.js';
import { gaussianSamples } from './gaussianSamples.js';
import { DataError } from '../errors.js';

describe('samplesDivergence', () => {
  const a = gaussianSamples(createRng(1), { n: 800, mean: [0, 0], chol: [1, 0, 0, 1] });
  const b = gaussianSamples(createRng(2), { n: 600, mean: [1, 0], chol: [1, 0, 0, 1] });
  test('JSON shape, forward = KL(A‖B), bootstrap intervals around the estimates, reproducible by seed', () => {
    const r = samplesDivergence(a, b, { bootstrap: 30, seed: 3 });
    assert.deepEqual(Object.keys(r).slice(0, 4), ['dim', 'n', 'knn', 'gaussian']);
    assert.deepEqual([r.dim, r.n.a, r.n.b], [2, 800, 600]);
    const [lo, hi] = r.knn.forwardCi!;
    assert.ok(lo < hi && lo < 0.5 + 0.3 && hi > 0.5 - 0.3, `CI [${lo}, ${hi}] should be near KL = 0.5`);
    assert.ok(r.knn.reverseCi![0] < r.knn.reverseCi![1]);
    // Exact KL is ½·1² = 0.5 both ways; the Gaussian fit of 600–800 samples is close.
    assert.ok(Math.abs(r.gaussian.forward - 0.5) < 0.15 && Math.abs(r.gaussian.reverse - 0.5) < 0.15);
    assert.equal(r.histogram, undefined);
    const again = samplesDivergence(a, b, { bootstrap: 30, seed: 3 });
    assert.deepEqual(again.knn, r.knn);
    assert.equal(samplesDivergence(a, b, { bootstrap: 0 }).knn.forwardCi, null);
  });
  test('1-D data adds the histogram estimate', () => {
    const x = { data: a.data.filter((_, i) => i % 2 === 0), rows: 800, cols: 1 };
    const y = { data: b.data.filter((_, i) => i % 2 === 0), rows: 600, cols: 1 };
    const r = samplesDivergence(x, y, { bootstrap: 0, bins: 20 });
    assert.equal(r.histogram!.bins, 20);
    assert.ok(Math.abs(r.histogram!.forward - 0.5) < 0.2);
  });
  test('tiny sets: degenerate bootstrap resamples (copies of one point) are skipped and counted', () => {
    const x = { data: new Float64Array([0, 1, 2]), rows: 3, cols: 1 };
    // A resample of 3 from 3 is one point repeated with probability 3/27; A or B: 1 − (8/9)² ≈ 21%.
    const r = samplesDivergence(x, x, { bootstrap: 60, seed: 1, bins: 3 });
    assert.ok(r.knn.skippedReplicates > 0 && r.knn.skippedReplicates < 30, `${r.knn.skippedReplicates}`);
    assert.notEqual(r.knn.forwardCi, null);
  });
  test('different dimensions and too few samples are data errors', () => {
    const c = { data: new Float64Array(9), rows: 3, cols: 3 };
    assert.throws(() => samplesDivergence(a, c), (e: Error) => e instanceof DataError && /dimension mismatch: A has 2 columns, B has 3/.test(e.message));
    assert.throws(() => samplesDivergence({ data: new Float64Array([1, 2]), rows: 1, cols: 2 }, a), /A: the kNN estimator with k = 1 needs at least 2 samples, got 1/);
  });
});
