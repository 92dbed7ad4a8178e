// One quasi-Newton minimiser for the small smooth fits of this area (the 2-D Gaussian and the
// token student): BFGS on the inverse Hessian with Armijo backtracking.

/** Value and gradient of an objective at θ. */
export interface Objective {
  f: number;
  g: number[];
}

/** Options of {@link bfgs}; each fit sets the scales of its own parameters. */
export interface BfgsOptions {
  /** Iterations at most. */
  maxIt: number;
  /** Stop when ‖∇f‖ is below this. */
  gradTol: number;
  /** The first trial step moves no coordinate by more than this. */
  maxStep: number;
  /** Armijo slack, relative to max(1, |f|): accepts steps that only round f. */
  slack: number;
  /** Skip the update unless sᵀy exceeds this (keeps H positive definite). */
  curvatureTol: number;
  /** Stop when a step moves θ by less than this. */
  stepTol: number;
}

/**
 * Minimises `objective` from `start`: direction d = −H∇f (steepest descent whenever d stops
 * being a descent direction), a first step capped at `maxStep` per coordinate, halved until
 * the Armijo condition f(θ + td) ≤ f(θ) + 10⁻⁴·t·dᵀ∇f holds, then the BFGS update of H.
 *
 * @example
 * const r = bfgs((t) => ({ f: (t[0] - 3) ** 2, g: [2 * (t[0] - 3)] }), [0], { maxIt: 50, gradTol: 1e-10, maxStep: 1, slack: 1e-14, curvatureTol: 1e-16, stepTol: 1e-13 });
 * r.theta[0]; // ≈ 3
 */
export function bfgs(objective: (theta: number[]) => Objective, start: readonly number[], o: BfgsOptions): { theta: number[]; f: number; gradNorm: number } {
  const n = start.length;
  let t = [...start];
  let { f, g } = objective(t);
  let H: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let it = 0; it < o.maxIt; it++) {
    const gn = Math.hypot(...g);
    if (gn < o.gradTol) break;
    let d = H.map((row) => -row.reduce((a: number, v, j) => a + v * g[j]!, 0));
    let slope = d.reduce((a, v, i) => a + v * g[i]!, 0);
    if (!(slope < 0)) {
      // lost the descent direction: restart from steepest descent
      H = H.map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
      d = g.map((v) => -v);
      slope = -gn * gn;
    }
    const big = Math.max(...d.map(Math.abs));
    let step = big > o.maxStep ? o.maxStep / big : 1;
    let t2 = t.map((v, i) => v + step * d[i]!);
    let o2 = objective(t2);
    const slack = o.slack * Math.max(1, Math.abs(f));
    while (!(o2.f <= f + 1e-4 * step * slope + slack) && step > 1e-12) {
      step *= 0.5;
      t2 = t.map((v, i) => v + step * d[i]!);
      o2 = objective(t2);
    }
    if (step <= 1e-12) break;
    const s = t2.map((v, i) => v - t[i]!);
    const y = o2.g.map((v, i) => v - g[i]!);
    const sy = s.reduce((a, v, i) => a + v * y[i]!, 0);
    if (sy > o.curvatureTol) {
      // the BFGS update of the inverse Hessian
      const Hy = H.map((row) => row.reduce((a: number, v, j) => a + v * y[j]!, 0));
      const yHy = y.reduce((a, v, i) => a + v * Hy[i]!, 0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H[i]![j]! += ((sy + yHy) * s[i]! * s[j]!) / (sy * sy) - (Hy[i]! * s[j]! + s[i]! * Hy[j]!) / sy;
    }
    t = t2;
    f = o2.f;
    g = o2.g;
    if (Math.hypot(...s) < o.stepTol) break;
  }
  return { theta: t, f, gradNorm: Math.hypot(...g) };
}
