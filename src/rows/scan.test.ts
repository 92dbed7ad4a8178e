// The row rules, read as a spec: what each input kind accepts, what it refuses, and the message.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../errors.js';
import { scanError, scanRow, type RowRule } from './scan.js';
import { NotNormalizedError } from './messages.js';
import { SUM_TOLERANCE, SUM_TOLERANCE_FLOAT32, sumTolerance } from './tolerance.js';

const rule = (from: RowRule['from'], extra: Partial<RowRule> = {}): RowRule => ({ from, tolerance: SUM_TOLERANCE, ...extra });
const message = (x: ArrayLike<number>, r: RowRule, row?: number) => scanError(scanRow(x, 0, x.length, r), r, { name: 'p', row }, x.length)?.message;

describe('row rules: probabilities', () => {
  test('finite and >= 0, summing to 1 within the tolerance', () => {
    assert.equal(scanRow([0.5, 0.5, 0], 0, 3, rule('probs')).problem, null);
    assert.equal(scanRow([0.5, 0.5 + 9e-7], 0, 2, rule('probs')).problem, null);
    assert.equal(message([0.5, -0.1], rule('probs'), 3), 'invalid p[3][1]: expected a finite number >= 0, got -0.1');
    assert.equal(message([NaN, 1], rule('probs')), 'invalid p[0]: expected a finite number >= 0, got NaN');
    assert.equal(message([Infinity, 0], rule('probs')), 'invalid p[0]: expected a finite number >= 0, got Infinity');
  });
  test('all zero is no distribution; an off sum names how far off and the option that rescales it', () => {
    assert.equal(message([0, 0], rule('probs')), 'invalid p: all 2 values are 0, so it is no distribution');
    const e = scanError(scanRow([0.5, 0.4], 0, 2, rule('probs')), rule('probs'), { name: 'p' }, 2)!;
    assert.ok(e instanceof NotNormalizedError && e instanceof DataError && e.exitCode === 1);
    assert.equal(e.message, 'invalid p: values sum to 0.9 (off by 0.100, relative tolerance 1e-6); pass normalize: true to rescale it');
    assert.match((e as NotNormalizedError).withFix('--normalize').message, /; pass --normalize to rescale it$/);
  });
  test('normalize: the sum becomes the divisor; without it the divisor is 1', () => {
    const s = scanRow([2, 1, 1], 0, 3, rule('probs', { normalize: true }));
    assert.deepEqual([s.problem, s.divisor, s.sum, s.argmax], [null, 4, 4, 0]);
    assert.equal(scanRow([0.25, 0.75], 0, 2, rule('probs')).divisor, 1);
  });
});

describe('row rules: log-probabilities', () => {
  test('<= 0 up to 1e-6 of rounding, −Infinity allowed, NaN and +Infinity refused', () => {
    assert.equal(scanRow([Math.log(0.5), Math.log(0.5), -Infinity], 0, 3, rule('logprobs')).problem, null);
    assert.equal(scanRow([5e-7, -Infinity], 0, 2, rule('logprobs')).problem, null);
    assert.equal(message([0.01, -1], rule('logprobs')), 'invalid p[0]: expected a log-probability <= 0 (or -Infinity), got 0.01');
    assert.equal(message([-1, NaN], rule('logprobs')), 'invalid p[1]: expected a log-probability <= 0 (or -Infinity), got NaN');
    assert.equal(message([-Infinity, -Infinity], rule('logprobs')), 'invalid p: all 2 log-probabilities are -Infinity, so it is no distribution');
  });
  test('the sum is Σ exp(x); normalize shifts by the log-sum-exp', () => {
    const x = [Math.log(0.2), Math.log(0.2)];
    assert.match(message(x, rule('logprobs'))!, /values sum to 0\.4 /);
    const s = scanRow(x, 0, 2, rule('logprobs', { normalize: true }));
    assert.ok(Math.abs(s.shift - Math.log(0.4)) < 1e-15);
    assert.equal(scanRow([0, -Infinity], 0, 2, rule('logprobs')).shift, 0);
  });
});

describe('row rules: logits', () => {
  test('finite or −Infinity (masked), not all −Infinity; the shift is the log-sum-exp, without overflow', () => {
    const s = scanRow([1000, 1000, -Infinity], 0, 3, rule('logits'));
    assert.equal(s.problem, null);
    assert.equal(s.shift, 1000 + Math.LN2);
    assert.equal(message([1, Infinity], rule('logits'), 0), 'invalid p[0][1]: expected a finite logit (or -Infinity for a masked token), got Infinity');
    assert.equal(message([-Infinity], rule('logits'), 4), 'invalid p[4]: all 1 logits are -Infinity, so it is no distribution');
  });
  test('an offset reads one row of a matrix; argmax is the first largest', () => {
    const m = new Float32Array([9, 9, 1, 3, 3, 2]);
    const s = scanRow(m, 3, 3, rule('logits'));
    assert.equal(s.argmax, 0);
    assert.ok(Math.abs(s.shift - Math.log(2 * Math.exp(3) + Math.exp(2))) < 1e-14);
  });
});

describe('row rules: every kind', () => {
  test('an empty row is refused before anything else', () => {
    for (const from of ['probs', 'logprobs', 'logits'] as const) assert.equal(message([], rule(from)), 'invalid p: empty row (a distribution needs at least one value)');
  });
  test('default tolerances: 1e-6, and 1e-4 for float32 data; an explicit one wins', () => {
    assert.equal(sumTolerance({}), SUM_TOLERANCE);
    assert.equal(SUM_TOLERANCE, 1e-6);
    assert.equal(sumTolerance({ float32: true }), SUM_TOLERANCE_FLOAT32);
    assert.equal(SUM_TOLERANCE_FLOAT32, 1e-4);
    assert.equal(sumTolerance({ float32: true, tolerance: 0.5 }), 0.5);
  });
});
