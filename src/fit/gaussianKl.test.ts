import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forwardKlDerivatives, forwardKlMixture, gaussianEntropy, mixtureEntropy, reverseKlDerivatives, reverseKlMixture } from './gaussianKl.js';
import { DEFAULT_MIXTURE, mixtureLogPdf, parseMixture, type Mixture } from './mixture.js';

/** KL(N(m1,s1²)‖N(m2,s2²)) in closed form. */
function klGauss(m1: number, s1: number, m2: number, s2: number): number {
  return Math.log(s2 / s1) + (s1 * s1 + (m1 - m2) ** 2) / (2 * s2 * s2) - 0.5;
}

/**
 * An independent quadrature: composite Simpson on a uniform x-grid (not the z-grid trapezoid rule
 * of the code), with densities from their own formulas.
 */
function simpson(f: (x: number) => number, a: number, b: number, n = 200000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}
const logq = (x: number, mu: number, s: number) => -0.5 * Math.log(2 * Math.PI) - Math.log(s) - 0.5 * ((x - mu) / s) ** 2;
function simpsonForward(mix: Mixture, mu: number, s: number): number {
  return simpson((x) => {
    const lp = mixtureLogPdf(mix, x);
    return Math.exp(lp) * (lp - logq(x, mu, s));
  }, -40, 40);
}
function simpsonReverse(mix: Mixture, mu: number, s: number): number {
  return simpson((x) => {
    const lq = logq(x, mu, s);
    return Math.exp(lq) * (lq - mixtureLogPdf(mix, x));
  }, mu - 30 * s, mu + 30 * s);
}

describe('KL between a mixture and a Gaussian', () => {
  test('one-component P: both directions equal the closed-form Gaussian KL', () => {
    fc.assert(
      fc.property(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0.2, max: 3, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0.2, max: 3, noNaN: true }), (m1, s1, m2, s2) => {
        const p = [{ weight: 1, mu: m1, sigma: s1 }];
        const f = forwardKlMixture(p, { mu: m2, sigma: s2 });
        const r = reverseKlMixture(p, { mu: m2, sigma: s2 });
        const tf = klGauss(m1, s1, m2, s2);
        const tr = klGauss(m2, s2, m1, s1);
        assert.ok(Math.abs(f - tf) < 1e-10 * Math.max(1, tf), `forward ${f} vs ${tf}`);
        assert.ok(Math.abs(r - tr) < 1e-10 * Math.max(1, tr), `reverse ${r} vs ${tr}`);
      }),
      { numRuns: 50 },
    );
  });
  test('the entropy of one Gaussian is ½·log(2πeσ²)', () => {
    for (const s of [0.1, 1, 7]) assert.ok(Math.abs(mixtureEntropy([{ weight: 1, mu: 2, sigma: s }]) - gaussianEntropy(s)) < 1e-12);
    assert.ok(Math.abs(gaussianEntropy(1) - 1.4189385332046727) < 1e-15);
  });
  test('mixtures: agree with an independent Simpson quadrature on the x-grid to 1e-9', () => {
    const cases: [string, number, number][] = [
      ['0.5:-3:1,0.5:3:1', 0.3, 2.5],
      ['0.5:-3:1,0.5:3:1', 3, 1],
      ['0.5:-3:1,0.5:3:1', 10, 0.05],
      ['0.3:-2:0.5,0.7:2:1.5', 1, 2],
      ['0.2:-4:0.3,0.5:0:1,0.3:5:2', -4, 0.3],
      ['0.2:-4:0.3,0.5:0:1,0.3:5:2', 0.7, 6],
    ];
    for (const [spec, mu, s] of cases) {
      const mix = parseMixture(spec);
      const f = forwardKlMixture(mix, { mu, sigma: s });
      const r = reverseKlMixture(mix, { mu, sigma: s });
      const fs = simpsonForward(mix, mu, s);
      const rs = simpsonReverse(mix, mu, s);
      assert.ok(Math.abs(f - fs) < 1e-9 * Math.max(1, fs), `${spec} forward at N(${mu}, ${s}²): ${f} vs Simpson ${fs}`);
      assert.ok(Math.abs(r - rs) < 1e-9 * Math.max(1, rs), `${spec} reverse at N(${mu}, ${s}²): ${r} vs Simpson ${rs}`);
    }
  });
  test('the explainer picture: a Gaussian on one mode has KL(Q‖P) a little under ln 2', () => {
    // q ≈ the right component, p = ½q + ½(other): KL(Q‖P) = ln 2 − E_q[log(1 + other/q)] < ln 2
    const r = reverseKlMixture(DEFAULT_MIXTURE, { mu: 3, sigma: 1 });
    assert.ok(r < Math.LN2 && r > Math.LN2 - 0.01, String(r));
  });
  test('gradients and Hessians agree with central differences of the value', () => {
    const mix = parseMixture('0.3:-2:0.5,0.7:2:1.5');
    fc.assert(
      fc.property(fc.double({ min: -4, max: 4, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), (mu, s) => {
        for (const f of [(a: number, b: number) => reverseKlDerivatives(mix, a, b), (a: number, b: number) => forwardKlDerivatives(mix, a, b)]) {
          const d = f(mu, s);
          const h = 1e-4;
          const gmu = (f(mu + h, s).value - f(mu - h, s).value) / (2 * h);
          const gs = (f(mu, s + h).value - f(mu, s - h).value) / (2 * h);
          assert.ok(Math.abs(d.grad[0] - gmu) < 1e-6 * Math.max(1, Math.abs(gmu)), `∂μ ${d.grad[0]} vs ${gmu}`);
          assert.ok(Math.abs(d.grad[1] - gs) < 1e-6 * Math.max(1, Math.abs(gs)), `∂s ${d.grad[1]} vs ${gs}`);
          const hmm = (f(mu + h, s).grad[0] - f(mu - h, s).grad[0]) / (2 * h);
          const hms = (f(mu, s + h).grad[0] - f(mu, s - h).grad[0]) / (2 * h);
          const hss = (f(mu, s + h).grad[1] - f(mu, s - h).grad[1]) / (2 * h);
          assert.ok(Math.abs(d.hess[0][0] - hmm) < 1e-5 * Math.max(1, Math.abs(hmm)));
          assert.ok(Math.abs(d.hess[0][1] - hms) < 1e-5 * Math.max(1, Math.abs(hms)));
          assert.ok(Math.abs(d.hess[1][1] - hss) < 1e-5 * Math.max(1, Math.abs(hss)));
        }
      }),
      { numRuns: 25 },
    );
  });
});
