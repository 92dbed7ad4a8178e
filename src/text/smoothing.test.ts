import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { countNgramOrders, NGRAM_SEP } from './ngrams.js';
import { addAlpha, kneserNey, neyDiscount, parseSmoothing, unionKeys } from './smoothing.js';
import { UsageError } from '../errors.js';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-12) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
};
const k = (...t: string[]) => t.join(NGRAM_SEP);

describe('smoothing', () => {
  test('parseSmoothing', () => {
    assert.deepEqual(parseSmoothing('0'), { kind: 'exact' });
    assert.deepEqual(parseSmoothing('0.5'), { kind: 'add', alpha: 0.5 });
    assert.deepEqual(parseSmoothing('KN'), { kind: 'kneser-ney' });
    assert.throws(() => parseSmoothing('-1'), UsageError);
    assert.throws(() => parseSmoothing('lots'), /: smoothing: expected .* got "lots"$/);
  });
  test('add-α over the union vocabulary, by hand', () => {
    close(addAlpha(new Map([['a', 3], ['b', 1]]), ['a', 'b', 'c'], 1), [4 / 7, 2 / 7, 1 / 7]);
    close(addAlpha(new Map([['a', 3], ['b', 1]]), ['a', 'b', 'c'], 0), [3 / 4, 1 / 4, 0]);
  });
  test('Ney discount n1/(n1 + 2 n2), kept in [0.1, 1]', () => {
    assert.equal(neyDiscount([1, 1, 2, 5]), 2 / 4);
    assert.equal(neyDiscount([1, 1]), 1);
    assert.equal(neyDiscount([3, 4]), 0.5); // no singletons or doubletons: fallback
    assert.equal(neyDiscount([1, ...new Array(100).fill(2)]), 0.1);
  });
  test('Kneser–Ney unigrams by hand: counts a:3 b:1 c:2, union with an unseen d', () => {
    const orders = countNgramOrders([['a', 'a', 'a', 'b', 'c', 'c']], 1);
    const r = kneserNey(orders, [['a', 'b', 'c', 'd']]);
    const D = 1 / (1 + 2); // n1 = 1 (b), n2 = 1 (c)
    const lam = (D * 3) / 6;
    close(r.p, [(3 - D) / 6 + lam / 4, (1 - D) / 6 + lam / 4, (2 - D) / 6 + lam / 4, lam / 4]);
    close(r.discounts, [D]);
  });
  test('Kneser–Ney bigrams by hand: continuation counts feed the lower order', () => {
    // A = a b a b c b: bigrams ab:2 ba:1 bc:1 cb:1; B = a c adds the bigram ac to the union.
    const A = countNgramOrders([['a', 'b', 'a', 'b', 'c', 'b']], 2);
    const unions = [['a', 'b', 'c'], [k('a', 'b'), k('a', 'c'), k('b', 'a'), k('b', 'c'), k('c', 'b')]];
    const r = kneserNey(A, unions);
    // Order 1, continuation counts N1+(• w): a ← {ba} = 1, b ← {ab, cb} = 2, c ← {bc} = 1.
    const D1 = 2 / (2 + 2); // n1 = 2, n2 = 1
    const l1 = (D1 * 3) / 4;
    const p1 = { a: (1 - D1) / 4 + l1 / 3, b: (2 - D1) / 4 + l1 / 3, c: (1 - D1) / 4 + l1 / 3 };
    assert.ok(Math.abs(p1.a - 0.25) < 1e-15 && Math.abs(p1.b - 0.5) < 1e-15);
    // Order 2: raw counts, N = 5, T = 4, n1 = 3, n2 = 1.
    const D2 = 3 / 5;
    const l2 = (D2 * 4) / 5;
    const w = [p1.b, p1.c, p1.a, p1.c, p1.b];
    const s = w.reduce((x, y) => x + y);
    close(r.p, [(2 - D2) / 5 + (l2 * w[0]!) / s, (l2 * w[1]!) / s, (1 - D2) / 5 + (l2 * w[2]!) / s, (1 - D2) / 5 + (l2 * w[3]!) / s, (1 - D2) / 5 + (l2 * w[4]!) / s]);
    close(r.discounts, [D1, D2]);
  });
  test('Kneser–Ney is a positive distribution over the union for random corpora', () => {
    const doc = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 3, maxLength: 12 });
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 4 }), fc.array(doc, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 3 }), (da, db, n) => {
        const A = countNgramOrders(da, n);
        const B = countNgramOrders(db, n);
        const unions = A.map((c, i) => unionKeys(c.counts, B[i]!.counts));
        for (const r of [kneserNey(A, unions), kneserNey(B, unions)]) {
          let sum = 0;
          for (const v of r.p) {
            assert.ok(v > 0);
            sum += v;
          }
          assert.ok(Math.abs(sum - 1) < 1e-12, `sum ${sum}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});
