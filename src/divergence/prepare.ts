import { ArgumentError, DataError, showValue } from '../errors.js';
import { shiftInto } from '../rows/logSumExp.js';
import { scanError, scanRow } from '../rows/scan.js';
import { sumTolerance } from '../rows/tolerance.js';
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

/**
 * Validates one row and brings it to probabilities and log-probabilities in float64, under the
 * row rules of `rows/scan` (their messages name `name`, the row and the column).
 * Rules: probabilities finite and >= 0; log-probabilities <= 0 (−Infinity allowed: p = 0);
 * logits finite or −Infinity (a masked token), not all −Infinity. Probability and log-probability
 * rows must sum to 1 within the tolerance unless `normalize` is set.
 *
 * @example
 * prepareRow([2, 1, 1], { name: 'p', normalize: true }).p[0]; // 0.5
 */
export function prepareRow(row: Row, opts: PrepareOptions): PreparedRow {
  const from = opts.from ?? 'probs';
  const n = row.length;
  const place = { name: opts.name, row: opts.row };
  if (n > 0 && from !== 'probs' && from !== 'logprobs' && from !== 'logits') {
    throw new ArgumentError({ where: 'invalid input kind', expected: 'probs, logprobs or logits', got: showValue(from) });
  }
  const rule = { from, normalize: opts.normalize, tolerance: sumTolerance(opts) };
  const scan = scanRow(row, 0, n, rule);
  const bad = scanError(scan, rule, place, n);
  if (bad) throw bad;
  const p = new Float64Array(n);
  const lp = new Float64Array(n);
  if (from === 'probs') {
    for (let i = 0; i < n; i++) {
      p[i] = row[i]! / scan.divisor;
      lp[i] = Math.log(p[i]!);
    }
    return { p, lp, logDomain: false };
  }
  shiftInto(lp, row, 0, n, scan.shift);
  for (let i = 0; i < n; i++) p[i] = Math.exp(lp[i]!);
  return { p, lp, logDomain: true };
}

/** Checks that P and Q have the same length before any elementwise measure. */
export function assertSameLength(p: Row, q: Row, row?: number): void {
  if (p.length !== q.length) {
    const r = row === undefined ? '' : ` in row ${row}`;
    throw new DataError(`shape mismatch${r}: p has ${p.length} values, q has ${q.length}`);
  }
}
