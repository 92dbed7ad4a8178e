import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { divergenceMeasures, divergenceRows, MEASURE_KEYS } from './measures.js';
import { generalizedJsd, jsDivergence } from './jensenShannon.js';
import { totalVariation } from './totalVariation.js';
import { entropy } from './entropy.js';

describe('all measures of a row', () => {
  test('hand calculation for P=(½,½,0), Q=(¼,¼,½)', () => {
    const m = divergenceMeasures([0.5, 0.5, 0], [0.25, 0.25, 0.5]);
    assert.ok(Math.abs(m.forward - Math.LN2) < 1e-15); // 2·½·ln 2
    assert.equal(m.reverse, Infinity);
    assert.equal(m.infiniteAt.reverse, 2);
    assert.ok(Math.abs(m.entropyP - Math.LN2) < 1e-15);
    assert.ok(Math.abs(m.entropyQ - 1.5 * Math.LN2) < 1e-15);
    assert.ok(Math.abs(m.crossEntropyPQ - 2 * Math.LN2) < 1e-15);
    assert.equal(m.crossEntropyQP, Infinity);
    // M = (3/8, 3/8, 1/4): JS = ½[ln(4/3)] + ½[½ ln(2/3) + ½ ln 2]
    const js = 0.5 * Math.log(4 / 3) + 0.5 * (0.5 * Math.log(2 / 3) + 0.5 * Math.log(2));
    assert.ok(Math.abs(m.jsDivergence - js) < 1e-15);
    assert.equal(m.tvd, 0.5);
  });
  test('generalized JSD(β) against the direct formula', () => {
    const p = [0.6, 0.3, 0.1];
    const q = [0.1, 0.2, 0.7];
    for (const beta of [0.1, 0.3, 0.5, 0.9]) {
      const m = p.map((x, i) => beta * x + (1 - beta) * q[i]!);
      const kl = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * Math.log(x / b[i]!), 0);
      const expected = beta * kl(p, m) + (1 - beta) * kl(q, m);
      assert.ok(Math.abs(generalizedJsd(p, q, { beta }) - expected) < 1e-15, `beta ${beta}`);
    }
  });
  test('JS divergence does not underflow the mixture for tiny log-probabilities', () => {
    // log p = −800 is 0 in float64, yet its contribution to JS is well defined and tiny.
    const js = jsDivergence([0, -800], [-800, 0], { from: 'logits' });
    assert.ok(Math.abs(js - Math.LN2) < 1e-12);
  });
  test('TV and entropy', () => {
    assert.equal(totalVariation([1, 0], [0, 1]), 1);
    assert.ok(Math.abs(entropy([0.25, 0.25, 0.25, 0.25]) - Math.log(4)) < 1e-15);
  });
  test('batched rows, broadcasting one P against many Q, and the mean', () => {
    const r = divergenceRows([[0.5, 0.5]], [[0.5, 0.5], [0.9, 0.1], [0.1, 0.9]]);
    assert.equal(r.rows.length, 3);
    assert.equal(r.rows[0]!.forward, 0);
    assert.ok(Math.abs(r.rows[1]!.forward - r.rows[2]!.forward) < 1e-15);
    for (const k of MEASURE_KEYS) {
      const mean = r.rows.reduce((s, x) => s + x[k], 0) / 3;
      assert.ok(Math.abs(r.mean[k] - mean) < 1e-15);
    }
  });
  test('Matrix input (Float32Array [T×V])', () => {
    const data = new Float32Array([0.5, 0.5, 0.9, 0.1]);
    const r = divergenceRows({ data, rows: 2, cols: 2 }, { data: new Float32Array([0.9, 0.1, 0.5, 0.5]), rows: 2, cols: 2 });
    assert.ok(r.rows[0]!.forward > 0 && r.rows[0]!.forward === r.rows[1]!.reverse);
  });
});
