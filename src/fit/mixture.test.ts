import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UsageError } from '../errors.js';
import { DEFAULT_MIXTURE, formatMixture, mixtureLogPdf, mixtureLogPdfDerivatives, mixtureMoments, parseMixture } from './mixture.js';

const phi = (x: number, mu: number, s: number) => Math.exp(-0.5 * ((x - mu) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));

describe('parseMixture', () => {
  test('reads "w:mu:sigma,..." and round-trips through formatMixture', () => {
    const m = parseMixture('0.5:-3:1, 0.5:3:1');
    assert.deepEqual(m, [
      { weight: 0.5, mu: -3, sigma: 1 },
      { weight: 0.5, mu: 3, sigma: 1 },
    ]);
    assert.deepEqual(parseMixture(formatMixture(m)), m);
    assert.deepEqual(parseMixture(formatMixture(DEFAULT_MIXTURE)), [...DEFAULT_MIXTURE]);
  });
  test('refuses bad components with one line naming the component and the rule', () => {
    assert.throws(() => parseMixture('0.5:-3:1,0.6:3:1'), (e: Error) => e instanceof UsageError && /weights sum to 1\.1/.test(e.message));
    assert.throws(() => parseMixture('1:0:0'), /component 0: sigma must be a finite number > 0, got 0/);
    assert.throws(() => parseMixture('1:0:-1'), /sigma must be/);
    assert.throws(() => parseMixture('0.5:0:1,0.5:x:1'), /component 1: mu must be a finite number, got NaN/);
    assert.throws(() => parseMixture('1:0'), /expected "w:mu:sigma", got "1:0"/);
    assert.throws(() => parseMixture(''), /no components/);
    assert.throws(() => parseMixture('0:0:1,1:1:1'), /component 0: weight must be a finite number > 0/);
  });
});

describe('mixture density', () => {
  test('log p equals the log of the direct sum where that does not underflow', () => {
    const m = parseMixture('0.3:-2:0.5,0.7:2:1.5');
    for (const x of [-5, -2, -0.3, 0, 1, 2, 7]) {
      const direct = Math.log(0.3 * phi(x, -2, 0.5) + 0.7 * phi(x, 2, 1.5));
      assert.ok(Math.abs(mixtureLogPdf(m, x) - direct) < 1e-12, `x = ${x}`);
    }
  });
  test('far in the tail log p stays finite (log-sum-exp), where the direct sum gives -Infinity', () => {
    const x = 80;
    assert.equal(Math.log(0.5 * phi(x, -3, 1) + 0.5 * phi(x, 3, 1)), -Infinity);
    // the nearer component dominates: log 0.5 − log √(2π) − (x − 3)²/2
    const expected = Math.log(0.5) - 0.5 * Math.log(2 * Math.PI) - 0.5 * 77 * 77;
    assert.ok(Math.abs(mixtureLogPdf(DEFAULT_MIXTURE, x) - expected) < 1e-9);
  });
  test('the derivatives agree with central differences of log p', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (x) => {
        const m = parseMixture('0.2:-4:0.3,0.5:0:1,0.3:5:2');
        const h = 1e-5;
        const d = mixtureLogPdfDerivatives(m, x);
        const d1 = (mixtureLogPdf(m, x + h) - mixtureLogPdf(m, x - h)) / (2 * h);
        const g = (y: number) => mixtureLogPdfDerivatives(m, y).d1;
        const d2 = (g(x + h) - g(x - h)) / (2 * h);
        assert.ok(Math.abs(d.logp - mixtureLogPdf(m, x)) < 1e-12);
        assert.ok(Math.abs(d.d1 - d1) < 1e-5 * Math.max(1, Math.abs(d1)), `d1 at ${x}: ${d.d1} vs ${d1}`);
        assert.ok(Math.abs(d.d2 - d2) < 1e-4 * Math.max(1, Math.abs(d2)), `d2 at ${x}: ${d.d2} vs ${d2}`);
      }),
      { numRuns: 60 },
    );
  });
  test('moments are the issue\'s closed form μ = Σwμ, σ² = Σw(σ² + μ²) − μ²', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ w: fc.double({ min: 0.05, max: 1, noNaN: true }), mu: fc.double({ min: -10, max: 10, noNaN: true }), sigma: fc.double({ min: 0.1, max: 4, noNaN: true }) }), { minLength: 1, maxLength: 5 }),
        (cs) => {
          const s = cs.reduce((a, c) => a + c.w, 0);
          const mix = cs.map((c) => ({ weight: c.w / s, mu: c.mu, sigma: c.sigma }));
          const mean = mix.reduce((a, c) => a + c.weight * c.mu, 0);
          const second = mix.reduce((a, c) => a + c.weight * (c.sigma * c.sigma + c.mu * c.mu), 0);
          const m = mixtureMoments(mix);
          assert.ok(Math.abs(m.mean - mean) < 1e-12 * (1 + Math.abs(mean)));
          assert.ok(Math.abs(m.variance - (second - mean * mean)) < 1e-9 * second);
        },
      ),
      { numRuns: 100 },
    );
  });
});
