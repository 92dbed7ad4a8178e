import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { initTf, tf } from './backend.js';
import { ContextStudent, trainStudent, type StudentData } from './student.js';
import { contextOptima, evaluateTable, type EvalSet } from './evaluate.js';
import { forwardKlLoss } from './losses.js';
import { drawIndex, seededRandom } from '../random.js';

// A constructed teacher: context 0 pools two teacher states that share a main mode (token 0)
// and each have their own second mode (token 1 or 2): the pooled distribution is bimodal
// beyond the shared mode. Context 1 is a single, unimodal teacher state.
const A = [0.6, 0.3, 0.05, 0.05];
const B = [0.6, 0.05, 0.3, 0.05];
const C = [0.1, 0.2, 0.3, 0.4];
const N = 600;
const rnd = seededRandom(11);
const rows = Array.from({ length: N }, (_, i) => (i % 3 === 0 ? A : i % 3 === 1 ? B : C));
const data: StudentData = {
  teacherLogProbs: Float32Array.from(rows.flat(), Math.log),
  contexts: Int32Array.from(rows, (r) => (r === C ? 1 : 0)),
  targets: Uint8Array.from(rows, (r) => drawIndex(r, rnd())),
  numContexts: 2,
  vocab: 4,
};
const set: EvalSet = { teacherLogProbs: Float64Array.from(data.teacherLogProbs), contexts: data.contexts, targets: data.targets, vocab: 4 };
const optima = contextOptima(set, 2);
const probs = (t: Float64Array, c: number) => Array.from(t.subarray(c * 4, c * 4 + 4), Math.exp);
const train = (loss: 'fkl' | 'rkl' | 'jsd' | 'ce', seed = 3) => trainStudent(data, { loss, steps: 400, batch: 128, learningRate: 0.03, seed });

before(async () => {
  await initTf();
});

describe('ContextStudent', () => {
  test('logits look up rows, and the gradient reaches only the rows used (wasm has no gather gradient)', () => {
    const s = new ContextStudent({ contexts: 3, vocab: 2 });
    const t = tf.tensor2d([
      [1, 0],
      [0, 2],
    ]);
    const g = tf.grad((w: tf.Tensor) => forwardKlLoss(t, tf.add(s.logits(tf.tensor1d([2, 2], 'int32')), w)))(tf.zeros([2, 2]));
    // The same gradient through the variable: rows 0 and 1 untouched, row 2 gets the sum.
    const { grads } = tf.variableGrads(() => forwardKlLoss(t, s.logits(tf.tensor1d([2, 2], 'int32'))) as tf.Scalar);
    const gw = Object.values(grads)[0]!.arraySync() as number[][];
    const gRows = g.arraySync() as number[][];
    assert.deepEqual(gw[0], [0, 0]);
    assert.deepEqual(gw[1], [0, 0]);
    assert.ok(Math.abs(gw[2]![0]! - (gRows[0]![0]! + gRows[1]![0]!)) < 1e-7);
    // By hand: ((q − p) for both rows)/2 at q = ½: (½ − σ(1) + ½ − 1/(1 + e²))/2.
    const want = (0.5 - 1 / (1 + Math.exp(-1)) + 0.5 - 1 / (1 + Math.exp(2))) / 2;
    assert.ok(Math.abs(gw[2]![0]! - want) < 1e-6 && Math.abs(gw[2]![1]! + want) < 1e-6);
    s.dispose();
  });
});

describe('trainStudent on a constructed teacher', () => {
  test('forward-KL student approaches the exact optimum (the per-context average of the teacher)', async () => {
    const s = await train('fkl');
    const gap = evaluateTable(s.logProbs, set).forwardKl - optima.forwardKl;
    assert.ok(gap >= -1e-12 && gap < 2e-3, `gap ${gap}`);
    probs(s.logProbs, 0).forEach((q, i) => assert.ok(Math.abs(q - [0.6, 0.175, 0.175, 0.05][i]!) < 0.03, `q[${i}] = ${q}`));
  });
  test('reverse-KL student approaches the normalized geometric mean and is sharper than the forward-KL one', async () => {
    const [f, r] = [await train('fkl'), await train('rkl')];
    const gap = evaluateTable(r.logProbs, set).reverseKl - optima.reverseKl;
    assert.ok(gap >= -1e-12 && gap < 2e-3, `gap ${gap}`);
    const ef = evaluateTable(f.logProbs, set);
    const er = evaluateTable(r.logProbs, set);
    assert.ok(er.studentEntropy < ef.studentEntropy - 0.05, `${er.studentEntropy} vs ${ef.studentEntropy}`);
    assert.ok(ef.forwardKl < er.forwardKl && er.reverseKl < ef.reverseKl);
    // The unimodal context is learned the same way by both.
    probs(r.logProbs, 1).forEach((q, i) => assert.ok(Math.abs(q - C[i]!) < 0.03));
  });
  test('cross-entropy student learns the observed next-token frequencies', async () => {
    const s = await train('ce');
    for (const c of [0, 1]) {
      const freq = [0, 0, 0, 0];
      let n = 0;
      data.contexts.forEach((cc, i) => {
        if (cc === c) {
          freq[data.targets[i]!]!++;
          n++;
        }
      });
      probs(s.logProbs, c).forEach((q, i) => assert.ok(Math.abs(q - freq[i]! / n) < 0.04, `context ${c} token ${i}: ${q} vs ${freq[i]! / n}`));
    }
  });
  test('the same seed gives the same student', async () => {
    const [a, b] = [await train('jsd', 5), await train('jsd', 5)];
    assert.deepEqual(Array.from(a.logProbs), Array.from(b.logProbs));
  });
});
