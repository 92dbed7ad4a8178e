import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { contextOptima, evaluateTable, modeStats, teacherHeldOutNll, type EvalSet } from './evaluate.js';
import { entropy } from '../divergence/entropy.js';
import { forwardKl, reverseKl } from '../divergence/kl.js';

const P = [
  [0.6, 0.3, 0.05, 0.05],
  [0.6, 0.05, 0.3, 0.05],
  [0.1, 0.2, 0.3, 0.4],
];
const set: EvalSet = {
  teacherLogProbs: Float64Array.from(P.flat(), Math.log),
  contexts: Int32Array.of(0, 0, 1),
  targets: Uint8Array.of(0, 2, 3),
  vocab: 4,
};
const Q = [
  [0.5, 0.2, 0.2, 0.1],
  [0.25, 0.25, 0.25, 0.25],
];
const table = Float64Array.from(Q.flat(), Math.log);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('evaluateTable', () => {
  test('means of the library measures with P = teacher row, Q = the context row', () => {
    const e = evaluateTable(table, set);
    const q = (i: number) => Q[set.contexts[i]!]!;
    assert.ok(Math.abs(e.forwardKl - mean(P.map((p, i) => forwardKl(p, q(i))))) < 1e-14);
    assert.ok(Math.abs(e.reverseKl - mean(P.map((p, i) => reverseKl(p, q(i))))) < 1e-14);
    assert.ok(Math.abs(e.studentEntropy - mean(P.map((_, i) => entropy(q(i))))) < 1e-14);
    assert.ok(Math.abs(e.teacherEntropy - mean(P.map((p) => entropy(p)))) < 1e-14);
  });
  test('teacherHeldOutNll is the mean −log p of the observed tokens', () => {
    assert.ok(Math.abs(teacherHeldOutNll(set) - -(Math.log(0.6) + Math.log(0.3) + Math.log(0.4)) / 3) < 1e-15);
  });
});

describe('contextOptima', () => {
  const o = contextOptima(set, 3);
  test('forward optimum = arithmetic mean of the teacher rows of each context; unseen context uniform', () => {
    const want = [0.6, 0.175, 0.175, 0.05];
    want.forEach((w, i) => assert.ok(Math.abs(Math.exp(o.forwardTable[i]!) - w) < 1e-15));
    P[2]!.forEach((w, i) => assert.ok(Math.abs(Math.exp(o.forwardTable[4 + i]!) - w) < 1e-15));
    for (let i = 8; i < 12; i++) assert.ok(Math.abs(o.forwardTable[i]! + Math.log(4)) < 1e-15);
  });
  test('reverse optimum = normalized geometric mean; its value is −mean log Z', () => {
    const g = P[0]!.map((a, i) => Math.sqrt(a * P[1]![i]!));
    const Z = g.reduce((s, x) => s + x, 0);
    g.forEach((x, i) => assert.ok(Math.abs(Math.exp(o.reverseTable[i]!) - x / Z) < 1e-15));
    // Context 0 holds two positions with −log Z each; context 1 is matched exactly (0).
    assert.ok(Math.abs(o.reverseKl - (2 * -Math.log(Z)) / 3) < 1e-14);
    assert.ok(o.reverseEntropy < o.forwardEntropy);
  });
  test('no other table does better in its own direction (random perturbations)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }), (d) => {
        const perturb = (t: Float64Array) => {
          const out = new Float64Array(12);
          for (let c = 0; c < 3; c++) {
            let s = 0;
            for (let w = 0; w < 4; w++) s += Math.exp(t[c * 4 + w]! + d[c * 4 + w]!);
            for (let w = 0; w < 4; w++) out[c * 4 + w] = t[c * 4 + w]! + d[c * 4 + w]! - Math.log(s);
          }
          return out;
        };
        return evaluateTable(perturb(o.forwardTable), set).forwardKl >= o.forwardKl - 1e-12 && evaluateTable(perturb(o.reverseTable), set).reverseKl >= o.reverseKl - 1e-12;
      }),
      { numRuns: 200 },
    );
  });
});

test('modeStats counts plausible tokens per position', () => {
  // Rows: (0.6, 0.3, 0.05, 0.05): 2 tokens >= 0.1, top >= 0.5, two >= 0.2;
  // (0.6, 0.05, 0.3, 0.05): the same; (0.1, 0.2, 0.3, 0.4): 4 tokens >= 0.1, top < 0.5, three >= 0.2.
  const m = modeStats(set);
  assert.ok(Math.abs(m.meanTokensAbove10Percent - 8 / 3) < 1e-15);
  assert.ok(Math.abs(m.shareTopBelowHalf - 1 / 3) < 1e-15);
  assert.equal(m.shareTwoAbove20Percent, 1);
});
