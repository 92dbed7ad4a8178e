import { ArgumentError } from '../errors.js';
import { preparePair } from './kl.js';
import type { PreparedRow } from './prepare.js';
import { binaryEntropy, clampNonNegative, mixtureKlTerm } from '../rows/terms.js';
import type { MeasureOptions, Row } from './types.js';
import { toUnit } from './units.js';

/** Σ a·log(a/m) with m = a + w·(b − a): one half of a (generalized) JS divergence. */
function klToMixture(a: PreparedRow, b: PreparedRow, w: number): number {
  const logDomain = a.logDomain || b.logDomain;
  let s = 0;
  for (let i = 0; i < a.p.length; i++) s += mixtureKlTerm(a.p[i]!, b.p[i]!, a.lp[i]!, b.lp[i]!, logDomain, w);
  return s;
}

/**
 * Generalized JSD(β) over prepared rows: β·KL(P‖M) + (1 − β)·KL(Q‖M), M = βP + (1 − β)Q.
 * Clamped to [0, h(β)], the range rounding may leave.
 */
export function generalizedJsdPrepared(a: PreparedRow, b: PreparedRow, beta: number): number {
  const kp = beta > 0 ? klToMixture(a, b, 1 - beta) : 0;
  const kq = beta < 1 ? klToMixture(b, a, beta) : 0;
  const v = beta * kp + (1 - beta) * kq;
  return Math.min(clampNonNegative(v), binaryEntropy(beta));
}

/**
 * Jensen–Shannon divergence ½KL(P‖M) + ½KL(Q‖M), M = (P + Q)/2: symmetric, finite even with
 * zeros, at most ln 2 nats (1 bit).
 *
 * @example
 * jsDivergence([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]); // 0.006367198333995694
 * jsDivergence([1, 0, 0], [0, 1, 0], { unit: 'bits' }); // 1
 */
export function jsDivergence(p: Row, q: Row, opts: MeasureOptions = {}): number {
  const [a, b] = preparePair(p, q, opts);
  return toUnit(generalizedJsdPrepared(a, b, 0.5), opts.unit);
}

/**
 * Jensen–Shannon distance: the square root of the JS divergence (a metric), taken after the
 * clamp at 0 so near-equal rows give 0, never NaN. Matches scipy.spatial.distance.jensenshannon.
 *
 * @example
 * jsDistance([1, 0], [0.5, 0.5]); // 0.46450140402245893
 */
export function jsDistance(p: Row, q: Row, opts: MeasureOptions = {}): number {
  return Math.sqrt(jsDivergence(p, q, opts));
}

/** Options of {@link generalizedJsd}. */
export interface GeneralizedJsdOptions extends MeasureOptions {
  /** Weight β of P in the mixture M = βP + (1 − β)Q, in [0, 1]. Default 0.5. */
  beta?: number;
}

/**
 * Generalized Jensen–Shannon divergence JSD(β) = β·KL(P‖M) + (1 − β)·KL(Q‖M) with
 * M = βP + (1 − β)Q, the loss of GKD-style distillation. This is the formula itself: it is 0 at
 * β = 0 and β = 1 (M equals one side). TRL instead switches to forward KL at β = 0 and reverse
 * KL at β = 1; call {@link forwardKl} / {@link reverseKl} for those.
 *
 * @example
 * generalizedJsd([0.5, 0.3, 0.2], [0.4, 0.4, 0.2], { beta: 0.5 }); // 0.006367198333995694
 */
export function generalizedJsd(p: Row, q: Row, opts: GeneralizedJsdOptions = {}): number {
  const beta = opts.beta ?? 0.5;
  if (!(beta >= 0 && beta <= 1)) throw new ArgumentError(`invalid beta: expected a number in [0, 1], got ${beta}`);
  const [a, b] = preparePair(p, q, opts);
  return toUnit(generalizedJsdPrepared(a, b, beta), opts.unit);
}
