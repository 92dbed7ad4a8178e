import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { divergenceMeasures } from '../divergence/measures.js';
import { referenceBatchStats } from './reference.js';
import type { BatchInput } from './types.js';

const close = (a: number, b: number, rel = 1e-12, abs = 1e-15) =>
  assert.ok(Math.abs(a - b) <= Math.max(abs, rel * Math.abs(b)), `${a} vs ${b}`);

function one(p: number[], q: number[], from: BatchInput['from'], extra: Partial<BatchInput> = {}) {
  return referenceBatchStats({ p: Float64Array.from(p), q: Float64Array.from(q), rows: 1, cols: p.length, from, ...extra });
}

describe('referenceBatchStats', () => {
  test('the explainer example and published values (scipy)', () => {
    const s = one([0.5, 0.3, 0.2], [0.4, 0.4, 0.2], 'probs');
    close(s.forward[0]!, 0.025267153921570557);
    close(s.reverse[0]!, 0.025815408455028527);
    close(s.entropyP[0]!, 1.0296530140645737);
    close(s.crossEntropyPQ[0]!, 1.0549201679861442);
    close(s.jsDivergence[0]!, 0.006367198333995694);
    close(s.tvd[0]!, 0.1);
    close(one([0.5, 0.2, 0.3], [0.1, 0.25, 0.65], 'probs').forward[0]!, 0.5281332794841637);
    // logits far from 0: a naive softmax would overflow
    close(one([1000, 999, 998], [998, 999, 1000], 'logits').forward[0]!, 1.1504207652088827);
  });

  test('agrees with the per-row divergence functions on random rows of every input kind', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -20, max: 20, noNaN: true }), fc.double({ min: -20, max: 20, noNaN: true })), { minLength: 1, maxLength: 40 }),
        fc.constantFrom<BatchInput['from']>('logits', 'logprobs', 'probs'),
        (pairs, from) => {
          const a = pairs.map((x) => x[0]);
          const b = pairs.map((x) => x[1]);
          // the same distributions in the requested form
          const lse = (v: number[]) => {
            const m = Math.max(...v);
            return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
          };
          const la = a.map((x) => x - lse(a));
          const lb = b.map((x) => x - lse(b));
          const p = from === 'logits' ? a : from === 'logprobs' ? la : la.map(Math.exp);
          const q = from === 'logits' ? b : from === 'logprobs' ? lb : lb.map(Math.exp);
          const s = one(p, q, from, { normalize: true });
          const m = divergenceMeasures(p, q, { from, normalize: true });
          assert.equal(s.invalid[0], 0);
          for (const k of ['forward', 'reverse', 'entropyP', 'entropyQ', 'crossEntropyPQ', 'crossEntropyQP', 'jsDivergence', 'tvd'] as const) {
            close(s[k][0]!, m[k], 1e-9, 1e-12);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('zero rules: masked logits and zero probabilities make KL infinite one way only', () => {
    const s = one([0, 1, -Infinity], [0, 1, 2], 'logits');
    assert.equal(s.reverse[0], Infinity);
    assert.equal(s.crossEntropyQP[0], Infinity);
    assert.ok(Number.isFinite(s.forward[0]!));
    // JS stays finite with zeros: ½KL(P‖M) + ½KL(Q‖M) with M = (P+Q)/2 ≤ ln 2
    const t = one([1, 0], [0, 1], 'probs');
    assert.equal(t.forward[0], Infinity);
    assert.equal(t.reverse[0], Infinity);
    close(t.jsDivergence[0]!, Math.LN2);
    close(t.tvd[0]!, 1);
  });

  test('argmax takes the first of tied maxima; targets give log p and log q', () => {
    const s = one([1, 3, 0, 3], [2, 2, 2, 2], 'logits', { targets: new Int32Array([1]) });
    assert.equal(s.argmaxP[0], 1);
    assert.equal(s.argmaxQ[0], 0);
    const lse = Math.log(Math.E + 2 * Math.exp(3) + 1);
    close(s.logpTarget[0]!, 3 - lse);
    close(s.logqTarget[0]!, Math.log(0.25));
    assert.ok(Number.isNaN(one([1, 2], [2, 1], 'logits').logpTarget[0]!));
  });

  test('rows that break a rule are flagged invalid with NaN values and argmax -1', () => {
    for (const [p, q, from] of [
      [[0, NaN], [0, 0], 'logits'],
      [[0, 0], [Infinity, 0], 'logits'],
      [[0.5, 0.6], [0.5, 0.5], 'probs'],
      [[1.1, -0.1], [0.5, 0.5], 'probs'],
      [[0.1, -3], [-0.7, -0.7], 'logprobs'],
      [[-Infinity, -Infinity], [0, 0], 'logits'],
    ] as [number[], number[], BatchInput['from']][]) {
      const s = one(p, q, from);
      assert.equal(s.invalid[0], 1, JSON.stringify([p, q, from]));
      assert.ok(Number.isNaN(s.forward[0]!));
      assert.equal(s.argmaxP[0], -1);
    }
    // the same unnormalised probabilities are fine when normalisation is asked for
    const s = one([1, 3], [2, 2], 'probs', { normalize: true });
    assert.equal(s.invalid[0], 0);
    close(s.forward[0]!, divergenceMeasures([1, 3], [2, 2], { normalize: true }).forward);
  });

  test('checks the shape of its input', () => {
    assert.throws(() => referenceBatchStats({ p: new Float32Array(5), q: new Float32Array(6), rows: 2, cols: 3, from: 'logits' }), /invalid p/);
    assert.throws(() => referenceBatchStats({ p: new Float32Array(6), q: new Float32Array(6), rows: 2, cols: 0, from: 'logits' }), /invalid cols/);
  });
});
