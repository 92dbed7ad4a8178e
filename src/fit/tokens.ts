import { forwardKlGradient, reverseKlGradient } from '../divergence/gradients.js';
import { forwardKl, reverseKl } from '../divergence/kl.js';
import { logSoftmax } from '../rows/logSumExp.js';
import { DataError } from '../errors.js';
import { bfgs } from './bfgs.js';

/**
 * A bundled next-token example for the token view: after "I'd like a cup of", the teacher splits
 * its mass between a coffee cluster and a tea cluster. Tokens are listed along a
 * coffee ↔ tea axis (the student's only notion of similarity), with two rare tokens at the ends.
 */
export const TOKEN_EXAMPLE = Object.freeze({
  prompt: "I'd like a cup of",
  tokens: [' soup', ' cocoa', ' mocha', ' latte', ' coffee', ' espresso', ' cappuccino', ' decaf', ' milk', ' hot water', ' chai', ' tea', ' green tea', ' herbal tea', ' matcha', ' sugar'],
  p: [0.002, 0.009, 0.046, 0.128, 0.181, 0.128, 0.046, 0.009, 0.004, 0.018, 0.068, 0.136, 0.136, 0.068, 0.018, 0.003],
});

/**
 * Token positions on the axis, evenly spaced in [0, 1].
 *
 * @example
 * tokenAxis(3); // [0, 0.5, 1]
 */
export function tokenAxis(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? 0.5 : i / (n - 1)));
}

/**
 * The student family of the token view: a discretised Gaussian bump over the token axis,
 * logits z_i = −(x_i − c)²/(2w²), i.e. a rank-2 softmax over the features (x, x²) with a
 * negative quadratic weight. Parameters θ = (c, log w). It can cover both clusters thinly or
 * sit on one, never peak on both: the token-level twin of one Gaussian against a mixture.
 *
 * @example
 * bumpLogits([0, 0.5, 1], [0.5, Math.log(0.5)]); // Float64Array [-0.5, 0, -0.5]
 */
export function bumpLogits(x: readonly number[], theta: readonly number[]): Float64Array {
  const c = theta[0]!;
  const iw2 = Math.exp(-2 * theta[1]!);
  return Float64Array.from(x, (v) => -0.5 * (v - c) * (v - c) * iw2);
}

/** A fitted student: its parameters θ = (c, log w), distribution and minimised divergence (nats). */
export interface TokenFit {
  theta: number[];
  q: Float64Array;
  /** KL(P‖Q) for the forward fit, KL(Q‖P) for the reverse one. */
  kl: number;
}

/** The token-view fits: forward (one optimum), reverse (every local optimum found, best first). */
export interface TokenFitResult {
  forward: TokenFit;
  reverse: TokenFit & { localOptima: (TokenFit & { global: boolean })[] };
}

/**
 * The KL of θ in a direction and its gradient, from the library's measures (both rows as
 * log-probabilities, so logs are subtracted before multiplying) and its logit gradients ∂KL/∂z,
 * chained through z_i = −(x_i − c)²/(2w²): ∂z_i/∂c = (x_i − c)/w², ∂z_i/∂log w = (x_i − c)²/w².
 */
function objective(p: readonly number[], x: readonly number[], theta: readonly number[], dir: 'forward' | 'reverse'): { f: number; g: number[] } {
  const z = bumpLogits(x, theta);
  const lq = logSoftmax(z);
  const lp = p.map(Math.log);
  const f = dir === 'forward' ? forwardKl(lp, lq, { from: 'logprobs', normalize: true }) : reverseKl(lp, lq, { from: 'logprobs', normalize: true });
  const gz = dir === 'forward' ? forwardKlGradient(p, z, { normalize: true }) : reverseKlGradient(p, z, { normalize: true });
  const c = theta[0]!;
  const iw2 = Math.exp(-2 * theta[1]!);
  let gc = 0;
  let gs = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - c;
    gc += gz[i]! * d * iw2;
    gs += gz[i]! * d * d * iw2;
  }
  return { f, g: [gc, gs] };
}

/** Minimises the fit's objective by BFGS (see ./bfgs.ts); c lies in [0, 1] and log w spans a few units. */
function minimise(p: readonly number[], x: readonly number[], start: number[], dir: 'forward' | 'reverse'): { theta: number[]; f: number; gradNorm: number } {
  return bfgs((t) => objective(p, x, t, dir), start, { maxIt: 500, gradTol: 1e-10, maxStep: 0.5, slack: 1e-14, curvatureTol: 1e-16, stepTol: 1e-13 });
}

/**
 * The student's distribution for θ = (c, log w) over tokens at positions x.
 *
 * @example
 * studentProbs(tokenAxis(5), [0.5, Math.log(0.2)]); // a bump centred on the middle token
 */
export function studentProbs(x: readonly number[], theta: readonly number[]): Float64Array {
  return logSoftmax(bumpLogits(x, theta)).map(Math.exp);
}

/**
 * Fits the restricted student Q (a bump over the token axis, see {@link bumpLogits}) to a
 * teacher P over tokens both ways, using the library's KL measures and logit gradients:
 * BFGS on θ = (c, log w) from a spread of starts. The forward fit is the best of its optima
 * (normally one: a wide bump over both clusters); every distinct local minimum of reverse
 * KL(Q‖P) is returned, best first. P must be positive everywhere (the student gives every token
 * mass, so a zero in P would make KL(Q‖P) infinite).
 *
 * @example
 * const r = fitTokenStudent(TOKEN_EXAMPLE.p);
 * r.forward.q;   // spread over coffee and tea, and the cocoa, water, milk in between
 * r.reverse.q;   // one cluster
 */
export function fitTokenStudent(p: readonly number[], x: readonly number[] = tokenAxis(p.length)): TokenFitResult {
  if (x.length !== p.length) throw new DataError(`shape mismatch: p has ${p.length} tokens, the axis ${x.length}`);
  p.forEach((v, i) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new DataError(`invalid p[${i}]: expected a finite number > 0 (the student gives every token mass), got ${v}`);
  });
  const starts: number[][] = [];
  for (const c of [0, 0.2, 0.4, 0.5, 0.6, 0.8, 1]) for (const w of [0.08, 0.25, 0.6]) starts.push([c, Math.log(w)]);
  const run = (dir: 'forward' | 'reverse') => {
    const found: (TokenFit & { global: boolean })[] = [];
    for (const s of starts) {
      const r = minimise(p, x, s, dir);
      if (!(r.gradNorm < 1e-6)) continue;
      const q = studentProbs(x, r.theta);
      if (found.some((o) => o.q.every((v, i) => Math.abs(v - q[i]!) < 1e-6))) continue;
      found.push({ theta: r.theta, q, kl: r.f, global: false });
    }
    if (found.length === 0) throw new DataError({ where: `fitTokenStudent (${dir})`, expected: 'a distribution p whose fit converges from one of its starts', got: `p of ${p.length} tokens` });
    // ties within rounding are ordered by the bump's centre, so the order is deterministic
    found.sort((a, b) => (Math.abs(a.kl - b.kl) <= 1e-9 ? a.theta[0]! - b.theta[0]! : a.kl - b.kl));
    for (const o of found) o.global = o.kl - found[0]!.kl <= 1e-9;
    return found;
  };
  const f = run('forward')[0]!;
  const rev = run('reverse');
  const best = rev[0]!;
  return { forward: { theta: f.theta, q: f.q, kl: f.kl }, reverse: { theta: best.theta, q: best.q, kl: best.kl, localOptima: rev } };
}

/** Per-token verdict: does Q keep a token P finds plausible, or give mass to one P does not? */
export interface TokenKeep {
  index: number;
  p: number;
  q: number;
  /** P gives it at least `plausible` (default 3%). */
  plausible: boolean;
  /** Q gives it at least a quarter of P's probability (it still says it, if less often). */
  kept: boolean;
}

/**
 * Which tokens a student keeps: for each token, whether P finds it plausible (p ≥ threshold,
 * default 3%) and whether Q keeps it (q ≥ p/4: it may say the token less often than the teacher,
 * but not four times less).
 *
 * @example
 * keptTokens([0.5, 0.45, 0.05], [0.9, 0.05, 0.05]).map((t) => t.kept); // [true, false, true]
 */
export function keptTokens(p: ArrayLike<number>, q: ArrayLike<number>, plausible = 0.03): TokenKeep[] {
  return Array.from({ length: p.length }, (_, i) => ({ index: i, p: p[i]!, q: q[i]!, plausible: p[i]! >= plausible, kept: q[i]! >= 0.25 * p[i]! }));
}
