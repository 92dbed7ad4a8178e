import { normalPair, seededRandom } from '../random.js';
import type { BatchStats } from './types.js';
import { STAT_F64_KEYS } from './types.js';

/**
 * The accuracy rule every fast backend meets against the float64 reference: relative
 * error ≤ 1e-5 where the reference value is ≥ 1e-4, absolute error ≤ 1e-9 below. Applied to
 * every float field (KL both ways, entropies, cross-entropies, JS, TV, target log-probabilities);
 * infinities and NaN must sit in the same places, argmax and the invalid flag must be equal.
 */
export const ACCURACY_RULE = { rel: 1e-5, abs: 1e-9, cutoff: 1e-4 } as const;

/** One mismatch found by {@link compareStats}. */
export interface StatMismatch {
  field: string;
  row: number;
  expected: number;
  actual: number;
}

/** Result of {@link compareStats}: worst relative error over values ≥ cutoff, worst absolute below, and mismatches. */
export interface StatComparison {
  maxRelErr: number;
  maxAbsErrSmall: number;
  mismatches: StatMismatch[];
}

/**
 * Compares a backend's stats with the reference under {@link ACCURACY_RULE}.
 *
 * @example
 * const input = { p: new Float32Array([1, 2, 3]), q: new Float32Array([3, 2, 1]), rows: 1, cols: 3, from: 'logits' };
 * const c = compareStats(referenceBatchStats(input), batchStatsSync(input, { backend: 'wasm' }));
 * c.mismatches.length; // 0
 */
export function compareStats(ref: BatchStats, got: BatchStats, rule = ACCURACY_RULE): StatComparison {
  let maxRelErr = 0;
  let maxAbsErrSmall = 0;
  const mismatches: StatMismatch[] = [];
  for (let r = 0; r < ref.rows; r++) {
    if (ref.invalid[r] !== got.invalid[r]) mismatches.push({ field: 'invalid', row: r, expected: ref.invalid[r]!, actual: got.invalid[r]! });
    if (ref.argmaxP[r] !== got.argmaxP[r]) mismatches.push({ field: 'argmaxP', row: r, expected: ref.argmaxP[r]!, actual: got.argmaxP[r]! });
    if (ref.argmaxQ[r] !== got.argmaxQ[r]) mismatches.push({ field: 'argmaxQ', row: r, expected: ref.argmaxQ[r]!, actual: got.argmaxQ[r]! });
    if (ref.invalid[r]) continue;
    for (const k of STAT_F64_KEYS) {
      const e = ref[k][r]!;
      const a = got[k][r]!;
      if (!Number.isFinite(e) || !Number.isFinite(a)) {
        if (!Object.is(e, a) && !(Number.isNaN(e) && Number.isNaN(a))) mismatches.push({ field: k, row: r, expected: e, actual: a });
        continue;
      }
      const d = Math.abs(a - e);
      if (Math.abs(e) >= rule.cutoff) {
        const rel = d / Math.abs(e);
        if (rel > maxRelErr) maxRelErr = rel;
        if (rel > rule.rel) mismatches.push({ field: k, row: r, expected: e, actual: a });
      } else {
        if (d > maxAbsErrSmall) maxAbsErrSmall = d;
        if (d > rule.abs) mismatches.push({ field: k, row: r, expected: e, actual: a });
      }
    }
  }
  return { maxRelErr, maxAbsErrSmall, mismatches };
}

/** Standard normal deviate from two uniforms (Box–Muller; the second deviate is dropped). */
function gauss(rand: () => number): number {
  return normalPair(1 - rand(), rand())[0];
}

/** Options of {@link makeLogits}. */
export interface LogitOptions {
  rows: number;
  cols: number;
  /** spread of P's logits (standard deviation) */
  scale: number;
  /** Q = P + noise·N(0,1) */
  noise: number;
  seed?: number;
  float64?: boolean;
  /** allocate on SharedArrayBuffers (zero-copy worker threads) */
  shared?: boolean;
}

/**
 * Random logit pairs like a model and a perturbed copy: P ~ scale·N(0,1), Q = P + noise·N(0,1).
 *
 * @example
 * const { p, q } = makeLogits({ rows: 4, cols: 32000, scale: 3, noise: 0.5 });
 */
export function makeLogits(o: LogitOptions): { p: Float32Array | Float64Array; q: Float32Array | Float64Array } {
  const rand = seededRandom(o.seed ?? 1);
  const n = o.rows * o.cols;
  const bytes = o.float64 ? 8 : 4;
  const buf = () => (o.shared ? new SharedArrayBuffer(n * bytes) : new ArrayBuffer(n * bytes));
  const p = o.float64 ? new Float64Array(buf()) : new Float32Array(buf());
  const q = o.float64 ? new Float64Array(buf()) : new Float32Array(buf());
  for (let i = 0; i < n; i++) {
    p[i] = o.scale * gauss(rand);
    q[i] = p[i]! + o.noise * gauss(rand);
  }
  return { p, q };
}

/** A realistic regime of the benchmarks and the accuracy suite: LM-like rows, a candidate at a KL. */
export interface LmRegime {
  /** short id for command lines: lm-1e-3 */
  id: string;
  name: string;
  /** the candidate's KL(P‖Q) per row, approximately */
  kl: number;
}

/** The three candidate distances of the realistic regimes: a quantization, a fine-tune, a distinct model. */
export const LM_REGIMES: readonly LmRegime[] = [
  { id: 'lm-1e-3', name: 'lm kl≈1e-3', kl: 1e-3 },
  { id: 'lm-1e-2', name: 'lm kl≈1e-2', kl: 1e-2 },
  { id: 'lm-1e-1', name: 'lm kl≈1e-1', kl: 1e-1 },
];

/** Options of {@link makeLmLogits}. */
export interface LmLogitOptions {
  rows: number;
  cols: number;
  /** the candidate's KL(P‖Q) per row, approximately (second order in the noise) */
  kl: number;
  /** P's entropy per row is drawn uniformly from this range (nats); default [1, 4] */
  entropy?: [number, number];
  seed?: number;
  shared?: boolean;
}

/** H(s) and Σp² of the Zipf law p_r ∝ r^−s over ranks 1..V, on a grid of exponents s. */
function zipfTable(V: number): { s: Float64Array; h: Float64Array; p2: Float64Array } {
  const n = 161;
  const s = new Float64Array(n);
  const h = new Float64Array(n);
  const p2 = new Float64Array(n);
  const lr = new Float64Array(V);
  for (let r = 0; r < V; r++) lr[r] = Math.log(r + 1);
  for (let k = 0; k < n; k++) {
    const e = 0.6 + (3.4 * k) / (n - 1); // s in [0.6, 4]
    let z = 0;
    let zl = 0;
    let z2 = 0;
    for (let r = 0; r < V; r++) {
      const w = Math.exp(-e * lr[r]!);
      z += w;
      zl += w * lr[r]!;
      z2 += w * w;
    }
    s[k] = e;
    h[k] = Math.log(z) + (e * zl) / z;
    p2[k] = z2 / (z * z);
  }
  return { s, h, p2 };
}

/**
 * LM-like logit pairs: each row of P is a Zipf law over a random permutation of the vocabulary,
 * logit = −s·log(rank), with s set so that H(P) is drawn uniformly from `entropy` (1–4 nats, like
 * next-token distributions), plus a little N(0, 0.3²) texture; Q = P + σ·N(0,1) with σ set per
 * row so that KL(P‖Q) ≈ ½σ²(1 − Σp²) = `kl` (1e-3 a quantization, 1e-2 a fine-tune, 1e-1 a
 * distinct model).
 *
 * @example
 * const { p, q } = makeLmLogits({ rows: 4, cols: 32000, kl: 1e-3 });
 */
export function makeLmLogits(o: LmLogitOptions): { p: Float32Array; q: Float32Array } {
  const rand = seededRandom(o.seed ?? 1);
  const [h0, h1] = o.entropy ?? [1, 4];
  const V = o.cols;
  const buf = () => (o.shared ? new SharedArrayBuffer(o.rows * V * 4) : new ArrayBuffer(o.rows * V * 4));
  const p = new Float32Array(buf());
  const q = new Float32Array(buf());
  const t = zipfTable(V);
  const perm = new Int32Array(V);
  for (let r = 0; r < o.rows; r++) {
    const H = h0 + (h1 - h0) * rand();
    // H(s) decreases with s: the grid point just past H, interpolated linearly
    let k = 1;
    while (k < t.s.length - 1 && t.h[k]! > H) k++;
    const f = Math.min(1, Math.max(0, (t.h[k - 1]! - H) / (t.h[k - 1]! - t.h[k]!)));
    const s = t.s[k - 1]! + f * (t.s[k]! - t.s[k - 1]!);
    const p2 = t.p2[k - 1]! + f * (t.p2[k]! - t.p2[k - 1]!);
    const sigma = Math.sqrt((2 * o.kl) / Math.max(1e-3, 1 - p2));
    for (let i = 0; i < V; i++) perm[i] = i;
    for (let i = V - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const x = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = x;
    }
    const off = r * V;
    for (let i = 0; i < V; i++) {
      const a = -s * Math.log(perm[i]! + 1) + 0.3 * gauss(rand);
      p[off + i] = a;
      q[off + i] = a + sigma * gauss(rand);
    }
  }
  return { p, q };
}
