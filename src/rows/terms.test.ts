// The per-element terms and their zero rules, against closed forms and direct formulas.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { binaryEntropy, clampNonNegative, crossEntropyTerm, entropyTerm, jsFromTermSum, jsTerm, klLogTerm, klTerm, mixtureKlTerm, relEntr, tvFromSum } from './terms.js';

const close = (a: number, b: number, rel: number) => assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300), `${a} vs ${b}`);

describe('KL terms', () => {
  test('zero rules: 0·log 0 = 0, p > 0 with q = 0 is +Infinity, in both domains', () => {
    assert.equal(relEntr(0, 0), 0);
    assert.equal(relEntr(0, 0.5), 0);
    assert.equal(relEntr(0.5, 0), Infinity);
    assert.equal(klLogTerm(0, -Infinity, -Infinity), 0);
    assert.equal(klLogTerm(0, -800, -Infinity), Infinity); // p underflowed, its log did not: the logs decide
    assert.equal(klLogTerm(0.5, Math.log(0.5), -Infinity), Infinity);
    assert.equal(klTerm(0.5, 0, Math.log(0.5), -Infinity, false), Infinity);
  });
  test('relEntr keeps the digits of near-equal probabilities that a rounded ratio loses', () => {
    const p = 0.3;
    const q = 0.3 * (1 + 1e-9);
    // x·log(x/y) = −x·log1p(1e-9) to first order: −3e-10 (log1p of the exact ratio)
    close(relEntr(p, q), -p * Math.log1p((q - p) / p), 1e-15);
  });
  test('log domain: p·(log p − log q)', () => {
    fc.assert(fc.property(fc.double({ min: -30, max: 0, noNaN: true }), fc.double({ min: -30, max: 0, noNaN: true }), (la, lb) => {
      assert.equal(klLogTerm(Math.exp(la), la, lb), Math.exp(la) * (la - lb));
    }));
  });
});

describe('entropy and cross-entropy terms', () => {
  test('−p·log p and −p·log q, 0 where p = 0, +Infinity where p > 0 and q = 0', () => {
    assert.equal(entropyTerm(0, -Infinity), 0);
    assert.equal(entropyTerm(0, -800), 0);
    assert.equal(entropyTerm(0.25, Math.log(0.25)), 0.25 * Math.log(4));
    assert.equal(crossEntropyTerm(0, -Infinity), 0);
    assert.equal(crossEntropyTerm(0.5, -Infinity), Infinity);
    assert.equal(crossEntropyTerm(0.5, Math.log(0.25)), 0.5 * Math.log(4));
  });
});

describe('JS terms', () => {
  const direct = (p: number, q: number) => p * Math.log((2 * p) / (p + q)) + q * Math.log((2 * q) / (p + q));
  test('one side at 0 gives (p + q)·ln 2; equal sides give 0', () => {
    assert.equal(jsTerm(0.3, 0, Math.log(0.3), -Infinity), 0.3 * Math.LN2);
    assert.equal(jsTerm(0, 0, -Infinity, -Infinity), 0);
    assert.equal(jsTerm(0.2, 0.2, Math.log(0.2), Math.log(0.2)), 0);
  });
  test('the series (|log q − log p| < 0.25) and the log form agree with the direct formula to 1e-9', () => {
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true }), (p, d) => {
      const q = p * Math.exp(d);
      // the direct formula cancels as p → q: compare where it still has digits
      if (Math.abs(d) < 1e-3) return;
      close(jsTerm(p, q, Math.log(p), Math.log(q)), direct(p, q), 1e-9);
    }));
  });
  test('near p = q the series keeps digits: m·d²/4 to leading order', () => {
    const p = 0.4;
    const d = 1e-6;
    close(jsTerm(p, p * Math.exp(d), Math.log(p), Math.log(p) + d), (p * d * d) / 4, 1e-6);
  });
  test('subnormal p + q: log m from the logs', () => {
    const la = -745;
    const lb = -745.5;
    const t = jsTerm(Math.exp(la), Math.exp(lb), la, lb);
    assert.ok(Number.isFinite(t) && t >= 0);
  });
  test('the mixture term of generalized JS at β = ½ halves to the same JS as jsTerm', () => {
    const P = [0.5, 0.3, 0.2, 0];
    const Q = [0.4, 0.4, 0.1, 0.1];
    let a = 0;
    let b = 0;
    let s = 0;
    for (let i = 0; i < P.length; i++) {
      a += mixtureKlTerm(P[i]!, Q[i]!, Math.log(P[i]!), Math.log(Q[i]!), false, 0.5);
      b += mixtureKlTerm(Q[i]!, P[i]!, Math.log(Q[i]!), Math.log(P[i]!), false, 0.5);
      s += jsTerm(P[i]!, Q[i]!, Math.log(P[i]!), Math.log(Q[i]!));
    }
    close(0.5 * (a + b), jsFromTermSum(s), 1e-10);
    assert.equal(binaryEntropy(0.5), Math.LN2);
    assert.equal(binaryEntropy(1), 0);
  });
});

describe('finishing the sums', () => {
  test('clamps: KL and entropies at 0, JS to [0, ln 2], TV to [0, 1]', () => {
    assert.equal(clampNonNegative(-1e-17), 0);
    assert.equal(clampNonNegative(Infinity), Infinity);
    assert.equal(jsFromTermSum(-1e-17), 0);
    assert.equal(jsFromTermSum(2 * Math.LN2 + 1e-15), Math.LN2);
    assert.equal(tvFromSum(2 + 1e-15), 1);
    assert.equal(tvFromSum(0.5), 0.25);
  });
});
