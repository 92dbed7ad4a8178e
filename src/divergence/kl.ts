import { assertSameLength, prepareRow, type PreparedRow } from './prepare.js';
import { clampNonNegative, klTerm } from '../rows/terms.js';
import { isFloat32 } from '../rows/tolerance.js';
import type { MeasureOptions, Row } from './types.js';
import { toUnit } from './units.js';

/** KL of one prepared pair with the first column that made it infinite (or -1). */
export interface KlResult {
  value: number;
  infiniteAt: number;
}

/**
 * KL(A‖B) = Σ a·log(a/b) over prepared rows, accumulated in float64. A column with a > 0 and
 * b = 0 makes it +Infinity, and the first such column is returned. Rounding can leave a
 * near-zero KL slightly negative; it is clamped to 0.
 */
export function klPrepared(a: PreparedRow, b: PreparedRow): KlResult {
  const logDomain = a.logDomain || b.logDomain;
  let s = 0;
  for (let i = 0; i < a.p.length; i++) {
    const t = klTerm(a.p[i]!, b.p[i]!, a.lp[i]!, b.lp[i]!, logDomain);
    if (t === Infinity) return { value: Infinity, infiniteAt: i };
    s += t;
  }
  return { value: clampNonNegative(s), infiniteAt: -1 };
}

function pair(p: Row, q: Row, opts: MeasureOptions): [PreparedRow, PreparedRow] {
  assertSameLength(p, q);
  const base = { from: opts.from, normalize: opts.normalize, tolerance: opts.tolerance, float32: isFloat32(p) };
  return [prepareRow(p, { ...base, name: 'p' }), prepareRow(q, { ...base, name: 'q', float32: isFloat32(q) })];
}

/** Validates and prepares a (P, Q) pair with the options of every measure. */
export const preparePair = pair;

/**
 * Forward KL divergence KL(P‖Q) = Σ p·log(p/q): P is the reference ("truth", teacher, base),
 * Q the model. Zero rules are scipy's `rel_entr`: p = 0 contributes 0, p > 0 with q = 0 gives +∞.
 *
 * @example
 * forwardKl([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]); // 0.025267153921570557
 * forwardKl([1000, 999, 998], [998, 999, 1000], { from: 'logits' }); // 1.1504207652088274 (exact: 2(e²−1)/(e²+e+1) = 1.15042076520888…)
 */
export function forwardKl(p: Row, q: Row, opts: MeasureOptions = {}): number {
  const [a, b] = pair(p, q, opts);
  return toUnit(klPrepared(a, b).value, opts.unit);
}

/**
 * Reverse KL divergence KL(Q‖P) = Σ q·log(q/p), with the same argument order as
 * {@link forwardKl}: P (reference) first, Q (model) second.
 *
 * @example
 * reverseKl([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]); // 0.025815408455028527
 */
export function reverseKl(p: Row, q: Row, opts: MeasureOptions = {}): number {
  const [a, b] = pair(p, q, opts);
  return toUnit(klPrepared(b, a).value, opts.unit);
}

/**
 * KL(A‖B) with the first argument in the first slot, as in scipy.stats.entropy(a, b).
 * Same as `forwardKl(a, b)`.
 *
 * @example
 * klDivergence([0.5, 0.5], [0.9, 0.1], { unit: 'bits' }); // 0.7369655941662062
 */
export function klDivergence(a: Row, b: Row, opts: MeasureOptions = {}): number {
  return forwardKl(a, b, opts);
}
