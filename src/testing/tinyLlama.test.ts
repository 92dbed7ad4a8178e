// The generated tiny models against llama.cpp itself (through node-llama-cpp): same token ids as
// the tokenizer expectation, and the same full next-token distributions as the float64 oracle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { readGguf } from '../io/gguf.js';
import { llamaOracleProbabilities, type LlamaOracleOptions } from './llamaOracle.js';
import { writeTinyLlama, type TinyLlamaModel, type TinyLlamaWeights } from './tinyLlama.js';
import { spmTokenize, trainSpmVocab, SPM_SPACE } from './spmVocab.js';

type NodeLlama = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<NodeLlama['getLlama']>>;
type Token = import('node-llama-cpp').Token;

const TEXTS = [
  'The cat sat on the mat.',
  '  two leading spaces,   three inside, and a tab\there',
  'lines\nand\n\nmore lines\n',
  'Ünïcödé → 🐱, 中文 and ąę: byte fallback for what the vocabulary lacks',
  'numbers 1, 42, 2024 and the quick brown fox',
  'x',
];
const EVAL_TEXT = 'The cat sat on the mat, and the dog ran home in the evening. Ünïcödé → 🐱 ok\n42 boats went out again.';

let dir = '';
let nlc: NodeLlama | undefined;
let llama: Llama | undefined;
let skipReason = '';
let bigram: TinyLlamaModel;
let random: TinyLlamaModel;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tiny-llama-test-'));
  bigram = writeTinyLlama({ dir, name: 'bigram', weights: 'bigram', seed: 11 });
  // One layer, two heads sharing one KV head (grouped-query attention), no BOS, short context.
  random = writeTinyLlama({ dir, name: 'random', weights: 'random', seed: 5, nLayer: 1, nEmbd: 32, nHead: 2, nHeadKv: 1, nFf: 64, addBos: false, contextLength: 64, merges: 40 });
  try {
    nlc = await import('node-llama-cpp');
    llama = await nlc.getLlama({ build: 'never', gpu: false, logLevel: nlc.LlamaLogLevel.error, progressLogs: false });
  } catch (e) {
    skipReason = `node-llama-cpp cannot load here (${(e as Error).message.split('\n')[0]}); install the optional dependency to run this test`;
  }
});

after(async () => {
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Full next-token distributions from llama.cpp for every position, renormalised in float64. */
async function llamaDistributions(file: string, ids: number[], nVocab: number, kv: 'F32' | 'F16' = 'F32'): Promise<Float64Array[]> {
  const model = await llama!.loadModel({ modelPath: file });
  try {
    // Without flash attention, an f32 KV cache rounds nothing to f16 (the comparison measures
    // float32 arithmetic against float64 and nothing else) and an f16 one rounds Q, K, V and the
    // attention weights, which the oracle's f16Attention reproduces. One thread: on a busy
    // machine llama.cpp's spinning threads make each batch wait for a free core.
    const ctx = await model.createContext({ contextSize: 128, threads: 1, flashAttention: false, experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv });
    try {
      const seq = ctx.getSequence();
      const res = await seq.controlledEvaluate(ids.map((t) => [t as Token, { generateNext: { probabilities: true } }] as const).map((x) => [x[0], x[1]]));
      return res.map((r, i) => {
        const probs = r?.next?.probabilities;
        assert.ok(probs, `no distribution at position ${i}`);
        assert.equal(probs.size, nVocab, `position ${i}: every token has a probability`);
        const q = new Float64Array(nVocab);
        let s = 0;
        for (const [tok, p] of probs) {
          q[tok] = p;
          s += p;
        }
        for (let v = 0; v < nVocab; v++) q[v]! /= s;
        return q;
      });
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/** Largest |p − q|, largest KL(p‖q) over positions, and largest |log p − log q|. */
function agreement(P: Float64Array[], Q: Float64Array[]): { maxAbs: number; maxKl: number; maxLog: number } {
  let maxAbs = 0;
  let maxKl = 0;
  let maxLog = 0;
  P.forEach((p, i) => {
    const q = Q[i]!;
    let kl = 0;
    for (let v = 0; v < p.length; v++) {
      maxAbs = Math.max(maxAbs, Math.abs(p[v]! - q[v]!));
      maxLog = Math.max(maxLog, Math.abs(Math.log(p[v]!) - Math.log(q[v]!)));
      if (p[v]! > 0) kl += p[v]! * Math.log(p[v]! / q[v]!);
    }
    maxKl = Math.max(maxKl, kl);
  });
  return { maxAbs, maxKl, maxLog };
}

// Tolerances. llama.cpp computes in float32 (unit roundoff 6e-8) over dot products of at most
// 128 terms whose logits reach |z| ≈ 15: a logit error of order 1e-5 at worst, so |Δp| ≤ p·|Δz| ≤
// 2e-5 and KL ≈ ½·Σ p·Δz² ≤ 1e-9. Measured: |Δp| ≈ 1e-6, KL ≈ 1e-11, |Δ log p| ≈ 1e-5. The
// models' own differences (perturbed, Q8_0 against F32) are KL 1e-3 and more, far outside.
const TOL = { maxAbs: 2e-5, maxKl: 1e-9, maxLog: 1e-3 };

function checkAgainstOracle(label: string, P: Float64Array[], Q: Float64Array[]): void {
  const a = agreement(P, Q);
  assert.ok(a.maxAbs <= TOL.maxAbs && a.maxKl <= TOL.maxKl && a.maxLog <= TOL.maxLog, `${label}: max |Δp| ${a.maxAbs.toExponential(2)}, max KL(oracle‖llama) ${a.maxKl.toExponential(2)}, max |Δ log p| ${a.maxLog.toExponential(2)}`);
}

test('the SPM tokenizer expectation gives the ids llama.cpp gives, byte fallback included', async (t) => {
  if (!llama) return t.skip(skipReason);
  for (const m of [bigram, random]) {
    const model = await llama.loadModel({ modelPath: m.paths.base });
    try {
      for (const text of TEXTS) {
        const theirs = [...model.tokenize(text)];
        const mine = m.tokenize(text);
        assert.deepEqual(m.addBos ? [model.tokens.bos, ...theirs] : theirs, mine, JSON.stringify(text));
      }
      // Arbitrary text over an alphabet of pieces the vocabulary knows, spaces, control
      // characters and characters it lacks.
      const alphabet = ['the', ' ', '  ', 'a', 'e', 'th', 'n', '.', ',', '\n', '\t', 'é', '🐱', '中', 'Q', '0', '~'];
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }), (parts) => {
          const text = parts.join('');
          const theirs = [...model.tokenize(text)];
          assert.deepEqual(m.addBos ? [model.tokens.bos, ...theirs] : theirs, m.tokenize(text), JSON.stringify(text));
        }),
        { numRuns: 200, seed: 42 },
      );
      assert.equal(model.tokens.bos, m.vocab.bosId);
      // Characters outside the vocabulary come out as their UTF-8 bytes.
      const cat = m.tokenize('🐱');
      assert.deepEqual(cat.slice(-4), [...new TextEncoder().encode('🐱')].map((b) => m.vocab.byteBase + b));
    } finally {
      await model.dispose();
    }
  }
});

test('the tokenizer merges by score, leftmost first, and never across a space', () => {
  const v = trainSpmVocab('aaa aaa aaa ab ab', { merges: 5 });
  const piece = (s: string) => v.tokens.indexOf(s);
  assert.ok(piece(SPM_SPACE) > 0 && piece('aa') > 0, v.tokens.slice(-5).join(' '));
  const ids = spmTokenize(v, 'aaa ab', { addBos: true });
  assert.equal(ids[0], v.bosId);
  assert.ok(ids.slice(1).every((id) => !v.tokens[id]!.slice(1).includes(SPM_SPACE)));
  assert.equal(ids.slice(1).map((id) => v.tokens[id]).join(''), `${SPM_SPACE}aaa${SPM_SPACE}ab`);
  assert.deepEqual(spmTokenize(v, '', { addBos: true }), [v.bosId]);
  // é is not in this vocabulary: the added space is ▁, then é's two UTF-8 bytes.
  assert.deepEqual(spmTokenize(v, 'é'), [piece(SPM_SPACE), v.byteBase + 0xc3, v.byteBase + 0xa9]);
});

test('llama.cpp\'s full distributions match the float64 oracle: F32, perturbed F32, F16 and Q8_0', async (t) => {
  if (!llama) return t.skip(skipReason);
  const ids = bigram.tokenize(EVAL_TEXT);
  const V = bigram.vocab.tokens.length;
  const live: Record<string, Float64Array[]> = {};
  for (const which of ['base', 'perturbed', 'f16', 'q8_0'] as const) {
    live[which] = await llamaDistributions(bigram.paths[which], ids, V);
    checkAgainstOracle(`bigram ${which}`, llamaOracleProbabilities(bigram.weights[which], ids), live[which]!);
  }
  // llama.cpp's default f16 KV cache, flash attention off.
  for (const which of ['base', 'q8_0'] as const) {
    const f16kv = await llamaDistributions(bigram.paths[which], ids, V, 'F16');
    checkAgainstOracle(`bigram ${which}, f16 KV cache`, llamaOracleProbabilities(bigram.weights[which], ids, { f16Attention: true }), f16kv);
    // …and the f16 rounding is what closes the gap.
    const plain = agreement(llamaOracleProbabilities(bigram.weights[which], ids), f16kv);
    const rounded = agreement(llamaOracleProbabilities(bigram.weights[which], ids, { f16Attention: true }), f16kv);
    assert.ok(plain.maxAbs > 2 * rounded.maxAbs, `${which}: f16 KV ${plain.maxAbs} vs ${rounded.maxAbs}`);
  }
  // The check can fail: the oracle of the wrong model, or Q8_0 without the activation rounding
  // llama.cpp's Q8_0 dot product does, is far outside the tolerance.
  const baseOracle = llamaOracleProbabilities(bigram.weights.base, ids);
  assert.ok(agreement(baseOracle, live.perturbed!).maxKl > 1000 * TOL.maxKl);
  assert.ok(agreement(baseOracle, live.q8_0!).maxKl > 100 * TOL.maxKl);
  const noActQ: LlamaOracleOptions = { quantizeActivations: false };
  assert.ok(agreement(llamaOracleProbabilities(bigram.weights.q8_0, ids, noActQ), live.q8_0!).maxKl > 10 * TOL.maxKl);
  assert.ok(agreement(llamaOracleProbabilities(bigram.weights.f16, ids, noActQ), live.f16!).maxAbs > agreement(llamaOracleProbabilities(bigram.weights.f16, ids), live.f16!).maxAbs);
  // Fitted to bigrams, the distributions are peaked: the most likely token averages well over 1/V.
  const meanMax = live.base!.reduce((s, q) => s + Math.max(...q), 0) / ids.length;
  assert.ok(meanMax > 0.3, `mean top probability ${meanMax}`);
});

test('random weights, grouped-query attention and no BOS: nearly flat distributions that still match', async (t) => {
  if (!llama) return t.skip(skipReason);
  const ids = random.tokenize(EVAL_TEXT);
  assert.notEqual(ids[0], random.vocab.bosId);
  const V = random.vocab.tokens.length;
  for (const which of ['base', 'q8_0'] as const) {
    const live = await llamaDistributions(random.paths[which], ids, V);
    checkAgainstOracle(`random ${which}`, llamaOracleProbabilities(random.weights[which], ids), live);
    for (const q of live) assert.ok(Math.max(...q) < 5 / V, 'nearly flat');
  }
});

test('the oracle is causal and its distributions are proper', () => {
  const ids = bigram.tokenize('The dog sat on the log.');
  const full = llamaOracleProbabilities(bigram.weights.base, ids);
  const prefix = llamaOracleProbabilities(bigram.weights.base, ids.slice(0, 4));
  const changed = llamaOracleProbabilities(bigram.weights.base, [...ids.slice(0, 4), ...ids.slice(4).reverse()]);
  for (let p = 0; p < 4; p++) {
    assert.deepEqual(prefix[p], full[p]);
    assert.deepEqual(changed[p], full[p]);
  }
  assert.notDeepEqual(changed[5], full[5]);
  for (const q of full) {
    assert.ok(Math.abs(q.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(q.every((x) => x > 0 && Number.isFinite(x)));
  }
  assert.throws(() => llamaOracleProbabilities(bigram.weights.base, [bigram.vocab.tokens.length]), RangeError);
});

test('the files: GGUF facts, shared tokenizer fingerprint, options honoured, seeded bytes', () => {
  const info = (['base', 'perturbed', 'f16', 'q8_0'] as const).map((k) => readGguf(bigram.paths[k]));
  for (const g of info) {
    assert.equal(g.architecture, 'llama');
    assert.equal(g.tokenizerModel, 'llama');
    assert.equal(g.nVocab, bigram.vocab.tokens.length);
    assert.deepEqual(g.tokens, bigram.vocab.tokens);
    assert.equal(g.contextLength, 256);
    assert.equal(g.addBos, true);
    assert.equal(g.bosId, 1);
    assert.equal(g.tokenizerFingerprint, info[0]!.tokenizerFingerprint);
  }
  assert.equal(info[0]!.bitsPerWeight, 32);
  assert.deepEqual(info.map((g) => g.fileType), ['F32', 'F32', 'F16', 'Q8_0']);
  const E = bigram.weights.base.hparams.nEmbd;
  assert.deepEqual(info[3]!.parametersByType, { F32: E * (2 * bigram.weights.base.layers.length + 1), Q8_0: info[3]!.parameterCount - E * (2 * bigram.weights.base.layers.length + 1) });
  // Q8_0: 8.5 bits in the matrices, 32 in the norm vectors.
  assert.ok(info[2]!.bitsPerWeight > 16 && info[2]!.bitsPerWeight < 16.2, String(info[2]!.bitsPerWeight));
  assert.ok(info[3]!.bitsPerWeight > 8.5 && info[3]!.bitsPerWeight < 8.7, String(info[3]!.bitsPerWeight));
  const r = readGguf(random.paths.base);
  assert.equal(r.addBos, false);
  assert.equal(r.contextLength, 64);
  assert.equal(r.metadata.get('llama.attention.head_count_kv')?.value, 1);
  assert.notEqual(r.tokenizerFingerprint, info[0]!.tokenizerFingerprint);
  const sub = mkdtempSync(path.join(dir, 'again-'));
  const again = writeTinyLlama({ dir: sub, name: 'random', weights: 'random', seed: 5, nLayer: 1, nEmbd: 32, nHead: 2, nHeadKv: 1, nFf: 64, addBos: false, contextLength: 64, merges: 40 });
  assert.deepEqual(readFileSync(again.paths.q8_0), readFileSync(random.paths.q8_0));
  const other = writeTinyLlama({ dir, name: 'other', weights: 'random', seed: 6, nLayer: 1, nEmbd: 32, nHead: 2, nHeadKv: 1, nFf: 64, merges: 40 });
  assert.notDeepEqual(other.weights.base.tokenEmbd, random.weights.base.tokenEmbd);
  assert.throws(() => writeTinyLlama({ dir, nEmbd: 48 }), /nEmbd must be a positive multiple of 32/);
  const w: TinyLlamaWeights = bigram.weights.q8_0;
  assert.equal(w.matrixType, 'Q8_0');
});
