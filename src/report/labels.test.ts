import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompareAccumulator } from '../compare/accumulator.js';
import { createRowBlock } from '../compare/rowStats.js';
import { compareTable } from '../cli/compare.js';
import { runCli } from '../testing/cli.js';
import { counted, shortNumber } from '../words.js';
import { formatNumber, formatPercent, sketchDigits } from './format.js';
import { measureName } from './labels.js';
import { displayWidth, renderTable } from './table.js';
import { renderCompareHtml } from './compareHtml.js';

const dir = mkdtempSync(path.join(tmpdir(), 'klscope-labels-'));

describe('labels for people', () => {
  test('the JS bound is in the unit of the table', () => {
    assert.equal(measureName('jsDivergence', 'bits'), 'Jensen–Shannon divergence (≤ 1 bit)');
    assert.equal(measureName('jsDivergence', 'nats'), 'Jensen–Shannon divergence (≤ ln 2 nats)');
    const r = runCli(['kl', '--p', '0.5,0.5', '--q', '0.9,0.1', '--unit', 'bits']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Jensen–Shannon divergence \(≤ 1 bit\)/);
    assert.doesNotMatch(r.stdout, /ln 2/);
  });
  test('tables pad by display width: a CJK character takes two columns', () => {
    assert.equal(displayWidth('我们'), 4);
    assert.equal(displayWidth('KL(P‖Q)'), 7);
    assert.equal(displayWidth('e\u0301'), 1);
    const t = renderTable(['n-gram', 'count'], [['"非常"', '6'], ['"the"', '12']]);
    const lines = t.trim().split('\n');
    assert.deepEqual(lines.map((l) => displayWidth(l)), [13, 13, 13, 13], t);
  });
  test('--bootstrap 0 prints no interval column and no "0 replicates"', () => {
    const r = runCli(['samples', 'data/samples/real.csv', 'data/samples/generated.csv', '--bootstrap', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /CI|0 replicates/);
    assert.match(r.stdout, /no interval \(--bootstrap 0\)/);
  });
  test('one of a thing is singular: "1 sequence", "1 token"', () => {
    assert.equal(counted(1, 'sequence'), '1 sequence');
    assert.equal(counted(0, 'line'), '0 lines');
    const f = path.join(dir, 'one.jsonl');
    writeFileSync(f, '{"logp": [-1.5], "logq": [-1]}\n');
    const r = runCli(['estimate', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 token in 1 sequence\b/);
  });
  test('one minus sign (U+2212), no "−0.000%", one precision per column', () => {
    assert.equal(formatPercent(-0.0013), '−0.130%');
    assert.equal(formatPercent(-1e-9), '0.000%');
    assert.equal(formatPercent(0.5), '50.000%');
    assert.equal(formatNumber(-2.98431, 6), '−2.98431');
    assert.equal(formatNumber(-Infinity), '−∞');
    // 6 significant digits in every cell: trailing zeros stay
    assert.equal(formatNumber(1.0862, 6), '1.08620');
    assert.equal(formatNumber(2.0433, 6), '2.04330');
    assert.equal(formatNumber(0.1, 4), '0.1000');
    assert.equal(formatNumber(123456.7, 6), '123457');
    assert.equal(formatNumber(-1e-13, 6), '−1.00e-13');
  });
  test('merged (sketch) quantiles are labelled as sketch values, to the digits they are good for', () => {
    const acc = new CompareAccumulator({ retainLimit: 0 });
    const b = createRowBlock(200, 0);
    for (let i = 0; i < 200; i++) {
      b.forward[i] = 0.01 * (1 + i / 1000);
      b.reverse[i] = 0.0101 * (1 + i / 1000);
      b.position[i] = i;
      b.target[i] = -1;
    }
    acc.addBlock(b);
    const r = acc.result();
    assert.equal(r.quantiles.method, 'sketch');
    assert.equal(sketchDigits(r.quantiles.relativeError), 3);
    const t = compareTable(r, 'merged');
    assert.match(t, /quantiles are sketch values \(relative error ≤ 0\.5%\), shown to the 3 significant digits/);
    const median = t.split('\n').find((l) => l.startsWith('median (sketch)'))!;
    assert.ok(median, t);
    for (const v of median.match(/\d+\.\d+/g)!) assert.ok(v.replace(/^0\.0*/, '').length <= 3, `${v} has more digits than the sketch holds`);
    assert.match(renderCompareHtml(r, acc), /\(sketch values\)/);
  });
  test('sums in errors are short: 1.05, not 1.0500000000000003', () => {
    assert.equal(shortNumber(0.5 + 0.3 + 0.25), '1.05');
    assert.equal(shortNumber(1.000000001), '1.000000001');
    const r = runCli(['kl', '--p', '0.5,0.3,0.25', '--q', '0.4,0.4,0.2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /values sum to 1\.05 \(off by/);
    const m = runCli(['fit', '--mix', '0.3:-2:0.5,0.75:2:1.5']);
    assert.match(m.stderr, /weights sum to 1\.05, they must/);
  });
});
