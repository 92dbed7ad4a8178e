import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distinctN, sampleNll, sampleText } from './sample.js';
import { seededRandom } from '../random.js';

test('distinctN counts distinct character n-grams inside each sample', () => {
  assert.equal(distinctN(['abab'], 2), 2 / 3);
  assert.equal(distinctN(['abc', 'abc'], 3), 1 / 2);
  assert.equal(distinctN(['aaaa'], 1), 1 / 4);
  assert.equal(distinctN(['a', ''], 2), 0);
});

test('sampleNll of any text under a uniform model is log V', () => {
  const uniform = () => new Float64Array(4).fill(0.25);
  assert.ok(Math.abs(sampleNll(uniform, Uint8Array.of(1), Uint8Array.of(0, 3, 2)) - Math.log(4)) < 1e-15);
});

test('sampleNll uses the prefix and the sample so far as context', () => {
  // p(next = previous token) = 0.7, else 0.1 each over V = 4.
  const copy = (ctx: Uint8Array) => Float64Array.from({ length: 4 }, (_, i) => (i === ctx[ctx.length - 1] ? 0.7 : 0.1));
  const want = -(Math.log(0.7) + Math.log(0.1) + Math.log(0.7)) / 3;
  assert.ok(Math.abs(sampleNll(copy, Uint8Array.of(2), Uint8Array.of(2, 1, 1)) - want) < 1e-15);
});

test('sampleText follows a deterministic model and matches frequencies of a random one', () => {
  const next = (ctx: Uint8Array) => Float64Array.from({ length: 3 }, (_, i) => (i === (ctx[ctx.length - 1]! + 1) % 3 ? 1 : 0));
  assert.deepEqual(Array.from(sampleText(next, { prefix: Uint8Array.of(0), length: 5, rnd: seededRandom(1) })), [1, 2, 0, 1, 2]);
  const p = [0.6, 0.3, 0.1];
  const s = sampleText(() => Float64Array.from(p), { prefix: new Uint8Array(0), length: 20000, rnd: seededRandom(2) });
  const freq = [0, 0, 0];
  for (const c of s) freq[c]!++;
  // Binomial standard error at n = 20000 is at most 0.0035; allow 4 of them.
  p.forEach((pi, i) => assert.ok(Math.abs(freq[i]! / s.length - pi) < 0.014));
});
