import { KERNEL_F64_SLOTS } from '../rows/measureTable.js';

/**
 * The contract of the fused kernels: per-row statistics of a [rows × cols] pair of matrices
 * P (reference) and Q (model), as struct-of-arrays. Every backend (TypeScript reference, wasm,
 * native) fills the same fields; all values are in nats.
 */
export interface BatchInput {
  /** P, the reference: row-major [rows × cols]. */
  p: Float32Array | Float64Array;
  /** Q, the model: same shape as `p`. */
  q: Float32Array | Float64Array;
  rows: number;
  cols: number;
  /** How the rows are given. Logits are log-softmaxed in the kernel (online log-sum-exp). */
  from: 'logits' | 'logprobs' | 'probs';
  /** Optional target token per row (for perplexity, Δp); -1 or absent = none. */
  targets?: Int32Array;
  /**
   * Probability and log-probability rows: rescale rows that do not sum to 1 (as `prepareRow`'s
   * `normalize`). Default false: a row whose sum is off by more than `tolerance` is flagged invalid.
   * Logit rows are always normalized.
   */
  normalize?: boolean;
  /** Relative tolerance on the row sum; default 1e-4 for Float32Array input, 1e-6 for Float64Array. */
  tolerance?: number;
  /**
   * 'all' (default): every field. 'kl': KL both ways, entropies, cross-entropies, argmax and
   * targets only — `jsDivergence` and `tvd` are NaN. On float32 logits the wasm and native
   * backends then use a two-exp fast path (about twice as fast; rows whose KL is too small for
   * it to be exact are recomputed with the exact form).
   */
  measures?: 'all' | 'kl';
}

/**
 * Per-row results of a fused pass: one Float64Array per float64 slot of the measure table
 * (src/rows/measureTable.ts: KL(P‖Q) `forward`, KL(Q‖P) `reverse`, entropies, cross-entropies
 * H(P,Q) and H(Q,P), `jsDivergence`, `tvd` = ½Σ|p − q|, then log p(target) and log q(target),
 * NaN where no target was given), the argmaxes and the invalid flag.
 */
export type BatchStats = { rows: number } & { [K in StatF64Key]: Float64Array } & {
  /** index of the largest p (first wins ties); -1 on invalid rows */
  argmaxP: Int32Array;
  argmaxQ: Int32Array;
  /** 1 where the row broke a rule (NaN, +Infinity, negative probability): the caller re-checks it with the reference to name the column */
  invalid: Uint8Array;
};

/** A float64 field of {@link BatchStats}. */
export type StatF64Key = (typeof KERNEL_F64_SLOTS)[number]['key'];

/** Backend names used in dispatch and benchmarks. */
export type BackendName = 'js' | 'wasm' | 'native';

/** The Float64Array fields of {@link BatchStats}, in slot order (the layout the wasm and native kernels write, generated from the measure table). */
export const STAT_F64_KEYS: readonly StatF64Key[] = KERNEL_F64_SLOTS.map((s) => s.key);

/** Allocates an empty {@link BatchStats} for `rows` rows (optionally on a shared buffer). */
export function createBatchStats(rows: number, shared = false): BatchStats {
  const C = shared ? SharedArrayBuffer : ArrayBuffer;
  const out = { rows } as BatchStats;
  for (const k of STAT_F64_KEYS) out[k] = new Float64Array(new C(rows * 8));
  out.argmaxP = new Int32Array(new C(rows * 4));
  out.argmaxQ = new Int32Array(new C(rows * 4));
  out.invalid = new Uint8Array(new C(rows));
  return out;
}
