import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { logSoftmax, logSumExp } from './logSumExp.js';

test('logSumExp: exact on closed forms, no overflow, −Infinity rows and ranges', () => {
  assert.equal(logSumExp([1000, 1000]), 1000 + Math.LN2);
  assert.equal(logSumExp([-1000, -1000]), -1000 + Math.LN2);
  assert.equal(logSumExp([]), -Infinity);
  assert.equal(logSumExp([-Infinity, -Infinity]), -Infinity);
  assert.equal(logSumExp([0, Infinity]), Infinity);
  assert.equal(logSumExp([7, 0, 0, 7], 1, 2), Math.LN2);
});

test('logSoftmax: its exponentials sum to 1 and it is shift-invariant', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.double({ min: -500, max: 500, noNaN: true }), (x, c) => {
      const a = logSoftmax(x);
      const b = logSoftmax(x.map((v) => v + c));
      assert.ok(Math.abs(a.reduce((s, v) => s + Math.exp(v), 0) - 1) < 1e-12);
      for (let i = 0; i < x.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-10 * Math.max(1, Math.abs(c)));
    }),
  );
});
