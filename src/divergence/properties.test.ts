// Invariants that must hold for every input (fast-check): KL >= 0, KL(P‖P) = 0, the
// cross-entropy identity, JS <= ln 2, bits = nats / ln 2, logits = probabilities after softmax.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forwardKl, reverseKl } from './kl.js';
import { entropy, crossEntropy } from './entropy.js';
import { generalizedJsd, jsDivergence, jsDistance } from './jensenShannon.js';
import { totalVariation } from './totalVariation.js';
import { divergenceMeasures } from './measures.js';
import { logSoftmax } from '../rows/logSumExp.js';

/** A random distribution of 1..40 outcomes, some of them exactly 0. */
const dist = (n?: number) =>
  fc
    .array(fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1, noNaN: true })), n === undefined ? { minLength: 1, maxLength: 40 } : { minLength: n, maxLength: n })
    .filter((w) => w.some((x) => x > 0))
    .map((w) => {
      const s = w.reduce((a, b) => a + b, 0);
      return w.map((x) => x / s);
    });
/** A pair of distributions of the same length, Q strictly positive (finite KL(P‖Q)). */
const pair = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.tuple(dist(n), fc.array(fc.double({ min: 1e-6, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((w) => {
    const s = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / s);
  })),
);
const logits = (n: number) => fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: n, maxLength: n });

function close(a: number, b: number, tol: number): void {
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);
}

describe('properties', () => {
  test('KL(P‖Q) >= 0 and KL(Q‖P) >= 0', () => {
    fc.assert(fc.property(dist(), dist(), (p, q) => {
      if (p.length !== q.length) return;
      const f = forwardKl(p, q);
      const r = reverseKl(p, q);
      assert.ok(f >= 0 && r >= 0 && !Number.isNaN(f) && !Number.isNaN(r));
    }), { numRuns: 300 });
  });
  test('KL(P‖P) = 0 exactly (clamped) for every input kind', () => {
    fc.assert(fc.property(dist(), (p) => {
      assert.equal(forwardKl(p, p), 0);
      const lp = p.map(Math.log);
      assert.equal(forwardKl(lp, lp, { from: 'logprobs' }), 0);
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }).chain(logits), (z) => {
      assert.equal(forwardKl(z, z, { from: 'logits' }), 0);
      assert.equal(jsDivergence(z, z, { from: 'logits' }), 0);
    }));
  });
  test('H(P,Q) = H(P) + KL(P‖Q)', () => {
    fc.assert(fc.property(pair, ([p, q]) => {
      const h = crossEntropy(p, q);
      close(h, entropy(p) + forwardKl(p, q), 1e-9 * Math.max(1, h));
      const hr = crossEntropy(q, p);
      if (Number.isFinite(hr)) close(hr, entropy(q) + reverseKl(p, q), 1e-9 * Math.max(1, hr));
      else assert.equal(reverseKl(p, q), Infinity);
    }), { numRuns: 300 });
  });
  test('0 <= JS <= ln 2, symmetric, finite with zeros; distance = sqrt', () => {
    fc.assert(fc.property(dist(), dist(), (p, q) => {
      if (p.length !== q.length) return;
      const js = jsDivergence(p, q);
      assert.ok(js >= 0 && js <= Math.LN2, `js ${js}`);
      close(js, jsDivergence(q, p), 1e-12);
      assert.equal(jsDistance(p, q), Math.sqrt(js));
      // A known bound (Lin 1991): JS <= ln 2 · TV.
      assert.ok(js <= Math.LN2 * totalVariation(p, q) + 1e-12, `JS ${js} > ln2·TV`);
    }), { numRuns: 300 });
  });
  test('bits = nats / ln 2 for every measure', () => {
    fc.assert(fc.property(pair, ([p, q]) => {
      const n = divergenceMeasures(p, q);
      const b = divergenceMeasures(p, q, { unit: 'bits' });
      for (const k of ['forward', 'reverse', 'entropyP', 'entropyQ', 'crossEntropyPQ', 'crossEntropyQP', 'jsDivergence'] as const) {
        if (Number.isFinite(n[k])) close(b[k], n[k] / Math.LN2, 1e-12 * Math.max(1, b[k]));
        else assert.equal(b[k], n[k]);
      }
      assert.equal(b.tvd, n.tvd);
    }), { numRuns: 200 });
  });
  test('logits input = probabilities input after softmax', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(logits(n), logits(n))), ([a, b]) => {
      const pa = Array.from(logSoftmax(a), Math.exp);
      const pb = Array.from(logSoftmax(b), Math.exp);
      const fromLogits = divergenceMeasures(a, b, { from: 'logits' });
      const fromProbs = divergenceMeasures(pa, pb, { normalize: true });
      for (const k of ['forward', 'reverse', 'entropyP', 'entropyQ', 'crossEntropyPQ', 'jsDivergence', 'tvd'] as const) {
        close(fromLogits[k], fromProbs[k], 1e-9 * Math.max(1, Math.abs(fromProbs[k])));
      }
    }), { numRuns: 300 });
  });
  test('adding a constant to logits changes nothing (shift invariance)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }).chain((n) => fc.tuple(logits(n), logits(n))), fc.double({ min: -1e4, max: 1e4, noNaN: true }), ([a, b], c) => {
      const k1 = forwardKl(a, b, { from: 'logits' });
      const k2 = forwardKl(a.map((x) => x + c), b, { from: 'logits' });
      close(k1, k2, 1e-7 * Math.max(1, k1));
    }));
  });
  test('JSD(β) at β = ½ is the JS divergence and 0 at the ends', () => {
    fc.assert(fc.property(pair, ([p, q]) => {
      close(generalizedJsd(p, q, { beta: 0.5 }), jsDivergence(p, q), 1e-15);
      assert.equal(generalizedJsd(p, q, { beta: 0 }), 0);
      assert.equal(generalizedJsd(p, q, { beta: 1 }), 0);
    }));
  });
});
