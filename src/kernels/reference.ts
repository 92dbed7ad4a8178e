import { ArgumentError, showValue } from '../errors.js';
import { scanRow } from '../rows/scan.js';
import { clampNonNegative, crossEntropyTerm, entropyTerm, jsFromTermSum, jsTerm, klTerm, tvFromSum } from '../rows/terms.js';
import { isFloat32, sumTolerance } from '../rows/tolerance.js';
import type { BatchInput, BatchStats } from './types.js';
import { createBatchStats, STAT_F64_KEYS } from './types.js';

/**
 * The relative tolerance on a row sum of a batch: `tolerance`, else the row rules' default for
 * float32 data when either side is a Float32Array (the kernels take one tolerance for both sides).
 *
 * @example
 * defaultTolerance({ p: new Float32Array(2), q: new Float64Array(2) }); // 0.0001
 */
export function defaultTolerance(input: Pick<BatchInput, 'p' | 'q' | 'tolerance'>): number {
  return sumTolerance({ tolerance: input.tolerance, float32: isFloat32(input.p) || isFloat32(input.q) });
}

/**
 * The plain float64 reference of the fused pass over rows [start, end) of `input`, written into
 * `out`, built on the row rules' core: each side is read by `scanRow` (validity, argmax, the
 * log-sum-exp or the sum), then one pass accumulates every measure in float64 from the core's
 * per-element terms, with their zero rules.
 */
export function referenceRange(input: BatchInput, out: BatchStats, start: number, end: number): void {
  const { p: P, q: Q, cols: n, from } = input;
  const rule = { from, normalize: input.normalize ?? false, tolerance: defaultTolerance(input) };
  const logDomain = from !== 'probs';
  const all = input.measures !== 'kl';
  for (let r = start; r < end; r++) {
    const off = r * n;
    const A = scanRow(P, off, n, rule);
    const B = scanRow(Q, off, n, rule);
    if (A.problem !== null || B.problem !== null) {
      markInvalid(out, r);
      continue;
    }
    out.argmaxP[r] = A.argmax;
    out.argmaxQ[r] = B.argmax;
    let fwd = 0;
    let rev = 0;
    let hp = 0;
    let hq = 0;
    let hpq = 0;
    let hqp = 0;
    let tv = 0;
    let js = 0;
    for (let i = 0; i < n; i++) {
      let p: number, q: number, la: number, lb: number;
      if (logDomain) {
        la = P[off + i]! - A.shift;
        lb = Q[off + i]! - B.shift;
        p = Math.exp(la);
        q = Math.exp(lb);
      } else {
        p = P[off + i]! / A.divisor;
        q = Q[off + i]! / B.divisor;
        la = Math.log(p);
        lb = Math.log(q);
      }
      // an infinite term makes its sum +Infinity (no term is −Infinity or NaN on valid rows)
      fwd += klTerm(p, q, la, lb, logDomain);
      rev += klTerm(q, p, lb, la, logDomain);
      hp += entropyTerm(p, la);
      hq += entropyTerm(q, lb);
      hpq += crossEntropyTerm(p, lb);
      hqp += crossEntropyTerm(q, la);
      tv += Math.abs(p - q);
      js += jsTerm(p, q, la, lb);
    }
    out.forward[r] = clampNonNegative(fwd);
    out.reverse[r] = clampNonNegative(rev);
    out.entropyP[r] = clampNonNegative(hp);
    out.entropyQ[r] = clampNonNegative(hq);
    out.crossEntropyPQ[r] = clampNonNegative(hpq);
    out.crossEntropyQP[r] = clampNonNegative(hqp);
    out.jsDivergence[r] = all ? jsFromTermSum(js) : NaN;
    out.tvd[r] = all ? tvFromSum(tv) : NaN;
    const t = input.targets ? input.targets[r]! : -1;
    if (t >= 0 && t < n) {
      out.logpTarget[r] = logDomain ? P[off + t]! - A.shift : Math.log(P[off + t]! / A.divisor);
      out.logqTarget[r] = logDomain ? Q[off + t]! - B.shift : Math.log(Q[off + t]! / B.divisor);
    } else {
      out.logpTarget[r] = NaN;
      out.logqTarget[r] = NaN;
    }
    out.invalid[r] = 0;
  }
}

/** Fills row `r` of `out` as invalid: every value NaN, argmax -1, the flag set. */
export function markInvalid(out: BatchStats, r: number): void {
  out.argmaxP[r] = out.argmaxQ[r] = -1;
  for (const k of STAT_F64_KEYS) out[k][r] = NaN;
  out.invalid[r] = 1;
}

/** Checks the shape of a {@link BatchInput}; throws an ArgumentError naming the field. */
export function checkBatchInput(input: BatchInput): void {
  const { rows, cols } = input;
  if (!Number.isInteger(rows) || rows < 0) throw new ArgumentError({ where: 'invalid rows', expected: 'an integer >= 0', got: rows });
  if (!Number.isInteger(cols) || cols < 1) throw new ArgumentError({ where: 'invalid cols', expected: 'an integer >= 1', got: cols });
  for (const side of ['p', 'q'] as const) {
    const len = input[side].length;
    if (len < rows * cols) throw new ArgumentError({ where: `invalid ${side}`, expected: `${rows}×${cols} = ${rows * cols} values`, got: len });
  }
  if (input.targets && input.targets.length < rows) throw new ArgumentError({ where: 'invalid targets', expected: `${rows} values`, got: input.targets.length });
  if (input.from !== 'logits' && input.from !== 'logprobs' && input.from !== 'probs') {
    throw new ArgumentError({ where: 'invalid from', expected: 'logits, logprobs or probs', got: showValue(input.from) });
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
