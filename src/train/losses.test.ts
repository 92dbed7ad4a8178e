import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initTf, tf } from './backend.js';
import { crossEntropyLoss, forwardKlLoss, jsdLoss, reverseKlLoss, tvdLoss } from './losses.js';
import { forwardKl, reverseKl } from '../divergence/kl.js';
import { generalizedJsd } from '../divergence/jensenShannon.js';
import { totalVariation } from '../divergence/totalVariation.js';
import { forwardKlGradient, jsdGradient, reverseKlGradient } from '../divergence/gradients.js';
import { logSoftmax } from '../rows/logSumExp.js';
import { seededRandom } from '../random.js';
import { ArgumentError } from '../errors.js';

/** Deterministic pseudo-random logits with a spread that makes peaked and flat rows. */
function logits(rows: number, V: number, seed: number, scale = 3): number[][] {
  const rnd = seededRandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: V }, () => scale * (rnd() * 2 - 1)));
}

const softmax = (z: number[]) => Array.from(logSoftmax(z), Math.exp);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const value = (t: tf.Tensor) => t.dataSync()[0]!;

before(async () => {
  const info = await initTf();
  assert.equal(info.backend, 'wasm', `expected the wasm backend, got ${info.backend}: ${info.fallbackReason}`);
});

describe('loss values equal the library measures (batchmean over rows)', () => {
  const T = logits(5, 7, 1);
  const S = logits(5, 7, 2);
  const t = () => tf.tensor2d(T);
  const s = () => tf.tensor2d(S);
  test('forwardKlLoss = mean KL(P‖Q)', () => {
    const want = mean(T.map((r, i) => forwardKl(r, S[i]!, { from: 'logits' })));
    assert.ok(Math.abs(value(forwardKlLoss(t(), s())) - want) < 1e-5 * Math.max(1, want));
  });
  test('reverseKlLoss = mean KL(Q‖P)', () => {
    const want = mean(T.map((r, i) => reverseKl(r, S[i]!, { from: 'logits' })));
    assert.ok(Math.abs(value(reverseKlLoss(t(), s())) - want) < 1e-5 * Math.max(1, want));
  });
  for (const beta of [0.5, 0.2, 0.9]) {
    test(`jsdLoss(β=${beta}) = mean generalized JSD`, () => {
      const want = mean(T.map((r, i) => generalizedJsd(r, S[i]!, { from: 'logits', beta })));
      assert.ok(Math.abs(value(jsdLoss(t(), s(), { beta })) - want) < 1e-6);
    });
  }
  test('tvdLoss = mean TV', () => {
    const want = mean(T.map((r, i) => totalVariation(r, S[i]!, { from: 'logits' })));
    assert.ok(Math.abs(value(tvdLoss(t(), s())) - want) < 1e-6);
  });
  test('temperature divides both logits', () => {
    const want = mean(T.map((r, i) => forwardKl(r.map((x) => x / 2.5), S[i]!.map((x) => x / 2.5), { from: 'logits' })));
    assert.ok(Math.abs(value(forwardKlLoss(t(), s(), { temperature: 2.5 })) - want) < 1e-5);
  });
  test('huge logits stay finite: the reference value 1.1504207652088827', () => {
    const v = value(forwardKlLoss(tf.tensor2d([[1000, 999, 998]]), tf.tensor2d([[998, 999, 1000]])));
    assert.ok(Math.abs(v - 1.1504207652088827) < 1e-5, String(v));
  });
  test('reductions: sum = batchmean × tokens; none gives per-token values', () => {
    const m = value(reverseKlLoss(t(), s()));
    assert.ok(Math.abs(value(reverseKlLoss(t(), s(), { reduction: 'sum' })) - 5 * m) < 1e-5);
    const per = Array.from(reverseKlLoss(t(), s(), { reduction: 'none' }).dataSync());
    per.forEach((v, i) => assert.ok(Math.abs(v - reverseKl(T[i]!, S[i]!, { from: 'logits' })) < 1e-5));
  });
});

describe('mask and shapes', () => {
  test('masked tokens are excluded, even with garbage logits, and batchmean divides by unmasked count', () => {
    const T = logits(4, 5, 3);
    const S = logits(4, 5, 4);
    S[1] = [1e30, -1e30, 0, 0, 0];
    const mask = tf.tensor1d([1, 0, 1, 1]);
    const keep = [0, 2, 3];
    for (const [loss, ref] of [
      [forwardKlLoss, forwardKl],
      [reverseKlLoss, reverseKl],
    ] as const) {
      const v = value(loss(tf.tensor2d(T), tf.tensor2d(S), { mask }));
      const want = mean(keep.map((i) => ref(T[i]!, S[i]!, { from: 'logits' })));
      assert.ok(Number.isFinite(v) && Math.abs(v - want) < 1e-5, `${v} vs ${want}`);
    }
  });
  test('a [batch, time, vocab] tensor with a [batch, time] mask', () => {
    const T = logits(6, 4, 5);
    const S = logits(6, 4, 6);
    const mask = [1, 1, 0, 1, 0, 1];
    const v = value(jsdLoss(tf.tensor3d([T.slice(0, 3), T.slice(3)]), tf.tensor3d([S.slice(0, 3), S.slice(3)]), { mask: tf.tensor2d([mask.slice(0, 3), mask.slice(3)]) }));
    const want = mean([0, 1, 3, 5].map((i) => generalizedJsd(T[i]!, S[i]!, { from: 'logits' })));
    assert.ok(Math.abs(v - want) < 1e-6);
  });
  test('an all-zero mask gives 0, not NaN', () => {
    assert.equal(value(forwardKlLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[2, 1]]), { mask: tf.tensor1d([0]) })), 0);
  });
  test('shape mismatches are refused with the shapes named', () => {
    assert.throws(() => forwardKlLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2, 3]])), (e: unknown) => e instanceof ArgumentError && e.message === 'forwardKlLoss: studentLogits: expected the shape of the teacher logits, [1,2], got shape [1,3]');
    assert.throws(() => forwardKlLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2]]), { mask: tf.tensor1d([1, 1]) }), /forwardKlLoss: mask: expected shape \[1\] .*, got shape \[2\]/);
    assert.throws(() => jsdLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2]]), { beta: 1 }), (e: unknown) => e instanceof ArgumentError && e.where === 'beta' && e.got === '1');
    assert.throws(() => forwardKlLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2]]), { temperature: 0 }), /: temperature: expected a finite number > 0, got 0$/);
    assert.throws(() => crossEntropyLoss(tf.tensor1d([0, 1], 'int32'), tf.tensor2d([[1, 2]])), /crossEntropyLoss: targets: expected shape \[1\] .*got shape \[2\]/);
  });
});

describe('gradients', () => {
  const T = logits(3, 6, 7);
  const S = logits(3, 6, 8);
  const N = T.length;
  const gradStudent = (loss: (t: tf.Tensor, s: tf.Tensor) => tf.Tensor) => tf.grad((s: tf.Tensor) => loss(tf.tensor2d(T), s))(tf.tensor2d(S)).arraySync() as number[][];
  const gradTeacher = (loss: (t: tf.Tensor, s: tf.Tensor) => tf.Tensor) => tf.grad((t: tf.Tensor) => loss(t, tf.tensor2d(S)))(tf.tensor2d(T)).arraySync() as number[][];
  const close = (got: number[][], want: (i: number) => ArrayLike<number>, tol: number) =>
    got.forEach((row, i) => row.forEach((g, j) => assert.ok(Math.abs(g - want(i)[j]!) < tol, `row ${i} col ${j}: ${g} vs ${want(i)[j]}`)));

  test('forward KL: student gradient = (q − p)/N (library forwardKlGradient)', () => {
    close(gradStudent(forwardKlLoss), (i) => Array.from(forwardKlGradient(softmax(T[i]!), S[i]!), (x) => x / N), 1e-6);
  });
  test('reverse KL: student gradient = q ⊙ (log q − log p − KL)/N (library reverseKlGradient)', () => {
    close(gradStudent(reverseKlLoss), (i) => Array.from(reverseKlGradient(T[i]!, S[i]!, { from: 'logits' }), (x) => x / N), 1e-6);
  });
  test('JSD(0.3): student gradient equals library jsdGradient / N', () => {
    close(gradStudent((t, s) => jsdLoss(t, s, { beta: 0.3 })), (i) => Array.from(jsdGradient(T[i]!, S[i]!, { from: 'logits', beta: 0.3 }), (x) => x / N), 1e-6);
  });

  // Central finite differences of the float64 library measure: an independent check of every
  // gradient, teacher side included, and of TVD (autodiff) and the temperature chain rule.
  function finiteDiff(f: (t: number[][], s: number[][]) => number, which: 't' | 's'): number[][] {
    const h = 1e-5;
    const base = which === 't' ? T : S;
    return base.map((row, i) =>
      row.map((_, j) => {
        const plus = base.map((r) => r.slice());
        const minus = base.map((r) => r.slice());
        plus[i]![j]! += h;
        minus[i]![j]! -= h;
        const fp = which === 't' ? f(plus, S) : f(T, plus);
        const fm = which === 't' ? f(minus, S) : f(T, minus);
        return (fp - fm) / (2 * h);
      }),
    );
  }
  const meanOf = (m: (p: number[], q: number[]) => number, temp = 1) => (t: number[][], s: number[][]) =>
    mean(t.map((r, i) => m(r.map((x) => x / temp), s[i]!.map((x) => x / temp))));
  const cases: Array<[string, (t: tf.Tensor, s: tf.Tensor) => tf.Tensor, (t: number[][], s: number[][]) => number]> = [
    ['forward KL', forwardKlLoss, meanOf((p, q) => forwardKl(p, q, { from: 'logits' }))],
    ['reverse KL', reverseKlLoss, meanOf((p, q) => reverseKl(p, q, { from: 'logits' }))],
    ['JSD(0.5)', jsdLoss, meanOf((p, q) => generalizedJsd(p, q, { from: 'logits' }))],
    ['TVD', tvdLoss, meanOf((p, q) => totalVariation(p, q, { from: 'logits' }))],
    ['forward KL at T = 2', (t, s) => forwardKlLoss(t, s, { temperature: 2 }), meanOf((p, q) => forwardKl(p, q, { from: 'logits' }), 2)],
    ['reverse KL at T = 0.5', (t, s) => reverseKlLoss(t, s, { temperature: 0.5 }), meanOf((p, q) => reverseKl(p, q, { from: 'logits' }), 0.5)],
  ];
  for (const [name, loss, ref] of cases) {
    test(`${name}: student and teacher gradients match finite differences`, () => {
      close(gradStudent(loss), (i) => finiteDiff(ref, 's')[i]!, 2e-5);
      close(gradTeacher(loss), (i) => finiteDiff(ref, 't')[i]!, 2e-5);
    });
  }
});

describe('invariants', () => {
  test('KL losses are >= 0 (up to float32 rounding) and vanish for logits equal up to a shift', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 2, maxLength: 12 }), fc.double({ min: -50, max: 50, noNaN: true }), (row, shift) => {
        const t = tf.tensor2d([row]);
        const s = tf.tensor2d([row.map((x) => x + shift)]);
        for (const loss of [forwardKlLoss, reverseKlLoss, jsdLoss, tvdLoss]) {
          const v = value(loss(t, s));
          if (!(Math.abs(v) < 1e-5)) return false;
        }
        const other = tf.tensor2d([row.slice().reverse()]);
        return value(forwardKlLoss(t, other)) > -1e-6 && value(reverseKlLoss(t, other)) > -1e-6;
      }),
      { numRuns: 60 },
    );
  });
  test('crossEntropyLoss = −log softmax(z)[y], averaged over unmasked tokens', () => {
    const S = logits(3, 5, 9);
    const y = [4, 0, 2];
    const v = value(crossEntropyLoss(tf.tensor1d(y, 'int32'), tf.tensor2d(S), { mask: tf.tensor1d([1, 0, 1]) }));
    const want = mean([0, 2].map((i) => -logSoftmax(S[i]!)[y[i]!]!));
    assert.ok(Math.abs(v - want) < 1e-5);
  });
});
