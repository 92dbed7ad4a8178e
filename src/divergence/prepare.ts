import { shortNumber } from '../words.js';
import { DataError } from '../errors.js';
import { showValue } from '../errors.js';
import type { InputKind, Row } from './types.js';

/**
 * A validated distribution row in both domains: probabilities `p` and log-probabilities `lp`
 * (−Infinity where p = 0). `logDomain` says which one was given exactly, so measures can take
 * differences of logs (exact for logits) or ratios of probabilities (exact for probs).
 */
export interface PreparedRow {
  p: Float64Array;
  lp: Float64Array;
  logDomain: boolean;
}

/** Options of {@link prepareRow}. */
export interface PrepareOptions {
  /** Argument name used in errors, e.g. 'p' or 'q'. */
  name: string;
  /** Row index for errors in a matrix; omit for a single row. */
  row?: number;
  from?: InputKind;
  normalize?: boolean;
  /** Relative tolerance on the row sum (default 1e-6, or 1e-4 when `float32` is set). */
  tolerance?: number;
  /** The row came from float32 data: loosens the default tolerance. */
  float32?: boolean;
}

/** Where an error points: `p[3]` for a row, `p[2][3]` for a matrix cell. */
function at(opts: PrepareOptions, col?: number): string {
  const r = opts.row === undefined ? '' : `[${opts.row}]`;
  const c = col === undefined ? '' : `[${col}]`;
  return `${opts.name}${r}${c}`;
}

/**
 * Logarithm of Σ exp(x_i) without overflow: shift by the max so the largest term is exp(0) = 1.
 * Returns −Infinity for an empty row or a row of −Infinity.
 *
 * @example
 * logSumExp([1000, 1000]); // 1000 + ln 2 = 1000.6931471805599
 */
export function logSumExp(x: Row): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i]! > m) m = x[i]!;
  if (m === -Infinity || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i]! - m);
  return m + Math.log(s);
}

/**
 * Stable log-softmax of a logit row into float64: log p_i = x_i − lse(x). The logits are never
 * exponentiated unshifted, so [1000, 999, 998] works where a naive softmax gives NaN.
 *
 * @example
 * logSoftmax([1000, 999, 998]); // Float64Array [-0.4076, -1.4076, -2.4076]
 */
export function logSoftmax(x: Row): Float64Array {
  const lse = logSumExp(x);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! - lse;
  return out;
}

/**
 * Validates one row and brings it to probabilities and log-probabilities in float64.
 * Rules: probabilities finite and >= 0; log-probabilities <= 0 (−Infinity allowed: p = 0);
 * logits finite or −Infinity (a masked token), not all −Infinity. Probability and log-probability
 * rows must sum to 1 within the tolerance unless `normalize` is set.
 *
 * @example
 * prepareRow([2, 1, 1], { name: 'p', normalize: true }).p; // Float64Array [0.5, 0.25, 0.25]
 */
export function prepareRow(row: Row, opts: PrepareOptions): PreparedRow {
  const from = opts.from ?? 'probs';
  const n = row.length;
  if (n === 0) throw new DataError(`invalid ${at(opts)}: empty row (a distribution needs at least one value)`);
  const tol = opts.tolerance ?? (opts.float32 ? 1e-4 : 1e-6);
  const p = new Float64Array(n);
  const lp = new Float64Array(n);
  if (from === 'probs') {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = row[i]!;
      if (!(v >= 0) || v === Infinity) {
        throw new DataError(`invalid ${at(opts, i)}: expected a finite number >= 0, got ${showValue(v)}`);
      }
      p[i] = v;
      s += v;
    }
    if (s === 0) throw new DataError(`invalid ${at(opts)}: all ${n} values are 0, so it is no distribution`);
    if (Math.abs(s - 1) > tol) {
      if (!opts.normalize) throw notNormalized(opts, s, tol);
    }
    if (opts.normalize && s !== 1) for (let i = 0; i < n; i++) p[i]! /= s;
    for (let i = 0; i < n; i++) lp[i] = Math.log(p[i]!);
    return { p, lp, logDomain: false };
  }
  if (from === 'logprobs') {
    for (let i = 0; i < n; i++) {
      const v = row[i]!;
      // A log-probability a hair above 0 is rounding; a clearly positive one is a wrong input kind.
      if (Number.isNaN(v) || v === Infinity || v > 1e-6) {
        throw new DataError(`invalid ${at(opts, i)}: expected a log-probability <= 0 (or -Infinity), got ${showValue(v)}`);
      }
      lp[i] = v;
    }
    const lse = logSumExp(lp);
    if (lse === -Infinity) throw new DataError(`invalid ${at(opts)}: all ${n} log-probabilities are -Infinity, so it is no distribution`);
    const s = Math.exp(lse);
    if (Math.abs(s - 1) > tol && !opts.normalize) throw notNormalized(opts, s, tol);
    if (opts.normalize) for (let i = 0; i < n; i++) lp[i]! -= lse;
    for (let i = 0; i < n; i++) p[i] = Math.exp(lp[i]!);
    return { p, lp, logDomain: true };
  }
  if (from === 'logits') {
    for (let i = 0; i < n; i++) {
      const v = row[i]!;
      if (Number.isNaN(v) || v === Infinity) {
        throw new DataError(`invalid ${at(opts, i)}: expected a finite logit (or -Infinity for a masked token), got ${showValue(v)}`);
      }
    }
    const lse = logSumExp(row);
    if (lse === -Infinity) throw new DataError(`invalid ${at(opts)}: all ${n} logits are -Infinity, so it is no distribution`);
    for (let i = 0; i < n; i++) {
      lp[i] = row[i]! - lse;
      p[i] = Math.exp(lp[i]!);
    }
    return { p, lp, logDomain: true };
  }
  throw new DataError(`invalid input kind ${showValue(from)}: expected probs, logprobs or logits`);
}

function notNormalized(opts: PrepareOptions, sum: number, tol: number): DataError {
  return new DataError(
    `invalid ${at(opts)}: values sum to ${shortNumber(sum)} (off by ${Math.abs(sum - 1).toPrecision(3)}, relative tolerance ${tol.toExponential()}); ` +
      `pass normalize: true (CLI: --normalize) to rescale it`,
  );
}

/** Checks that P and Q have the same length before any elementwise measure. */
export function assertSameLength(p: Row, q: Row, row?: number): void {
  if (p.length !== q.length) {
    const r = row === undefined ? '' : ` in row ${row}`;
    throw new DataError(`shape mismatch${r}: p has ${p.length} values, q has ${q.length}`);
  }
}
