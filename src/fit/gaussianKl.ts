import { mixtureLogPdf, mixtureLogPdfDerivatives, mixtureMoments, type Gaussian1d, type Mixture } from './mixture.js';
import { ruleFor } from './quadrature.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Differential entropy of the mixture, H(P) = −∫ p log p, as Σ_k w_k·E_{N(μ_k, σ_k²)}[−log p]:
 * each component's expectation is a smooth Gaussian integral, which the trapezoid rule
 * evaluates to near machine precision. In nats.
 *
 * @example
 * mixtureEntropy([{ weight: 1, mu: 0, sigma: 1 }]); // 0.5·log(2πe) = 1.4189385332046727
 */
export function mixtureEntropy(mix: Mixture): number {
  let h = 0;
  for (const c of mix) {
    const r = ruleFor(mix, c.sigma);
    let e = 0;
    for (let i = 0; i < r.z.length; i++) e += r.w[i]! * mixtureLogPdf(mix, c.mu + c.sigma * r.z[i]!);
    h -= c.weight * e;
  }
  return h;
}

/**
 * Entropy of N(μ, σ²): ½·log(2πe σ²).
 *
 * @example
 * gaussianEntropy(1); // 1.4189385332046727
 */
export function gaussianEntropy(sigma: number): number {
  return 0.5 * (LOG_2PI + 1) + Math.log(sigma);
}

/**
 * Cross-entropy H(P, Q) = −E_P[log q] for Gaussian Q, in closed form from P's moments:
 * ½·log(2πσ²) + (Var P + (E P − μ)²)/(2σ²).
 *
 * @example
 * crossEntropyToGaussian(DEFAULT_MIXTURE, { mu: 0, sigma: Math.sqrt(10) }); // ½·log(2πe·10)
 */
export function crossEntropyToGaussian(mix: Mixture, q: Gaussian1d): number {
  const { mean, variance } = mixtureMoments(mix);
  const d = mean - q.mu;
  return 0.5 * LOG_2PI + Math.log(q.sigma) + (variance + d * d) / (2 * q.sigma * q.sigma);
}

/**
 * Forward KL(P‖Q) = H(P, Q) − H(P) for a mixture P and a Gaussian Q, in nats. The
 * cross-entropy is exact; H(P) comes from {@link mixtureEntropy}. Pass `entropyP` to reuse it.
 *
 * @example
 * forwardKlMixture(DEFAULT_MIXTURE, { mu: 0, sigma: Math.sqrt(10) });
 */
export function forwardKlMixture(mix: Mixture, q: Gaussian1d, entropyP = mixtureEntropy(mix)): number {
  return Math.max(0, crossEntropyToGaussian(mix, q) - entropyP);
}

/**
 * Reverse KL(Q‖P) = −H(Q) − E_Q[log p] for a Gaussian Q and a mixture P, in nats, with the
 * expectation taken by the trapezoid rule in z = (x − μ)/σ.
 *
 * @example
 * reverseKlMixture(DEFAULT_MIXTURE, { mu: 3, sigma: 1 }); // ≈ ln 2
 */
export function reverseKlMixture(mix: Mixture, q: Gaussian1d): number {
  const r = ruleFor(mix, q.sigma);
  let e = 0;
  for (let i = 0; i < r.z.length; i++) e += r.w[i]! * mixtureLogPdf(mix, q.mu + q.sigma * r.z[i]!);
  return Math.max(0, -gaussianEntropy(q.sigma) - e);
}

/** A divergence's value with its gradient and Hessian in θ = (μ, s = log σ). */
export interface KlDerivatives {
  value: number;
  /** [∂/∂μ, ∂/∂s] */
  grad: [number, number];
  /** [[∂²/∂μ², ∂²/∂μ∂s], [∂²/∂μ∂s, ∂²/∂s²]] */
  hess: [[number, number], [number, number]];
}

/**
 * KL(Q‖P) and its derivatives in (μ, s = log σ). With x = μ + σz, g = (log p)′, h = (log p)″:
 * F = −½log(2πe) − s − E[log p(x)], ∂F/∂μ = −E[g], ∂F/∂s = −1 − σE[gz],
 * ∂²F/∂μ² = −E[h], ∂²F/∂μ∂s = −σE[hz], ∂²F/∂s² = −σE[gz] − σ²E[hz²].
 * Differentiating under the fixed-node rule keeps value and derivatives consistent.
 *
 * @example
 * reverseKlDerivatives(DEFAULT_MIXTURE, 3, 0).grad; // ≈ [0, 0] near the right-hand optimum
 */
export function reverseKlDerivatives(mix: Mixture, mu: number, s: number): KlDerivatives {
  const sigma = Math.exp(s);
  const r = ruleFor(mix, sigma);
  const d = { logp: 0, d1: 0, d2: 0 };
  let eL = 0;
  let eG = 0;
  let eGz = 0;
  let eH = 0;
  let eHz = 0;
  let eHzz = 0;
  for (let i = 0; i < r.z.length; i++) {
    const z = r.z[i]!;
    const w = r.w[i]!;
    mixtureLogPdfDerivatives(mix, mu + sigma * z, d);
    eL += w * d.logp;
    eG += w * d.d1;
    eGz += w * d.d1 * z;
    eH += w * d.d2;
    eHz += w * d.d2 * z;
    eHzz += w * d.d2 * z * z;
  }
  const value = -0.5 * (LOG_2PI + 1) - s - eL;
  const grad: [number, number] = [-eG, -1 - sigma * eGz];
  const hMs = -sigma * eHz;
  const hess: [[number, number], [number, number]] = [
    [-eH, hMs],
    [hMs, -sigma * eGz - sigma * sigma * eHzz],
  ];
  return { value: Math.max(0, value), grad, hess };
}

/**
 * KL(P‖Q) and its derivatives in (μ, s = log σ), all in closed form from P's moments m, V:
 * F = H(P,Q) − H(P), ∂F/∂μ = −(m − μ)/σ², ∂F/∂s = 1 − (V + (m − μ)²)/σ².
 *
 * @example
 * forwardKlDerivatives(DEFAULT_MIXTURE, 0, 0.5 * Math.log(10)).grad; // [0, 0] at the optimum
 */
export function forwardKlDerivatives(mix: Mixture, mu: number, s: number, entropyP = mixtureEntropy(mix)): KlDerivatives {
  const { mean, variance } = mixtureMoments(mix);
  const iv = Math.exp(-2 * s);
  const d = mean - mu;
  const t = (variance + d * d) * iv;
  const value = Math.max(0, 0.5 * LOG_2PI + s + 0.5 * t - entropyP);
  return {
    value,
    grad: [-d * iv, 1 - t],
    hess: [
      [iv, 2 * d * iv],
      [2 * d * iv, 2 * t],
    ],
  };
}
