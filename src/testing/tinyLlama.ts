/**
 * Tiny llama-architecture GGUF models written on the spot, for tests that need real models and no
 * download: one or two layers, a few dozen dimensions, and a real SentencePiece vocabulary (byte
 * fallback included) learnt from a text, so llama.cpp tokenizes any UTF-8 text with them. Each
 * call writes a base model in F32 and three candidates of it: a perturbed F32 copy, an F16 copy
 * and a Q8_0 copy. The exact weights come back too, for {@link llamaOracleLogits} (./llamaOracle.ts), an
 * independent float64 forward pass.
 *
 * With `weights: 'random'` the next-token distributions are nearly flat; with `weights: 'bigram'`
 * the token embedding and output matrix are fitted so that, along the residual path, the logits
 * approximate the log bigram probabilities of the text: peaked, realistic distributions.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import path from 'node:path';
 * const m = writeTinyLlama({ dir: mkdtempSync(path.join(tmpdir(), 'tiny-')), weights: 'bigram', seed: 7 });
 * m.paths.base;      // …/tiny-f32.gguf
 * m.paths.perturbed; // …/tiny-perturbed-f32.gguf
 * m.paths.f16;       // …/tiny-f16.gguf
 * m.paths.q8_0;      // …/tiny-q8_0.gguf
 * const ids = m.tokenize('The cat sat.'); // the ids llama.cpp gives (BOS first when addBos)
 * const logits = llamaOracleLogits(m.weights.base, ids); // [positions][n_vocab], float64
 *
 * To compare with llama.cpp, create the node-llama-cpp context with `flashAttention: false`
 * and either an f32 KV cache (`experimentalKvCacheKeyType/ValueType: 'F32'`, oracle as is) or
 * the default f16 one (oracle with `{ f16Attention: true }`): the full distributions then agree
 * to |Δp| ≈ 1e-6 and KL ≤ 1e-9 (F16 weights with an f16 cache: 1e-5 and 1e-8). With flash attention on,
 * expect |Δp| ≈ 1e-4 (F32) to 3e-3 (Q8_0). On a busy machine `threads: 1` is much faster for
 * these tiny models than llama.cpp's default spinning threads.
 */
import path from 'node:path';
import { DataError } from '../errors.js';
import { halfToNumber, numberToHalf } from '../io/float16.js';
import { dequantizeQ8_0, type GgufKv } from '../io/gguf.js';
import { quantizeQ8_0, writeGguf, type GgufTensorInput } from '../io/ggufWriter.js';
import { seededRandom } from '../random.js';
import { spmTokenize, trainSpmVocab, type SpmVocab } from './spmVocab.js';

/** Shapes and constants of a tiny model (what llama.cpp reads from the metadata). */
export interface TinyLlamaHparams {
  nVocab: number;
  nEmbd: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  nFf: number;
  nLayer: number;
  contextLength: number;
  /** RMSNorm epsilon as stored (float32). */
  rmsEps: number;
  /** RoPE base θ as stored (float32). */
  ropeFreqBase: number;
}

/** One transformer block. Matrices are row-major [out][in] (ggml dims [in, out]). */
export interface TinyLlamaLayer {
  attnNorm: Float64Array;
  wq: Float64Array;
  wk: Float64Array;
  wv: Float64Array;
  wo: Float64Array;
  ffnNorm: Float64Array;
  ffnGate: Float64Array;
  ffnUp: Float64Array;
  ffnDown: Float64Array;
}

/** The exact weights of one written model, as llama.cpp sees them (Q8_0 ones dequantized). */
export interface TinyLlamaWeights {
  hparams: TinyLlamaHparams;
  /** [n_vocab][n_embd] */
  tokenEmbd: Float64Array;
  layers: TinyLlamaLayer[];
  outputNorm: Float64Array;
  /** [n_vocab][n_embd] */
  output: Float64Array;
  /**
   * Storage of every matrix (norm vectors stay F32). On llama.cpp's CPU backend an F16 matrix
   * multiplies activations rounded to f16, a Q8_0 matrix activations quantized to Q8_0.
   */
  matrixType: 'F32' | 'F16' | 'Q8_0';
}

/** Options of {@link writeTinyLlama}. */
export interface TinyLlamaOptions {
  /** Folder for the files (it must exist). */
  dir: string;
  /** File name stem: `<name>-f32.gguf`, `<name>-perturbed-f32.gguf`, `<name>-f16.gguf`, `<name>-q8_0.gguf`. Default `tiny`. */
  name?: string;
  /** PRNG seed (src/random.ts). Default 1. */
  seed?: number;
  /** `random`: nearly flat distributions; `bigram`: fitted to the text's bigrams. Default `bigram`. */
  weights?: 'random' | 'bigram';
  /** Text the vocabulary and the bigram fit learn from. Default: a built-in English paragraph. */
  text?: string;
  /** Merged pieces learnt on top of the characters and bytes. Default 96. */
  merges?: number;
  /** Layers, 1 or 2. Default 2. */
  nLayer?: number;
  /** Embedding width, a multiple of 32 (Q8_0 rows). Default 64. */
  nEmbd?: number;
  /** Attention heads; n_embd / n_head is the head width (even, for RoPE). Default 4. */
  nHead?: number;
  /** Key/value heads (grouped-query attention when below nHead). Default nHead. */
  nHeadKv?: number;
  /** Feed-forward width, a multiple of 32. Default 128. */
  nFf?: number;
  /** `llama.context_length`. Default 256. */
  contextLength?: number;
  /** `tokenizer.ggml.add_bos_token`. Default true. */
  addBos?: boolean;
  /** RMSNorm epsilon. Default 1e-5. */
  rmsEps?: number;
  /** RoPE base. Default 10000. */
  ropeFreqBase?: number;
  /** Scale of the blocks' output projections (attention wo, FFN down) relative to the residual. Default 1 for random, 0.03 for bigram (the fitted output matrix amplifies what the blocks add). */
  blockScale?: number;
  /** Relative size of the noise added to every tensor of the perturbed copy (× that tensor's RMS). Default 0.05. */
  perturb?: number;
}

/** What {@link writeTinyLlama} wrote. */
export interface TinyLlamaModel {
  paths: { base: string; perturbed: string; f16: string; q8_0: string };
  weights: { base: TinyLlamaWeights; perturbed: TinyLlamaWeights; f16: TinyLlamaWeights; q8_0: TinyLlamaWeights };
  vocab: SpmVocab;
  addBos: boolean;
  /** The ids llama.cpp's tokenizer gives for a text with these models (BOS first when addBos). */
  tokenize(text: string): number[];
  /** The training text. */
  text: string;
}

/** The default training text: plain English with punctuation, digits and a few repeated phrases. */
export const TINY_TEXT = [
  'The cat sat on the mat. The dog sat on the log. A cat and a dog met on the road, and the cat ran home.',
  'It was a cold morning in the town by the sea. The fishermen went down to the boats before the sun came up,',
  'and the children walked to the school on the hill. In the evening the lights of the harbour came on one by one.',
  'She said that the weather would change soon, and he said that it would not. They were both wrong: it rained',
  'for three days, then the sky cleared and the wind turned to the north. On the fourth day the boats went out again.',
  'Numbers matter too: 1, 2, 3, 10, 42 and 2024 are all numbers. What is the time? It is half past seven.',
  'The quick brown fox jumps over the lazy dog, and the lazy dog does not mind at all.',
].join(' ');

const DEFAULTS = { nLayer: 2, nEmbd: 64, nHead: 4, nFf: 128, contextLength: 256, rmsEps: 1e-5, ropeFreqBase: 10000, merges: 96, perturb: 0.05 };

/**
 * Writes a tiny llama model (F32) and its perturbed F32, F16 and Q8_0 copies into `dir`, and
 * returns their paths, their exact weights and the tokenizer expectation (module comment: how
 * to compare them with llama.cpp).
 *
 * @example
 * const m = writeTinyLlama({ dir: '/tmp/models', weights: 'random', nLayer: 1, nEmbd: 32, nHead: 2, addBos: false });
 * m.vocab.tokens.length;                  // n_vocab of all four files
 * m.tokenize('hi there');                 // ids without BOS, as llama.cpp gives them
 * m.weights.q8_0.matrixType;              // 'Q8_0'
 */
export function writeTinyLlama(options: TinyLlamaOptions): TinyLlamaModel {
  const o = { ...DEFAULTS, ...options };
  const nHeadKv = options.nHeadKv ?? o.nHead;
  const headDim = o.nEmbd / o.nHead;
  const rule = (ok: boolean, msg: string) => {
    if (!ok) throw new DataError(`writeTinyLlama: ${msg}`);
  };
  rule(o.nLayer >= 1 && o.nLayer <= 8 && Number.isInteger(o.nLayer), `nLayer must be an integer 1..8, got ${o.nLayer}`);
  rule(o.nEmbd % 32 === 0 && o.nEmbd > 0, `nEmbd must be a positive multiple of 32 (Q8_0 rows), got ${o.nEmbd}`);
  rule(o.nFf % 32 === 0 && o.nFf > 0, `nFf must be a positive multiple of 32, got ${o.nFf}`);
  rule(Number.isInteger(headDim) && headDim % 2 === 0, `nEmbd / nHead must be an even integer, got ${o.nEmbd} / ${o.nHead}`);
  rule(o.nHead % nHeadKv === 0, `nHead must be a multiple of nHeadKv, got ${o.nHead} and ${nHeadKv}`);
  const weightsKind = options.weights ?? 'bigram';
  const text = options.text ?? TINY_TEXT;
  const addBos = options.addBos ?? true;
  const rnd = seededRandom(options.seed ?? 1);
  // Uniform on [−a, a] with standard deviation sd.
  const fill = (n: number, sd: number) => Float64Array.from({ length: n }, () => (2 * rnd() - 1) * sd * Math.sqrt(3));
  const vocab = trainSpmVocab(text, { merges: o.merges });
  const V = vocab.tokens.length;
  const E = o.nEmbd;
  const kvDim = nHeadKv * headDim;
  const hp: TinyLlamaHparams = {
    nVocab: V, nEmbd: E, nHead: o.nHead, nHeadKv, headDim, nFf: o.nFf, nLayer: o.nLayer, contextLength: o.contextLength,
    rmsEps: Math.fround(o.rmsEps), ropeFreqBase: Math.fround(o.ropeFreqBase),
  };
  const tokenize = (s: string) => spmTokenize(vocab, s, { addBos });

  let tokenEmbd: Float64Array;
  let output: Float64Array;
  if (weightsKind === 'bigram') {
    ({ embd: tokenEmbd, output } = fitBigram(vocab, spmTokenize(vocab, text, { addBos: true }), E, rnd));
  } else {
    tokenEmbd = fill(V * E, 1);
    output = fill(V * E, 0.02);
  }
  const blockScale = options.blockScale ?? (weightsKind === 'bigram' ? 0.03 : 1);
  const norm = (n: number) => Float64Array.from(fill(n, 0.1), (x) => 1 + x);
  const layers: TinyLlamaLayer[] = [];
  for (let l = 0; l < o.nLayer; l++) {
    layers.push({
      attnNorm: norm(E),
      // Q and K large enough that attention is far from uniform, so RoPE and the mask matter.
      wq: fill(E * E, 2 / Math.sqrt(E)),
      wk: fill(kvDim * E, 2 / Math.sqrt(E)),
      wv: fill(kvDim * E, 1 / Math.sqrt(E)),
      wo: fill(E * E, blockScale / Math.sqrt(E)),
      ffnNorm: norm(E),
      ffnGate: fill(o.nFf * E, 1 / Math.sqrt(E)),
      ffnUp: fill(o.nFf * E, 1 / Math.sqrt(E)),
      ffnDown: fill(E * o.nFf, blockScale / Math.sqrt(o.nFf)),
    });
  }
  const base: TinyLlamaWeights = { hparams: hp, tokenEmbd, layers, outputNorm: norm(E), output, matrixType: 'F32' };
  const perturbed = mapWeights(base, (a) => {
    const rms = Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
    return Float64Array.from(a, (x) => Math.fround(x + o.perturb * rms * (2 * rnd() - 1) * Math.sqrt(3)));
  }, 'F32');
  const f32 = mapWeights(base, (a) => Float64Array.from(a, Math.fround), 'F32');
  const f16 = mapWeights(f32, (a, isMatrix) => (isMatrix ? a.map((x) => halfToNumber(numberToHalf(x))) : a), 'F16');
  const q8 = mapWeights(f32, (a, isMatrix) => (isMatrix ? dequantizeQ8_0(quantizeQ8_0(a), a.length) : a), 'Q8_0');

  const name = options.name ?? 'tiny';
  const paths = {
    base: path.join(options.dir, `${name}-f32.gguf`),
    perturbed: path.join(options.dir, `${name}-perturbed-f32.gguf`),
    f16: path.join(options.dir, `${name}-f16.gguf`),
    q8_0: path.join(options.dir, `${name}-q8_0.gguf`),
  };
  const meta = (label: string, fileType: number) => tinyMetadata(hp, vocab, { addBos, name: `${name}-${label}`, fileType });
  writeGguf(paths.base, { metadata: meta('f32', 0), tensors: tensorsOf(f32, 'F32') });
  writeGguf(paths.perturbed, { metadata: meta('perturbed-f32', 0), tensors: tensorsOf(perturbed, 'F32') });
  writeGguf(paths.f16, { metadata: meta('f16', 1), tensors: tensorsOf(f32, 'F16') });
  // The Q8_0 file is quantized from the F32 weights (the writer's quantizer equals the one used for q8 above).
  writeGguf(paths.q8_0, { metadata: meta('q8_0', 7), tensors: tensorsOf(f32, 'Q8_0') });
  return { paths, weights: { base: f32, perturbed, f16, q8_0: q8 }, vocab, addBos, tokenize, text };
}

function mapWeights(w: TinyLlamaWeights, f: (a: Float64Array, isMatrix: boolean) => Float64Array, matrixType: TinyLlamaWeights['matrixType']): TinyLlamaWeights {
  return {
    hparams: w.hparams,
    tokenEmbd: f(w.tokenEmbd, true),
    layers: w.layers.map((l) => ({
      attnNorm: f(l.attnNorm, false), wq: f(l.wq, true), wk: f(l.wk, true), wv: f(l.wv, true), wo: f(l.wo, true),
      ffnNorm: f(l.ffnNorm, false), ffnGate: f(l.ffnGate, true), ffnUp: f(l.ffnUp, true), ffnDown: f(l.ffnDown, true),
    })),
    outputNorm: f(w.outputNorm, false),
    output: f(w.output, true),
    matrixType,
  };
}

function tensorsOf(w: TinyLlamaWeights, matrixType: TinyLlamaWeights['matrixType']): GgufTensorInput[] {
  const { nEmbd: E, nVocab: V, nFf: F, nHeadKv, headDim } = w.hparams;
  const kv = nHeadKv * headDim;
  const m = (name: string, inDim: number, outDim: number, data: Float64Array): GgufTensorInput => ({ name, dims: [inDim, outDim], type: matrixType, data });
  const v = (name: string, data: Float64Array): GgufTensorInput => ({ name, dims: [data.length], type: 'F32', data });
  const t: GgufTensorInput[] = [m('token_embd.weight', E, V, w.tokenEmbd)];
  w.layers.forEach((l, i) => {
    t.push(
      v(`blk.${i}.attn_norm.weight`, l.attnNorm),
      m(`blk.${i}.attn_q.weight`, E, E, l.wq),
      m(`blk.${i}.attn_k.weight`, E, kv, l.wk),
      m(`blk.${i}.attn_v.weight`, E, kv, l.wv),
      m(`blk.${i}.attn_output.weight`, E, E, l.wo),
      v(`blk.${i}.ffn_norm.weight`, l.ffnNorm),
      m(`blk.${i}.ffn_gate.weight`, E, F, l.ffnGate),
      m(`blk.${i}.ffn_up.weight`, E, F, l.ffnUp),
      m(`blk.${i}.ffn_down.weight`, F, E, l.ffnDown),
    );
  });
  t.push(v('output_norm.weight', w.outputNorm), m('output.weight', E, V, w.output));
  return t;
}

/** The metadata llama.cpp needs for a llama model with an SPM vocabulary. */
function tinyMetadata(hp: TinyLlamaHparams, vocab: SpmVocab, o: { addBos: boolean; name: string; fileType: number }): GgufKv[] {
  return [
    { key: 'general.architecture', type: 'string', value: 'llama' },
    { key: 'general.name', type: 'string', value: o.name },
    { key: 'general.file_type', type: 'u32', value: o.fileType },
    { key: 'llama.vocab_size', type: 'u32', value: hp.nVocab },
    { key: 'llama.context_length', type: 'u32', value: hp.contextLength },
    { key: 'llama.embedding_length', type: 'u32', value: hp.nEmbd },
    { key: 'llama.block_count', type: 'u32', value: hp.nLayer },
    { key: 'llama.feed_forward_length', type: 'u32', value: hp.nFf },
    { key: 'llama.attention.head_count', type: 'u32', value: hp.nHead },
    { key: 'llama.attention.head_count_kv', type: 'u32', value: hp.nHeadKv },
    { key: 'llama.attention.layer_norm_rms_epsilon', type: 'f32', value: hp.rmsEps },
    { key: 'llama.rope.freq_base', type: 'f32', value: hp.ropeFreqBase },
    { key: 'llama.rope.dimension_count', type: 'u32', value: hp.headDim },
    { key: 'tokenizer.ggml.model', type: 'string', value: 'llama' },
    { key: 'tokenizer.ggml.tokens', type: 'array', itemType: 'string', value: vocab.tokens },
    { key: 'tokenizer.ggml.scores', type: 'array', itemType: 'f32', value: vocab.scores },
    { key: 'tokenizer.ggml.token_type', type: 'array', itemType: 'i32', value: vocab.types },
    { key: 'tokenizer.ggml.unknown_token_id', type: 'u32', value: vocab.unkId },
    { key: 'tokenizer.ggml.bos_token_id', type: 'u32', value: vocab.bosId },
    { key: 'tokenizer.ggml.eos_token_id', type: 'u32', value: vocab.eosId },
    { key: 'tokenizer.ggml.add_bos_token', type: 'bool', value: o.addBos },
    { key: 'tokenizer.ggml.add_eos_token', type: 'bool', value: false },
  ];
}

/**
 * Token embedding A and output matrix B (both [V][E]) with A's rows at RMS 1 (so RMSNorm leaves
 * them as they are) and A·Bᵀ ≈ the row-centred log bigram probabilities of the token stream:
 * alternating least squares on the rank-E factorisation, renormalising A's rows each round.
 */
function fitBigram(vocab: SpmVocab, ids: number[], E: number, rnd: () => number): { embd: Float64Array; output: Float64Array } {
  const V = vocab.tokens.length;
  const counts = new Float64Array(V * V);
  for (let i = 0; i + 1 < ids.length; i++) counts[ids[i]! * V + ids[i + 1]!]! += 1;
  // Interpolated with the add-α unigram, so an unseen context (a byte token, say) predicts the
  // unigram distribution instead of an arbitrary one.
  const alpha = 0.5;
  const lambda = 0.9;
  const uni = new Float64Array(V);
  for (let i = 1; i < ids.length; i++) uni[ids[i]!]! += 1;
  const nUni = ids.length - 1;
  for (let b = 0; b < V; b++) uni[b] = (uni[b]! + alpha) / (nUni + alpha * V);
  const L = new Float64Array(V * V);
  for (let a = 0; a < V; a++) {
    let n = 0;
    for (let b = 0; b < V; b++) n += counts[a * V + b]!;
    const lam = n > 0 ? lambda : 0;
    let mean = 0;
    for (let b = 0; b < V; b++) {
      const v = Math.log(lam * (n > 0 ? counts[a * V + b]! / n : 0) + (1 - lam) * uni[b]!);
      L[a * V + b] = v;
      mean += v / V;
    }
    for (let b = 0; b < V; b++) L[a * V + b]! -= mean;
  }
  let A: Float64Array = Float64Array.from({ length: V * E }, () => 2 * rnd() - 1);
  const normalizeRows = (M: Float64Array) => {
    for (let r = 0; r < V; r++) {
      let s = 0;
      for (let e = 0; e < E; e++) s += M[r * E + e]! ** 2;
      let rms = Math.sqrt(s / E);
      if (!(rms > 1e-12)) {
        for (let e = 0; e < E; e++) M[r * E + e] = 2 * rnd() - 1;
        rms = Math.sqrt(M.subarray(r * E, r * E + E).reduce((t, x) => t + x * x, 0) / E);
      }
      for (let e = 0; e < E; e++) M[r * E + e]! /= rms;
    }
  };
  normalizeRows(A);
  // B = Lᵀ A (AᵀA + λI)⁻¹ and A = L B (BᵀB + λI)⁻¹. Every unseen context has the same row of L
  // (the unigram), so the products run over the seen contexts plus one row for all unseen ones.
  const unseen: number[] = [];
  const reps: number[] = [];
  for (let a = 0; a < V; a++) {
    let n = 0;
    for (let b = 0; b < V; b++) n += counts[a * V + b]!;
    if (n > 0) reps.push(a);
    else unseen.push(a);
  }
  if (unseen.length) reps.push(unseen[0]!);
  const gram = (X: Float64Array) => {
    const G = new Float64Array(E * E);
    for (let r = 0; r < V; r++) {
      const o = r * E;
      for (let i = 0; i < E; i++) {
        const xi = X[o + i]!;
        for (let j = 0; j < E; j++) G[i * E + j]! += xi * X[o + j]!;
      }
    }
    for (let i = 0; i < E; i++) G[i * E + i]! += 1e-3;
    return G;
  };
  const stepB = (A: Float64Array) => {
    const R = new Float64Array(V * E);
    const w = new Float64Array(E);
    for (const r of reps) {
      w.fill(0);
      for (const a of r === unseen[0] ? unseen : [r]) for (let e = 0; e < E; e++) w[e]! += A[a * E + e]!;
      for (let b = 0; b < V; b++) {
        const m = L[r * V + b]!;
        const o = b * E;
        for (let e = 0; e < E; e++) R[o + e]! += m * w[e]!;
      }
    }
    return choleskySolveRows(gram(A), R, E);
  };
  const stepA = (B: Float64Array) => {
    const R = new Float64Array(reps.length * E);
    reps.forEach((r, i) => {
      const o = i * E;
      for (let k = 0; k < V; k++) {
        const m = L[r * V + k]!;
        const ok = k * E;
        for (let e = 0; e < E; e++) R[o + e]! += m * B[ok + e]!;
      }
    });
    const X = choleskySolveRows(gram(B), R, E);
    const A = new Float64Array(V * E);
    reps.forEach((r, i) => {
      for (const a of r === unseen[0] ? unseen : [r]) A.set(X.subarray(i * E, (i + 1) * E), a * E);
    });
    return A;
  };
  let B: Float64Array = stepB(A);
  for (let it = 0; it < 3; it++) {
    A = stepA(B);
    normalizeRows(A);
    B = stepB(A);
  }
  return { embd: A, output: B };
}

/** Solves X·G = R for X row by row (G symmetric positive definite, E×E). */
function choleskySolveRows(G: Float64Array, R: Float64Array, E: number): Float64Array {
  const Lc = new Float64Array(E * E);
  for (let i = 0; i < E; i++) {
    for (let j = 0; j <= i; j++) {
      let s = G[i * E + j]!;
      for (let k = 0; k < j; k++) s -= Lc[i * E + k]! * Lc[j * E + k]!;
      Lc[i * E + j] = i === j ? Math.sqrt(s) : s / Lc[j * E + j]!;
    }
  }
  const rows = R.length / E;
  const X = new Float64Array(R.length);
  const y = new Float64Array(E);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < E; i++) {
      let s = R[r * E + i]!;
      for (let k = 0; k < i; k++) s -= Lc[i * E + k]! * y[k]!;
      y[i] = s / Lc[i * E + i]!;
    }
    for (let i = E - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let k = i + 1; k < E; k++) s -= Lc[k * E + i]! * X[r * E + k]!;
      X[r * E + i] = s / Lc[i * E + i]!;
    }
  }
  return X;
}
