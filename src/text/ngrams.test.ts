import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { countNgramOrders, countNgrams, NGRAM_SEP, ngramTokens } from './ngrams.js';

const key = (...t: string[]) => t.join(NGRAM_SEP);

describe('n-gram counts', () => {
  test('hand-counted bigrams never cross documents', () => {
    const [uni, bi] = countNgramOrders([['a', 'b', 'a', 'b'], ['b', 'c']], 2);
    assert.deepEqual(Object.fromEntries(uni!.counts), { a: 2, b: 3, c: 1 });
    assert.deepEqual(Object.fromEntries(bi!.counts), { [key('a', 'b')]: 2, [key('b', 'a')]: 1, [key('b', 'c')]: 1 });
    assert.equal(bi!.total, 4);
    assert.equal(bi!.counts.has(key('b', 'b')), false); // doc 1 ends with b, doc 2 starts with b: no bigram across
    assert.equal(countNgrams([['x']], 3).total, 0);
    assert.deepEqual(ngramTokens(key('a', 'b', 'c')), ['a', 'b', 'c']);
  });
  test('a document of length L has max(L − n + 1, 0) n-grams', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 8 }), { maxLength: 5 }), fc.integer({ min: 1, max: 4 }), (docs, n) => {
        const c = countNgrams(docs, n);
        const expected = docs.reduce((s, d) => s + Math.max(d.length - n + 1, 0), 0);
        assert.equal(c.total, expected);
        let sum = 0;
        for (const v of c.counts.values()) sum += v;
        assert.equal(sum, expected);
      }),
    );
  });
});
