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
    assert.doesNotMatch(html, /<script|<link|(src|href)="https?:/);
    assert.equal((html.match(/<svg[^>]*viewBox/g) ?? []).length, 2);
    assert.match(html, /1 token with KL ≤ 0/);
    const worst = [...html.matchAll(/<tr><td>(\d+)<\/td><td>(\d+)<\/td>/g)];
    assert.equal(worst.length, 50);
    // largest KL first: row 119, then 118, …
    assert.equal(worst[0]![2], '119');
    assert.equal(worst[49]![2], '70');
    assert.match(html, /llama\.cpp(&#39;|')s KLD/);
    assert.match(html, /mean KL\(candidate‖base\)/);
  });
  test('charts from Observable Plot: real y ticks, legend outside the plot, a zero line when a mean is negative', () => {
    const acc = new CompareAccumulator();
    const n = 60;
    const b = createRowBlock(n, 0);
    for (let i = 0; i < n; i++) {
      b.forward[i] = 1e-3 * (1 + (i % 7));
      b.reverse[i] = i % 30 === 3 ? -2e-3 : 1e-3; // rounding can leave a tiny negative mean
      b.js[i] = 1e-5;
      b.tvd[i] = 0.01;
      b.position[i] = i % 30;
      b.target[i] = -1;
    }
    acc.addBlock(b);
    const html = renderCompareHtml(acc.result(), acc);
    const position = html.slice(html.indexOf('<h2>KL by position'));
    const yTicks = [...position.slice(0, position.indexOf('</svg>', position.indexOf('viewBox'))).matchAll(/aria-label="y-axis tick label"[\s\S]*?<\/g>/g)][0]![0];
    assert.ok((yTicks.match(/<text/g) ?? []).length >= 4, yTicks);
    assert.match(position, /−0\.00\d/, 'a negative tick is labelled');
    assert.match(position, /aria-label="rule"/);
    // the legend is HTML swatches above the svg, not text drawn on the data
    assert.match(position, /-swatches[\s\S]*mean KL\(base‖candidate\)[\s\S]*<svg/);
  });
  test('top-k lower bounds: every divergence label says ≥, never "llama.cpp\'s KLD" or "exact quantiles" alone; one position bin still draws', () => {
    const acc = new CompareAccumulator({ positionBinWidth: 256 });
    acc.estimator = 'topk-lower-bound';
    const n = 40;
    const b = createRowBlock(n, 0);
    for (let i = 0; i < n; i++) {
      b.forward[i] = 0.01 + 1e-3 * i;
      b.reverse[i] = 0.02;
      b.js[i] = 1e-3;
      b.tvd[i] = 0.05;
      b.position[i] = i;
      b.target[i] = -1;
    }
    acc.addBlock(b);
    const html = renderCompareHtml(acc.result(), acc);
    assert.match(html, /LOWER BOUND \(≥\)/);
    assert.match(html, /mean KL\(base‖candidate\) ≥ \(a lower bound on llama\.cpp(&#39;|')s KLD\)/);
    assert.match(html, /mean KL\(candidate‖base\) ≥/);
    assert.doesNotMatch(html, /is llama\.cpp(&#39;|')s "KLD"/);
    assert.match(html, /exact quantiles of the per-token lower bounds/);
    const position = html.slice(html.indexOf('<h2>KL by position'));
    assert.equal((position.slice(0, position.indexOf('</svg>', position.indexOf('aria-label="dot"'))).match(/<circle/g) ?? []).length, 2, 'one dot per direction');
    assert.match(position, /All 40 positions fall in one bin of 256/);
  });
});
