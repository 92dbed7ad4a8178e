import { ArgumentError } from '../errors.js';
import { preparePair } from './kl.js';
import type { PreparedRow } from './prepare.js';
import type { MeasureOptions, Row } from './types.js';
import { clampNonNegative, toUnit } from './units.js';

/**
 * log(m/a) where m/a = 1 + w·(b/a − 1) and x = log(b/a): log((1 − w) + w·e^x) without overflow.
 * For x <= 0, log1p(w·expm1(x)) is exact near x = 0; for x > 0 factor out w·e^x.
 */
function logMixRatio(x: number, w: number): number {
  if (w === 0) return 0;
  if (x <= 0) return Math.log1p(w * Math.expm1(x));
  if (w === 1) return x;
  return x + Math.log(w) + Math.log1p(((1 - w) / w) * Math.exp(-x));
}

/**
 * Σ a·log(a/m) with m = a + w·(b − a): one half of a (generalized) JS divergence.
 * Computed from the log-ratio so that M never underflows to 0 where a > 0.
 */
function klToMixture(a: PreparedRow, b: PreparedRow, w: number): number {
  let s = 0;
  for (let i = 0; i < a.p.length; i++) {
    const pa = a.p[i]!;
    if (pa === 0) continue;
    const la = a.lp[i]!;
    const lb = b.lp[i]!;
    let x: number;
    if (a.logDomain || b.logDomain) x = lb - la;
    else {
      // log(b/a) from probabilities: the log1p branch near 1 keeps digits, as in rel_entr.
      const r = b.p[i]! / pa;
      x = r > 0.5 && r < 2 ? Math.log1p((b.p[i]! - pa) / pa) : r === 0 ? -Infinity : Number.isFinite(r) && r > 0 ? Math.log(r) : lb - la;
    }
    s -= pa * logMixRatio(x, w);
  }
  return s;
}

/** Binary entropy h(β) in nats: the upper bound of JSD(β); ln 2 at β = ½. */
function binaryEntropy(beta: number): number {
  const t = (x: number) => (x > 0 ? -x * Math.log(x) : 0);
  return t(beta) + t(1 - beta);
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
