import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ALPHABET, encodeText } from './corpus.js';
import { KneserNeyModel } from './kneserNey.js';

/**
 * A second, deliberately plain implementation of interpolated Kneser–Ney with string keys and
 * the textbook recursion, to check the packed-key implementation against.
 */
function referenceKn(text: string, n: number, alphabet: string): (ctx: string) => number[] {
  const V = alphabet.length;
  // counts[j]: Map "h|w" → count, for contexts h of length j.
  const counts: Array<Map<string, number>> = [];
  const top = new Map<string, number>();
  for (let i = n - 1; i < text.length; i++) {
    const key = text.slice(i - n + 1, i) + '|' + text[i];
    top.set(key, (top.get(key) ?? 0) + 1);
  }
  counts[n - 1] = top;
  for (let j = n - 2; j >= 0; j--) {
    // N1+(•hw): distinct x such that x·h·w occurs ending at a position i >= n − 1.
    const preds = new Map<string, Set<string>>();
    for (let i = n - 1; i < text.length; i++) {
      const h = text.slice(i - j, i);
      const x = text[i - j - 1]!;
      const key = h + '|' + text[i];
      if (!preds.has(key)) preds.set(key, new Set());
      preds.get(key)!.add(x);
    }
    counts[j] = new Map([...preds].map(([k, s]) => [k, s.size]));
  }
  const discount = counts.map((m) => {
    const vals = [...m.values()];
    const n1 = vals.filter((v) => v === 1).length;
    const n2 = vals.filter((v) => v === 2).length;
    // Ney's D = n1/(n1 + 2·n2) clamped to [0.1, 1], 0.5 without singletons or doubletons
    return n1 + 2 * n2 === 0 ? 0.5 : Math.min(1, Math.max(0.1, n1 / (n1 + 2 * n2)));
  });
  const prob = (j: number, h: string, w: string): number => {
    const lower = j === 0 ? 1 / V : prob(j - 1, h.slice(1), w);
    let tot = 0;
    let types = 0;
    for (const a of alphabet) {
      const c = counts[j]!.get(h + '|' + a) ?? 0;
      tot += c;
      if (c > 0) types++;
    }
    if (tot === 0) return lower;
    const c = counts[j]!.get(h + '|' + w) ?? 0;
    const D = discount[j]!;
    return Math.max(c - D, 0) / tot + ((D * types) / tot) * lower;
  };
  return (ctx) => {
    const h = ctx.slice(Math.max(0, ctx.length - (n - 1)));
    return [...alphabet].map((w) => prob(h.length, h, w));
  };
}

const TEXT = 'the cat sat on the mat. the hat sat on the cat, then the bat sat. that is that. ';

describe('KneserNeyModel', () => {
  for (const order of [2, 3, 4, 5]) {
    test(`order ${order}: equals a plain reference implementation on seen and unseen contexts`, () => {
      const m = KneserNeyModel.fit(encodeText(TEXT), { order });
      const ref = referenceKn(TEXT, order, ALPHABET);
      for (const ctx of ['the', ' th', 'at', 'e c', 'hat', 'xyz', 'q', 'at.', 'on t', 'tha']) {
        const got = m.distribution(encodeText(ctx));
        const want = ref(ctx);
        got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-14, `order ${order} ctx ${JSON.stringify(ctx)} char ${ALPHABET[i]}: ${g} vs ${want[i]}`));
      }
    });
  }
  test('every distribution sums to 1 and is strictly positive', () => {
    const m = KneserNeyModel.fit(encodeText(TEXT), { order: 4 });
    for (let i = 0; i < TEXT.length; i++) {
      const d = m.distribution(encodeText(TEXT.slice(Math.max(0, i - 3), i)));
      assert.ok(Math.abs(d.reduce((s, x) => s + x, 0) - 1) < 1e-12);
      assert.ok(d.every((x) => x > 0));
    }
  });
  test('logProbsAt gives the log of distribution() at each position, predicting text[pos]', () => {
    const t = encodeText(TEXT);
    const m = KneserNeyModel.fit(t, { order: 3 });
    const lp = m.logProbsAt(t, [5, 20]);
    const d = m.distribution(t.subarray(3, 5));
    for (let w = 0; w < 32; w++) assert.ok(Math.abs(lp[w]! - Math.log(d[w]!)) < 1e-15);
    // After "th" the text continues with "e" most of the time: the model's mode.
    const th = m.distribution(encodeText('th'));
    assert.equal(th.indexOf(Math.max(...th)), ALPHABET.indexOf('e'));
  });
  test('bad orders and codes are refused', () => {
    assert.throws(() => KneserNeyModel.fit(encodeText(TEXT), { order: 7 }), /invalid order 7/);
    assert.throws(() => KneserNeyModel.fit(encodeText(TEXT), { order: 1 }), /invalid order 1/);
    assert.throws(() => KneserNeyModel.fit(Uint8Array.of(1, 2, 40, 3), { order: 2 }), /invalid text\[2\]: code 40/);
  });
});
