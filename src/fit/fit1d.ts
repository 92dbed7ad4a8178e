import { forwardKlDerivatives, forwardKlMixture, mixtureEntropy, reverseKlDerivatives, reverseKlMixture, type KlDerivatives } from './gaussianKl.js';
import { formatMixture, mixtureMoments, validateMixture, type Gaussian1d, type Mixture } from './mixture.js';
import { DataError } from '../errors.js';

/** Which divergence a fit minimises: forward KL(P‖Q) or reverse KL(Q‖P). */
export type FitDirection = 'forward' | 'reverse';

/** A fitted Gaussian with the minimised divergence (nats). */
export interface GaussianFit extends Gaussian1d {
  /** KL(P‖Q) for a forward fit, KL(Q‖P) for a reverse fit, in nats. */
  kl: number;
}

/**
 * The exact forward optimum: argmin over Gaussians of KL(P‖Q) matches P's first two moments,
 * μ = Σ w_k μ_k and σ² = Σ w_k (σ_k² + μ_k²) − μ² (KL(P‖Q) = H(P,Q) − H(P), and H(P,Q) depends
 * on P only through its mean and variance).
 *
 * @example
 * fitForward(DEFAULT_MIXTURE); // { mu: 0, sigma: √10 = 3.1623, kl: 0.5·log(2πe·10) − H(P) }
 */
export function fitForward(mix: Mixture): GaussianFit {
  validateMixture(mix, 'mixture');
  const { mean, variance } = mixtureMoments(mix);
  const q = { mu: mean, sigma: Math.sqrt(variance) };
  return { ...q, kl: forwardKlMixture(mix, q) };
}

/** A stationary point found by the reverse fit. */
export interface LocalOptimum extends GaussianFit {
  /** True for the optimum with the smallest KL(Q‖P). */
  global: boolean;
  /** How many starts converged here. */
  starts: number;
  /** Gradient norm at convergence (in (μ, log σ)). */
  gradNorm: number;
  /** Eigenvalues of the Hessian in (μ, log σ): both > 0 for a strict local minimum. */
  hessianEigenvalues: [number, number];
}

/** The reverse fit: the global optimum and every local optimum found. */
export interface ReverseFit extends GaussianFit {
  localOptima: LocalOptimum[];
}

/** Options of {@link fitReverse}. */
export interface FitReverseOptions {
  /** Extra starting points; the defaults are every component, the moment match and a spread of means. */
  starts?: Gaussian1d[];
  /** Gradient-norm tolerance. Default 1e-11. */
  tolerance?: number;
  /** Newton iterations per start. Default 200. */
  maxIterations?: number;
}

function eig2(h: [[number, number], [number, number]]): [number, number] {
  const a = h[0][0];
  const b = h[0][1];
  const c = h[1][1];
  const m = 0.5 * (a + c);
  const r = Math.hypot(0.5 * (a - c), b);
  return [m - r, m + r];
}

/**
 * Default starts of the reverse fit: each component, the moment match, and nine means spread
 * across P's support.
 *
 * @example
 * defaultStarts(DEFAULT_MIXTURE).length; // 12
 */
export function defaultStarts(mix: Mixture): Gaussian1d[] {
  const { mean, variance } = mixtureMoments(mix);
  const lo = Math.min(...mix.map((c) => c.mu - 2 * c.sigma));
  const hi = Math.max(...mix.map((c) => c.mu + 2 * c.sigma));
  const sig = mix.map((c) => c.sigma).sort((a, b) => a - b)[Math.floor(mix.length / 2)]!;
  const starts: Gaussian1d[] = mix.map((c) => ({ mu: c.mu, sigma: c.sigma }));
  starts.push({ mu: mean, sigma: Math.sqrt(variance) });
  for (let i = 0; i < 9; i++) starts.push({ mu: lo + ((hi - lo) * i) / 8, sigma: sig });
  return starts;
}

/**
 * Minimises F(μ, s) = KL(Q‖P), s = log σ, by Newton's method with a backtracking line search.
 * Where the Hessian is not positive definite it is shifted (H + λI) so every step descends; at
 * a saddle (gradient 0, a negative eigenvalue) the iterate is pushed along the negative
 * eigenvector, so only strict local minima are returned.
 */
function newtonReverse(mix: Mixture, start: Gaussian1d, tol: number, maxIt: number): { mu: number; s: number; d: KlDerivatives } {
  let mu = start.mu;
  let s = Math.log(start.sigma);
  let d = reverseKlDerivatives(mix, mu, s);
  for (let it = 0; it < maxIt; it++) {
    const [g0, g1] = d.grad;
    const [l0, l1] = eig2(d.hess);
    const gn = Math.hypot(g0, g1);
    if (gn < tol && l0 > 0) break;
    let dx: number;
    let dy: number;
    if (gn < tol) {
      // a saddle: leave along the eigenvector of the negative eigenvalue
      const [[a, b], [, c]] = d.hess;
      let vx = b;
      let vy = l0 - a;
      if (Math.hypot(vx, vy) < 1e-12) {
        vx = l0 - c;
        vy = b;
      }
      if (Math.hypot(vx, vy) < 1e-12) {
        vx = 1;
        vy = 0;
      }
      const n = Math.hypot(vx, vy);
      dx = (0.1 * vx) / n;
      dy = (0.1 * vy) / n;
    } else {
      // shift so the smallest eigenvalue is at least 1e-3·(largest magnitude): a descent direction
      const shift = l0 > 1e-6 * Math.max(1, Math.abs(l1)) ? 0 : -l0 + 1e-3 * Math.max(1, Math.abs(l1));
      const a = d.hess[0][0] + shift;
      const b = d.hess[0][1];
      const c = d.hess[1][1] + shift;
      const det = a * c - b * b;
      dx = -(c * g0 - b * g1) / det;
      dy = -(-b * g0 + a * g1) / det;
      // keep log σ steps modest so σ cannot collapse or explode in one step
      const big = Math.max(Math.abs(dy) / 1, Math.abs(dx) / (4 * Math.exp(s) + 1));
      if (big > 1) {
        dx /= big;
        dy /= big;
      }
    }
    // backtracking (Armijo) line search; a saddle escape just needs any decrease
    // Near the optimum the decrease (~ gradient²) falls below the value's rounding, so the
    // test allows a rounding-sized slack: otherwise a correct Newton step would be refused.
    let t = 1;
    let next = reverseKlDerivatives(mix, mu + dx, s + dy);
    const slope = g0 * dx + g1 * dy;
    const slack = 1e-13 * Math.max(1, Math.abs(d.value));
    while (next.value > d.value + 1e-4 * t * Math.min(slope, 0) + slack && t > 1e-10) {
      t *= 0.5;
      next = reverseKlDerivatives(mix, mu + t * dx, s + t * dy);
    }
    if (t <= 1e-10) break;
    mu += t * dx;
    s += t * dy;
    d = next;
    if (Math.hypot(t * dx, t * dy) < 1e-13 && l0 > 0) break;
  }
  return { mu, s, d };
}

/**
 * Reverse fit: minimises KL(Q‖P) over Gaussians Q from several starts by Newton's method on
 * (μ, log σ) with accurate quadrature, and reports every distinct local minimum found (sorted
 * by KL) and the global one. For two equal modes 2σ apart the mixture is unimodal and there is
 * one optimum between them; from about 3σ apart each mode has its own optimum, and those win.
 *
 * @example
 * const r = fitReverse(DEFAULT_MIXTURE);
 * r.localOptima.length; // 3: one Gaussian on each mode (KL(Q‖P) ≈ ln 2 each), one wide between them (0.84)
 */
export function fitReverse(mix: Mixture, opts: FitReverseOptions = {}): ReverseFit {
  validateMixture(mix, 'mixture');
  const tol = opts.tolerance ?? 1e-11;
  const maxIt = opts.maxIterations ?? 200;
  const starts = [...defaultStarts(mix), ...(opts.starts ?? [])];
  const found: LocalOptimum[] = [];
  const scale = Math.sqrt(mixtureMoments(mix).variance);
  for (const st of starts) {
    const r = newtonReverse(mix, st, tol, maxIt);
    const ev = eig2(r.d.hess);
    const gradNorm = Math.hypot(r.d.grad[0], r.d.grad[1]);
    // only converged strict minima count (a tolerance loose enough for the quadrature's noise)
    if (!(ev[0] > 0) || gradNorm > 1e-6) continue;
    const sigma = Math.exp(r.s);
    const same = found.find((o) => Math.abs(o.mu - r.mu) < 1e-5 * scale + 1e-9 && Math.abs(Math.log(o.sigma) - r.s) < 1e-5);
    if (same) {
      same.starts++;
      continue;
    }
    found.push({ mu: r.mu, sigma, kl: reverseKlMixture(mix, { mu: r.mu, sigma }), global: false, starts: 1, gradNorm, hessianEigenvalues: ev });
  }
  // optima whose KL ties within rounding are ordered by μ, right first, so the order (and the
  // figure) never depends on the last bits of the quadrature
  const tie = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x));
  found.sort((a, b) => (tie(a.kl, b.kl) ? b.mu - a.mu : a.kl - b.kl));
  if (found.length === 0) throw new DataError({ where: 'fitReverse', expected: 'a mixture whose reverse fit converges from one of its starts', got: formatMixture(mix) });
  // optima whose KL ties the best within rounding are all global (a symmetric mixture has two)
  const best = found[0]!.kl;
  for (const o of found) o.global = o.kl - best <= 1e-9 * Math.max(1, best);
  const g = found[0]!;
  return { mu: g.mu, sigma: g.sigma, kl: g.kl, localOptima: found };
}

/** One point of an optimisation path. */
export interface PathPoint extends GaussianFit {
  step: number;
}

/** Options of {@link descentPath}. */
export interface DescentOptions {
  direction: FitDirection;
  /** Where Q starts. Default {@link defaultPathStart}: off-centre and narrow. */
  start?: Gaussian1d;
  /** Number of Adam steps. Default 300. */
  steps?: number;
  /** Adam learning rate on (μ, log σ). Default 0.05. */
  learningRate?: number;
  /** Record every k-th step (the last is always recorded). Default 1. */
  every?: number;
}

/**
 * A start off to one side and narrow, so both directions have somewhere to go.
 *
 * @example
 * defaultPathStart(DEFAULT_MIXTURE); // { mu: 0.35·√10, sigma: 0.3·√10 }
 */
export function defaultPathStart(mix: Mixture): Gaussian1d {
  const { mean, variance } = mixtureMoments(mix);
  const sd = Math.sqrt(variance);
  return { mu: mean + 0.35 * sd, sigma: 0.3 * sd };
}

/**
 * A stateful Adam optimiser of KL (either direction) over (μ, log σ): the engine behind
 * {@link descentPath} and the web page's animation. Call `step()` repeatedly; change `mixture`
 * between steps to follow a moving P.
 *
 * @example
 * const f = new GaussianDescent(DEFAULT_MIXTURE, 'reverse', { mu: 1, sigma: 1 });
 * for (let i = 0; i < 500; i++) f.step();
 * f.state(); // near N(3, 1)
 */
export class GaussianDescent {
  mu: number;
  s: number;
  private m = [0, 0];
  private v = [0, 0];
  private t = 0;
  private entropyP: number;
  private mix: Mixture;
  constructor(
    mix: Mixture,
    readonly direction: FitDirection,
    start: Gaussian1d,
    public learningRate = 0.05,
  ) {
    validateMixture(mix, 'mixture');
    this.mix = mix;
    this.entropyP = direction === 'forward' ? mixtureEntropy(mix) : 0;
    this.mu = start.mu;
    this.s = Math.log(start.sigma);
  }
  /** Replaces P (keeps Q and resets Adam's moments so the new landscape is followed promptly). */
  set mixture(mix: Mixture) {
    validateMixture(mix, 'mixture');
    this.mix = mix;
    if (this.direction === 'forward') this.entropyP = mixtureEntropy(mix);
    this.m = [0, 0];
    this.v = [0, 0];
    this.t = 0;
  }
  get mixture(): Mixture {
    return this.mix;
  }
  /** Moves Q to a new start and resets the optimiser. */
  restart(start: Gaussian1d): void {
    this.mu = start.mu;
    this.s = Math.log(start.sigma);
    this.m = [0, 0];
    this.v = [0, 0];
    this.t = 0;
  }
  private derivs(): KlDerivatives {
    return this.direction === 'forward' ? forwardKlDerivatives(this.mix, this.mu, this.s, this.entropyP) : reverseKlDerivatives(this.mix, this.mu, this.s);
  }
  /** The current Q and its KL (in the fitted direction, nats). */
  state(): GaussianFit {
    return { mu: this.mu, sigma: Math.exp(this.s), kl: this.derivs().value };
  }
  /** One Adam step (β₁ = 0.9, β₂ = 0.999); returns the KL before the step and the gradient norm. */
  step(): { kl: number; gradNorm: number } {
    const d = this.derivs();
    this.t++;
    const lr = this.learningRate;
    const p = [this.mu, this.s];
    for (let i = 0; i < 2; i++) {
      const g = d.grad[i]!;
      this.m[i] = 0.9 * this.m[i]! + 0.1 * g;
      this.v[i] = 0.999 * this.v[i]! + 0.001 * g * g;
      const mh = this.m[i]! / (1 - 0.9 ** this.t);
      const vh = this.v[i]! / (1 - 0.999 ** this.t);
      p[i]! -= (lr * mh) / (Math.sqrt(vh) + 1e-12);
    }
    // μ moves in units of P's spread: scale its step so one learning rate fits every preset
    this.mu = this.mu + (p[0]! - this.mu) * this.muScale();
    this.s = Math.max(-12, Math.min(12, p[1]!));
    return { kl: d.value, gradNorm: Math.hypot(d.grad[0], d.grad[1]) };
  }
  private muScale(): number {
    return Math.max(1e-3, Math.sqrt(mixtureMoments(this.mix).variance));
  }
}

/**
 * The optimisation path of KL(P‖Q) or KL(Q‖P) by Adam on (μ, log σ) from a start: shows how each
 * direction moves Q (forward heads for the moment match, reverse for the nearest mode).
 *
 * @example
 * const path = descentPath(DEFAULT_MIXTURE, { direction: 'forward', steps: 400 });
 * path[path.length - 1]; // close to fitForward(DEFAULT_MIXTURE)
 */
export function descentPath(mix: Mixture, opts: DescentOptions): PathPoint[] {
  const steps = opts.steps ?? 300;
  const every = Math.max(1, opts.every ?? 1);
  const f = new GaussianDescent(mix, opts.direction, opts.start ?? defaultPathStart(mix), opts.learningRate ?? 0.05);
  const out: PathPoint[] = [{ step: 0, ...f.state() }];
  for (let i = 1; i <= steps; i++) {
    f.step();
    if (i % every === 0 || i === steps) out.push({ step: i, ...f.state() });
  }
  return out;
}

/** The result of {@link fitGaussian}: the shape of `klscope fit --json`. */
export interface FitResult {
  p: { components: { weight: number; mu: number; sigma: number }[]; mean: number; sigma: number };
  forward: GaussianFit;
  reverse: ReverseFit;
}

/**
 * Both fits of a Gaussian Q to a mixture P: the forward optimum (exact, moment matching) and the
 * reverse optima (Newton from several starts).
 *
 * @example
 * const r = fitGaussian(DEFAULT_MIXTURE);
 * r.forward.sigma; // √10: Q spreads over both modes
 * r.reverse.sigma; // ≈ 1: Q sits on one mode
 */
export function fitGaussian(mix: Mixture, opts: FitReverseOptions = {}): FitResult {
  const { mean, variance } = mixtureMoments(mix);
  return {
    p: { components: mix.map((c) => ({ weight: c.weight, mu: c.mu, sigma: c.sigma })), mean, sigma: Math.sqrt(variance) },
    forward: fitForward(mix),
    reverse: fitReverse(mix, opts),
  };
}
