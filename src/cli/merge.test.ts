import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeKldFixture } from '../testing/kldFixtures.js';
import { compareFiles } from '../compare/engine.js';
import { runCli } from '../testing/cli.js';
import { tempFiles } from '../testing/tempFiles.js';

const cli = (...args: string[]) => runCli(args);

describe('klscope merge (CLI)', () => {
  const { dir, path: out } = tempFiles('climerge');
  const fx = writeKldFixture({ dir, nCtx: 24, nVocab: 501, nChunk: 6, seed: 5 });

  test('merge of --rows shards equals the unsplit run exactly for means', async () => {
    // shards through the library (a CLI start is slow on a loaded machine), merged by the CLI
    const wholeRun = await compareFiles({ base: fx.base, candidate: fx.cand, threads: 1 });
    const whole = JSON.parse(JSON.stringify(wholeRun.result));
    for (const [i, range] of [[0, 20], [20, 45], [45, 66]].entries()) {
      const part = await compareFiles({ base: fx.base, candidate: fx.cand, threads: 1, rowRange: range as [number, number] });
      writeFileSync(out(`p${i}.json`), JSON.stringify(part.accumulator.toSummary()));
    }
    const m = cli('merge', out('p0.json'), out('p1.json'), out('p2.json'), '--json', '--summary-out', out('all.json'), '--report', out('all.html'));
    assert.equal(m.code, 0, m.stderr);
    const j = JSON.parse(m.stdout);
    assert.equal(j.tokens, whole.tokens);
    assert.equal(j.kld.mean, whole.kld.mean);
    assert.equal(j.kld.stderr, whole.kld.stderr);
    assert.equal(j.reverseKld.mean, whole.reverseKld.mean);
    assert.deepEqual(j.ppl, whole.ppl);
    assert.equal(j.deltaP.rms, whole.deltaP.rms);
    assert.equal(j.quantiles.method, 'sketch');
    const a = j.quantiles.relativeError;
    for (const k of ['p99', 'median', 'p10']) assert.ok(Math.abs(j.kld[k] - whole.kld[k]) <= a * Math.abs(whole.kld[k]) * (1 + 1e-9), k);
    assert.equal(JSON.parse(readFileSync(out('all.json'), 'utf8')).count, 66);
    assert.match(readFileSync(out('all.html'), 'utf8'), /klscope merge: 3 shards/);
    writeFileSync(out('t.csv'), 'row,position\n');
    const bad = cli('merge', out('t.csv'));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^klscope merge: .*t\.csv: not JSON/);
  });

  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
