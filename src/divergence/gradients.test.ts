import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forwardKlGradient, jsdGradient, reverseKlGradient } from './gradients.js';
import { forwardKl, reverseKl } from './kl.js';
import { generalizedJsd } from './jensenShannon.js';

/** softmax by the textbook formula (inputs are small here, so no shift is needed for the check). */
function softmax(z: number[]): number[] {
  const e = z.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Central finite differences of f at z. */
function numericGradient(f: (z: number[]) => number, z: number[], h = 1e-5): number[] {
  return z.map((_, i) => {
    const a = z.slice();
    const b = z.slice();
    a[i]! += h;
    b[i]! -= h;
    return (f(a) - f(b)) / (2 * h);
  });
}

const setup = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.tuple(
    fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((w) => {
      const s = w.reduce((a, b) => a + b, 0);
      return w.map((x) => x / s);
    }),
    fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: n, maxLength: n }),
  ),
);

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
}

describe('gradients with respect to the student logits', () => {
  test('forward KL(P‖Q): q − p matches finite differences', () => {
    fc.assert(
      fc.property(setup, ([p, z]) => {
        close(forwardKlGradient(p, z), numericGradient((x) => forwardKl(p, softmax(x), { normalize: true }), z), 1e-6);
      }),
      { numRuns: 100 },
    );
  });
  test('reverse KL(Q‖P) matches finite differences', () => {
    fc.assert(
      fc.property(setup, ([p, z]) => {
        close(reverseKlGradient(p, z), numericGradient((x) => reverseKl(p, softmax(x), { normalize: true }), z), 1e-6);
      }),
      { numRuns: 100 },
    );
  });
  test('JSD(β) matches finite differences for several β', () => {
    for (const beta of [0.2, 0.5, 0.8]) {
      fc.assert(
        fc.property(setup, ([p, z]) => {
          close(jsdGradient(p, z, { beta }), numericGradient((x) => generalizedJsd(p, softmax(x), { beta, normalize: true }), z), 1e-6);
        }),
        { numRuns: 50 },
      );
    }
  });
  test('gradients sum to zero (softmax is shift invariant)', () => {
    fc.assert(
      fc.property(setup, ([p, z]) => {
        for (const g of [forwardKlGradient(p, z), reverseKlGradient(p, z), jsdGradient(p, z)]) {
          assert.ok(Math.abs(g.reduce((a, b) => a + b, 0)) < 1e-12);
        }
      }),
    );
  });
  test('reverse KL gradient is infinite where the teacher has p = 0', () => {
    const g = reverseKlGradient([1, 0], [0, 0]);
    assert.equal(g[1], Infinity);
  });
});
