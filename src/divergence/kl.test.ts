import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardKl, reverseKl, klDivergence } from './kl.js';
import { divergenceMeasures, divergenceRows } from './measures.js';
import { DataError } from '../errors.js';

describe('forward and reverse KL, hand-checked', () => {
  test('two-point distributions against the closed form', () => {
    // KL((a,1−a)‖(b,1−b)) = a ln(a/b) + (1−a) ln((1−a)/(1−b))
    const a = 0.7;
    const b = 0.2;
    const expected = a * Math.log(a / b) + (1 - a) * Math.log((1 - a) / (1 - b));
    assert.ok(Math.abs(forwardKl([a, 1 - a], [b, 1 - b]) - expected) < 1e-15);
    const rev = b * Math.log(b / a) + (1 - b) * Math.log((1 - b) / (1 - a));
    assert.ok(Math.abs(reverseKl([a, 1 - a], [b, 1 - b]) - rev) < 1e-15);
  });
  test('zero rules: p = 0 contributes nothing, q = 0 under p > 0 is infinite', () => {
    assert.ok(Math.abs(forwardKl([0, 1], [0.5, 0.5]) - Math.LN2) < 1e-15);
    assert.equal(forwardKl([0.5, 0.5], [0, 1]), Infinity);
    assert.equal(reverseKl([0.5, 0.5], [0, 1]), Math.LN2);
    assert.equal(forwardKl([0, 1], [0, 1]), 0);
  });
  test('the infinite column is named', () => {
    const m = divergenceMeasures([0.2, 0.3, 0.5, 0], [0.5, 0, 0.2, 0.3]);
    assert.equal(m.forward, Infinity);
    assert.equal(m.infiniteAt.forward, 1);
    assert.equal(m.reverse, Infinity);
    assert.equal(m.infiniteAt.reverse, 3);
    assert.ok(Number.isFinite(m.jsDivergence) && m.jsDivergence > 0);
  });
  test('log-probabilities with -Infinity are zeros', () => {
    const lp = [Math.log(0.5), Math.log(0.5), -Infinity];
    const lq = [Math.log(0.25), Math.log(0.25), Math.log(0.5)];
    assert.ok(Math.abs(forwardKl(lp, lq, { from: 'logprobs' }) - Math.LN2) < 1e-15);
    assert.equal(reverseKl(lp, lq, { from: 'logprobs' }), Infinity);
  });
  test('masked logits (-Infinity) are zero-probability tokens', () => {
    const k = forwardKl([0, 0, -Infinity], [0, 0, 0], { from: 'logits' });
    assert.ok(Math.abs(k - Math.log(1.5)) < 1e-15); // p=(½,½,0), q=(⅓,⅓,⅓): ln(3/2)
  });
  test('float32 input accumulates in float64', () => {
    const p = new Float32Array([0.5, 0.3, 0.2]);
    const q = new Float32Array([0.4, 0.4, 0.2]);
    const expected = forwardKl(Array.from(p), Array.from(q), { tolerance: 1e-6 });
    assert.equal(forwardKl(p, q), expected);
  });
  test('uniform vs one-hot: ln V', () => {
    const V = 1000;
    const u = new Float64Array(V).fill(1 / V);
    const h = new Float64Array(V);
    h[7] = 1;
    assert.ok(Math.abs(forwardKl(h, u, { tolerance: 1e-9 }) - Math.log(V)) < 1e-12);
  });
  test('klDivergence is KL(first‖second)', () => {
    assert.equal(klDivergence([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]), forwardKl([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]));
  });
});

describe('bad input', () => {
  const msg = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof DataError, `expected DataError, got ${e}`);
      return (e as Error).message;
    }
    assert.fail('expected an error');
  };
  test('negative, NaN and infinite probabilities name the argument, column and value', () => {
    assert.equal(msg(() => forwardKl([0.5, 0.5], [1.1, -0.1])), 'invalid q[1]: expected a finite number >= 0, got -0.1');
    assert.equal(msg(() => forwardKl([NaN, 1], [0.5, 0.5])), 'invalid p[0]: expected a finite number >= 0, got NaN');
    assert.equal(msg(() => forwardKl([0.5, 0.5], [Infinity, 0])), 'invalid q[0]: expected a finite number >= 0, got Infinity');
  });
  test('rows and columns in a matrix', () => {
    const m = msg(() => divergenceRows([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5], [0.6, -0.1]]));
    assert.equal(m, 'invalid q[2][1]: expected a finite number >= 0, got -0.1');
  });
  test('shape mismatch and empty rows', () => {
    assert.match(msg(() => forwardKl([0.5, 0.5], [1 / 3, 1 / 3, 1 / 3])), /shape mismatch: p has 2 values, q has 3/);
    assert.match(msg(() => forwardKl([], [])), /invalid p: empty row/);
    assert.match(msg(() => divergenceRows([[0.5, 0.5], [0.5, 0.5]], [[1, 0], [1, 0], [1, 0]])), /p has 2 rows, q has 3/);
  });
  test('unnormalized rows say how far off and how to normalize', () => {
    const m = msg(() => forwardKl([0.5, 0.4], [0.5, 0.5]));
    assert.match(m, /invalid p: values sum to 0\.9 \(off by 0\.1(00)?, relative tolerance 1e-6\); pass normalize: true to rescale it$/);
    // the library names its option, never a command-line flag
    assert.doesNotMatch(m, /--/);
    assert.ok(Math.abs(forwardKl([5, 4], [1, 1], { normalize: true }) - forwardKl([5 / 9, 4 / 9], [0.5, 0.5])) < 1e-15);
  });
  test('float32 rows get the looser tolerance', () => {
    const p = new Float32Array([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
    assert.doesNotThrow(() => forwardKl(p, p));
    assert.throws(() => forwardKl(new Float32Array([0.5, 0.499]), new Float32Array([0.5, 0.5])), /sum to/);
  });
  test('logit and log-probability rules', () => {
    assert.equal(msg(() => forwardKl([0, NaN], [0, 0], { from: 'logits' })), 'invalid p[1]: expected a finite logit (or -Infinity for a masked token), got NaN');
    assert.match(msg(() => forwardKl([-Infinity, -Infinity], [0, 0], { from: 'logits' })), /all 2 logits are -Infinity/);
    assert.match(msg(() => forwardKl([0.5, -1], [-1, -1], { from: 'logprobs' })), /invalid p\[0\]: expected a log-probability <= 0/);
  });
});
