import { shortNumber } from '../words.js';
import { DataError, UsageError, quote } from '../errors.js';
import { MAX_COMPONENTS, checkScales } from './mixture.js';
import { bfgs } from './bfgs.js';

/** One weighted axis-aligned 2-D Gaussian component w·N((mx, my), diag(sx², sy²)). */
export interface GaussianComponent2d {
  weight: number;
  mean: [number, number];
  sd: [number, number];
}

/** A 2-D mixture, weights summing to 1. */
export type Mixture2d = readonly GaussianComponent2d[];

/** A full-covariance 2-D Gaussian with the divergence it minimised (nats). */
export interface Gaussian2dFit {
  mean: [number, number];
  cov: [[number, number], [number, number]];
  kl: number;
}

/** A reverse-fit optimum. */
export interface LocalOptimum2d extends Gaussian2dFit {
  global: boolean;
  starts: number;
}

/** Result of {@link fit2d}. */
export interface Fit2dResult {
  p: { components: GaussianComponent2d[]; mean: [number, number]; cov: [[number, number], [number, number]] };
  forward: Gaussian2dFit;
  reverse: Gaussian2dFit & { localOptima: LocalOptimum2d[] };
}

/** Two round modes about 5.8σ apart on a diagonal. */
export const DEFAULT_MIXTURE_2D: Mixture2d = Object.freeze([
  { weight: 0.5, mean: [-2.5, -1.5], sd: [1, 1] },
  { weight: 0.5, mean: [2.5, 1.5], sd: [1, 1] },
] as GaussianComponent2d[]);

/**
 * Parses `"w:mx:my:sx:sy,..."` into a validated 2-D mixture (weights > 0 summing to 1, sd > 0).
 *
 * @example
 * parseMixture2d('0.5:-2:0:1:1,0.5:2:0:1:1');
 */
export function parseMixture2d(spec: string, name = 'mixture'): GaussianComponent2d[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new UsageError(`invalid ${name}: no components (expected "w:mx:my:sx:sy,...")`);
  let s = 0;
  const out = parts.map((part, k) => {
    const f = part.split(':').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (f.length !== 5) throw new UsageError(`invalid ${name} component ${k}: expected "w:mx:my:sx:sy" in 2-D, got ${quote(part)}`);
    const [w, mx, my, sx, sy] = f as [number, number, number, number, number];
    if (!(w > 0) || !Number.isFinite(w)) throw new UsageError(`invalid ${name} component ${k}: weight must be a finite number > 0, got ${w}`);
    if (!Number.isFinite(mx) || !Number.isFinite(my)) throw new UsageError(`invalid ${name} component ${k}: the mean must be finite, got (${mx}, ${my})`);
    if (!(sx > 0) || !(sy > 0) || !Number.isFinite(sx) || !Number.isFinite(sy)) throw new UsageError(`invalid ${name} component ${k}: sx and sy must be finite numbers > 0, got ${sx}, ${sy}`);
    s += w;
    return { weight: w, mean: [mx, my] as [number, number], sd: [sx, sy] as [number, number] };
  });
  if (Math.abs(s - 1) > 1e-6) throw new UsageError(`invalid ${name}: weights sum to ${shortNumber(s)}, they must sum to 1`);
  if (out.length > MAX_COMPONENTS) throw new UsageError({ where: `invalid ${name}`, expected: `at most ${MAX_COMPONENTS} components`, got: String(out.length) });
  checkScales(out.map((c) => c.mean), out.map((c) => c.sd), name);
  return out;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * log p and its gradient at (x, y) by log-sum-exp over the components; the gradient goes into `g`.
 *
 * @example
 * mixture2dLogPdf(DEFAULT_MIXTURE_2D, 0, 0);
 */
export function mixture2dLogPdf(mix: Mixture2d, x: number, y: number, g?: [number, number]): number {
  let m = -Infinity;
  for (const c of mix) {
    const u = (x - c.mean[0]) / c.sd[0];
    const v = (y - c.mean[1]) / c.sd[1];
    const e = Math.log(c.weight) - Math.log(c.sd[0] * c.sd[1]) - LOG_2PI - 0.5 * (u * u + v * v);
    if (e > m) m = e;
  }
  let s = 0;
  let gx = 0;
  let gy = 0;
  for (const c of mix) {
    const u = (x - c.mean[0]) / c.sd[0];
    const v = (y - c.mean[1]) / c.sd[1];
    const e = Math.exp(Math.log(c.weight) - Math.log(c.sd[0] * c.sd[1]) - LOG_2PI - 0.5 * (u * u + v * v) - m);
    s += e;
    gx -= (e * u) / c.sd[0];
    gy -= (e * v) / c.sd[1];
  }
  if (g) {
    g[0] = gx / s;
    g[1] = gy / s;
  }
  return m + Math.log(s);
}

/**
 * Mean and covariance of the mixture: Σ w μ_k and Σ w (Σ_k + (μ_k − m)(μ_k − m)ᵀ).
 *
 * @example
 * mixture2dMoments(DEFAULT_MIXTURE_2D).cov; // [[7.25, 3.75], [3.75, 3.25]]
 */
export function mixture2dMoments(mix: Mixture2d): { mean: [number, number]; cov: [[number, number], [number, number]] } {
  let mx = 0;
  let my = 0;
  for (const c of mix) {
    mx += c.weight * c.mean[0];
    my += c.weight * c.mean[1];
  }
  let a = 0;
  let b = 0;
  let d = 0;
  for (const c of mix) {
    const dx = c.mean[0] - mx;
    const dy = c.mean[1] - my;
    a += c.weight * (c.sd[0] * c.sd[0] + dx * dx);
    b += c.weight * dx * dy;
    d += c.weight * (c.sd[1] * c.sd[1] + dy * dy);
  }
  return { mean: [mx, my], cov: [[a, b], [b, d]] };
}

/** Tensor-product trapezoid rule for E[f(Z)], Z ~ N(0, I₂), on [−9, 9]² (e^{−40.5} is below rounding). */
interface Rule2 {
  z: Float64Array;
  w: Float64Array;
}
const rules = new Map<number, Rule2>();
function rule1(n: number): Rule2 {
  const hit = rules.get(n);
  if (hit) return hit;
  const z = new Float64Array(n);
  const w = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    z[i] = -9 + (18 * i) / (n - 1);
    w[i] = Math.exp(-0.5 * z[i]! * z[i]!);
    s += w[i]!;
  }
  for (let i = 0; i < n; i++) w[i]! /= s;
  const r = { z, w };
  rules.set(n, r);
  return r;
}

/** Spacing as in the 1-D rule: a quarter of the smallest feature of log p, in units of Q's widest axis. */
function nodesFor(mix: Mixture2d, scale: number): number {
  let d = Infinity;
  for (let i = 0; i < mix.length; i++) {
    const a = mix[i]!;
    d = Math.min(d, a.sd[0], a.sd[1]);
    for (let j = i + 1; j < mix.length; j++) {
      const b = mix[j]!;
      const dm = Math.hypot(a.mean[0] - b.mean[0], a.mean[1] - b.mean[1]);
      if (dm > 0) d = Math.min(d, (Math.PI * Math.min(a.sd[0], a.sd[1]) * Math.min(b.sd[0], b.sd[1])) / dm);
    }
  }
  const h = Math.min(0.15, d / scale / 4);
  return Math.min(361, 2 * Math.ceil(9 / h) + 1);
}

/** θ = (m₀, m₁, a, b, c): Q = N(m, LLᵀ) with L = [[eᵃ, 0], [c, eᵇ]]. */
type Theta = [number, number, number, number, number];

function covOf(t: Theta): [[number, number], [number, number]] {
  const l00 = Math.exp(t[2]);
  const l11 = Math.exp(t[3]);
  const c = t[4];
  return [
    [l00 * l00, l00 * c],
    [l00 * c, c * c + l11 * l11],
  ];
}

/**
 * Reverse KL(Q‖P) = −H(Q) − E_Q[log p] for Q = N(m, LLᵀ) and its gradient in θ, with
 * x = m + Lz: ∂/∂m = −E[∇log p], ∂/∂a = −1 − eᵃE[g₀z₀], ∂/∂b = −1 − eᵇE[g₁z₁], ∂/∂c = −E[g₁z₀].
 */
function reverse2d(mix: Mixture2d, t: Theta, grad?: number[]): number {
  const l00 = Math.exp(t[2]);
  const l11 = Math.exp(t[3]);
  const c = t[4];
  const scale = Math.sqrt(Math.max(l00 * l00, c * c + l11 * l11));
  const r = rule1(nodesFor(mix, scale));
  const g: [number, number] = [0, 0];
  let eL = 0;
  let e0 = 0;
  let e1 = 0;
  let e00 = 0;
  let e11 = 0;
  let e10 = 0;
  for (let i = 0; i < r.z.length; i++) {
    const z0 = r.z[i]!;
    const wi = r.w[i]!;
    const x = t[0] + l00 * z0;
    for (let j = 0; j < r.z.length; j++) {
      const z1 = r.z[j]!;
      const w = wi * r.w[j]!;
      const y = t[1] + c * z0 + l11 * z1;
      eL += w * mixture2dLogPdf(mix, x, y, g);
      if (grad) {
        e0 += w * g[0];
        e1 += w * g[1];
        e00 += w * g[0] * z0;
        e11 += w * g[1] * z1;
        e10 += w * g[1] * z0;
      }
    }
  }
  if (grad) {
    grad[0] = -e0;
    grad[1] = -e1;
    grad[2] = -1 - l00 * e00;
    grad[3] = -1 - l11 * e11;
    grad[4] = -e10;
  }
  return -(LOG_2PI + 1) - t[2] - t[3] - eL;
}

/**
 * Reverse KL(Q‖P) in nats for a 2-D Gaussian Q given by mean and covariance.
 *
 * @example
 * reverseKl2d(DEFAULT_MIXTURE_2D, [2.5, 1.5], [[1, 0], [0, 1]]); // ≈ ln 2
 */
export function reverseKl2d(mix: Mixture2d, mean: [number, number], cov: [[number, number], [number, number]]): number {
  const l00 = Math.sqrt(cov[0][0]);
  const c = cov[0][1] / l00;
  const l11 = Math.sqrt(cov[1][1] - c * c);
  return Math.max(0, reverse2d(mix, [mean[0], mean[1], Math.log(l00), Math.log(l11), c]));
}

/**
 * H(P) by quadrature, component by component.
 *
 * @example
 * mixture2dEntropy([{ weight: 1, mean: [0, 0], sd: [1, 1] }]); // log(2πe) = 2.8378770664093453
 */
export function mixture2dEntropy(mix: Mixture2d): number {
  let h = 0;
  for (const k of mix) {
    const r = rule1(nodesFor(mix, Math.max(k.sd[0], k.sd[1])));
    let e = 0;
    for (let i = 0; i < r.z.length; i++) {
      const x = k.mean[0] + k.sd[0] * r.z[i]!;
      for (let j = 0; j < r.z.length; j++) e += r.w[i]! * r.w[j]! * mixture2dLogPdf(mix, x, k.mean[1] + k.sd[1] * r.z[j]!);
    }
    h -= k.weight * e;
  }
  return h;
}

/**
 * Forward KL(P‖Q) = H(P,Q) − H(P) with the cross-entropy in closed form:
 * log 2π + ½log|Σ| + ½tr(Σ⁻¹C) + ½(m_P − m)ᵀΣ⁻¹(m_P − m).
 *
 * @example
 * forwardKl2d(DEFAULT_MIXTURE_2D, [0, 0], [[7.25, 3.75], [3.75, 3.25]]); // the forward optimum
 */
export function forwardKl2d(mix: Mixture2d, mean: [number, number], cov: [[number, number], [number, number]], entropyP = mixture2dEntropy(mix)): number {
  const { mean: mp, cov: c } = mixture2dMoments(mix);
  const det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
  const i00 = cov[1][1] / det;
  const i11 = cov[0][0] / det;
  const i01 = -cov[0][1] / det;
  const tr = i00 * c[0][0] + 2 * i01 * c[0][1] + i11 * c[1][1];
  const dx = mp[0] - mean[0];
  const dy = mp[1] - mean[1];
  const maha = i00 * dx * dx + 2 * i01 * dx * dy + i11 * dy * dy;
  return Math.max(0, LOG_2PI + 0.5 * Math.log(det) + 0.5 * tr + 0.5 * maha - entropyP);
}

/** BFGS on θ (see ./bfgs.ts); returns the final θ, value and gradient norm. */
function minimise2d(mix: Mixture2d, start: Theta): { t: Theta; value: number; gradNorm: number } {
  const objective = (t: number[]) => {
    const g = new Array<number>(5).fill(0);
    return { f: reverse2d(mix, t as Theta, g), g };
  };
  const r = bfgs(objective, start, { maxIt: 150, gradTol: 1e-8, maxStep: 2, slack: 1e-13, curvatureTol: 1e-14, stepTol: 1e-12 });
  return { t: r.theta as Theta, value: r.f, gradNorm: r.gradNorm };
}

/** Positive definiteness of the finite-difference Hessian (gradient differences), by Cholesky. */
function isLocalMin(mix: Mixture2d, t: Theta): boolean {
  const n = 5;
  const eps = 1e-4;
  const Hm: number[][] = [];
  for (let i = 0; i < n; i++) {
    const gp = new Array<number>(n).fill(0);
    const gm = new Array<number>(n).fill(0);
    const tp = [...t] as Theta;
    const tm = [...t] as Theta;
    tp[i] += eps;
    tm[i] -= eps;
    reverse2d(mix, tp, gp);
    reverse2d(mix, tm, gm);
    Hm.push(gp.map((v, j) => (v - gm[j]!) / (2 * eps)));
  }
  const A = Hm.map((row, i) => row.map((v, j) => 0.5 * (v + Hm[j]![i]!)));
  for (let j = 0; j < n; j++) {
    let d = A[j]![j]!;
    for (let k = 0; k < j; k++) d -= A[j]![k]! * A[j]![k]!;
    if (!(d > 1e-9)) return false;
    const ljj = Math.sqrt(d);
    A[j]![j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let v = A[i]![j]!;
      for (let k = 0; k < j; k++) v -= A[i]![k]! * A[j]![k]!;
      A[i]![j] = v / ljj;
    }
  }
  return true;
}

/**
 * Fits one full-covariance 2-D Gaussian Q to a 2-D mixture P both ways: forward KL(P‖Q) by
 * moment matching (exact) and reverse KL(Q‖P) by BFGS on (mean, Cholesky factor) from each
 * component, the moment match and points between, keeping the distinct strict local minima.
 *
 * @example
 * const r = fit2d(DEFAULT_MIXTURE_2D);
 * r.reverse.localOptima.length; // one optimum per mode (and possibly a broad one)
 */
export function fit2d(mix: Mixture2d): Fit2dResult {
  const mom = mixture2dMoments(mix);
  const hP = mixture2dEntropy(mix);
  const forward = { mean: mom.mean, cov: mom.cov, kl: forwardKl2d(mix, mom.mean, mom.cov, hP) };
  const starts: Theta[] = mix.map((c) => [c.mean[0], c.mean[1], Math.log(c.sd[0]), Math.log(c.sd[1]), 0]);
  {
    const l00 = Math.sqrt(mom.cov[0][0]);
    const c = mom.cov[0][1] / l00;
    starts.push([mom.mean[0], mom.mean[1], Math.log(l00), 0.5 * Math.log(mom.cov[1][1] - c * c), c]);
  }
  for (let i = 0; i < mix.length; i++) {
    for (let j = i + 1; j < mix.length; j++) {
      const a = mix[i]!;
      const b = mix[j]!;
      for (const f of [0.35, 0.65]) {
        starts.push([a.mean[0] + f * (b.mean[0] - a.mean[0]), a.mean[1] + f * (b.mean[1] - a.mean[1]), 0, 0, 0]);
      }
    }
  }
  const found: LocalOptimum2d[] = [];
  const scale = Math.sqrt(mom.cov[0][0] + mom.cov[1][1]);
  for (const st of starts) {
    const r = minimise2d(mix, st);
    if (r.gradNorm > 1e-5 || !isLocalMin(mix, r.t)) continue;
    const mean: [number, number] = [r.t[0], r.t[1]];
    const same = found.find((o) => Math.hypot(o.mean[0] - mean[0], o.mean[1] - mean[1]) < 1e-4 * scale);
    if (same) {
      same.starts++;
      continue;
    }
    found.push({ mean, cov: covOf(r.t), kl: Math.max(0, r.value), global: false, starts: 1 });
  }
  if (found.length === 0) throw new DataError({ where: 'fit2d', expected: 'a mixture whose reverse fit converges from one of its starts', got: `a mixture of ${mix.length} components` });
  // ties within rounding are ordered by the first coordinate, right first (deterministic figures)
  const tie = (x: number, y: number) => Math.abs(x - y) <= 1e-8 * Math.max(1, Math.abs(x));
  found.sort((a, b) => (tie(a.kl, b.kl) ? b.mean[0] - a.mean[0] || b.mean[1] - a.mean[1] : a.kl - b.kl));
  const best = found[0]!.kl;
  for (const o of found) o.global = o.kl - best <= 1e-8 * Math.max(1, best);
  const g = found[0]!;
  return {
    p: { components: mix.map((c) => ({ weight: c.weight, mean: [...c.mean] as [number, number], sd: [...c.sd] as [number, number] })), mean: mom.mean, cov: mom.cov },
    forward,
    reverse: { mean: g.mean, cov: g.cov, kl: g.kl, localOptima: found },
  };
}
