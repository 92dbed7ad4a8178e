import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompareAccumulator } from '../compare/accumulator.js';
import { createRowBlock } from '../compare/rowStats.js';
import { renderCompareHtml } from './compareHtml.js';

describe('renderCompareHtml', () => {
  test('self-contained page: summary, histogram, KL by position, the 50 worst positions', () => {
    const acc = new CompareAccumulator();
    const n = 120;
    const b = createRowBlock(n, 0);
    for (let i = 0; i < n; i++) {
      b.forward[i] = i === 7 ? 0 : 1e-4 * (1 + i); // one exact zero (not on the log axis)
      b.reverse[i] = 2e-4 * (1 + i);
      b.js[i] = 1e-5;
      b.tvd[i] = 0.01;
      b.argmaxBase[i] = 1;
      b.argmaxCand[i] = 1;
      b.target[i] = i;
      b.position[i] = 1 + (i % 30);
      b.logpTarget[i] = -1;
      b.logqTarget[i] = -1.1;
    }
    acc.addBlock(b);
    const result = acc.result();
    const html = renderCompareHtml(result, acc, { title: 'a <b> & c' });
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<title>a &lt;b&gt; &amp; c<\/title>/);
    assert.doesNotMatch(html, /<script|<link|https?:\/\//);
    assert.equal((html.match(/<svg/g) ?? []).length, 2);
    assert.match(html, /1 tokens with KL ≤ 0/);
    const worst = [...html.matchAll(/<tr><td>(\d+)<\/td><td>(\d+)<\/td>/g)];
    assert.equal(worst.length, 50);
    // largest KL first: row 119, then 118, …
    assert.equal(worst[0]![2], '119');
    assert.equal(worst[49]![2], '70');
    assert.match(html, /llama\.cpp(&#39;|')s KLD/);
    assert.match(html, /mean KL\(candidate‖base\)/);
  });
});
