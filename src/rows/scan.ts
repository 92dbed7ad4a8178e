import type { DataError } from '../errors.js';
import { shiftedExpSum, type RowValues } from './logSumExp.js';
import { badValueError, emptyRowError, noMassError, notNormalizedError, type RowPlace } from './messages.js';
import { sumsToOne } from './tolerance.js';
import { isLogit, isLogProbability, isProbability, type InputKind } from './values.js';

/** The rules a row is read under. */
export interface RowRule {
  from: InputKind;
  /** Rescale a probability or log-probability row that does not sum to 1 instead of refusing it. */
  normalize?: boolean;
  /** Relative tolerance on the row sum (see `sumTolerance`). */
  tolerance: number;
}

/** The rule a row breaks, or null: no values, a bad value, no mass (all 0 / all −∞), a sum off 1. */
export type RowProblem = 'empty' | 'value' | 'mass' | 'sum' | null;

/** What one read of a row found: its problem, or how to bring it to (log-)probabilities. */
export interface RowScan {
  problem: RowProblem;
  /** The first bad column and its value ('value'), else −1 and NaN. */
  at: number;
  value: number;
  /** Probabilities: Σ x_i; log-probabilities: Σ exp(x_i); logits: NaN. */
  sum: number;
  /** Log domain: log p_i = x_i − shift (the log-sum-exp of logits; of log-probabilities when normalized, else 0). */
  shift: number;
  /** Probabilities: p_i = x_i / divisor (the sum when normalized, else 1). */
  divisor: number;
  /** Index of the largest value (the first wins ties); 0 when the row has a problem. */
  argmax: number;
}

function refused(problem: RowProblem, at = -1, value = NaN, sum = NaN): RowScan {
  return { problem, at, value, sum, shift: 0, divisor: 1, argmax: 0 };
}

/**
 * Reads row x[off, off + n) under `rule`: validates every value (probabilities finite and >= 0;
 * log-probabilities <= 0 up to rounding, −Infinity allowed; logits finite or −Infinity), refuses a
 * row without mass, and a probability or log-probability row whose sum is off 1 by more than the
 * tolerance unless it is normalized. Log-domain rows get their log-sum-exp from two reads (the
 * max, then Σ exp(x − max)), so no value is exponentiated unshifted.
 *
 * @example
 * scanRow([1000, 999, 998], 0, 3, { from: 'logits', tolerance: 1e-6 }).shift; // 1000.4076059644444
 * scanRow([0.5, 0.4], 0, 2, { from: 'probs', tolerance: 1e-6 }).sum; // 0.9 (problem 'sum')
 */
export function scanRow(x: RowValues, off: number, n: number, rule: RowRule): RowScan {
  if (n === 0) return refused('empty');
  const normalize = rule.normalize ?? false;
  let m = -Infinity;
  let arg = 0;
  if (rule.from === 'probs') {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = x[off + i]!;
      if (!isProbability(v)) return refused('value', i, v);
      s += v;
      if (v > m) {
        m = v;
        arg = i;
      }
    }
    if (s === 0) return refused('mass');
    if (!normalize && !sumsToOne(s, rule.tolerance)) return refused('sum', -1, NaN, s);
    return { problem: null, at: -1, value: NaN, sum: s, shift: 0, divisor: normalize ? s : 1, argmax: arg };
  }
  const logprobs = rule.from === 'logprobs';
  for (let i = 0; i < n; i++) {
    const v = x[off + i]!;
    if (logprobs ? !isLogProbability(v) : !isLogit(v)) return refused('value', i, v);
    if (v > m) {
      m = v;
      arg = i;
    }
  }
  if (m === -Infinity) return refused('mass');
  const lse = m + Math.log(shiftedExpSum(x, off, n, m));
  if (!logprobs) return { problem: null, at: -1, value: NaN, sum: NaN, shift: lse, divisor: 1, argmax: arg };
  const s = Math.exp(lse);
  if (!normalize && !sumsToOne(s, rule.tolerance)) return refused('sum', -1, NaN, s);
  return { problem: null, at: -1, value: NaN, sum: s, shift: normalize ? lse : 0, divisor: 1, argmax: arg };
}

/**
 * The error of a refused row, naming its place, the rule and the value; undefined for a row
 * without a problem.
 *
 * @example
 * const s = scanRow([0.5, -0.1], 0, 2, { from: 'probs', tolerance: 1e-6 });
 * scanError(s, { from: 'probs', tolerance: 1e-6 }, { name: 'q', row: 2 }, 2)?.message; // 'invalid q[2][1]: expected a finite number >= 0, got -0.1'
 */
export function scanError(scan: RowScan, rule: RowRule, at: RowPlace, n: number): DataError | undefined {
  switch (scan.problem) {
    case null:
      return undefined;
    case 'empty':
      return emptyRowError(at);
    case 'value':
      return badValueError(at, scan.at, rule.from, scan.value);
    case 'mass':
      return noMassError(at, n, rule.from);
    case 'sum':
      return notNormalizedError(at, scan.sum, rule.tolerance);
  }
}
