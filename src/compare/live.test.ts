// Live GGUF comparisons on generated tiny llama models, checked against an independent float64
// forward pass (src/testing/llamaOracle.ts) and against llama.cpp's own file format.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { KldFile } from '../io/kld.js';
import { llamaOracleLogits } from '../testing/llamaOracle.js';
import { TINY_TEXT, writeTinyLlama, type TinyLlamaModel, type TinyLlamaWeights } from '../testing/tinyLlama.js';
import { checkVocabulary, compareLive, planChunks, type LiveRun } from './live.js';

const CTX = 64;
const CHUNKS = 3;

/** Per-token statistics from the oracle's float64 logits, with plain loops (no klscope code). */
function oracleStats(wb: TinyLlamaWeights, wc: TinyLlamaWeights, tokens: number[], bos: number) {
  const out = { kld: [] as number[], rkld: [] as number[], same: 0, nllBase: 0, nllCand: 0, n: 0 };
  const first = CTX / 2;
  const logSoftmax = (x: Float64Array) => {
    let m = -Infinity;
    for (const v of x) m = Math.max(m, v);
    let s = 0;
    for (const v of x) s += Math.exp(v - m);
    const l = m + Math.log(s);
    return Array.from(x, (v) => v - l);
  };
  for (let c = 0; c < CHUNKS; c++) {
    const chunk = tokens.slice(c * CTX, (c + 1) * CTX);
    chunk[0] = bos;
    // llama.cpp keeps K and V in f16 by default: the oracle rounds them the same way
    const lb = llamaOracleLogits(wb, chunk, { f16Attention: true });
    const lc = llamaOracleLogits(wc, chunk, { f16Attention: true });
    for (let i = first; i <= CTX - 2; i++) {
      const a = logSoftmax(lb[i]!);
      const b = logSoftmax(lc[i]!);
      let f = 0;
      let r = 0;
      let am = 0;
      let bm = 0;
      for (let j = 0; j < a.length; j++) {
        f += Math.exp(a[j]!) * (a[j]! - b[j]!);
        r += Math.exp(b[j]!) * (b[j]! - a[j]!);
        if (a[j]! > a[am]!) am = j;
        if (b[j]! > b[bm]!) bm = j;
      }
      out.kld.push(f);
      out.rkld.push(r);
      if (am === bm) out.same++;
      const t = tokens[c * CTX + i + 1]!;
      out.nllBase -= a[t]!;
      out.nllCand -= b[t]!;
      out.n++;
    }
  }
  return out;
}

const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;

describe('compare on live GGUF models', () => {
  let dir: string;
  let m: TinyLlamaModel;
  let text: string;
  let ladder: LiveRun[];
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'klscope-live-'));
    m = writeTinyLlama({ dir, seed: 7 });
    text = path.join(dir, 'text.txt');
    writeFileSync(text, `${TINY_TEXT} ${TINY_TEXT} ${TINY_TEXT}`);
    ladder = await compareLive({ base: m.paths.base, candidates: [m.paths.perturbed, m.paths.q8_0], live: { text, ctx: CTX, chunks: CHUNKS, threads: 1 }, threads: 1 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('tokens and chunks as llama-perplexity: BOS first, n_chunk = ⌊tokens / n_ctx⌋, second half scored', () => {
    const ids = Int32Array.from(m.tokenize(readFileSync(text, 'utf8')));
    const plan = planChunks(ids, { ctx: CTX, name: 't' });
    assert.equal(plan.nChunk, Math.floor(ids.length / CTX));
    assert.equal(plan.first, 32);
    assert.equal(plan.rowsPerChunk, 31);
    assert.equal(planChunks(ids, { ctx: CTX, chunks: 2, score: 'all', name: 't' }).rowsPerChunk, 63);
    assert.throws(() => planChunks(ids.subarray(0, 2 * CTX - 1), { ctx: CTX, name: 'short.txt' }), (e: Error) => e instanceof DataError && /short.txt: the text is 127 tokens; a context of 64 needs at least 128/.test(e.message));
    for (const r of ladder) assert.equal(r.rows, CHUNKS * 31);
  });

  test("statistics equal the oracle's float64 distributions (perturbed and Q8_0 candidates)", () => {
    const tokens = m.tokenize(readFileSync(text, 'utf8'));
    const bos = tokens[0]!;
    for (const [run, w] of [
      [ladder[0]!, m.weights.perturbed],
      [ladder[1]!, m.weights.q8_0],
    ] as const) {
      const o = oracleStats(m.weights.base, w, tokens, bos);
      const r = run.result;
      assert.equal(r.tokens, o.n);
      // llama.cpp computes in float32: on these F32 models its log-probabilities lie within
      // ε ≈ 4.5e-4 nats of the oracle's (measured; 5e-4 used). To first order a change δ of the
      // log-probabilities moves KL(P‖Q) by Σ (q − p)·δ, at most 2ε·TV ≤ 2ε·sqrt(KL/2) (Pinsker)
      // per side, so the means differ by at most 4ε·sqrt(mean KL/2) + 4ε² (Jensen). The oracle
      // only approximates ggml's Q8_0 activation rounding (log-probabilities within ~0.03), so
      // the Q8_0 rung is held to 5 % instead.
      const eps = 5e-4;
      const q8 = w.matrixType === 'Q8_0';
      const close = (got: number, want: number, what: string) => {
        const tol = q8 ? 0.05 * Math.abs(want) : 4 * eps * Math.sqrt(Math.abs(want) / 2) + 4 * eps * eps;
        assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs oracle ${want} (tolerance ${tol})`);
      };
      const closeLog = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= (q8 ? 0.03 : eps), `${what}: ${got} vs oracle ${want}`);
      close(r.kld.mean!, mean(o.kld), 'mean KL(base‖candidate)');
      close(r.reverseKld.mean!, mean(o.rkld), 'mean KL(candidate‖base)');
      close(r.kld.max!, Math.max(...o.kld), 'max KL');
      closeLog(Math.log(r.ppl!.base), o.nllBase / o.n, 'ln PPL(base)');
      closeLog(Math.log(r.ppl!.candidate), o.nllCand / o.n, 'ln PPL(candidate)');
      assert.ok(Math.abs(r.sameTop.p * o.n - o.same) <= (q8 ? 2 : 1), `same top ${r.sameTop.p * o.n} vs ${o.same}`);
      assert.ok(r.kld.mean! > 0);
    }
    // the ladder's rungs are ordered: Q8_0 is far closer to the base than the 5 % perturbation
    assert.ok(ladder[1]!.result.kld.mean! < ladder[0]!.result.kld.mean! / 5);
    assert.equal(ladder[1]!.model.bitsPerWeight < ladder[0]!.model.bitsPerWeight, true);
  });

  test('--save-base writes llama.cpp’s base file; the saved base against the live candidate agrees within the 16-bit floor', async () => {
    const kld = path.join(dir, 'base.kld');
    const [live] = await compareLive({ base: m.paths.base, candidates: [m.paths.perturbed], live: { text, ctx: CTX, chunks: CHUNKS, threads: 1, saveBase: kld }, threads: 1 });
    const f = new KldFile(kld);
    assert.deepEqual([f.header.nCtx, f.header.nVocab, f.header.nChunk], [CTX, m.weights.base.hparams.nVocab, CHUNKS]);
    // the file stores the text's tokens (not the BOS put in at evaluation), like llama-perplexity
    assert.deepEqual(Array.from(f.tokens), m.tokenize(readFileSync(text, 'utf8')).slice(0, CTX * CHUNKS));
    f.close();
    const [saved] = await compareLive({ base: kld, candidates: [m.paths.perturbed], live: { threads: 1 }, threads: 1 });
    assert.equal(saved!.rows, live!.rows);
    // 16-bit codes move each stored log-probability by at most scale/2 ≤ 16/65535/2 ≈ 1.2e-4 nats
    const floor = 16 / 65535 / 2;
    assert.ok(Math.abs(saved!.result.kld.mean! - live!.result.kld.mean!) <= 2 * floor, `${saved!.result.kld.mean} vs ${live!.result.kld.mean}`);
    assert.ok(Math.abs(Math.log(saved!.result.ppl!.base) - Math.log(live!.result.ppl!.base)) <= floor);
    // the candidate is live both times (the fused .kld loop and the kernel agree to float64 rounding)
    assert.ok(Math.abs(saved!.result.ppl!.candidate / live!.result.ppl!.candidate - 1) < 1e-7);
    assert.ok(Math.abs(saved!.result.sameTop.p - live!.result.sameTop.p) <= 1 / live!.rows);
    // --chunks limits a .kld base too
    const [two] = await compareLive({ base: kld, candidates: [m.paths.perturbed], live: { chunks: 2, threads: 1 }, threads: 1 });
    assert.equal(two!.rows, 2 * 31);
  });

  test("node-llama-cpp's public API (the fallback) gives the binding's statistics", async () => {
    const opts = { base: m.paths.base, candidates: [m.paths.perturbed], live: { text, ctx: CTX, chunks: 2, threads: 1 }, threads: 1 };
    const [a] = await compareLive({ ...opts, live: { ...opts.live, runtime: 'native' } });
    const [b] = await compareLive({ ...opts, live: { ...opts.live, runtime: 'node-llama-cpp' } });
    assert.equal(b!.accumulator.inputs[1] && (b!.accumulator.inputs[1] as { runtime: string }).runtime, 'node-llama-cpp');
    // the same llama.cpp build; node-llama-cpp hands float32 probabilities, so log p differs by ~1e-7
    assert.ok(Math.abs(a!.result.kld.mean! / b!.result.kld.mean! - 1) < 1e-4, `${a!.result.kld.mean} vs ${b!.result.kld.mean}`);
    assert.ok(Math.abs(a!.result.ppl!.base / b!.result.ppl!.base - 1) < 1e-5);
    assert.equal(a!.result.sameTop.p, b!.result.sameTop.p);
  });

  test('vocabulary checks: n_vocab, padded sizes, token texts', () => {
    const a = { name: 'a.gguf', nVocab: 4, tokens: ['<unk>', '<s>', 'x', 'y'] };
    assert.doesNotThrow(() => checkVocabulary(a, { ...a, name: 'b.gguf' }));
    assert.throws(() => checkVocabulary(a, { name: 'b.gguf', nVocab: 4, tokens: ['<unk>', '<s>', 'x', 'z'] }), /vocabulary mismatch at token id 3: a.gguf has "y", b.gguf has "z"/);
    assert.throws(() => checkVocabulary(a, { name: 'b.gguf', nVocab: 6, tokens: [...a.tokens, '[PAD4]', '[PAD5]'] }), /padded vocabulary: a.gguf has n_vocab 4, b.gguf has 6; the first 4 token texts agree/);
    assert.throws(() => checkVocabulary(a, { name: 'b.gguf', nVocab: 3, tokens: ['q', 'r', 's'] }), /n_vocab mismatch: a.gguf has 4, b.gguf has 3/);
  });

  test('bad inputs: one error each, nothing written', async () => {
    const run = (o: Partial<Parameters<typeof compareLive>[0]> & { live?: object }) =>
      compareLive({ base: m.paths.base, candidates: [m.paths.perturbed], ...o, live: { text, ctx: CTX, threads: 1, ...(o.live ?? {}) } } as Parameters<typeof compareLive>[0]);
    const other = writeTinyLlama({ dir, name: 'other', seed: 2, text: 'Another text entirely, with zebras, quartz and jazz: 7 8 9.' });
    await assert.rejects(run({ candidates: [other.paths.base] }), (e: Error) => e instanceof DataError && /n_vocab mismatch|vocabulary mismatch at token id/.test(e.message));
    const fewer = writeTinyLlama({ dir, name: 'fewer', seed: 2, merges: 60 });
    await assert.rejects(run({ candidates: [fewer.paths.base] }), /first \d+ token texts agree/);
    const notGguf = path.join(dir, 'not.gguf');
    writeFileSync(notGguf, 'hello world, not a model');
    await assert.rejects(run({ candidates: [notGguf] }), (e: Error) => e instanceof DataError && e.message.includes(notGguf) && /magic/i.test(e.message));
    const cut = path.join(dir, 'cut.gguf');
    copyFileSync(m.paths.perturbed, cut);
    truncateSync(cut, 3000);
    await assert.rejects(run({ candidates: [cut] }), (e: Error) => e instanceof DataError && e.message.includes(cut));
    const empty = path.join(dir, 'empty.txt');
    writeFileSync(empty, '');
    await assert.rejects(run({ live: { text: empty } }), /empty.txt: the text is empty/);
    const bin = path.join(dir, 'latin1.txt');
    writeFileSync(bin, Buffer.from([0x61, 0x62, 0xe9, 0x20, 0x63]));
    await assert.rejects(run({ live: { text: bin } }), /latin1.txt: not valid UTF-8 at byte offset 2/);
    const short = path.join(dir, 'short.txt');
    writeFileSync(short, 'The cat sat on the mat.');
    await assert.rejects(run({ live: { text: short } }), /short.txt: the text is \d+ tokens; a context of 64 needs at least 128/);
    await assert.rejects(run({ live: { ctx: 512 } }), (e: Error) => e instanceof UsageError && /^ctx: expected at most 256 tokens \(.* was trained with a context of 256 tokens\), got 512$/.test(e.message));
    await assert.rejects(run({ live: { text: undefined } }), (e: Error) => e instanceof UsageError && /needs the text option FILE/.test(e.message));
    // a model llama.cpp refuses (an unknown architecture): its reason, in one line
    const arch = readFileSync(m.paths.perturbed);
    arch.write('llamz', arch.indexOf('llama', arch.indexOf('general.architecture') + 20), 'latin1');
    const badArch = path.join(dir, 'arch.gguf');
    writeFileSync(badArch, arch);
    await assert.rejects(run({ candidates: [badArch] }), (e: Error) => e instanceof DataError && /arch\.gguf: .*load.*/i.test(e.message) && !e.message.includes('\n'));
    const kld = path.join(dir, 'never.kld');
    await assert.rejects(run({ live: { text: short, saveBase: kld } }), /short.txt/);
    assert.equal(existsSync(kld), false);
  });
});
