import { klPrepared } from './kl.js';
import { assertSameLength, prepareRow, type PreparedRow } from './prepare.js';
import type { InputKind, Row } from './types.js';

/** Options of the gradient functions: how the teacher P is given (the student is logits). */
export interface GradientOptions {
  /** How the teacher row P is given. Default 'probs'. */
  from?: InputKind;
  normalize?: boolean;
}

function prepare(p: Row, z: Row, opts: GradientOptions): [PreparedRow, PreparedRow] {
  assertSameLength(p, z);
  const a = prepareRow(p, { name: 'p', from: opts.from, normalize: opts.normalize, float32: p instanceof Float32Array });
  const b = prepareRow(z, { name: 'z', from: 'logits' });
  return [a, b];
}

/**
 * Gradient of forward KL(P‖Q) with respect to the student's logits z, Q = softmax(z):
 * ∂KL(P‖Q)/∂z = q − p (the teacher's entropy does not depend on z). In nats.
 *
 * @example
 * forwardKlGradient([0.5, 0.5], [0, 0]); // Float64Array [0, 0]
 */
export function forwardKlGradient(p: Row, z: Row, opts: GradientOptions = {}): Float64Array {
  const [a, b] = prepare(p, z, opts);
  const g = new Float64Array(a.p.length);
  for (let i = 0; i < g.length; i++) g[i] = b.p[i]! - a.p[i]!;
  return g;
}

/**
 * Gradient of reverse KL(Q‖P) with respect to the student's logits z, Q = softmax(z):
 * ∂KL(Q‖P)/∂z = q ⊙ (log q − log p − KL(Q‖P)). Where the teacher gives p = 0 to a token the
 * student can emit, KL(Q‖P) is +∞ and so is the gradient: that column is returned as +∞.
 *
 * @example
 * reverseKlGradient([0.9, 0.1], [0, 0]); // q ⊙ (log q − log p − KL(Q‖P))
 */
export function reverseKlGradient(p: Row, z: Row, opts: GradientOptions = {}): Float64Array {
  const [a, b] = prepare(p, z, opts);
  const kl = klPrepared(b, a).value;
  const g = new Float64Array(a.p.length);
  for (let i = 0; i < g.length; i++) {
    const q = b.p[i]!;
    if (a.lp[i] === -Infinity) g[i] = b.lp[i] === -Infinity ? 0 : Infinity;
    else g[i] = q * (b.lp[i]! - a.lp[i]! - kl);
  }
  return g;
}

/**
 * Gradient of the generalized JSD(β) = β·KL(P‖M) + (1 − β)·KL(Q‖M), M = βP + (1 − β)Q, with
 * respect to the student's logits z: (1 − β)·q ⊙ (log(q/m) − KL(Q‖M)). β = ½ is the JS divergence.
 *
 * @example
 * jsdGradient([0.9, 0.1], [0, 0], { beta: 0.5 });
 */
export function jsdGradient(p: Row, z: Row, opts: GradientOptions & { beta?: number } = {}): Float64Array {
  const beta = opts.beta ?? 0.5;
  const [a, b] = prepare(p, z, opts);
  const n = a.p.length;
  // log m = log(βp + (1−β)q) from the logs (a log-add-exp), so m never underflows where q > 0.
  const lm = new Float64Array(n);
  const lb = Math.log(beta);
  const l1b = Math.log1p(-beta);
  let klQM = 0;
  for (let i = 0; i < n; i++) {
    const x = lb + a.lp[i]!;
    const y = l1b + b.lp[i]!;
    const hi = Math.max(x, y);
    lm[i] = hi === -Infinity ? -Infinity : hi + Math.log1p(Math.exp(Math.min(x, y) - hi));
    if (b.p[i]! > 0) klQM += b.p[i]! * (b.lp[i]! - lm[i]!);
  }
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const q = b.p[i]!;
    g[i] = q > 0 ? (1 - beta) * q * (b.lp[i]! - lm[i]! - klQM) : 0;
  }
  return g;
}
