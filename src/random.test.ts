import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, drawIndex, normalPair, seededRandom } from './random.js';

describe('seeded PRNG', () => {
  test('same seed, same stream; different seeds differ', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const xa = [a.next(), a.next(), a.normal()];
    assert.deepEqual(xa, [b.next(), b.next(), b.normal()]);
    assert.notEqual(xa[0], c.next());
  });
  test('uniform and normal moments within 5 standard errors (n = 200,000)', () => {
    const r = createRng(12345);
    const n = 200_000;
    let su = 0;
    let sz = 0;
    let sz2 = 0;
    const bins = new Array(10).fill(0);
    for (let i = 0; i < n; i++) {
      const u = r.next();
      assert.ok(u >= 0 && u < 1);
      su += u;
      bins[Math.floor(u * 10)]++;
      const z = r.normal();
      sz += z;
      sz2 += z * z;
    }
    assert.ok(Math.abs(su / n - 0.5) < 5 * Math.sqrt(1 / 12 / n));
    assert.ok(Math.abs(sz / n) < 5 / Math.sqrt(n));
    assert.ok(Math.abs(sz2 / n - 1) < 5 * Math.sqrt(2 / n));
    // χ² with 9 degrees of freedom: 99.99th percentile ≈ 33.7.
    const chi = bins.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
    assert.ok(chi < 33.7, `chi2 ${chi}`);
    for (let i = 0; i < 1000; i++) {
      const k = r.int(3);
      assert.ok(k === 0 || k === 1 || k === 2);
    }
  });
});

test('normal() is the shared Box–Muller pair: cosine deviate first, then the sine one', () => {
  const a = createRng(11);
  const b = createRng(11);
  const [z0, z1] = normalPair(1 - b.next(), b.next());
  assert.equal(a.normal(), z0);
  assert.equal(a.normal(), z1);
});

test('the same seed gives the same stream, another seed another one', () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const c = seededRandom(8);
  const xa = Array.from({ length: 5 }, a);
  assert.deepEqual(xa, Array.from({ length: 5 }, b));
  assert.notDeepEqual(xa, Array.from({ length: 5 }, c));
});

test('uniform on [0, 1): mean and variance close to 1/2 and 1/12', () => {
  const r = seededRandom(3);
  const xs = Array.from({ length: 20000 }, r);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length;
  assert.ok(Math.abs(m - 0.5) < 0.01 && Math.abs(v - 1 / 12) < 0.005);
});

test('drawIndex inverts the cumulative distribution and survives a short sum', () => {
  const p = [0.2, 0, 0.5, 0.3];
  assert.equal(drawIndex(p, 0), 0);
  assert.equal(drawIndex(p, 0.19999), 0);
  assert.equal(drawIndex(p, 0.2), 2);
  assert.equal(drawIndex(p, 0.7), 3);
  assert.equal(drawIndex([0.5, 0.4999999, 0], 0.9999999999), 1);
});

test('createRng draws from seededRandom\'s stream; categorical is drawIndex on the next uniform', () => {
  const a = createRng(5);
  const b = seededRandom(5);
  assert.equal(a.next(), b());
  const p = [0.1, 0.6, 0.3];
  for (let i = 0; i < 50; i++) assert.equal(a.categorical(p), drawIndex(p, b()));
  assert.equal(a.int(10), Math.floor(b() * 10));
});
