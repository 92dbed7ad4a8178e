import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeKldFixture } from '../testing/kldFixtures.js';
import { kldLayout } from '../io/kld.js';
import { OutputGroup, tempName } from '../io/output.js';
import { DataError } from '../errors.js';
import { createPerTokenWriter } from '../report/perToken.js';
import type { RowSink } from '../compare/types.js';
import { compareFiles } from '../compare/engine.js';
import { tourSection } from './compare.js';
import { compareLive } from '../compare/live.js';
import { TINY_TEXT, writeTinyLlama } from '../testing/tinyLlama.js';
import { runCli } from '../testing/cli.js';
import { tempFiles } from '../testing/tempFiles.js';

const cli = (...args: string[]) => runCli(args);

describe('klscope compare (CLI)', () => {
  const { dir, path: out } = tempFiles('clicmp');
  const fx = writeKldFixture({ dir, nCtx: 24, nVocab: 501, nChunk: 6, seed: 5 });

  test('--json prints one document with the contract keys and the library\'s numbers', async () => {
    const r = cli('compare', fx.base, fx.cand, '--json', '--threads', '2');
    assert.equal(r.code, 0, r.stderr);
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
    assert.equal(r.code, 0, r.stderr);
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
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^klscope compare: token mismatch at index 50 of the token list/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.deepEqual(new Set(readdirSync(dir)), before);
    const u = cli('compare', fx.base, fx.cand, '--rows', 'x:y');
    assert.equal(u.code, 2);
    assert.match(u.stderr, /--rows: expected START:END .*got "x:y"/);
    const h = cli('compare', '--help');
    assert.match(h.stdout, /Examples:/);
    assert.ok(!existsSync(out('x.parquet')));
  });

  test('a run that fails after the per-token file started leaves no output and no temporary file', () => {
    const big = path.join(dir, 'big');
    mkdirSync(big);
    // 765 rows in blocks of about 192 (one thread): three blocks reach the per-token file before row 700
    const fb = writeKldFixture({ dir: big, nCtx: 512, nVocab: 64, nChunk: 3, seed: 7 });
    const h = kldLayout(512, 64, 3);
    const b = Buffer.from(readFileSync(fb.cand));
    b.writeFloatLE(NaN, h.dataOffset + 700 * h.rowBytes);
    writeFileSync(path.join(big, 'nan.kld'), b);
    const before = new Set(readdirSync(big));
    for (const perToken of ['t.csv', 't.parquet']) {
      const r = cli('compare', fb.base, path.join(big, 'nan.kld'), '--threads', '1', '--per-token', path.join(big, perToken), '--report', path.join(big, 'r.html'), '--summary-out', path.join(big, 's.json'));
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /row 700 .*scale is NaN/);
      assert.deepEqual(new Set(readdirSync(big)), before, `${perToken}: left ${readdirSync(big).filter((n) => !before.has(n)).join(', ')}`);
    }
  });

  test('tourSection compares two generated files', async () => {
    const text = await tourSection();
    assert.match(text, /KL\(base‖candidate\)/);
    assert.match(text, /KL\(candidate‖base\)/);
    assert.match(text, /PPL\(candidate\)\/PPL\(base\) = \d/);
  });

  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});

describe('klscope compare on GGUF models (CLI)', () => {
  const { dir, file, path: out } = tempFiles('cligguf');
  const m = writeTinyLlama({ dir, seed: 11 });
  const text = file('text.txt', `${TINY_TEXT}\n${TINY_TEXT}\n${TINY_TEXT}`);
  const live = ['--text', text, '--ctx', '64', '--chunks', '2', '--threads', '1'];

  test('one command: two models and a text give the file-input document; --save-base, --per-token, --report written', async () => {
    const r = cli('compare', m.paths.base, m.paths.perturbed, ...live, '--json', '--save-base', out('base.kld'), '--per-token', out('t.csv'), '--report', out('r.html'));
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.direction, 'KL(base‖candidate)');
    assert.equal(j.tokens, 2 * 31);
    for (const k of ['mean', 'stderr', 'p99', 'max']) assert.equal(typeof j.kld[k], 'number');
    assert.equal(j.inputs[0].format, 'gguf');
    assert.equal(j.inputs[1].bitsPerWeight, 32);
    const lib = await compareLive({ base: m.paths.base, candidates: [m.paths.perturbed], live: { text, ctx: 64, chunks: 2, threads: 1 }, threads: 1 });
    assert.equal(j.kld.mean, lib[0]!.result.kld.mean);
    assert.equal(readFileSync(out('t.csv'), 'utf8').trim().split('\n').length, 1 + 2 * 31);
    assert.match(readFileSync(out('r.html'), 'utf8'), /<svg/);
    // the saved base against the live candidate: llama.cpp's setting, tokens and chunks from the file
    const k = cli('compare', out('base.kld'), m.paths.perturbed, '--json', '--threads', '1');
    assert.equal(k.code, 0, k.stderr);
    const jk = JSON.parse(k.stdout);
    assert.equal(jk.tokens, 2 * 31);
    assert.ok(Math.abs(jk.kld.mean - j.kld.mean) < 2.5e-4, `${jk.kld.mean} vs ${j.kld.mean}`);
  });

  test('a quantization ladder: one table with a column per candidate, --json {base, candidates}, ladder report', () => {
    const t = cli('compare', m.paths.base, m.paths.perturbed, m.paths.q8_0, ...live, '--report', out('ladder.html'));
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /tiny-perturbed-f32\.gguf +tiny-q8_0\.gguf/);
    for (const row of ['mean KL(base‖candidate)', 'mean KL(candidate‖base)', '99.9% KL', 'max KL', 'same top p', 'RMS Δp', 'PPL(candidate)/PPL(base)', 'file size', 'bits per weight']) {
      assert.ok(t.stdout.includes(row), row);
    }
    const html = readFileSync(out('ladder.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /model file size/);
    const r = cli('compare', m.paths.base, m.paths.perturbed, m.paths.q8_0, ...live, '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.base.format, 'gguf');
    assert.equal(j.candidates.length, 2);
    assert.equal(j.candidates[1].inputs[1].path, m.paths.q8_0);
    assert.ok(j.candidates[1].kld.mean < j.candidates[0].kld.mean);
    assert.equal(j.candidates[0].direction, 'KL(base‖candidate)');
  });

  test('bad input: one line, exit 1 (2 for usage), nothing on stdout, no file left', () => {
    const notGguf = out('not.gguf');
    writeFileSync(notGguf, 'plain text, not a model');
    const empty = out('empty.txt');
    writeFileSync(empty, '');
    const cases: Array<[string[], number, RegExp]> = [
      [[m.paths.base, notGguf, ...live], 1, /not\.gguf/],
      [[m.paths.base, m.paths.perturbed, '--text', empty, '--ctx', '64', '--threads', '1'], 1, /empty\.txt: the text is empty/],
      [[m.paths.base, m.paths.perturbed, '--text', text, '--ctx', '1024'], 2, /--ctx: expected at most 256 tokens \(.*trained with a context of 256 tokens\), got 1024/],
      [[m.paths.base, m.paths.perturbed], 2, /needs --text FILE/],
      [[m.paths.base, m.paths.perturbed, ...live, '--save-base', out('x.txt')], 2, /invalid --save-base/],
      [[m.paths.base, m.paths.perturbed, m.paths.q8_0, ...live, '--per-token', out('p.csv')], 2, /--per-token takes one candidate/],
    ];
    const before = new Set(readdirSync(dir));
    for (const [args, code, re] of cases) {
      // every run would also save the base: a failed one leaves no file behind
      const r = cli('compare', ...args, ...(args.includes('--save-base') ? [] : ['--save-base', out('never.kld')]));
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.deepEqual(new Set(readdirSync(dir)), before);
  });

  test('a live run that fails after --save-base and --per-token started leaves no output and no temporary file', async () => {
    const sub = path.join(dir, 'failing');
    mkdirSync(sub);
    const kld = path.join(sub, 'base.kld');
    const csv = path.join(sub, 't.csv');
    const html = path.join(sub, 'r.html');
    let started = { kld: 0, csv: 0 };
    await assert.rejects(
      new OutputGroup().run(async (out) => {
        out.reserve(html);
        const writer = createPerTokenWriter(csv, { text: true, out });
        let blocks = 0;
        // the second chunk's block fails, after the first chunk reached both files
        const sink: RowSink = {
          write(b, t) {
            if (++blocks === 2) {
              started = { kld: statSync(tempName(kld)).size, csv: statSync(tempName(csv)).size };
              throw new DataError('the sink fails on its second block');
            }
            writer.write(b, t);
          },
        };
        await compareLive({ base: m.paths.base, candidates: [m.paths.perturbed], live: { text, ctx: 64, chunks: 2, threads: 1, saveBase: kld }, sinks: [sink], out, threads: 1 });
      }),
      /the sink fails on its second block/,
    );
    assert.ok(started.kld >= 20 + 4 * 64 * 2, `the base file had started (${started.kld} bytes)`);
    assert.ok(started.csv > 100, `the per-token file had started (${started.csv} bytes)`);
    assert.deepEqual(readdirSync(sub), []);
  });
  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
