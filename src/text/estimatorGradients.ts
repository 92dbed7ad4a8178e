import { forwardKlGradient, reverseKlGradient } from '../divergence/gradients.js';
import { forwardKl, reverseKl } from '../divergence/kl.js';
import { prepareRow } from '../divergence/prepare.js';
import type { InputKind, Row } from '../divergence/types.js';
import { DataError } from '../errors.js';
import { drawIndex, seededRandom } from '../random.js';
import { klEstimatorTerms, Running } from './monteCarlo.js';

/** The per-sample KL estimators whose gradients are measured: Schulman's three and k3+. */
export type GradientEstimator = 'k1' | 'k2' | 'k3' | 'k3+';

export const GRADIENT_ESTIMATORS: readonly GradientEstimator[] = ['k1', 'k2', 'k3', 'k3+'];

/**
 * Where the estimate enters training:
 * - 'reward': REINFORCE, g = e(x)·∇θ log q(x) with e detached (the KL penalty in the reward);
 * - 'loss': g = ∇θ e(x) at the sampled x held fixed (the KL term added to the loss).
 */
export type Placement = 'reward' | 'loss';

export const PLACEMENTS: readonly Placement[] = ['reward', 'loss'];

/** Which gradient an expected gradient equals (to 1e-9), if any. */
export type GradientTarget = 'KL(q‖p)' | 'KL(p‖q)' | '0' | 'other';

/** Tolerance of the classification, relative to the larger of ‖∇KL(q‖p)‖ and ‖∇KL(p‖q)‖. */
export const CLASSIFY_TOLERANCE = 1e-9;

/** Options of {@link estimatorGradients}. */
export interface EstimatorGradientOptions {
  /** The reference p (probabilities, or as `from` says), > 0 everywhere. */
  p: Row;
  /** The policy q = softmax(θ), given as probabilities (θ = log q) or as `from` says. */
  q: Row;
  /** How p, q and behaviour are given. Default 'probs'. */
  from?: InputKind;
  /**
   * The distribution the samples come from. Default q (on-policy). Otherwise off-policy: each
   * sample is weighted by w = q(x)/μ(x) (detached), clipped at `clip` when given.
   */
  behaviour?: Row;
  /** Upper clip of the importance weights (truncated importance sampling). Default none. */
  clip?: number;
  /** Monte Carlo samples. */
  samples: number;
  /** Seed of the Monte Carlo draws (src/random.ts). */
  seed: number;
}

/** Monte Carlo results of one row: N draws from the sampling distribution. */
export interface EstimatorMonteCarlo {
  /** Mean of the (weighted) per-sample values. */
  value: number;
  valueStderr: number | null;
  /** Mean per-sample gradient, and the standard error of each component. */
  gradMean: Float64Array;
  gradStderr: Float64Array;
  /** ‖mean gradient − ∇KL(q‖p)‖ / ‖∇KL(q‖p)‖: bias plus noise. */
  gradBias: number;
  /** Trace of the per-sample gradient covariance, Σⱼ Var(gⱼ) (divisor N − 1). */
  gradVariance: number;
}

/** One estimator in one placement: exact expectations and Monte Carlo. */
export interface EstimatorGradientRow {
  estimator: GradientEstimator;
  placement: Placement;
  /** Exact E[w·e(x)] by summing over the vocabulary. */
  value: number;
  /** value − KL(q‖p). */
  valueBias: number;
  /** Exact E[g] by summing over the vocabulary. */
  expectedGradient: Float64Array;
  /** ‖E[g] − ∇KL(q‖p)‖ / ‖∇KL(q‖p)‖. */
  gradBias: number;
  /** Cosine of E[g] to ∇θKL(q‖p) and to ∇θKL(p‖q); null when E[g] (to 1e-9) or the target is 0. */
  cosineReverse: number | null;
  cosineForward: number | null;
  expectedGradientOf: GradientTarget;
  /** What the same row's expectation equals with on-policy samples (no weights, no clip). */
  onPolicyGradientOf: GradientTarget;
  mc: EstimatorMonteCarlo;
}

/** Result of {@link estimatorGradients}. */
export interface EstimatorGradientResult {
  vocab: number;
  samples: number;
  p: Float64Array;
  q: Float64Array;
  /** The sampling distribution (q when on-policy). */
  sampling: Float64Array;
  offPolicy: boolean;
  clip: number | null;
  /** KL(q‖p) (reverse: the policy against the reference) and KL(p‖q) (forward), nats. */
  kl: { reverse: number; forward: number };
  /** ∇θKL(q‖p) = q ⊙ (log q − log p − KL(q‖p)) and ∇θKL(p‖q) = q − p. */
  gradReverse: Float64Array;
  gradForward: Float64Array;
  rows: EstimatorGradientRow[];
}

/**
 * Per-sample value e(x) and gradient coefficient c(x), with g(x) = c(x)·(onehot(x) − q), from
 * log r = log p(x) − log q(x). ∇θ log q(x) = onehot(x) − q, so every estimator's gradient is a
 * multiple of it:
 * - reward: c = e (REINFORCE);
 * - loss: k1 = log q − log p gives c = 1; k2 = ½(log r)² gives c = −log r;
 *   k3 = r − 1 − log r with ∇r = −r·∇log q gives c = 1 − r; k3+ takes k2's c.
 *
 * @example
 * sampleTerms('k3', 'loss', Math.log(0.2), Math.log(0.5)); // { value: 0.316… (k3), coef: 0.6 (= 1 − r) }
 */
export function sampleTerms(estimator: GradientEstimator, placement: Placement, logp: number, logq: number): { value: number; coef: number } {
  const t = klEstimatorTerms(logp, logq);
  const value = estimator === 'k1' ? t.k1 : estimator === 'k2' ? t.k2 : t.k3;
  if (placement === 'reward') return { value, coef: value };
  const lr = logp - logq;
  const coef = estimator === 'k1' ? 1 : estimator === 'k3' ? -Math.expm1(lr) : -lr;
  return { value, coef };
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const na = norm(a);
  const nb = norm(b);
  if (na === 0 || nb === 0) return null;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return Math.max(-1, Math.min(1, s / (na * nb)));
}

/**
 * Which of ∇KL(q‖p), ∇KL(p‖q) and 0 a gradient equals, to {@link CLASSIFY_TOLERANCE} relative to
 * the larger target norm (checked in that order), or 'other'.
 *
 * @example
 * classifyGradient(g, gradReverse, gradForward); // 'KL(q‖p)' for k1 in the reward
 */
export function classifyGradient(g: ArrayLike<number>, gradReverse: ArrayLike<number>, gradForward: ArrayLike<number>): GradientTarget {
  const tol = CLASSIFY_TOLERANCE * Math.max(norm(gradReverse), norm(gradForward));
  if (distance(g, gradReverse) <= tol) return 'KL(q‖p)';
  if (distance(g, gradForward) <= tol) return 'KL(p‖q)';
  if (norm(g) <= tol) return '0';
  return 'other';
}

/** E[g] = Σₓ aₓ·(onehot(x) − q) = a − q·Σa, for per-token weights aₓ = sₓ·wₓ·cₓ. */
function expectedFromWeights(a: Float64Array, q: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.map((x, i) => x - q[i]! * s);
}

function positive(row: Float64Array, name: string, why: string): void {
  const i = row.findIndex((x) => !(x > 0));
  if (i >= 0) throw new DataError(`invalid ${name}[${i}]: expected a probability > 0, got ${row[i]} (${why})`);
}

/**
 * Measures what each KL estimator (k1, k2, k3, k3+) does as a gradient, in the reward and in the
 * loss, for a policy q = softmax(θ) against a reference p. Exact expectations sum over the
 * vocabulary; the Monte Carlo part draws `samples` tokens from q (or from `behaviour`, with
 * importance weights w = q/μ, optionally clipped) with the seeded PRNG. Gradients are with
 * respect to the logits θ. In expectation (on-policy): k1 and k2 as losses have E[g] = 0 and
 * ∇KL(q‖p); k3 as a loss has E[g] = q − p = ∇KL(p‖q), the forward KL; k1 in the reward has
 * ∇KL(q‖p); k2 and k3 in the reward match neither.
 *
 * @example
 * const r = estimatorGradients({ p: [0.7, 0.2, 0.1], q: [0.2, 0.5, 0.3], samples: 1000, seed: 1 });
 * r.rows.find((x) => x.estimator === 'k3' && x.placement === 'loss')!.expectedGradientOf; // 'KL(p‖q)'
 */
export function estimatorGradients(opts: EstimatorGradientOptions): EstimatorGradientResult {
  const from = opts.from ?? 'probs';
  if (opts.p.length !== opts.q.length) throw new DataError(`shape mismatch: p has ${opts.p.length} values, q has ${opts.q.length}`);
  if (opts.p.length < 2) throw new DataError(`invalid p: expected at least 2 values, got ${opts.p.length}`);
  if (!(Number.isInteger(opts.samples) && opts.samples >= 2)) throw new DataError(`invalid samples: expected an integer >= 2, got ${opts.samples}`);
  const P = prepareRow(opts.p, { name: 'p', from });
  const Q = prepareRow(opts.q, { name: 'q', from });
  positive(P.p, 'p', 'KL(q‖p) is infinite where p = 0 and q = softmax(θ) > 0');
  positive(Q.p, 'q', 'the policy q = softmax(θ) gives every token mass');
  const offPolicy = opts.behaviour !== undefined;
  let S = Q;
  if (opts.behaviour !== undefined) {
    if (opts.behaviour.length !== opts.p.length) throw new DataError(`shape mismatch: behaviour has ${opts.behaviour.length} values, p has ${opts.p.length}`);
    S = prepareRow(opts.behaviour, { name: 'behaviour', from });
    positive(S.p, 'behaviour', 'importance weights q/μ need μ > 0 wherever q > 0');
  }
  const clip = opts.clip ?? null;
  if (clip !== null && !(clip > 0)) throw new DataError(`invalid clip: expected a number > 0, got ${clip}`);
  const V = P.p.length;
  const q = Q.p;
  const s = S.p;
  // Detached importance weights w = q/μ (exp of the log difference, exact when both are logits).
  const w = offPolicy ? Float64Array.from(q, (_, x) => Math.exp(Q.lp[x]! - S.lp[x]!)) : new Float64Array(V).fill(1);
  if (clip !== null) for (let x = 0; x < V; x++) w[x] = Math.min(w[x]!, clip);
  const z = Q.lp;
  const kl = { reverse: reverseKl(P.lp, Q.lp, { from: 'logprobs' }), forward: forwardKl(P.lp, Q.lp, { from: 'logprobs' }) };
  const gradReverse = reverseKlGradient(P.lp, z, { from: 'logprobs' });
  const gradForward = forwardKlGradient(P.lp, z, { from: 'logprobs' });
  const nRev = norm(gradReverse);

  // The Monte Carlo draws, shared by every row so that rows differ only in the estimator.
  const rnd = seededRandom(opts.seed);
  const N = opts.samples;
  const draws = new Int32Array(N);
  for (let i = 0; i < N; i++) draws[i] = drawIndex(s, rnd());

  const rows: EstimatorGradientRow[] = [];
  for (const estimator of GRADIENT_ESTIMATORS) {
    for (const placement of PLACEMENTS) {
      const terms = Array.from({ length: V }, (_, x) => sampleTerms(estimator, placement, P.lp[x]!, Q.lp[x]!));
      let value = 0;
      const a = new Float64Array(V);
      const aOn = new Float64Array(V);
      for (let x = 0; x < V; x++) {
        value += s[x]! * w[x]! * terms[x]!.value;
        a[x] = s[x]! * w[x]! * terms[x]!.coef;
        aOn[x] = q[x]! * terms[x]!.coef;
      }
      const g = expectedFromWeights(a, q);
      // Monte Carlo: g_i = a_i·(onehot(x_i) − q) with a_i = w·c, so the means and variances need
      // only Σa and Σa² per token: O(N + V) instead of O(N·V).
      const val = new Running();
      const sumA = new Float64Array(V);
      const sumA2 = new Float64Array(V);
      let total = 0;
      let total2 = 0;
      for (let i = 0; i < N; i++) {
        const x = draws[i]!;
        const ai = w[x]! * terms[x]!.coef;
        val.add(w[x]! * terms[x]!.value);
        sumA[x]! += ai;
        sumA2[x]! += ai * ai;
        total += ai;
        total2 += ai * ai;
      }
      const gradMean = Float64Array.from(sumA, (v, j) => (v - q[j]! * total) / N);
      const gradStderr = new Float64Array(V);
      let trace = 0;
      for (let j = 0; j < V; j++) {
        // Σᵢ g_ij² = Σᵢ aᵢ²(δ(xᵢ = j) − q_j)² = (Σ_{xᵢ=j} aᵢ²)(1 − 2q_j) + q_j²·Σᵢ aᵢ².
        const s2 = sumA2[j]! * (1 - 2 * q[j]!) + q[j]! * q[j]! * total2;
        const v = Math.max(0, (s2 - N * gradMean[j]! ** 2) / (N - 1));
        gradStderr[j] = Math.sqrt(v / N);
        trace += v;
      }
      const st = val.stats();
      const of = classifyGradient(g, gradReverse, gradForward);
      // A zero expectation has no direction: its cosines are rounding noise, so none is given.
      const zero = of === '0';
      rows.push({
        estimator,
        placement,
        value,
        valueBias: value - kl.reverse,
        expectedGradient: g,
        gradBias: distance(g, gradReverse) / nRev,
        cosineReverse: zero ? null : cosine(g, gradReverse),
        cosineForward: zero ? null : cosine(g, gradForward),
        expectedGradientOf: of,
        onPolicyGradientOf: classifyGradient(expectedFromWeights(aOn, q), gradReverse, gradForward),
        mc: { value: st.mean, valueStderr: st.stderr, gradMean, gradStderr, gradBias: distance(gradMean, gradReverse) / nRev, gradVariance: trace },
      });
    }
  }
  return { vocab: V, samples: N, p: P.p, q, sampling: s, offPolicy, clip, kl, gradReverse, gradForward, rows };
}

/**
 * The plain-language line for one row: what the estimator does to training in that place.
 *
 * @example
 * gradientVerdict(row, false); // 'correct on-policy' for k1 in the reward
 */
export function gradientVerdict(row: EstimatorGradientRow, offPolicy: boolean): string {
  switch (row.expectedGradientOf) {
    case 'KL(q‖p)':
      return offPolicy ? 'correct off-policy (importance-weighted)' : 'correct on-policy';
    case 'KL(p‖q)':
      return 'descends the forward KL';
    case '0':
      return 'no gradient in expectation';
    default:
      if (offPolicy && row.onPolicyGradientOf !== 'other') return 'biased by the clipped weights';
      return 'wrong gradient: neither KL';
  }
}

/**
 * A random distribution on V tokens, uniform on the simplex (Dirichlet(1): normalized
 * exponential draws −log(1 − u)), from the shared seeded PRNG.
 *
 * @example
 * randomDistribution(8, seededRandom(1)); // Float64Array of 8 positive numbers summing to 1
 */
export function randomDistribution(V: number, rnd: () => number): Float64Array {
  const e = Float64Array.from({ length: V }, () => -Math.log1p(-rnd()));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
