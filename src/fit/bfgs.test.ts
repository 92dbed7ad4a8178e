import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bfgs } from './bfgs.js';

const OPTS = { maxIt: 200, gradTol: 1e-10, maxStep: 1, slack: 1e-14, curvatureTol: 1e-16, stepTol: 1e-14 };

test('bfgs finds the minimum of the Rosenbrock function and of a quadratic', () => {
  const rosen = (t: number[]) => {
    const [x, y] = t as [number, number];
    return { f: (1 - x) ** 2 + 100 * (y - x * x) ** 2, g: [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)] };
  };
  const r = bfgs(rosen, [-1.2, 1], OPTS);
  assert.ok(Math.abs(r.theta[0]! - 1) < 1e-6 && Math.abs(r.theta[1]! - 1) < 1e-6, String(r.theta));
  // f = ½ θᵀAθ − bᵀθ with A = [[3, 1], [1, 2]], b = (1, 1): minimum at A⁻¹b = (0.2, 0.4)
  const quad = (t: number[]) => ({ f: 0.5 * (3 * t[0]! ** 2 + 2 * t[0]! * t[1]! + 2 * t[1]! ** 2) - t[0]! - t[1]!, g: [3 * t[0]! + t[1]! - 1, t[0]! + 2 * t[1]! - 1] });
  const q = bfgs(quad, [5, -5], OPTS);
  assert.ok(Math.abs(q.theta[0]! - 0.2) < 1e-9 && Math.abs(q.theta[1]! - 0.4) < 1e-9, String(q.theta));
  assert.ok(q.gradNorm < 1e-8);
});

test('bfgs keeps the first step within maxStep', () => {
  const seen: number[][] = [];
  bfgs((t) => (seen.push([...t]), { f: (t[0]! - 100) ** 2, g: [2 * (t[0]! - 100)] }), [0], { ...OPTS, maxIt: 1, maxStep: 0.5 });
  assert.equal(seen[1]![0], 0.5);
});
