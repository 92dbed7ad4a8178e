import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuantileSketch } from './sketch.js';

describe('QuantileSketch', () => {
  test('every order statistic is within the relative error α (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((x) => x === 0 || Math.abs(x) > 1e-300), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(0.001, 0.005, 0.02),
        (xs, alpha) => {
          const s = new QuantileSketch(alpha);
          for (const x of xs) s.add(x);
          const sorted = xs.slice().sort((a, b) => a - b);
          sorted.forEach((x, k) => {
            const y = s.orderStatistic(k);
            assert.ok(Math.abs(y - x) <= alpha * Math.abs(x) * (1 + 1e-9), `k=${k}: ${y} vs ${x}`);
          });
          // interpolated quantiles: within α of the two neighbours' magnitudes
          for (const f of [0.001, 0.1, 0.5, 0.9, 0.999]) {
            const r = f * (sorted.length - 1);
            const i = Math.floor(r);
            const w = r - i;
            const lo = sorted[i]!;
            const hi = sorted[Math.min(i + 1, sorted.length - 1)]!;
            const exact = lo + w * (hi - lo);
            const bound = alpha * ((1 - w) * Math.abs(lo) + w * Math.abs(hi)) * (1 + 1e-9) + 1e-12 * Math.abs(exact);
            assert.ok(Math.abs(s.quantile(f) - exact) <= bound, `f=${f}`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('merging sketches gives the sketch of all values; min, max and zeros are exact', () => {
    const a = new QuantileSketch(0.01);
    const b = new QuantileSketch(0.01);
    const all = new QuantileSketch(0.01);
    const xs = [0, 0, -3.5, 1e-9, 2, 7, 7, 0.25, -1e-4, 1000];
    xs.forEach((x, i) => {
      (i % 2 ? a : b).add(x);
      all.add(x);
    });
    a.merge(QuantileSketch.fromJSON(JSON.parse(JSON.stringify(b.toJSON()))));
    assert.deepEqual(a.toJSON(), all.toJSON());
    assert.equal(a.quantile(0), -3.5);
    assert.equal(a.quantile(1), 1000);
    assert.equal(a.orderStatistic(2), 0); // sorted: −3.5, −1e-4, 0, 0, …
    assert.equal(a.count, 10);
  });

  test('+Infinity ranks last; NaN is refused', () => {
    const s = new QuantileSketch();
    s.add(1);
    s.add(Infinity);
    assert.equal(s.quantile(1), Infinity);
    assert.throws(() => s.add(NaN), /NaN/);
  });
});
