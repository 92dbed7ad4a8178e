// klscope against llama.cpp itself: files made once with llama-perplexity from node-llama-cpp's
// own llama.cpp (see __fixtures__/llama-cpp/README.md), checked with no llama.cpp at test time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KldFile, kldRowView } from '../io/kld.js';
import { repoRoot } from '../testing/cli.js';
import { compareLive } from './live.js';

const fx = (name: string) => path.join(repoRoot, 'src/compare/__fixtures__/llama-cpp', name);

/** The statistics llama-perplexity printed: label → [value, unit of its last printed digit]. */
function printed(): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const line of readFileSync(fx('llama-perplexity.txt'), 'utf8').split('\n')) {
    const m = /^(.+?)\s*:\s*(-?\d+\.(\d+))/.exec(line);
    if (m) out.set(m[1]!.replace(/\s+/g, ' ').trim(), [Number(m[2]), 10 ** -m[3]!.length]);
  }
  return out;
}

test("a llama.cpp base file against a live candidate reproduces llama-perplexity --kl-divergence's statistics", async () => {
  const [run] = await compareLive({ base: fx('base.kld'), candidates: [fx('small-perturbed-f32.gguf')], live: { threads: 1 }, threads: 1 });
  const r = run!.result;
  const want = printed();
  const pct = 100;
  const checks: Array<[string, number]> = [
    ['Mean PPL(Q)', r.ppl!.candidate],
    ['Mean PPL(base)', r.ppl!.base],
    ['Mean ln(PPL(Q)/PPL(base))', r.ppl!.lnRatio],
    ['Mean PPL(Q)/PPL(base)', r.ppl!.ratio],
    ['Mean KLD', r.kld.mean!],
    ['Maximum KLD', r.kld.max!],
    ['99.9% KLD', r.kld.p999!],
    ['99.0% KLD', r.kld.p99!],
    ['95.0% KLD', r.kld.p95!],
    ['90.0% KLD', r.kld.p90!],
    ['Median KLD', r.kld.median!],
    ['10.0% KLD', r.kld.p10!],
    ['1.0% KLD', r.kld.p01!],
    ['Minimum KLD', r.kld.min!],
    ['Mean Δp', pct * r.deltaP!.mean!],
    ['Maximum Δp', pct * r.deltaP!.max!],
    ['Median Δp', pct * r.deltaP!.median!],
    ['Minimum Δp', pct * r.deltaP!.min!],
    ['RMS Δp', pct * r.deltaP!.rms!],
    ['Same top p', pct * r.sameTop.p],
  ];
  for (const [label, got] of checks) {
    const w = want.get(label);
    assert.ok(w, `llama-perplexity printed no ${label}`);
    // llama.cpp keeps per-token KLD and Δp in float32 and prints rounded values: one unit of
    // the last printed digit (plus 1e-5 relative for another CPU's float32 evaluation)
    assert.ok(Math.abs(got - w[0]) <= w[1] + 1e-5 * Math.abs(w[0]), `${label}: klscope ${got}, llama-perplexity ${w[0]}`);
  }
  assert.equal(r.tokens, 4 * 31);
});

test("--save-base writes llama.cpp's base file: the same header and tokens, and the same codes up to float32 rounding", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-llamacpp-'));
  try {
    const out = path.join(dir, 'base.kld');
    await compareLive({ base: fx('small-f32.gguf'), candidates: [fx('small-perturbed-f32.gguf')], live: { text: fx('text.txt'), ctx: 64, chunks: 4, threads: 1, saveBase: out }, threads: 1 });
    const a = new KldFile(out);
    const b = new KldFile(fx('base.kld'));
    assert.deepEqual(a.header, b.header);
    assert.deepEqual(Array.from(a.tokens), Array.from(b.tokens));
    const h = a.header;
    const ra = new Uint8Array(h.rows * h.rowBytes);
    const rb = new Uint8Array(h.rows * h.rowBytes);
    a.readRaw(0, h.rows, ra);
    b.readRaw(0, h.rows, rb);
    let worst = 0;
    for (let row = 0; row < h.rows; row++) {
      const x = kldRowView(ra, row, h);
      const y = kldRowView(rb, row, h);
      for (let i = 0; i < h.nVocab; i++) worst = Math.max(worst, Math.abs(x.minLogProb + x.scale * x.codes[i]! - (y.minLogProb + y.scale * y.codes[i]!)));
    }
    // byte for byte on the machine that made the fixture; elsewhere another CPU backend may
    // round a logit differently, moving a code by one step (16/65535 nats)
    assert.ok(worst <= 2 * (16 / 65535), `decoded log-probabilities differ by up to ${worst}`);
    a.close();
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
