import { prepareRow, type PreparedRow } from './prepare.js';
import { isFloat32 } from '../rows/tolerance.js';
import { preparePair } from './kl.js';
import { clampNonNegative, crossEntropyTerm, entropyTerm } from '../rows/terms.js';
import type { MeasureOptions, Row } from './types.js';
import { toUnit } from './units.js';

/** H(A) = −Σ a·log a over a prepared row (0·log 0 = 0); never negative. */
export function entropyPrepared(a: PreparedRow): number {
  let s = 0;
  for (let i = 0; i < a.p.length; i++) s += entropyTerm(a.p[i]!, a.lp[i]!);
  return clampNonNegative(s);
}

/**
 * Cross-entropy H(A,B) = −Σ a·log b over prepared rows; +Infinity (with the column) where
 * a > 0 and b = 0. Equals H(A) + KL(A‖B).
 */
export function crossEntropyPrepared(a: PreparedRow, b: PreparedRow): { value: number; infiniteAt: number } {
  let s = 0;
  for (let i = 0; i < a.p.length; i++) {
    const t = crossEntropyTerm(a.p[i]!, b.lp[i]!);
    if (t === Infinity) return { value: Infinity, infiniteAt: i };
    s += t;
  }
  return { value: clampNonNegative(s), infiniteAt: -1 };
}

/**
 * Shannon entropy H(P) = −Σ p·log p.
 *
 * @example
 * entropy([0.5, 0.3, 0.2]); // 1.0296530140645737
 * entropy(new Array(16).fill(1), { normalize: true, unit: 'bits' }); // 4
 */
export function entropy(p: Row, opts: MeasureOptions = {}): number {
  const a = prepareRow(p, { name: 'p', from: opts.from, normalize: opts.normalize, tolerance: opts.tolerance, float32: isFloat32(p) });
  return toUnit(entropyPrepared(a), opts.unit);
}

/**
 * Cross-entropy H(P,Q) = −Σ p·log q = H(P) + KL(P‖Q): the expected code length of data from
 * P under a code built for Q. `crossEntropy(q, p)` gives H(Q,P).
 *
 * @example
 * crossEntropy([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]); // 1.0549201679861442
 */
export function crossEntropy(p: Row, q: Row, opts: MeasureOptions = {}): number {
  const [a, b] = preparePair(p, q, opts);
  return toUnit(crossEntropyPrepared(a, b).value, opts.unit);
}
