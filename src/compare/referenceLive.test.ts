// A .klref reference made from a live GGUF model and compared with a live candidate, on
// generated tiny llama models: the certified intervals must contain what `compare base.gguf
// cand.gguf` computes from both full distributions, per token and in the mean.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KlrefFile } from '../io/klref.js';
import { tokenizerFingerprint } from '../io/gguf.js';
import { runCli } from '../testing/cli.js';
import { TINY_TEXT, writeTinyLlama, type TinyLlamaModel } from '../testing/tinyLlama.js';
import type { RowBlock } from './accumulator.js';
import { compareLive } from './live.js';
import { compareReference, type ReferenceRowBlock } from './referenceCompare.js';
import { openLiveReferenceSource, writeReference } from './referenceSource.js';

const CTX = 64;
const CHUNKS = 3;
const MEASURES = ['kld', 'reverseKld', 'js', 'tvd'] as const;

/** Per-token values of a live pair, gathered from compare's sink. */
function collect() {
  const rows: number[][] = [];
  return {
    rows,
    sink: {
      write(b: RowBlock) {
        for (let i = 0; i < b.n; i++) rows[b.row0 + i] = [b.forward[i]!, b.reverse[i]!, b.js[i]!, b.tvd[i]!];
      },
    },
  };
}

describe('reference from a live GGUF model, compared with a live candidate', () => {
  let dir: string;
  let m: TinyLlamaModel;
  let other: TinyLlamaModel;
  let text: string;
  const live = collect();
  let liveMean: Record<string, number>;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'klscope-reflive-'));
    m = writeTinyLlama({ dir, seed: 7 });
    // the same vocabulary size, other token texts: a different tokenizer
    other = writeTinyLlama({ dir, seed: 7, name: 'other', text: TINY_TEXT.replace(/The/g, 'Tha').replace(/cat/g, 'cot') });
    text = path.join(dir, 'text.txt');
    writeFileSync(text, `${TINY_TEXT} ${TINY_TEXT} ${TINY_TEXT}`);
    const [run] = await compareLive({ base: m.paths.base, candidates: [m.paths.perturbed], sinks: [live.sink], live: { text, ctx: CTX, chunks: CHUNKS, threads: 1 }, threads: 1 });
    liveMean = { kld: run!.result.kld.mean, reverseKld: run!.result.reverseKld.mean, js: run!.result.js.mean, tvd: run!.result.tvd.mean };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function boundsAt(topK: number) {
    const file = path.join(dir, `ref-${topK}.klref`);
    const src = await openLiveReferenceSource(m.paths.base, { text, ctx: CTX, chunks: CHUNKS, threads: 1 });
    try {
      await writeReference(src, file, { topK });
    } finally {
      await src.close();
    }
    const rows: Array<{ lo: number[]; hi: number[]; est: number[] }> = [];
    const run = await compareReference({
      reference: file,
      candidate: m.paths.perturbed,
      threads: 1,
      sink: {
        write(block) {
          const b = block as ReferenceRowBlock;
          for (let i = 0; i < b.n; i++) {
            rows[b.row0 + i] = { lo: Array.from(b.lo.subarray(4 * i, 4 * i + 4)), hi: Array.from(b.hi.subarray(4 * i, 4 * i + 4)), est: [b.forward[i]!, b.reverse[i]!, b.js[i]!, b.tvd[i]!] };
          }
        },
      },
    });
    return { file, rows, run };
  }

  test('the header holds the model\'s tokens, chunking and tokenizer fingerprint (method named)', async () => {
    const { file } = await boundsAt(16);
    const ref = new KlrefFile(file, 'reference');
    try {
      const h = ref.header;
      assert.deepEqual(h.chunking, { nCtx: CTX, nChunk: CHUNKS, first: CTX / 2, score: 'second-half' });
      assert.equal(h.tokenizer.fingerprint, tokenizerFingerprint(m.vocab.tokens));
      assert.match(h.tokenizer.method!, /SHA-256 over the GGUF token texts/);
      assert.equal(h.nVocab, m.vocab.tokens.length);
      assert.equal(ref.rows, live.rows.length);
      // the text's tokens as llama.cpp gives them, n_ctx·n_chunk of them (BOS goes in at evaluation)
      const ids = m.tokenize(readFileSync(text, 'utf8'));
      assert.deepEqual(Array.from(ref.tokens as ArrayLike<number>), ids.slice(0, CTX * CHUNKS));
    } finally {
      ref.close();
    }
  });

  for (const k of [1, 16, 64]) {
    test(`k = ${k}: every token's interval and the mean's contain the live pair's values`, async () => {
      const { rows, run } = await boundsAt(k);
      assert.equal(rows.length, live.rows.length);
      for (let r = 0; r < rows.length; r++) {
        for (let j = 0; j < 4; j++) {
          const v = live.rows[r]![j]!;
          // float32 logits of the same model on the same chunk: only summation order differs
          const tol = 1e-9 + 1e-6 * Math.abs(v);
          assert.ok(rows[r]!.lo[j]! <= v + tol && v - tol <= rows[r]!.hi[j]!, `row ${r} ${MEASURES[j]}: ${v} outside [${rows[r]!.lo[j]}, ${rows[r]!.hi[j]}]`);
        }
      }
      const b = run.result.bounds!;
      for (const name of MEASURES) {
        const [lo, hi] = b[name].mean;
        const v = liveMean[name]!;
        assert.ok(lo <= v + 1e-9 && v - 1e-9 <= hi, `mean ${name}: ${v} outside [${lo}, ${hi}]`);
      }
    });
  }

  test('k = n_vocab: the intervals close on the live values', async () => {
    const { rows } = await boundsAt(m.vocab.tokens.length);
    for (let r = 0; r < rows.length; r++) {
      for (let j = 0; j < 4; j++) {
        const v = live.rows[r]![j]!;
        assert.ok(rows[r]!.hi[j]! - rows[r]!.lo[j]! <= 1e-5, `row ${r} ${MEASURES[j]}: width ${rows[r]!.hi[j]! - rows[r]!.lo[j]!}`);
        // the reference stores log-probabilities in float32: |Δ log p| <= 2^-24·|log p| per token
        assert.ok(Math.abs(rows[r]!.est[j]! - v) <= 2e-6, `row ${r} ${MEASURES[j]}: estimate ${rows[r]!.est[j]} vs live ${v}`);
        assert.ok(rows[r]!.lo[j]! <= v + 1e-9 && v - 1e-9 <= rows[r]!.hi[j]!, `row ${r} ${MEASURES[j]}: ${v} outside [${rows[r]!.lo[j]}, ${rows[r]!.hi[j]}]`);
      }
    }
  });

  test('CLI: reference BASE.gguf --text, then compare ref.klref CAND.gguf contains the live compare mean; a mismatched tokenizer is refused', () => {
    const out = (n: string) => path.join(dir, n);
    const r = runCli(['reference', m.paths.base, '--text', text, '--ctx', String(CTX), '--chunks', String(CHUNKS), '--threads', '1', '-o', out('cli.klref'), '--top-k', '32']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`wrote .*cli\\.klref: ${live.rows.length} rows, top 32 of ${m.vocab.tokens.length} tokens`));
    const pair = runCli(['compare', m.paths.base, m.paths.perturbed, '--text', text, '--ctx', String(CTX), '--chunks', String(CHUNKS), '--threads', '1', '--json']);
    assert.equal(pair.code, 0, pair.stderr);
    const c = runCli(['compare', out('cli.klref'), m.paths.perturbed, '--threads', '1', '--json', '--per-token', out('pt.csv'), '--summary-out', out('s.json')]);
    assert.equal(c.code, 0, c.stderr);
    const d = JSON.parse(c.stdout);
    const p = JSON.parse(pair.stdout);
    assert.equal(d.estimator, 'reference-bounds');
    assert.equal(d.tokens, p.tokens);
    for (const name of MEASURES) assert.ok(d.bounds[name].mean[0] <= p[name].mean + 1e-9 && p[name].mean - 1e-9 <= d.bounds[name].mean[1], `${name}: ${p[name].mean} outside ${JSON.stringify(d.bounds[name].mean)}`);
    assert.ok(d.notes.some((n: string) => /Tokenizer fingerprint sha256:[0-9a-f]+ matches the candidate's/.test(n)));
    assert.equal(readFileSync(out('pt.csv'), 'utf8').trim().split('\n').length, live.rows.length + 1);
    // the summary identifies its run: it merges with itself only as a shard of the same rows, refused as overlapping
    const s = JSON.parse(readFileSync(out('s.json'), 'utf8'));
    assert.equal(s.run.base.format, 'klref');
    assert.equal(s.run.candidate.format, 'gguf');

    const before = new Set(readdirSync(dir));
    const bad = runCli(['compare', out('cli.klref'), other.paths.base, '--json', '--summary-out', out('x.json'), '--per-token', out('x.csv')]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /^klscope compare: tokenizer mismatch: the reference's fingerprint is sha256:[0-9a-f]+, .*other-f32\.gguf has sha256:[0-9a-f]+ \(same n_vocab \d+, different token texts/);
    assert.deepEqual(new Set(readdirSync(dir)), before, 'files left by the refused compare');
  });

  test('CLI: a reference from a .kld base: the live candidate\'s n_vocab is checked, its fingerprint could not be', () => {
    const out = (n: string) => path.join(dir, n);
    assert.equal(runCli(['compare', m.paths.base, m.paths.perturbed, '--text', text, '--ctx', String(CTX), '--chunks', String(CHUNKS), '--threads', '1', '--save-base', out('base.kld')]).code, 0);
    assert.equal(runCli(['reference', out('base.kld'), '-o', out('kld.klref'), '--top-k', '16']).code, 0);
    const c = runCli(['compare', out('kld.klref'), m.paths.perturbed, '--threads', '1', '--json']);
    assert.equal(c.code, 0, c.stderr);
    const d = JSON.parse(c.stdout);
    assert.ok(d.notes.some((n: string) => /fingerprint: unknown in the reference .* could not be checked; n_vocab \d+ matches/.test(n)), JSON.stringify(d.notes));
    const fromKld = runCli(['compare', out('base.kld'), m.paths.perturbed, '--threads', '1', '--json']);
    const k = JSON.parse(fromKld.stdout);
    assert.ok(d.bounds.kld.mean[0] <= k.kld.mean + 1e-9 && k.kld.mean - 1e-9 <= d.bounds.kld.mean[1], `${k.kld.mean} outside ${JSON.stringify(d.bounds.kld.mean)}`);
  });

  test('CLI: bad --text inputs and flags as compare\'s live path: one line, nothing left', () => {
    const out = (n: string) => path.join(dir, 'no-such-folder', n);
    writeFileSync(path.join(dir, 'empty.txt'), '');
    writeFileSync(path.join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0xe9, 0x20]));
    writeFileSync(path.join(dir, 'blank.txt'), ' \n\t\n');
    writeFileSync(path.join(dir, 'short.txt'), 'The cat sat.');
    const before = new Set(readdirSync(dir));
    for (const t of ['empty.txt', 'latin1.txt', 'blank.txt', 'short.txt', 'missing.txt']) {
      const file = path.join(dir, t);
      const r = runCli(['reference', m.paths.base, '--text', file, '--ctx', String(CTX), '-o', path.join(dir, 'x.klref')]);
      const c = runCli(['compare', m.paths.base, m.paths.perturbed, '--text', file, '--ctx', String(CTX)]);
      assert.equal(r.code, 1, `${t}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(c.code, r.code, t);
      // the same message as compare's live path, after the command's name
      assert.equal(r.stderr.replace(/^klscope reference: /, ''), c.stderr.replace(/^klscope compare: /, ''), t);
    }
    const usage: Array<[string[], RegExp]> = [
      [['reference', m.paths.base, '-o', path.join(dir, 'x.klref')], /^klscope reference: a GGUF source needs --text FILE/],
      [['reference', m.paths.base, '--text', text, '--ctx', '1000', '-o', path.join(dir, 'x.klref')], /^klscope reference: --ctx: expected at most 256 tokens \(.* was trained with a context of 256 tokens\), got 1000/],
      [['reference', m.paths.base, '--text', text, '--tokens', text, '-o', path.join(dir, 'x.klref')], /^klscope reference: --tokens does not apply to a GGUF source/],
      [['compare', path.join(dir, 'ref-16.klref'), m.paths.perturbed, '--text', text], /^klscope compare: --text does not apply with a \.klref base/],
      [['compare', path.join(dir, 'ref-16.klref'), m.paths.perturbed, '--per-token', out('p.csv')], /^klscope compare: .*p\.csv/],
    ];
    for (const [args, re] of usage) {
      const r = runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.deepEqual(new Set(readdirSync(dir)), before, 'files left behind');
  });
});
