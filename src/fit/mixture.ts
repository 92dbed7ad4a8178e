import { shortNumber } from '../words.js';
import { UsageError, quote } from '../errors.js';

/** One weighted Gaussian component w·N(μ, σ²) of a 1-D mixture. */
export interface GaussianComponent {
  weight: number;
  mu: number;
  sigma: number;
}

/** A 1-D Gaussian N(μ, σ²): the model family Q of `klscope fit`. */
export interface Gaussian1d {
  mu: number;
  sigma: number;
}

/** A 1-D mixture of Gaussians Σ w_k·N(μ_k, σ_k²), the weights summing to 1. */
export type Mixture = readonly GaussianComponent[];

/** The explainer's picture: 0.5·N(−3, 1) + 0.5·N(3, 1), modes 6σ apart. */
export const DEFAULT_MIXTURE: Mixture = Object.freeze([
  Object.freeze({ weight: 0.5, mu: -3, sigma: 1 }),
  Object.freeze({ weight: 0.5, mu: 3, sigma: 1 }),
]);

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Checks a mixture: at least one component, weights > 0 summing to 1 (relative tolerance
 * 1e-6), finite means, σ > 0. `name` is the argument named in errors.
 *
 * @example
 * validateMixture([{ weight: 1, mu: 0, sigma: 1 }]); // ok
 */
export function validateMixture(mix: Mixture, name = 'mixture'): void {
  if (mix.length === 0) throw new UsageError(`invalid ${name}: no components (expected "w:mu:sigma,...")`);
  if (mix.length > MAX_COMPONENTS) throw new UsageError({ where: `invalid ${name}`, expected: `at most ${MAX_COMPONENTS} components`, got: String(mix.length) });
  let s = 0;
  mix.forEach((c, k) => {
    if (!(c.weight > 0) || !Number.isFinite(c.weight)) throw new UsageError(`invalid ${name} component ${k}: weight must be a finite number > 0, got ${c.weight}`);
    if (!Number.isFinite(c.mu)) throw new UsageError(`invalid ${name} component ${k}: mu must be a finite number, got ${c.mu}`);
    if (!(c.sigma > 0) || !Number.isFinite(c.sigma)) throw new UsageError(`invalid ${name} component ${k}: sigma must be a finite number > 0, got ${c.sigma}`);
    s += c.weight;
  });
  if (Math.abs(s - 1) > 1e-6) {
    throw new UsageError(`invalid ${name}: weights sum to ${shortNumber(s)}, they must sum to 1 (e.g. "0.5:-3:1,0.5:3:1")`);
  }
  checkScales(mix.map((c) => [c.mu]), mix.map((c) => [c.sigma]), name);
}

/** The most components a mixture may have (the fits' cost grows with it; more is not a useful picture). */
export const MAX_COMPONENTS = 64;

/** The widest range of scales the fits resolve: (spread of the means + the largest σ) / the smallest σ. */
export const MAX_SCALE_RATIO = 1e6;

/**
 * Checks that a mixture's means and standard deviations lie in the range the quadrature and
 * the optimizers resolve: |μ| ≤ 1e6, 1e-6 ≤ σ ≤ 1e6 per axis, and (spread of the means + the
 * largest σ) / the smallest σ ≤ {@link MAX_SCALE_RATIO}. Beyond it the integrals overflow or
 * the grid cannot see the narrowest component.
 */
export function checkScales(means: number[][], sds: number[][], name: string): void {
  const dims = means[0]?.length ?? 0;
  for (let d = 0; d < dims; d++) {
    const mu = means.map((m) => m[d]!);
    const sd = sds.map((x) => x[d]!);
    means.forEach((m, k) => {
      if (Math.abs(m[d]!) > 1e6) throw new UsageError({ where: `invalid ${name} component ${k}`, expected: 'a mean with |mu| <= 1e6', got: m[d] });
      if (!(sds[k]![d]! >= 1e-6 && sds[k]![d]! <= 1e6)) throw new UsageError({ where: `invalid ${name} component ${k}`, expected: 'a standard deviation in [1e-6, 1e6]', got: sds[k]![d] });
    });
    const ratio = (Math.max(...mu) - Math.min(...mu) + Math.max(...sd)) / Math.min(...sd);
    if (ratio > MAX_SCALE_RATIO) {
      throw new UsageError({ where: `invalid ${name}`, expected: `(spread of the means + largest sigma) / smallest sigma <= ${MAX_SCALE_RATIO}`, got: ratio });
    }
  }
}

/**
 * Parses `"w:mu:sigma,w:mu:sigma,..."` into a validated mixture.
 *
 * @example
 * parseMixture('0.5:-3:1,0.5:3:1'); // DEFAULT_MIXTURE's components
 */
export function parseMixture(spec: string, name = 'mixture'): GaussianComponent[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out = parts.map((part, k) => {
    const f = part.split(':');
    if (f.length !== 3) throw new UsageError(`invalid ${name} component ${k}: expected "w:mu:sigma", got ${quote(part)}`);
    const [weight, mu, sigma] = f.map((x) => (x.trim() === '' ? NaN : Number(x))) as [number, number, number];
    return { weight, mu, sigma };
  });
  validateMixture(out, name);
  return out;
}

/** Formats a mixture back into the `--mix` syntax. */
export function formatMixture(mix: Mixture): string {
  return mix.map((c) => `${c.weight}:${c.mu}:${c.sigma}`).join(',');
}

/**
 * log p(x) of the mixture by log-sum-exp over the components (no underflow far in the tails).
 *
 * @example
 * mixtureLogPdf(DEFAULT_MIXTURE, 3); // ≈ log(0.5·φ(0) + 0.5·φ(6))
 */
export function mixtureLogPdf(mix: Mixture, x: number): number {
  const m = maxComponentLogDensity(mix, x);
  let s = 0;
  for (let k = 0; k < mix.length; k++) s += Math.exp(componentLogDensity(mix[k]!, x) - m);
  return m + Math.log(s);
}

/** log(w·φ((x − μ)/σ)/σ) of one component. */
function componentLogDensity(c: GaussianComponent, x: number): number {
  const u = (x - c.mu) / c.sigma;
  return Math.log(c.weight) - Math.log(c.sigma) - LOG_SQRT_2PI - 0.5 * u * u;
}

/** The largest component log density at x: the shift of the log-sum-exp (two passes, no allocation). */
function maxComponentLogDensity(mix: Mixture, x: number): number {
  let m = -Infinity;
  for (let k = 0; k < mix.length; k++) {
    const e = componentLogDensity(mix[k]!, x);
    if (e > m) m = e;
  }
  return m;
}

/**
 * p(x) of the mixture.
 *
 * @example
 * mixturePdf([{ weight: 1, mu: 0, sigma: 1 }], 0); // 1/√(2π) = 0.3989422804014327
 */
export function mixturePdf(mix: Mixture, x: number): number {
  return Math.exp(mixtureLogPdf(mix, x));
}

/** log p(x) and its first two derivatives in x. */
export interface LogPdfDerivatives {
  logp: number;
  /** d log p / dx */
  d1: number;
  /** d² log p / dx² */
  d2: number;
}

/**
 * log p(x) with its derivatives: with responsibilities r_k (softmax of the component log
 * densities) and a_k = −(x − μ_k)/σ_k², d log p/dx = Σ r_k a_k and
 * d² log p/dx² = Σ r_k (a_k² − 1/σ_k²) − (d log p/dx)². Written into `out` to avoid allocation.
 *
 * @example
 * mixtureLogPdfDerivatives([{ weight: 1, mu: 0, sigma: 2 }], 1).d1; // −0.25
 */
export function mixtureLogPdfDerivatives(mix: Mixture, x: number, out: LogPdfDerivatives = { logp: 0, d1: 0, d2: 0 }): LogPdfDerivatives {
  const m = maxComponentLogDensity(mix, x);
  let s = 0;
  let s1 = 0;
  let s2 = 0;
  for (let k = 0; k < mix.length; k++) {
    const c = mix[k]!;
    const e = Math.exp(componentLogDensity(c, x) - m);
    const iv = 1 / (c.sigma * c.sigma);
    const a = -(x - c.mu) * iv;
    s += e;
    s1 += e * a;
    s2 += e * (a * a - iv);
  }
  out.logp = m + Math.log(s);
  out.d1 = s1 / s;
  out.d2 = s2 / s - out.d1 * out.d1;
  return out;
}

/** Mean and variance of a mixture. */
export interface Moments {
  mean: number;
  variance: number;
}

/**
 * Mean Σ w_k μ_k and variance Σ w_k (σ_k² + μ_k²) − mean², the latter computed around the
 * mean (Σ w_k (σ_k² + (μ_k − mean)²)) so that it never cancels.
 *
 * @example
 * mixtureMoments(DEFAULT_MIXTURE); // { mean: 0, variance: 10 }
 */
export function mixtureMoments(mix: Mixture): Moments {
  let mean = 0;
  for (const c of mix) mean += c.weight * c.mu;
  let variance = 0;
  for (const c of mix) variance += c.weight * (c.sigma * c.sigma + (c.mu - mean) * (c.mu - mean));
  return { mean, variance };
}
