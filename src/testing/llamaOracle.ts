// An independent float64 forward pass of the tiny llama models that ./tinyLlama.ts writes, for
// checking what llama.cpp (through node-llama-cpp) computes with them.
import { halfToNumber, numberToHalf } from '../io/float16.js';
import type { TinyLlamaWeights } from './tinyLlama.js';

/** Options of {@link llamaOracleLogits}. */
export interface LlamaOracleOptions {
  /**
   * Bring the activations that multiply a matrix to the matrix's type first, as ggml's CPU
   * backend does (its F16 dot product takes both sides in f16, its Q8_0 one both in Q8_0).
   * Default true; false keeps them in float64.
   */
  quantizeActivations?: boolean;
  /**
   * Round Q, K, V and the attention weights to f16, as llama.cpp does with its default f16 KV
   * cache when flash attention is off (`flashAttention: false` in node-llama-cpp). Default false,
   * which matches an f32 KV cache (`experimentalKvCacheKeyType/ValueType: 'F32'`). With flash
   * attention on, llama.cpp's online softmax rounds in its own order and neither setting
   * reproduces it: |Δp| about 1e-4 for F32 weights, 3e-3 for Q8_0, where each activation's
   * rounding to Q8_0 magnifies any small difference.
   */
  f16Attention?: boolean;
}

const f16 = (x: number) => halfToNumber(numberToHalf(x));

/**
 * Activation row as ggml's CPU quantizer for the Q8_0 dot product leaves it, per block of 32:
 * d = max|x|/127 stored as f16, q = round-to-nearest-even(x × 127/max|x|) in float32.
 */
function q8Activations(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  const f = Math.fround;
  for (let b = 0; b < x.length; b += 32) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(f(x[b + j]!)));
    const d = f16(f(amax / 127));
    const id = amax !== 0 ? f(127 / amax) : 0;
    for (let j = 0; j < 32; j++) {
      const v = f(f(x[b + j]!) * id);
      let q = Math.round(v);
      if (q - v === 0.5 && q % 2 !== 0) q -= 1; // ties to even
      out[b + j] = d * q;
    }
  }
  return out;
}

/** y = W x with W row-major [rows][x.length]. */
function matVec(W: Float64Array, x: Float64Array, rows: number): Float64Array {
  const n = x.length;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += W[r * n + i]! * x[i]!;
    y[r] = s;
  }
  return y;
}

function rmsNorm(x: Float64Array, g: Float64Array, eps: number): Float64Array {
  let s = 0;
  for (const v of x) s += v * v;
  const k = 1 / Math.sqrt(s / x.length + eps);
  return Float64Array.from(x, (v, i) => v * k * g[i]!);
}

/**
 * llama.cpp's "normal" RoPE (the llama architecture's rope type): consecutive pairs
 * (x[2i], x[2i+1]) of each head rotate by pos × base^(−2i/d). GGUF llama checkpoints store Q and K
 * rows already permuted for this pairing, so the weights are used as they are.
 */
function rope(v: Float64Array, pos: number, nHeads: number, d: number, base: number): void {
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < d / 2; i++) {
      const theta = pos * Math.pow(base, (-2 * i) / d);
      const c = Math.cos(theta);
      const s = Math.sin(theta);
      const a = v[h * d + 2 * i]!;
      const b = v[h * d + 2 * i + 1]!;
      v[h * d + 2 * i] = a * c - b * s;
      v[h * d + 2 * i + 1] = a * s + b * c;
    }
  }
}

/**
 * Logits [positions][n_vocab] of a tiny llama model over a token sequence starting at position
 * 0, in float64: token embedding, per layer RMSNorm → Q/K/V → RoPE → causal softmax attention
 * (scale 1/√d, grouped heads) → output projection + residual, RMSNorm → SwiGLU FFN + residual;
 * final RMSNorm and the output matrix.
 *
 * @example
 * const m = writeTinyLlama({ dir });
 * const logits = llamaOracleLogits(m.weights.base, m.tokenize('The cat'));
 * logits.length; // number of tokens
 */
export function llamaOracleLogits(w: TinyLlamaWeights, tokens: readonly number[], opts: LlamaOracleOptions = {}): Float64Array[] {
  const hp = w.hparams;
  const { nEmbd: E, nHead, nHeadKv, headDim: d, nFf: F, nVocab: V } = hp;
  const qa = opts.quantizeActivations ?? true;
  const act = !qa || w.matrixType === 'F32' ? (x: Float64Array) => x : w.matrixType === 'F16' ? (x: Float64Array) => x.map(f16) : q8Activations;
  const mm = (W: Float64Array, x: Float64Array, rows: number) => matVec(W, act(x), rows);
  const round = opts.f16Attention ? (a: Float64Array) => a.map(f16) : (a: Float64Array) => a;
  const T = tokens.length;
  let h: Float64Array[] = tokens.map((t) => {
    if (!Number.isInteger(t) || t < 0 || t >= V) throw new RangeError(`token id ${t} outside 0..${V - 1}`);
    return w.tokenEmbd.slice(t * E, (t + 1) * E);
  });
  const group = nHead / nHeadKv;
  const scale = 1 / Math.sqrt(d);
  for (const L of w.layers) {
    const x = h.map((v) => rmsNorm(v, L.attnNorm, hp.rmsEps));
    const Q = x.map((v, p) => {
      const q = mm(L.wq, v, E);
      rope(q, p, nHead, d, hp.ropeFreqBase);
      return round(q);
    });
    const K = x.map((v, p) => {
      const k = mm(L.wk, v, nHeadKv * d);
      rope(k, p, nHeadKv, d, hp.ropeFreqBase);
      return round(k);
    });
    const Vv = x.map((v) => round(mm(L.wv, v, nHeadKv * d)));
    const next: Float64Array[] = [];
    for (let p = 0; p < T; p++) {
      const att = new Float64Array(E);
      for (let hh = 0; hh < nHead; hh++) {
        const kh = Math.floor(hh / group);
        const s = new Float64Array(p + 1);
        let max = -Infinity;
        for (let j = 0; j <= p; j++) {
          let dot = 0;
          for (let i = 0; i < d; i++) dot += Q[p]![hh * d + i]! * K[j]![kh * d + i]!;
          s[j] = dot * scale;
          max = Math.max(max, s[j]!);
        }
        let z = 0;
        for (let j = 0; j <= p; j++) z += (s[j] = Math.exp(s[j]! - max));
        const wts = round(s.map((v) => v / z));
        for (let j = 0; j <= p; j++) for (let i = 0; i < d; i++) att[hh * d + i]! += wts[j]! * Vv[j]![kh * d + i]!;
      }
      const o = mm(L.wo, att, E);
      const r = Float64Array.from(h[p]!, (v, i) => v + o[i]!);
      const n = rmsNorm(r, L.ffnNorm, hp.rmsEps);
      const g = mm(L.ffnGate, n, F);
      const u = mm(L.ffnUp, n, F);
      const swiglu = Float64Array.from(g, (gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]!);
      const dn = mm(L.ffnDown, swiglu, E);
      next.push(Float64Array.from(r, (v, i) => v + dn[i]!));
    }
    h = next;
  }
  return h.map((v) => mm(w.output, rmsNorm(v, w.outputNorm, hp.rmsEps), V));
}

/**
 * Softmax rows of {@link llamaOracleLogits} (log-sum-exp in float64).
 *
 * @example
 * llamaOracleProbabilities(m.weights.q8_0, ids)[0].reduce((a, b) => a + b); // 1
 */
export function llamaOracleProbabilities(w: TinyLlamaWeights, tokens: readonly number[], opts: LlamaOracleOptions = {}): Float64Array[] {
  return llamaOracleLogits(w, tokens, opts).map((z) => {
    let max = -Infinity;
    for (const v of z) max = Math.max(max, v);
    let s = 0;
    for (const v of z) s += Math.exp(v - max);
    const lse = max + Math.log(s);
    return z.map((v) => Math.exp(v - lse));
  });
}
