import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawIndex } from './random.js';
import { seededRandom } from '../random.js';

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
