import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { textDivergence, textPairs } from './textKl.js';
import { DataError } from '../errors.js';

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const L = Math.log;

// Reference a b a c → unigrams a:2 b:1 c:1; generated a a b b → a:2 b:2.
const ref = [['a', 'b', 'a', 'c']];
const gen = [['a', 'a', 'b', 'b']];

describe('text divergence on hand-built corpora', () => {
  test('exact unigrams: forward = KL(reference‖generated) is ∞ (c never generated), reverse by hand', () => {
    const r = textDivergence(ref, gen, { n: 1, smoothing: { kind: 'exact' } });
    assert.equal(r.forward, Infinity);
    near(r.reverse, 0.5 * L(0.5 / 0.5) + 0.5 * L(0.5 / 0.25));
    // JS with M = (0.5, 0.375, 0.125) over (a, b, c).
    const js = 0.5 * (0.5 * L(0.5 / 0.5) + 0.25 * L(0.25 / 0.375) + 0.25 * L(0.25 / 0.125)) + 0.5 * (0.5 * L(0.5 / 0.5) + 0.5 * L(0.5 / 0.375));
    near(r.jsDivergence, js);
    near(r.jsDistance, Math.sqrt(js));
    assert.deepEqual(r.vocabulary, { generated: 2, reference: 3, union: 3 });
    assert.deepEqual(r.onlyInGenerated, { count: 0, examples: [] });
    assert.deepEqual(r.onlyInReference, { count: 1, examples: ['c'] });
    assert.equal(r.topForward[0]!.ngram, 'c');
    assert.equal(r.topForward[0]!.contribution, Infinity);
    assert.deepEqual([r.topReverse[0]!.ngram, r.topReverse[0]!.countGenerated, r.topReverse[0]!.countReference], ['b', 2, 1]);
    assert.equal(r.smoothing, 0);
  });
  test('add-1 unigrams over the union vocabulary, by hand', () => {
    const r = textDivergence(ref, gen, { n: 1, smoothing: { kind: 'add', alpha: 1 } });
    const P = [3 / 7, 2 / 7, 2 / 7]; // reference (a, b, c)
    const Q = [3 / 7, 3 / 7, 1 / 7]; // generated
    near(r.forward, P.reduce((s, p, i) => s + p * L(p / Q[i]!), 0));
    near(r.reverse, Q.reduce((s, q, i) => s + q * L(q / P[i]!), 0));
    assert.equal(r.smoothing, 1);
  });
  test('exact bigrams: both directions infinite, examples of the missing bigrams', () => {
    const r = textDivergence(ref, gen, { n: 2, smoothing: { kind: 'exact' } });
    assert.equal(r.forward, Infinity);
    assert.equal(r.reverse, Infinity);
    const inf = (t: typeof r.topForward) => t.filter((x) => x.contribution === Infinity).map((x) => x.ngram).sort();
    assert.deepEqual(inf(r.topForward), ['a c', 'b a']); // in the reference only
    assert.deepEqual(inf(r.topReverse), ['a a', 'b b']); // in the generated text only
    assert.deepEqual(r.onlyInGenerated, { count: 2, examples: ['a a', 'b b'] });
    assert.deepEqual(r.onlyInReference, { count: 2, examples: ['a c', 'b a'] });
  });
  test('add-0.5 bigrams, by hand: union aa ab ac ba bb', () => {
    const r = textDivergence(ref, gen, { n: 2, smoothing: { kind: 'add', alpha: 0.5 } });
    const P = [0.5, 1.5, 1.5, 1.5, 0.5].map((c) => c / 5.5);
    const Q = [1.5, 1.5, 0.5, 0.5, 1.5].map((c) => c / 5.5);
    near(r.forward, P.reduce((s, p, i) => s + p * L(p / Q[i]!), 0));
    near(r.reverse, Q.reduce((s, q, i) => s + q * L(q / P[i]!), 0));
    // Top contributions are the largest terms, in order, and sum with the rest to the total.
    const terms = P.map((p, i) => p * L(p / Q[i]!)).filter((t) => t > 0).sort((x, y) => y - x);
    r.topForward.forEach((t, i) => near(t.contribution, terms[i]!));
  });
  test('identical corpora give 0 in every smoothing', () => {
    for (const smoothing of [{ kind: 'exact' }, { kind: 'add', alpha: 0.5 }, { kind: 'kneser-ney' }] as const) {
      const r = textDivergence(ref, ref, { n: 2, smoothing });
      assert.equal(r.forward, 0);
      assert.equal(r.reverse, 0);
      assert.equal(r.jsDivergence, 0);
    }
  });
  test('Kneser–Ney keeps both directions finite and JS within [0, ln 2]', () => {
    const doc = fc.array(fc.constantFrom('x', 'y', 'z', 'w'), { minLength: 3, maxLength: 10 });
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), fc.array(doc, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3 }), (g, r0, n) => {
        const r = textDivergence(r0, g, { n, smoothing: { kind: 'kneser-ney' } });
        assert.ok(Number.isFinite(r.forward) && r.forward >= 0);
        assert.ok(Number.isFinite(r.reverse) && r.reverse >= 0);
        assert.ok(r.jsDivergence >= 0 && r.jsDivergence <= Math.LN2 + 1e-15);
      }),
      { numRuns: 100 },
    );
  });
  test('n larger than every document and empty corpora are data errors', () => {
    assert.throws(() => textDivergence(ref, [['a', 'b']], { n: 3, smoothing: { kind: 'exact' } }), (e: Error) => e instanceof DataError && /generated corpus: n = 3 is larger than every document \(the longest has 2 tokens\)/.test(e.message));
    assert.throws(() => textDivergence([[]], gen, { n: 1, smoothing: { kind: 'exact' } }), /reference corpus: no tokens/);
  });
});

describe('line-aligned pairs', () => {
  test('per-line values by hand and their mean; short lines skipped', () => {
    const hyp = [['a', 'b'], ['c'], ['x', 'y']];
    const refs = [['a', 'a'], ['c', 'd'], ['x', 'y']];
    const r = textPairs(refs, hyp, { n: 2, smoothing: { kind: 'add', alpha: 1 } });
    assert.deepEqual([r.lines, r.used, r.skipped.count, r.skipped.examples], [3, 2, 1, [2]]);
    // Line 1: bigrams ab (hyp) vs aa (ref), add-1 over {aa, ab}: P = (2/3, 1/3), Q = (1/3, 2/3).
    const l1 = (2 / 3) * L(2) + (1 / 3) * L(0.5);
    near(r.perLine[0]!.forward, l1);
    near(r.perLine[1]!.forward, 0);
    near(r.mean.forward, l1 / 2);
    assert.deepEqual(r.perLine.map((p) => p.line), [1, 3]);
  });
  test('misaligned files and all-short lines are errors', () => {
    assert.throws(() => textPairs([['a']], [['a'], ['b']], { n: 1, smoothing: { kind: 'exact' } }), /the reference file has 1 line, the generated file 2/);
    assert.throws(() => textPairs([['a']], [['a']], { n: 2, smoothing: { kind: 'exact' } }), /n = 2 is larger than every line pair/);
  });
});
