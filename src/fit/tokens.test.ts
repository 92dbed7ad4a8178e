import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../errors.js';
import { bumpLogits, fitTokenStudent, keptTokens, studentProbs, TOKEN_EXAMPLE, tokenAxis } from './tokens.js';

/** KL(A‖B) by the plain sum, independent of the library. */
function kl(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! > 0) s += a[i]! * Math.log(a[i]! / b[i]!);
  return s;
}

describe('token view', () => {
  test('the bundled teacher is a distribution', () => {
    assert.equal(TOKEN_EXAMPLE.tokens.length, TOKEN_EXAMPLE.p.length);
    assert.ok(Math.abs(TOKEN_EXAMPLE.p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  });
  test('bumpLogits: −(x − c)²/(2w²)', () => {
    assert.deepEqual(Array.from(bumpLogits([0, 0.5, 1], [0.5, Math.log(0.5)])), [-0.5, -0, -0.5]);
  });
  test('a teacher inside the family is recovered by both directions', () => {
    const x = tokenAxis(10);
    const p = Array.from(studentProbs(x, [0.3, Math.log(0.15)]));
    const r = fitTokenStudent(p, x);
    assert.ok(r.forward.kl < 1e-12 && r.reverse.kl < 1e-12);
    assert.ok(Math.abs(r.forward.theta[0]! - 0.3) < 1e-5 && Math.abs(r.reverse.theta[1]! - Math.log(0.15)) < 1e-5);
  });
  test('the bundled example: forward covers both clusters, reverse keeps one', () => {
    const r = fitTokenStudent(TOKEN_EXAMPLE.p);
    const tok = TOKEN_EXAMPLE.tokens.map((t) => t.trim());
    const mass = (q: ArrayLike<number>, names: string[]) => names.reduce((a, n) => a + q[tok.indexOf(n)]!, 0);
    const coffee = ['mocha', 'latte', 'coffee', 'espresso', 'cappuccino'];
    const tea = ['chai', 'tea', 'green tea', 'herbal tea'];
    assert.ok(mass(r.forward.q, coffee) > 0.25 && mass(r.forward.q, tea) > 0.2);
    assert.ok(mass(r.reverse.q, coffee) > 0.9 && mass(r.reverse.q, tea) < 0.01);
    // reported values are the divergences at the reported students (plain sums)
    assert.ok(Math.abs(r.forward.kl - kl(TOKEN_EXAMPLE.p, r.forward.q)) < 1e-12);
    for (const o of r.reverse.localOptima) assert.ok(Math.abs(o.kl - kl(o.q, TOKEN_EXAMPLE.p)) < 1e-12);
    // three reverse optima: coffee (global), broad, tea; no start does better than the global one
    assert.equal(r.reverse.localOptima.length, 3);
    assert.ok(r.reverse.localOptima[0]!.global && !r.reverse.localOptima[1]!.global);
    const x = tokenAxis(TOKEN_EXAMPLE.p.length);
    for (let c = 0; c <= 1; c += 0.05) {
      for (const w of [0.05, 0.1, 0.2, 0.4, 0.8]) {
        const q = studentProbs(x, [c, Math.log(w)]);
        assert.ok(kl(q, TOKEN_EXAMPLE.p) >= r.reverse.kl - 1e-12);
        assert.ok(kl(TOKEN_EXAMPLE.p, q) >= r.forward.kl - 1e-12);
      }
    }
    const keptR = keptTokens(TOKEN_EXAMPLE.p, r.reverse.q).filter((t) => t.plausible && !t.kept).map((t) => tok[t.index]);
    assert.deepEqual(keptR, tea);
    assert.ok(keptTokens(TOKEN_EXAMPLE.p, r.forward.q).every((t) => !t.plausible || t.kept));
  });
  test('keptTokens: q ≥ p/4 keeps, plausibility at 3%', () => {
    assert.deepEqual(
      keptTokens([0.5, 0.45, 0.05], [0.9, 0.05, 0.05]).map((t) => [t.plausible, t.kept]),
      [
        [true, true],
        [true, false],
        [true, true],
      ],
    );
  });
  test('a zero in P is refused: KL(Q‖P) would be infinite', () => {
    assert.throws(() => fitTokenStudent([0.5, 0, 0.5]), (e: Error) => e instanceof DataError && /invalid p\[1\]: expected a finite number > 0/.test(e.message));
  });
});
