import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKldFixture } from '../compare/fixtures.js';
import { compareFiles } from '../compare/engine.js';
import { tourSection } from './compare.js';

const root = process.env.KLSCOPE_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/klscope.js'), ...args], { encoding: 'utf8' });

describe('klscope compare (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-clicmp-'));
  const fx = writeKldFixture({ dir, nCtx: 24, nVocab: 501, nChunk: 6, seed: 5 });
  const out = (name: string) => path.join(dir, name);

  test('--json prints one document with the contract keys and the library\'s numbers', async () => {
    const r = cli('compare', fx.base, fx.cand, '--json', '--threads', '2');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const q = ['mean', 'stderr', 'max', 'p999', 'p99', 'p95', 'p90', 'median', 'p10', 'p05', 'p01', 'p001', 'min'];
    assert.equal(j.tokens, 66);
    assert.equal(j.direction, 'KL(base‖candidate)');
    for (const k of q) {
      assert.equal(typeof j.kld[k], 'number', `kld.${k}`);
      assert.equal(typeof j.reverseKld[k], 'number', `reverseKld.${k}`);
    }
    assert.equal(typeof j.js.mean, 'number');
    assert.deepEqual(Object.keys(j.sameTop).sort(), ['p', 'stderr']);
    for (const k of ['mean', 'stderr', 'rms', 'max', 'min', 'median']) assert.equal(typeof j.deltaP[k], 'number');
    for (const k of ['base', 'candidate', 'ratio', 'lnRatio', 'lnRatioStderr', 'cor']) assert.equal(typeof j.ppl[k], 'number');
    const lib = await compareFiles({ base: fx.base, candidate: fx.cand, threads: 1 });
    assert.equal(j.kld.mean, lib.result.kld.mean);
    assert.equal(j.reverseKld.p99, lib.result.reverseKld.p99);
  });

  test('the table names both directions; the files are written; CSV has one line per token', () => {
    const r = cli('compare', fx.base, fx.cand, '--per-token', out('t.csv'), '--report', out('r.html'), '--summary-out', out('s.json'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /KL\(base‖candidate\) = llama\.cpp's KLD/);
    assert.match(r.stdout, /KL\(candidate‖base\)/);
    assert.match(r.stdout, /Same top p/);
    assert.equal(r.stderr, ''); // no progress bar when stderr is not a terminal
    const csv = readFileSync(out('t.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 67);
    assert.match(csv[0]!, /^row,position,token,kl_base_candidate,kl_candidate_base,/);
    const html = readFileSync(out('r.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.doesNotMatch(html, /<script|https?:\/\//);
    assert.equal((html.match(/<tr><td>\d+<\/td><td>\d+<\/td>/g) ?? []).length, 50);
    assert.equal(JSON.parse(readFileSync(out('s.json'), 'utf8')).format, 'klscope-compare-summary');
  });

  test('errors exit 1 with one line and leave no output files; usage errors exit 2', () => {
    const b = Buffer.from(readFileSync(fx.cand));
    b.writeInt32LE(b.readInt32LE(20 + 4 * 50) + 1, 20 + 4 * 50);
    writeFileSync(out('bad.kld'), b);
    const before = new Set(readdirSync(dir));
    const r = cli('compare', fx.base, out('bad.kld'), '--per-token', out('x.parquet'), '--report', out('x.html'), '--summary-out', out('x.json'));
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^klscope compare: token mismatch at index 50 of the token list/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.deepEqual(new Set(readdirSync(dir)), before);
    const u = cli('compare', fx.base, fx.cand, '--rows', 'x:y');
    assert.equal(u.status, 2);
    assert.match(u.stderr, /invalid --rows "x:y"/);
    const h = cli('compare', '--help');
    assert.match(h.stdout, /Examples:/);
    assert.ok(!existsSync(out('x.parquet')));
  });

  test('tourSection compares two generated files', async () => {
    const text = await tourSection();
    assert.match(text, /KL\(base‖candidate\)/);
    assert.match(text, /KL\(candidate‖base\)/);
    assert.match(text, /PPL\(candidate\)\/PPL\(base\) = \d/);
  });

  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
