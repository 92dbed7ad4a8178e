import { ArgumentError } from '../errors.js';
/** The three Monte Carlo KL estimators of Schulman ("Approximating KL divergence", 2020). */
export type EstimatorName = 'k1' | 'k2' | 'k3';

export const ESTIMATORS: readonly EstimatorName[] = ['k1', 'k2', 'k3'];

/**
 * (r − 1) − log r from x = log r, without cancellation: for small |x| the terms cancel to
 * x²/2 + x³/6 + …, so the series is used there; elsewhere expm1(x) − x.
 */
function k3FromLogRatio(x: number): number {
  if (x === -Infinity) return Infinity;
  if (Math.abs(x) < 1e-3) {
    const x2 = x * x;
    return x2 * (0.5 + x * (1 / 6 + x * (1 / 24 + x * (1 / 120 + x / 720))));
  }
  return Math.expm1(x) - x;
}

/**
 * The three estimators for one sampled token with log r = log p(x) − log q(x), x ~ q:
 * k1 = −log r (unbiased for KL(q‖p), high variance, can be negative); k2 = ½(log r)² (biased,
 * low variance, ≥ 0); k3 = (r − 1) − log r (unbiased and ≥ 0: the default of GRPO).
 *
 * @example
 * klEstimatorTerms(Math.log(0.2), Math.log(0.5)); // { k1: 0.916…, k2: 0.419…, k3: 0.316… }
 */
export function klEstimatorTerms(logp: number, logq: number): Record<EstimatorName, number> {
  const x = logp - logq;
  return { k1: -x, k2: 0.5 * x * x, k3: k3FromLogRatio(x) };
}

/** Mean with its standard error, and the sample variance it came from. */
export interface EstimatorStats {
  mean: number;
  /** Standard error of the mean, sqrt(variance/count); null with fewer than 2 values. */
  stderr: number | null;
  /** Sample variance (divisor count − 1); null with fewer than 2 values. */
  variance: number | null;
}

/**
 * Welford's running mean and variance, exact for +∞ (any infinite value makes the mean +∞).
 *
 * @example
 * const r = new Running(); r.add(1); r.add(3);
 * r.stats(); // { mean: 2, stderr: 1, variance: 2 }
 */
export class Running {
  n = 0;
  mean = 0;
  m2 = 0;
  inf = 0;
  add(x: number): void {
    this.n++;
    if (!Number.isFinite(x)) {
      this.inf++;
      return;
    }
    const finite = this.n - this.inf;
    const delta = x - this.mean;
    this.mean += delta / finite;
    this.m2 += delta * (x - this.mean);
  }
  stats(): EstimatorStats {
    // an infinite mean has no standard error
    if (this.inf > 0) return { mean: Infinity, stderr: null, variance: Infinity };
    if (this.n < 2) return { mean: this.n ? this.mean : NaN, stderr: null, variance: null };
    const variance = this.m2 / (this.n - 1);
    return { mean: this.mean, stderr: Math.sqrt(variance / this.n), variance };
  }
}

/** Result of {@link MonteCarloKl}: per-token means and per-sequence sums of each estimator. */
export interface MonteCarloResult {
  tokens: number;
  sequences: number;
  direction: 'KL(q‖p)';
  k1: EstimatorStats;
  k2: EstimatorStats;
  k3: EstimatorStats;
  /** Means over sequences of the per-sequence sums Σₜ kᵢ (the sequence-level KL(q‖p)). */
  perSequence: Record<EstimatorName, EstimatorStats>;
  /** k2 − k3 per token: k3 is unbiased, so this estimates k2's bias E[k2] − KL(q‖p). */
  k2Bias: EstimatorStats;
  /** Share of tokens where k1 < 0 (k2 and k3 are never negative). */
  negativeK1: number;
}

/**
 * Accumulates Schulman's k1/k2/k3 Monte Carlo estimates of KL(q‖p) over sampled sequences,
 * as used for the KL penalty in RLHF/GRPO: q is the sampling policy, p the reference, and each
 * token contributes a function of r = p(x)/q(x). Streams: memory does not grow with the input.
 * Standard errors treat tokens (per-token) or sequences (per-sequence) as independent draws;
 * tokens within a sequence are correlated, so the per-sequence errors are the safer ones.
 *
 * @example
 * const mc = new MonteCarloKl();
 * mc.add([-1.2, -0.3], [-1.0, -0.4]);
 * mc.result().k3.mean;
 */
export class MonteCarloKl {
  private readonly tok = { k1: new Running(), k2: new Running(), k3: new Running() };
  private readonly seq = { k1: new Running(), k2: new Running(), k3: new Running() };
  private readonly bias = new Running();
  private negative = 0;
  private tokens = 0;
  private sequences = 0;

  /** Adds one sequence: log p and log q of each sampled token. */
  add(logp: ArrayLike<number>, logq: ArrayLike<number>): void {
    if (logp.length !== logq.length) throw new ArgumentError(`logp has ${logp.length} values, logq has ${logq.length}`);
    const sums = { k1: 0, k2: 0, k3: 0 };
    for (let t = 0; t < logp.length; t++) {
      const k = klEstimatorTerms(logp[t]!, logq[t]!);
      for (const e of ESTIMATORS) {
        this.tok[e].add(k[e]);
        sums[e] += k[e];
      }
      this.bias.add(k.k2 - k.k3);
      if (k.k1 < 0) this.negative++;
    }
    for (const e of ESTIMATORS) this.seq[e].add(sums[e]);
    this.tokens += logp.length;
    this.sequences++;
  }

  result(): MonteCarloResult {
    return {
      tokens: this.tokens,
      sequences: this.sequences,
      direction: 'KL(q‖p)',
      k1: this.tok.k1.stats(),
      k2: this.tok.k2.stats(),
      k3: this.tok.k3.stats(),
      perSequence: { k1: this.seq.k1.stats(), k2: this.seq.k2.stats(), k3: this.seq.k3.stats() },
      k2Bias: this.bias.stats(),
      negativeK1: this.tokens ? this.negative / this.tokens : 0,
    };
  }
}
