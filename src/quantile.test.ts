import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sortedQuantile } from './quantile.js';

test('sortedQuantile: numpy\'s linear rule on hand-checked values', () => {
  // numpy.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 2.5, 3.7, 4]
  const s = [1, 2, 3, 4];
  assert.deepEqual([0, 0.25, 0.5, 1].map((f) => sortedQuantile(s, f)), [1, 1.75, 2.5, 4]);
  assert.ok(Math.abs(sortedQuantile(s, 0.9) - 3.7) < 1e-15);
  assert.equal(sortedQuantile([7], 0.3), 7);
  assert.ok(Number.isNaN(sortedQuantile([], 0.5)));
  assert.equal(sortedQuantile([1, Infinity], 0.5), Infinity);
  assert.equal(sortedQuantile([Infinity, Infinity], 0.5), Infinity);
  assert.equal(sortedQuantile([-Infinity, -Infinity, 0], 0.25), -Infinity);
});

test('sortedQuantile is monotone in f and stays within its neighbours', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (xs, f, g) => {
      const s = Float64Array.from(xs).sort();
      const [lo, hi] = f <= g ? [f, g] : [g, f];
      const a = sortedQuantile(s, lo);
      const b = sortedQuantile(s, hi);
      const i = Math.floor(lo * (s.length - 1));
      return a <= b + 1e-9 && a >= s[i]! - 1e-9 && a <= s[Math.min(i + 1, s.length - 1)]! + 1e-9;
    }),
  );
});
