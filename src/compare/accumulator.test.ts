import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompareAccumulator } from './accumulator.js';
import { createRowBlock } from './rowStats.js';
import { seededRandom } from '../random.js';

function randomBlock(n: number, row0: number, seed: number, withTargets = true) {
  const rnd = seededRandom(seed);
  const b = createRowBlock(n, row0);
  for (let i = 0; i < n; i++) {
    b.forward[i] = rnd() ** 3;
    b.reverse[i] = rnd() ** 2;
    b.js[i] = 0.1 * rnd();
    b.tvd[i] = 0.5 * rnd();
    b.argmaxBase[i] = Math.floor(3 * rnd());
    b.argmaxCand[i] = Math.floor(3 * rnd());
    b.position[i] = row0 + i;
    if (withTargets) {
      b.target[i] = i;
      b.logpTarget[i] = -3 * rnd();
      b.logqTarget[i] = -3 * rnd();
    }
  }
  return b;
}

describe('CompareAccumulator', () => {
  test('statistics by the definitions, computed here from the same per-token values', () => {
    const acc = new CompareAccumulator();
    const b = randomBlock(101, 0, 1);
    acc.addBlock(b);
    const r = acc.result();
    const f = [...b.forward];
    const n = f.length;
    const mean = f.reduce((s, x) => s + x, 0) / n;
    const v = f.reduce((s, x) => s + x * x, 0) / n - mean * mean;
    assert.ok(Math.abs(r.kld.mean! - mean) < 1e-15);
    assert.ok(Math.abs(r.kld.stderr! - Math.sqrt(v / (n - 1))) < 1e-12);
    const sorted = f.slice().sort((x, y) => x - y);
    assert.equal(r.kld.median, sorted[50]);
    assert.equal(r.kld.max, sorted[100]);
    // p90 at index 90 exactly; p95 at 95, p99 at 99 (N − 1 = 100)
    assert.ok(Math.abs(r.kld.p90! - sorted[90]!) < 1e-15);
    const same = [...b.argmaxBase].filter((x, i) => x === b.argmaxCand[i]).length / n;
    assert.equal(r.sameTop.p, same);
    assert.equal(r.quantiles.method, 'exact');
  });

  test('the worst list and all sums do not depend on how rows are split or ordered', () => {
    const whole = new CompareAccumulator({ worstCount: 10 });
    const blocks = [randomBlock(40, 0, 2), randomBlock(35, 40, 3), randomBlock(50, 75, 4)];
    for (const b of blocks) whole.addBlock(b);
    const parts = blocks.map((b) => {
      const a = new CompareAccumulator({ worstCount: 10 });
      a.addBlock(b);
      return CompareAccumulator.fromSummary(JSON.parse(JSON.stringify(a.toSummary())));
    });
    const merged = parts[2]!;
    merged.merge(parts[0]!);
    merged.merge(parts[1]!);
    const w = whole.result();
    const m = merged.result();
    assert.equal(m.kld.mean, w.kld.mean);
    assert.equal(m.tvd.stderr, w.tvd.stderr);
    assert.deepEqual(m.ppl, w.ppl);
    assert.deepEqual(merged.worst.map((x) => x.row), whole.worst.slice(0, 10).map((x) => x.row));
    assert.equal(merged.byPosition.size, whole.byPosition.size);
  });

  test('rows without a target leave perplexity to the others, with a note; bad merges are refused', () => {
    const acc = new CompareAccumulator();
    acc.addBlock(randomBlock(20, 0, 5, true));
    acc.addBlock(randomBlock(5, 20, 6, false));
    const r = acc.result();
    assert.equal(r.tokens, 25);
    assert.ok(r.notes.some((x) => x.startsWith('5 of 25 tokens had no target token')));
    const none = new CompareAccumulator();
    none.addBlock(randomBlock(12, 0, 7, false));
    assert.equal(none.result().ppl, null);
    assert.equal(none.result().deltaP, null);
    assert.throws(() => new CompareAccumulator({ positionBinWidth: 2 }).merge(acc), /position bins of width 2 and 1/);
    assert.throws(() => CompareAccumulator.fromSummary({ format: 'x' } as never, 'p.json'), /p\.json: not a klscope compare summary/);
    const nan = randomBlock(3, 0, 8);
    nan.forward[1] = NaN;
    assert.throws(() => new CompareAccumulator().addBlock(nan), /row 1: KL came out NaN/);
  });
});
