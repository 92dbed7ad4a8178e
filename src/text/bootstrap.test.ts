import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { percentileInterval } from './bootstrap.js';
import { createRng } from '../random.js';

describe('percentile interval', () => {
  test('linear-interpolated quantiles, as numpy.percentile', () => {
    assert.deepEqual(percentileInterval([3, 1, 2, 5, 4], 0.5), [2, 4]);
    // numpy.percentile(range(11), [2.5, 97.5]) = [0.25, 9.75]
    const [lo, hi] = percentileInterval(Array.from({ length: 11 }, (_, i) => i), 0.95);
    assert.ok(Math.abs(lo - 0.25) < 1e-12 && Math.abs(hi - 9.75) < 1e-12, `${lo}, ${hi}`);
    assert.deepEqual(percentileInterval([1, 2, Infinity, Infinity], 0.5), [1.75, Infinity]);
  });
  test('a bootstrap interval of a sample mean covers the true mean about 95% of the time', () => {
    const rng = createRng(5);
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const x = Array.from({ length: 50 }, () => rng.normal());
      const reps: number[] = [];
      for (let b = 0; b < 200; b++) {
        let s = 0;
        for (let i = 0; i < 50; i++) s += x[rng.int(50)]!;
        reps.push(s / 50);
      }
      const [lo, hi] = percentileInterval(reps);
      if (lo <= 0 && 0 <= hi) covered++;
    }
    // Binomial(200, 0.95): sd ≈ 3.1 trials; percentile intervals undercover slightly at n = 50.
    assert.ok(covered >= 170 && covered <= 200, `covered ${covered}/200`);
  });
});
