import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { klEstimatorTerms, MonteCarloKl } from './monteCarlo.js';
import { createRng, type Rng } from '../random.js';

function draw(rng: Rng, q: number[]): number {
  let u = rng.next();
  for (let i = 0; i < q.length; i++) {
    u -= q[i]!;
    if (u < 0) return i;
  }
  return q.length - 1;
}

/** Exact KL(q‖p) and E_q[k2] = ½ Σ q (log p/q)² of categorical distributions. */
function exact(q: number[], p: number[]) {
  let kl = 0;
  let ek2 = 0;
  for (let i = 0; i < q.length; i++) {
    kl += q[i]! * Math.log(q[i]! / p[i]!);
    ek2 += q[i]! * 0.5 * Math.log(p[i]! / q[i]!) ** 2;
  }
  return { kl, ek2 };
}

function sample(q: number[], p: number[], seqs: number, len: number, seed: number) {
  const rng = createRng(seed);
  const mc = new MonteCarloKl();
  for (let s = 0; s < seqs; s++) {
    const lp: number[] = [];
    const lq: number[] = [];
    for (let t = 0; t < len; t++) {
      const x = draw(rng, q);
      lp.push(Math.log(p[x]!));
      lq.push(Math.log(q[x]!));
    }
    mc.add(lp, lq);
  }
  return mc.result();
}

describe("Schulman's Monte Carlo KL estimators", () => {
  test('terms for one token by hand; k3 stays accurate for r ≈ 1', () => {
    const t = klEstimatorTerms(Math.log(0.2), Math.log(0.5));
    const lr = Math.log(0.2 / 0.5);
    assert.ok(Math.abs(t.k1 + lr) < 1e-15);
    assert.ok(Math.abs(t.k2 - 0.5 * lr * lr) < 1e-15);
    assert.ok(Math.abs(t.k3 - (0.4 - 1 - lr)) < 1e-15);
    // r = 1 + 1e-9: (r − 1) − log r = ε²/2 − ε³/3 + … ≈ 5e-19, which naive subtraction loses.
    const e = 1e-9;
    const k3 = klEstimatorTerms(Math.log1p(e), 0).k3;
    assert.ok(Math.abs(k3 - (e * e) / 2) < 1e-26, `${k3}`);
    assert.equal(klEstimatorTerms(-Infinity, -1).k1, Infinity);
  });
  test('categorical distributions: k1 and k3 within 4 standard errors of the exact KL(q‖p); k2 biased', () => {
    const q = [0.7, 0.2, 0.1];
    const p = [0.1, 0.3, 0.6];
    const { kl, ek2 } = exact(q, p);
    const r = sample(q, p, 200, 50, 11);
    assert.deepEqual([r.tokens, r.sequences, r.direction], [10000, 200, 'KL(q‖p)']);
    for (const e of ['k1', 'k3'] as const) {
      assert.ok(Math.abs(r[e].mean - kl) < 4 * r[e].stderr!, `${e}: ${r[e].mean} ± ${r[e].stderr} vs exact ${kl}`);
      // Per sequence: the sum over 50 tokens estimates 50·KL.
      assert.ok(Math.abs(r.perSequence[e].mean - 50 * kl) < 4 * r.perSequence[e].stderr!);
    }
    // k2 estimates E_q[½(log r)²], which is not KL(q‖p): its bias is many standard errors here.
    assert.ok(Math.abs(r.k2.mean - ek2) < 4 * r.k2.stderr!, `k2 ${r.k2.mean} vs E[k2] ${ek2}`);
    assert.ok(Math.abs(ek2 - kl) > 10 * r.k2.stderr!, `bias ${ek2 - kl} vs stderr ${r.k2.stderr}`);
    // k2 − k3 estimates that bias.
    assert.ok(Math.abs(r.k2Bias.mean - (ek2 - kl)) < 4 * r.k2Bias.stderr!);
  });
  test('near-equal policies: k3 has far less variance than k1 (why GRPO uses it)', () => {
    const q = [0.3, 0.25, 0.2, 0.15, 0.1];
    const p = [0.28, 0.26, 0.21, 0.15, 0.1];
    const r = sample(q, p, 100, 40, 12);
    const { kl } = exact(q, p);
    assert.ok(Math.abs(r.k3.mean - kl) < 4 * r.k3.stderr!);
    assert.ok(r.k3.variance! < r.k1.variance! / 20, `var k3 ${r.k3.variance} vs var k1 ${r.k1.variance}`);
    assert.ok(r.negativeK1 > 0.2);
  });
  test('a single sequence has no standard error; p = 0 makes every estimator infinite', () => {
    const m = new MonteCarloKl();
    m.add([-1], [-1]);
    assert.equal(m.result().perSequence.k1.stderr, null);
    const z = new MonteCarloKl();
    z.add([-Infinity, -1], [-1, -1]);
    z.add([-1], [-1]);
    const r = z.result();
    assert.equal(r.k1.mean, Infinity);
    assert.equal(r.k3.mean, Infinity);
    assert.throws(() => m.add([-1, -2], [-1]), /logp has 2 values, logq has 1/);
  });
});
