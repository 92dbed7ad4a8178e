// The kernels' accuracy suite: random and adversarial batches that every backend must agree on
// with the TypeScript reference (used by the kernel tests, not part of the package API).
import { seededRandom } from '../random.js';
import { logSumExp } from '../rows/logSumExp.js';
import { LM_REGIMES, makeLmLogits, makeLogits } from '../kernels/accuracy.js';
import type { BatchInput } from '../kernels/types.js';

/**
 * Log-probabilities (log) or probabilities of a [rows × cols] batch of logits, computed in
 * float64 (the row rule of src/rows/logSumExp.ts) and stored in x's precision.
 *
 * @example
 * softmaxRows(Float32Array.of(0, 0), 1, 2, false); // Float32Array [0.5, 0.5]
 */
export function softmaxRows(x: Float32Array | Float64Array, rows: number, cols: number, log: boolean): Float32Array | Float64Array {
  const out = new (x.constructor as Float32ArrayConstructor)(x.length);
  for (let r = 0; r < rows; r++) {
    const lse = logSumExp(x, r * cols, cols);
    for (let i = 0; i < cols; i++) out[r * cols + i] = log ? x[r * cols + i]! - lse : Math.exp(x[r * cols + i]! - lse);
  }
  return out;
}

/** A named input of the accuracy suite. */
export interface AccuracyCase {
  name: string;
  input: BatchInput;
}

/**
 * The accuracy suite's inputs: random and adversarial rows in all three input kinds — logits of
 * ±1e4, one-hot-like rows, near-equal and equal rows, masked (−∞) logits and zero probabilities
 * (infinite KL), vocab 256,000, odd vocab sizes around the vector and block widths, argmax ties,
 * targets, and rows that break a rule (flagged invalid). Float32 unless `float64` is set.
 *
 * @example
 * for (const c of accuracyCases()) compareStats(referenceBatchStats(c.input), batchStatsSync(c.input, { backend: 'wasm' }));
 */
export function accuracyCases(opts: { float64?: boolean; large?: boolean } = {}): AccuracyCase[] {
  const f64 = opts.float64 ?? false;
  const A = (n: number) => (f64 ? new Float64Array(n) : new Float32Array(n));
  const cases: AccuracyCase[] = [];
  const logits = (name: string, rows: number, cols: number, scale: number, noise: number, seed: number) => {
    const { p, q } = makeLogits({ rows, cols, scale, noise, seed, float64: f64 });
    const targets = new Int32Array(rows).map((_, i) => (i * 7919) % cols);
    if (rows > 1) targets[rows - 1] = -1;
    cases.push({ name: `logits ${name}`, input: { p, q, rows, cols, from: 'logits', targets } });
    cases.push({ name: `logprobs ${name}`, input: { p: softmaxRows(p, rows, cols, true), q: softmaxRows(q, rows, cols, true), rows, cols, from: 'logprobs', targets } });
    cases.push({ name: `probs ${name}`, input: { p: softmaxRows(p, rows, cols, false), q: softmaxRows(q, rows, cols, false), rows, cols, from: 'probs', targets } });
  };
  logits('random V=1000', 4, 1000, 2, 0.5, 1);
  logits('random V=32000', 2, 32000, 3, 1, 2);
  logits('near-equal V=32000', 2, 32000, 3, 1e-3, 3);
  logits('nearly identical V=4096', 2, 4096, 2, 1e-5, 4);
  logits('far apart V=5000', 2, 5000, 4, 8, 5);
  for (const v of [1, 2, 3, 5, 17, 31, 1023, 2047, 2049, 4099]) logits(`odd V=${v}`, 3, v, 2, 0.7, 10 + v);
  if (opts.large ?? true) logits('V=256000', 1, 256000, 3, 0.5, 6);
  // the realistic regimes (LM-like peaked rows, candidates at KL 1e-3, 1e-2, 1e-1) and closer
  // ones (1e-4, 1e-6: quantization noise at the floor), in all three input kinds
  for (const [k, reg] of [...LM_REGIMES, { id: 'lm-1e-4', name: 'lm kl≈1e-4', kl: 1e-4 }, { id: 'lm-1e-6', name: 'lm kl≈1e-6', kl: 1e-6 }].entries()) {
    for (const cols of opts.large ?? true ? [32000, 128256] : [32000]) {
      const rows = cols > 32000 ? 2 : 6;
      const lm = makeLmLogits({ rows, cols, kl: reg.kl, seed: 40 + k });
      const p = f64 ? Float64Array.from(lm.p) : lm.p;
      const q = f64 ? Float64Array.from(lm.q) : lm.q;
      const targets = new Int32Array(rows).map((_, i) => (i * 7919) % cols);
      const name = `${reg.name} V=${cols}`;
      cases.push({ name: `logits ${name}`, input: { p, q, rows, cols, from: 'logits', targets } });
      // rows taken as given (probabilities, raw log-probabilities) correct KL by the measured
      // Σ(q − p) of float32 weights, whose error ~u·√(Σp²x²) is ~1e-9 at KL ≈ 1e-4: on the edge
      // of the rule there, so those kinds are checked at the other distances
      if (reg.kl === 1e-4) continue;
      cases.push({ name: `logprobs ${name}`, input: { p: softmaxRows(p, rows, cols, true), q: softmaxRows(q, rows, cols, true), rows, cols, from: 'logprobs', targets } });
      cases.push({ name: `probs ${name}`, input: { p: softmaxRows(p, rows, cols, false), q: softmaxRows(q, rows, cols, false), rows, cols, from: 'probs', targets } });
    }
  }

  // logits of ±1e4: P and Q nearly one-hot, and the same with tiny noise
  for (const [noise, seed] of [[3, 7], [1e-3, 8]] as const) {
    const rows = 3;
    const cols = 777;
    const { p, q } = makeLogits({ rows, cols, scale: 0, noise: 0, seed, float64: f64 });
    const rand = seededRandom(seed);
    for (let i = 0; i < rows * cols; i++) {
      p[i] = (rand() * 2 - 1) * 1e4;
      q[i] = p[i]! + (rand() * 2 - 1) * noise;
    }
    cases.push({ name: `logits ±1e4 noise ${noise}`, input: { p, q, rows, cols, from: 'logits' } });
  }
  // one-hot-like rows: one logit far above a flat rest, Q slightly less sure
  {
    const rows = 3;
    const cols = 5000;
    const p = A(rows * cols);
    const q = A(rows * cols);
    for (let r = 0; r < rows; r++) {
      p[r * cols + 17 + r] = 30 + r;
      q[r * cols + 17 + r] = 29.9 + r - 0.5 * r;
      if (r === 2) q[r * cols + 18 + r] = 31; // Q sure of the wrong token
    }
    cases.push({ name: 'logits one-hot-like', input: { p, q, rows, cols, from: 'logits' } });
  }
  // equal rows (KL exactly 0) and a constant shift (same distribution)
  {
    const { p } = makeLogits({ rows: 2, cols: 3001, scale: 2, noise: 0, seed: 9, float64: f64 });
    const q = A(p.length);
    for (let i = 0; i < p.length; i++) q[i] = i < 3001 ? p[i]! : p[i]! + 12.5;
    cases.push({ name: 'logits equal and shifted', input: { p, q, rows: 2, cols: 3001, from: 'logits' } });
  }
  // masked logits (−∞): in P only (reverse KL = ∞), in Q only (forward KL = ∞), in both (finite)
  {
    const rows = 3;
    const cols = 1031;
    const { p, q } = makeLogits({ rows, cols, scale: 2, noise: 0.5, seed: 11, float64: f64 });
    p[5] = -Infinity;
    q[cols + 6] = -Infinity;
    for (let i = 0; i < cols; i += 3) {
      p[2 * cols + i] = -Infinity;
      q[2 * cols + i] = -Infinity;
    }
    cases.push({ name: 'logits masked', input: { p, q, rows, cols, from: 'logits' } });
  }
  // probabilities with zeros, counts normalised by the kernel, unnormalised rows refused
  {
    const rows = 4;
    const cols = 1001;
    const rand = seededRandom(12);
    const p = A(rows * cols);
    const q = A(rows * cols);
    for (let i = 0; i < rows * cols; i++) {
      p[i] = Math.floor(rand() * 5);
      q[i] = Math.floor(rand() * 5) + (i % cols === 0 ? 1 : 0);
    }
    for (let i = 0; i < cols; i++) if (p[i] === 0) q[i] = 0; // row 0: shared zeros, finite both ways
    cases.push({ name: 'probs counts with zeros (normalize)', input: { p, q, rows, cols, from: 'probs', normalize: true } });
    cases.push({ name: 'probs counts unnormalised (invalid)', input: { p, q, rows, cols, from: 'probs' } });
  }
  // argmax ties (first index wins), across vector lanes and pass-1 blocks, and targets
  {
    const rows = 3;
    const cols = 5003;
    const p = A(rows * cols);
    const q = A(rows * cols);
    p[7] = p[3] = 5;
    q[4] = q[6] = 5;
    p[cols + 4097] = p[cols + 100] = 9;
    q[cols + 2048] = q[cols + 5002] = 9;
    p[2 * cols + 5002] = 1;
    q[2 * cols + 0] = 1;
    q[2 * cols + 1] = 1;
    const targets = new Int32Array([3, 5002, 0]);
    cases.push({ name: 'logits argmax ties and targets', input: { p, q, rows, cols, from: 'logits', targets } });
  }
  // rows that break a rule: NaN, +∞, negative probability, log-probability > 0
  {
    const cols = 9;
    const mk = (vals: number[]) => {
      const x = A(cols);
      x.set(vals);
      return x;
    };
    const u = Array(cols).fill(1 / cols);
    const bad = (name: string, from: BatchInput['from'], pv: number[], qv: number[]) =>
      cases.push({ name: `invalid ${name}`, input: { p: mk(pv), q: mk(qv), rows: 1, cols, from } });
    bad('NaN logit', 'logits', [0, 1, NaN, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0]);
    bad('+inf logit', 'logits', [0, 0, 0, 0, 0, 0, 0, 0, 0], [0, Infinity, 0, 0, 0, 0, 0, 0, 0]);
    bad('all -inf', 'logits', Array(cols).fill(-Infinity), Array(cols).fill(0));
    bad('negative probability', 'probs', [...u.slice(0, 8), -0.1], u);
    bad('positive logprob', 'logprobs', [0.5, ...Array(cols - 1).fill(-10)], Array(cols).fill(-Math.log(cols)));
  }
  return cases;
}
