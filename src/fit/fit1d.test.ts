import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forwardKlMixture, reverseKlMixture } from './gaussianKl.js';
import { descentPath, fitForward, fitGaussian, fitReverse, GaussianDescent } from './fit1d.js';
import { DEFAULT_MIXTURE, parseMixture } from './mixture.js';

const two = (d: number) => [
  { weight: 0.5, mu: -d / 2, sigma: 1 },
  { weight: 0.5, mu: d / 2, sigma: 1 },
];

describe('forward fit', () => {
  test('is the closed form μ = Σwμ, σ² = Σw(σ² + μ²) − μ²', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ w: fc.double({ min: 0.05, max: 1, noNaN: true }), mu: fc.double({ min: -6, max: 6, noNaN: true }), sigma: fc.double({ min: 0.3, max: 3, noNaN: true }) }), { minLength: 1, maxLength: 4 }),
        (cs) => {
          const s = cs.reduce((a, c) => a + c.w, 0);
          const mix = cs.map((c) => ({ weight: c.w / s, mu: c.mu, sigma: c.sigma }));
          const mu = mix.reduce((a, c) => a + c.weight * c.mu, 0);
          const var_ = mix.reduce((a, c) => a + c.weight * (c.sigma ** 2 + c.mu ** 2), 0) - mu * mu;
          const f = fitForward(mix);
          assert.ok(Math.abs(f.mu - mu) < 1e-9);
          assert.ok(Math.abs(f.sigma - Math.sqrt(var_)) < 1e-7);
        },
      ),
      { numRuns: 40 },
    );
  });
  test('no nearby Gaussian has a smaller KL(P‖Q)', () => {
    const mix = parseMixture('0.3:-2:0.5,0.7:2:1.5');
    const f = fitForward(mix);
    for (const [dm, ds] of [[0.01, 0], [-0.01, 0], [0, 0.01], [0, -0.01], [0.01, 0.01]] as const) {
      assert.ok(forwardKlMixture(mix, { mu: f.mu + dm, sigma: f.sigma * Math.exp(ds) }) > f.kl);
    }
  });
});

describe('reverse fit', () => {
  test('modes 6σ apart: both mode optima (tied, global) and the broad local one', () => {
    const r = fitReverse(DEFAULT_MIXTURE);
    assert.equal(r.localOptima.length, 3);
    const [a, b, c] = r.localOptima;
    // reference: scipy quad + Nelder–Mead from both sides gives μ = ±2.98430599, σ = 1.02336857,
    // KL(Q‖P) = 0.68876899585496; the broad one μ = 0, σ = 2.74376931, KL = 0.84062143127890
    for (const o of [a!, b!]) {
      assert.ok(o.global);
      assert.ok(Math.abs(Math.abs(o.mu) - 2.98430599) < 1e-7, String(o.mu));
      assert.ok(Math.abs(o.sigma - 1.02336857) < 1e-7, String(o.sigma));
      assert.ok(Math.abs(o.kl - 0.68876899585496) < 1e-11, String(o.kl));
    }
    assert.ok(Math.sign(a!.mu) !== Math.sign(b!.mu));
    assert.ok(!c!.global && Math.abs(c!.mu) < 1e-9 && Math.abs(c!.sigma - 2.74376931) < 1e-7 && Math.abs(c!.kl - 0.8406214312789) < 1e-11);
    assert.ok(r.kl === a!.kl && Math.abs(r.sigma - 1.02336857) < 1e-7);
    for (const o of r.localOptima) assert.ok(o.hessianEigenvalues[0] > 0);
  });
  test('every reported optimum is a local minimum of the independent value function', () => {
    for (const spec of ['0.5:-3:1,0.5:3:1', '0.3:-2:0.5,0.7:2:1.5', '0.2:-4:0.3,0.5:0:1,0.3:5:2']) {
      const mix = parseMixture(spec);
      for (const o of fitReverse(mix).localOptima) {
        const at = reverseKlMixture(mix, o);
        for (const [dm, ds] of [[1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3], [1e-3, -1e-3]] as const) {
          assert.ok(reverseKlMixture(mix, { mu: o.mu + dm, sigma: o.sigma * Math.exp(ds) }) >= at, `${spec} at μ = ${o.mu}`);
        }
      }
    }
  });
  test('modes 2σ apart: P is unimodal and there is one optimum, in the middle', () => {
    const r = fitReverse(two(2));
    assert.equal(r.localOptima.length, 1);
    assert.ok(Math.abs(r.mu) < 1e-9);
  });
  test('mode optima appear between 4.75σ and 5σ apart and win from about 5.6σ', () => {
    assert.equal(fitReverse(two(4.75)).localOptima.length, 1);
    assert.equal(fitReverse(two(5)).localOptima.length, 3);
    assert.ok(Math.abs(fitReverse(two(5.5)).mu) < 1e-9, 'at 5.5σ the broad optimum still wins');
    assert.ok(Math.abs(fitReverse(two(5.75)).mu) > 2, 'at 5.75σ a mode optimum wins');
  });
});

describe('descent paths', () => {
  test('forward Adam reaches the moment match, reverse Adam a reported optimum', () => {
    const f = descentPath(DEFAULT_MIXTURE, { direction: 'forward', steps: 600 });
    const r = descentPath(DEFAULT_MIXTURE, { direction: 'reverse', steps: 600 });
    const ff = fitForward(DEFAULT_MIXTURE);
    const end = f[f.length - 1]!;
    assert.ok(Math.abs(end.mu - ff.mu) < 1e-4 && Math.abs(end.sigma - ff.sigma) < 1e-4);
    assert.ok(f[0]!.kl > end.kl);
    const rEnd = r[r.length - 1]!;
    const opt = fitReverse(DEFAULT_MIXTURE).localOptima;
    assert.ok(opt.some((o) => Math.abs(o.mu - rEnd.mu) < 1e-3 && Math.abs(o.sigma - rEnd.sigma) < 1e-3), `${rEnd.mu}, ${rEnd.sigma}`);
  });
  test('GaussianDescent follows a changed P', () => {
    const d = new GaussianDescent(DEFAULT_MIXTURE, 'forward', { mu: 0, sigma: 1 });
    for (let i = 0; i < 500; i++) d.step();
    d.mixture = parseMixture('1:5:2');
    for (let i = 0; i < 800; i++) d.step();
    const s = d.state();
    assert.ok(Math.abs(s.mu - 5) < 1e-3 && Math.abs(s.sigma - 2) < 1e-3, `${s.mu}, ${s.sigma}`);
    assert.ok(s.kl < 1e-6);
  });
});

test('fitGaussian has the shape of `klscope fit --json`', () => {
  const r = fitGaussian(DEFAULT_MIXTURE);
  assert.deepEqual(Object.keys(r), ['p', 'forward', 'reverse']);
  assert.deepEqual(Object.keys(r.forward).sort(), ['kl', 'mu', 'sigma']);
  assert.ok(Array.isArray(r.reverse.localOptima) && typeof r.reverse.kl === 'number');
  assert.ok(Math.abs(r.p.sigma - Math.sqrt(10)) < 1e-12 && r.p.mean === 0);
});
