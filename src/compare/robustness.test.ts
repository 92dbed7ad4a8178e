import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeNpy } from '../io/npy.js';
import { KldWriter } from '../io/kld.js';
import { compareFiles, threadCount } from './engine.js';
import { CompareAccumulator } from './accumulator.js';
import { checkShardRanges } from './runIdentity.js';
import { writeKldFixture } from '../testing/kldFixtures.js';
import { mergeSummaryFiles } from './merge.js';

const dir = mkdtempSync(path.join(tmpdir(), 'klscope-robust-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('compare: undefined statistics are null, never NaN', () => {
  test('a masked (−∞) target logit: PPL(Q) = ∞ and its stderr, the ratio stderr and diff stderr are null', async () => {
    const b = new Float32Array(40);
    const c = b.slice();
    c[3] = -Infinity; // row 0, token 3 (the target of row 0)
    writeFileSync(path.join(dir, 'b.npy'), encodeNpy(b, [4, 10]));
    writeFileSync(path.join(dir, 'c.npy'), encodeNpy(c, [4, 10]));
    writeFileSync(path.join(dir, 'ids.json'), JSON.stringify([0, 3, 1, 2, 5]));
    const run = await compareFiles({ base: path.join(dir, 'b.npy'), candidate: path.join(dir, 'c.npy'), tokens: path.join(dir, 'ids.json'), threads: 1 });
    const p = run.result.ppl!;
    assert.equal(p.candidate, Infinity);
    assert.equal(p.candidateStderr, null);
    assert.equal(p.ratioStderr, null);
    assert.equal(p.diffStderr, null);
    assert.ok(Math.abs(p.base - 10) < 1e-12);
    assert.equal(run.result.kld.mean, Infinity);
    assert.equal(run.result.kld.stderr, null);
    assert.ok(!JSON.stringify(run.result).includes('NaN'));
  });
});

describe('compare: targets at the .kld floor', () => {
  test('targets stored at code 0 of a clamped window are counted per side and noted as bounds', async () => {
    const nCtx = 8;
    const tokens = [0, 1, 2, 3, 4, 5, 5, 0]; // the scored rows predict 5, 5, 0
    for (const [name, low] of [['fa.kld', -30], ['fb.kld', -3]] as const) {
      const w = new KldWriter(path.join(dir, name), { nCtx, nVocab: 6, nChunk: 1, tokens });
      for (let r = 0; r < w.header.rows; r++) w.writeLogits(new Float32Array([2, 1, 0.5, 0, -1, low]));
      w.close();
    }
    const run = await compareFiles({ base: path.join(dir, 'fa.kld'), candidate: path.join(dir, 'fb.kld'), threads: 1 });
    assert.deepEqual(run.result.ppl!.floorTargets, { base: 2, candidate: 0 });
    assert.ok(run.result.notes.some((n) => /2 for the base of 3 target tokens are stored at the \.kld floor.*upper bounds/.test(n)));
    // the same file on both sides, spanning less than 16 nats: code 0 is the exact minimum, not a floor
    const same = await compareFiles({ base: path.join(dir, 'fb.kld'), candidate: path.join(dir, 'fb.kld'), threads: 1 });
    assert.deepEqual(same.result.ppl!.floorTargets, { base: 0, candidate: 0 });
    // counts survive the summary round trip and add up in a merge
    const acc = CompareAccumulator.fromSummary(JSON.parse(JSON.stringify(run.accumulator.toSummary())), 's.json');
    assert.deepEqual(acc.result().ppl!.floorTargets, { base: 2, candidate: 0 });
  });
});

describe('compare: --threads is capped at the core count', () => {
  test('threadCount', () => {
    assert.equal(threadCount(1000), availableParallelism());
    assert.equal(threadCount(1), 1);
    assert.equal(threadCount(undefined), availableParallelism());
    assert.equal(threadCount(0), 1);
  });
});

describe('merge: run identity and row ranges', () => {
  test('checkShardRanges: repeats and overlaps throw, gaps are returned', () => {
    assert.deepEqual(checkShardRanges([{ name: 'a', range: [0, 10] }, { name: 'b', range: [15, 20] }], 25), [[10, 15], [20, 25]]);
    assert.throws(() => checkShardRanges([{ name: 'a', range: [0, 10] }, { name: 'b', range: [0, 10] }], 10), /b: rows 0:10 are already in a \(the same shard twice\?\)/);
    assert.throws(() => checkShardRanges([{ name: 'a', range: [0, 10] }, { name: 'b', range: [9, 12] }], 12), /overlap rows 0:10 of a/);
  });

  test('summaries of different n_ctx or vocabularies do not merge; invariants are checked', async () => {
    const d1 = mkdtempSync(path.join(dir, 'r1-'));
    const d2 = mkdtempSync(path.join(dir, 'r2-'));
    const f1 = writeKldFixture({ dir: d1, nCtx: 16, nVocab: 11, nChunk: 2 });
    const f2 = writeKldFixture({ dir: d2, nCtx: 8, nVocab: 11, nChunk: 4, seed: 2 });
    const a = await compareFiles({ base: f1.base, candidate: f1.cand, rowRange: [0, 5], threads: 1 });
    const b = await compareFiles({ base: f2.base, candidate: f2.cand, rowRange: [5, 10], threads: 1 });
    const sa = path.join(dir, 'sa.json');
    const sb = path.join(dir, 'sb.json');
    writeFileSync(sa, JSON.stringify(a.accumulator.toSummary()));
    writeFileSync(sb, JSON.stringify(b.accumulator.toSummary()));
    assert.throws(() => mergeSummaryFiles([sa, sb]), /sb\.json: expected a shard of the same run as .*sa\.json, got a different run: the base differs in (rows|nCtx)/);
    const bad = (edit: (j: Record<string, any>) => void, re: RegExp) => {
      const j = JSON.parse(JSON.stringify(a.accumulator.toSummary()));
      edit(j);
      writeFileSync(sb, JSON.stringify(j));
      assert.throws(() => mergeSummaryFiles([sb]), re);
    };
    bad((j) => delete j.sketches, /sb\.json: sketches: expected a required field, got nothing \(it is missing\)/);
    bad((j) => (j.count = -7), /count: expected >=0, got -7/);
    bad((j) => (j.sameTop = j.count * 1000), /sameTop: expected at most count/);
    bad((j) => (j.positionBinWidth = 0), /positionBinWidth: expected >=1, got 0/);
    bad((j) => (j.sums.kld.partials = [1e308, 1e308]), /sums\.kld\.partials: expected partials with a finite sum/);
    bad((j) => (j.sums.kld.partials = ['x']), /sums\.kld\.partials\[0\]: expected number, got "x"/);
    bad((j) => (j.version = 1), /version: expected summary version 2/);
  });
});
