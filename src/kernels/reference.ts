import type { BatchInput, BatchStats } from './types.js';
import { createBatchStats } from './types.js';

/** Default relative tolerance on a row sum, as `prepareRow` uses it. */
export function defaultTolerance(input: Pick<BatchInput, 'p' | 'q' | 'tolerance'>): number {
  if (input.tolerance !== undefined) return input.tolerance;
  return input.p instanceof Float32Array || input.q instanceof Float32Array ? 1e-4 : 1e-6;
}

/** What pass 1 learns about one side of a row. */
interface Side {
  /** shift so that log p_i = x_i − shift (log domain), or 1/scale so that p_i = x_i·scale (probs) */
  shift: number;
  scale: number;
  argmax: number;
  ok: boolean;
}

/**
 * Pass 1 over one row of one side: validity, argmax (first index wins) and the normalizer.
 * Logits and log-probabilities use the online log-sum-exp: a running max m and a running
 * Σ exp(x − m), rescaled by exp(m_old − m_new) when the max grows, so no logit is exponentiated
 * unshifted and the row is read once.
 */
function pass1(x: Float32Array | Float64Array, off: number, n: number, from: BatchInput['from'], normalize: boolean, tol: number): Side {
  let m = -Infinity;
  let arg = 0;
  if (from === 'probs') {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = x[off + i]!;
      if (!(v >= 0) || v === Infinity) return { shift: 0, scale: 0, argmax: 0, ok: false };
      s += v;
      if (v > m) {
        m = v;
        arg = i;
      }
    }
    if (s === 0) return { shift: 0, scale: 0, argmax: 0, ok: false };
    if (Math.abs(s - 1) > tol && !normalize) return { shift: 0, scale: 0, argmax: 0, ok: false };
    return { shift: 0, scale: normalize ? 1 / s : 1, argmax: arg, ok: true };
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[off + i]!;
    if (Number.isNaN(v) || v === Infinity) return { shift: 0, scale: 0, argmax: 0, ok: false };
    if (from === 'logprobs' && v > 1e-6) return { shift: 0, scale: 0, argmax: 0, ok: false };
    if (v > m) {
      // the running max grows: rescale the partial sum to the new shift
      s = s * Math.exp(m - v) + 1;
      m = v;
      arg = i;
    } else if (v !== -Infinity) s += Math.exp(v - m);
  }
  if (m === -Infinity) return { shift: 0, scale: 0, argmax: 0, ok: false };
  const lse = m + Math.log(s);
  if (from === 'logits') return { shift: lse, scale: 1, argmax: arg, ok: true };
  if (!normalize && Math.abs(Math.exp(lse) - 1) > tol) return { shift: 0, scale: 0, argmax: 0, ok: false };
  return { shift: normalize ? lse : 0, scale: 1, argmax: arg, ok: true };
}

/**
 * The plain float64 reference of the fused pass over rows [start, end) of `input`, written into
 * `out`. Two reads of each row: pass 1 finds the normalizer (online log-sum-exp) and argmax, pass 2
 * accumulates every measure in float64 from log p and log q.
 */
export function referenceRange(input: BatchInput, out: BatchStats, start: number, end: number): void {
  const { p: P, q: Q, cols: n, from } = input;
  const normalize = input.normalize ?? false;
  const tol = defaultTolerance(input);
  const logDomain = from !== 'probs';
  for (let r = start; r < end; r++) {
    const off = r * n;
    const A = pass1(P, off, n, from, normalize, tol);
    const B = pass1(Q, off, n, from, normalize, tol);
    out.argmaxP[r] = A.ok && B.ok ? A.argmax : -1;
    out.argmaxQ[r] = A.ok && B.ok ? B.argmax : -1;
    if (!A.ok || !B.ok) {
      markInvalid(out, r);
      continue;
    }
    let fwd = 0;
    let rev = 0;
    let hp = 0;
    let hq = 0;
    let hpq = 0;
    let hqp = 0;
    let tv = 0;
    let js = 0;
    let fwdInf = false;
    let revInf = false;
    let hpqInf = false;
    let hqpInf = false;
    for (let i = 0; i < n; i++) {
      let p: number, q: number, la: number, lb: number;
      if (logDomain) {
        la = P[off + i]! - A.shift;
        lb = Q[off + i]! - B.shift;
        p = Math.exp(la);
        q = Math.exp(lb);
      } else {
        p = P[off + i]! * A.scale;
        q = Q[off + i]! * B.scale;
        la = Math.log(p);
        lb = Math.log(q);
      }
      // Zero rules (scipy rel_entr): a side with log = −∞ contributes 0; the other side then
      // makes its KL infinite. In the log domain a probability may underflow while its log is
      // finite: the KL zero rule looks at the logs, the cross-entropy rule at the probabilities.
      const pz = la === -Infinity;
      const qz = lb === -Infinity;
      if (!pz) {
        if (qz) fwdInf = true;
        else fwd += p * (la - lb);
        hp -= p * la;
        if (p > 0) {
          if (qz) hpqInf = true;
          else hpq -= p * lb;
        }
      }
      if (!qz) {
        if (pz) revInf = true;
        else rev += q * (lb - la);
        hq -= q * lb;
        if (q > 0) {
          if (pz) hqpInf = true;
          else hqp -= q * la;
        }
      }
      tv += Math.abs(p - q);
      if (!pz || !qz) {
        // log m = log((p + q)/2) from the logs, so M never underflows where p or q > 0
        const hi = Math.max(la, lb);
        const lo = Math.min(la, lb);
        const lm = hi + Math.log1p(Math.exp(lo - hi)) - Math.LN2;
        if (!pz) js += p * (la - lm);
        if (!qz) js += q * (lb - lm);
      }
    }
    out.forward[r] = fwdInf ? Infinity : clamp0(fwd);
    out.reverse[r] = revInf ? Infinity : clamp0(rev);
    out.entropyP[r] = clamp0(hp);
    out.entropyQ[r] = clamp0(hq);
    out.crossEntropyPQ[r] = hpqInf ? Infinity : clamp0(hpq);
    out.crossEntropyQP[r] = hqpInf ? Infinity : clamp0(hqp);
    // JS is ½KL(P‖M) + ½KL(Q‖M), bounded by ln 2; rounding may step outside [0, ln 2]
    const all = input.measures !== 'kl';
    out.jsDivergence[r] = all ? Math.min(clamp0(0.5 * js), Math.LN2) : NaN;
    out.tvd[r] = all ? Math.min(0.5 * tv, 1) : NaN;
    const t = input.targets ? input.targets[r]! : -1;
    if (t >= 0 && t < n) {
      out.logpTarget[r] = logDomain ? P[off + t]! - A.shift : Math.log(P[off + t]! * A.scale);
      out.logqTarget[r] = logDomain ? Q[off + t]! - B.shift : Math.log(Q[off + t]! * B.scale);
    } else {
      out.logpTarget[r] = NaN;
      out.logqTarget[r] = NaN;
    }
    out.invalid[r] = 0;
  }
}

/** Rounding can leave a sum of non-negative quantities a hair below 0: report it as 0. */
function clamp0(x: number): number {
  return x < 0 ? 0 : x;
}

/** Fills row `r` of `out` as invalid: every value NaN, argmax -1, the flag set. */
export function markInvalid(out: BatchStats, r: number): void {
  out.argmaxP[r] = out.argmaxQ[r] = -1;
  out.forward[r] = out.reverse[r] = out.entropyP[r] = out.entropyQ[r] = NaN;
  out.crossEntropyPQ[r] = out.crossEntropyQP[r] = out.jsDivergence[r] = out.tvd[r] = NaN;
  out.logpTarget[r] = out.logqTarget[r] = NaN;
  out.invalid[r] = 1;
}

/** Checks the shape of a {@link BatchInput}; throws a RangeError naming the field. */
export function checkBatchInput(input: BatchInput): void {
  const { rows, cols } = input;
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`invalid rows: expected an integer >= 0, got ${rows}`);
  if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`invalid cols: expected an integer >= 1, got ${cols}`);
  if (input.p.length < rows * cols) throw new RangeError(`invalid p: expected ${rows}×${cols} = ${rows * cols} values, got ${input.p.length}`);
  if (input.q.length < rows * cols) throw new RangeError(`invalid q: expected ${rows}×${cols} = ${rows * cols} values, got ${input.q.length}`);
  if (input.targets && input.targets.length < rows) throw new RangeError(`invalid targets: expected ${rows} values, got ${input.targets.length}`);
  if (input.from !== 'logits' && input.from !== 'logprobs' && input.from !== 'probs') {
    throw new RangeError(`invalid from: expected logits, logprobs or probs, got ${String(input.from)}`);
  }
}

/**
 * The float64 reference of the fused kernel: every per-row statistic of {@link BatchStats} in
 * one call, two reads of each row. Slow but exact; the other backends are tested against it.
 *
 * @example
 * const s = referenceBatchStats({ p: new Float64Array([0.5, 0.3, 0.2]), q: new Float64Array([0.4, 0.4, 0.2]), rows: 1, cols: 3, from: 'probs' });
 * s.forward[0]; // 0.025267153921570557 = KL(P‖Q)
 */
export function referenceBatchStats(input: BatchInput): BatchStats {
  checkBatchInput(input);
  const out = createBatchStats(input.rows);
  referenceRange(input, out, 0, input.rows);
  return out;
}
