import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MIXTURE_2D, fit2d, forwardKl2d, mixture2dMoments, parseMixture2d, reverseKl2d } from './fit2d.js';

type Cov = [[number, number], [number, number]];
/** KL(N(m1,S1)‖N(m2,S2)) in closed form for 2×2 covariances. */
function klGauss2(m1: [number, number], S1: Cov, m2: [number, number], S2: Cov): number {
  const det = (S: Cov) => S[0][0] * S[1][1] - S[0][1] * S[1][0];
  const d2 = det(S2);
  const i = [
    [S2[1][1] / d2, -S2[0][1] / d2],
    [-S2[1][0] / d2, S2[0][0] / d2],
  ];
  const tr = i[0]![0]! * S1[0][0] + i[0]![1]! * S1[1][0] + i[1]![0]! * S1[0][1] + i[1]![1]! * S1[1][1];
  const dx = m2[0] - m1[0];
  const dy = m2[1] - m1[1];
  const maha = i[0]![0]! * dx * dx + 2 * i[0]![1]! * dx * dy + i[1]![1]! * dy * dy;
  return 0.5 * (tr + maha - 2 + Math.log(d2 / det(S1)));
}

describe('2-D fits', () => {
  test('one-component P: both KLs equal the closed form', () => {
    const p = parseMixture2d('1:0.5:-1:1.5:0.7');
    const S1: Cov = [
      [2.25, 0],
      [0, 0.49],
    ];
    const m: [number, number] = [1, 0.3];
    const S: Cov = [
      [1.2, 0.4],
      [0.4, 0.9],
    ];
    assert.ok(Math.abs(forwardKl2d(p, m, S) - klGauss2([0.5, -1], S1, m, S)) < 1e-10);
    assert.ok(Math.abs(reverseKl2d(p, m, S) - klGauss2(m, S, [0.5, -1], S1)) < 1e-9);
  });
  test('forward fit is moment matching; one Gaussian P is recovered by both fits', () => {
    const mix = parseMixture2d('0.3:-2:1:0.5:1,0.7:2:-1:1.5:0.5');
    const m0 = mixture2dMoments(mix);
    const r = { forward: { mean: m0.mean, cov: m0.cov } };
    // moment matching is the forward optimum: nearby Gaussians have a larger KL(P‖Q)
    const f0 = forwardKl2d(mix, m0.mean, m0.cov);
    for (const [dx, dc] of [[0.01, 0], [0, 0.01], [-0.01, -0.01]] as const) {
      const cov: Cov = [
        [m0.cov[0][0] + dc, m0.cov[0][1]],
        [m0.cov[1][0], m0.cov[1][1] + dc],
      ];
      assert.ok(forwardKl2d(mix, [m0.mean[0] + dx, m0.mean[1]], cov) > f0);
    }
    const mean = [0.3 * -2 + 0.7 * 2, 0.3 * 1 + 0.7 * -1];
    assert.ok(Math.abs(r.forward.mean[0] - mean[0]!) < 1e-12 && Math.abs(r.forward.mean[1] - mean[1]!) < 1e-12);
    // Cov = Σ w (Σ_k + μ_k μ_kᵀ) − m mᵀ
    const cxx = 0.3 * (0.25 + 4) + 0.7 * (2.25 + 4) - mean[0]! ** 2;
    const cxy = 0.3 * (-2 * 1) + 0.7 * (2 * -1) - mean[0]! * mean[1]!;
    assert.ok(Math.abs(r.forward.cov[0][0] - cxx) < 1e-12 && Math.abs(r.forward.cov[0][1] - cxy) < 1e-12);
    const one = fit2d(parseMixture2d('1:1:2:0.8:1.3'));
    assert.ok(one.forward.kl < 1e-9 && one.reverse.kl < 1e-9);
    assert.equal(one.reverse.localOptima.length, 1);
    assert.ok(Math.abs(one.reverse.cov[0][0] - 0.64) < 1e-5 && Math.abs(one.reverse.cov[1][1] - 1.69) < 1e-5 && Math.abs(one.reverse.cov[0][1]) < 1e-5);
  });
  test('separated modes: reverse KL finds one optimum per mode, tied, and forward covers both', () => {
    const r = fit2d(DEFAULT_MIXTURE_2D);
    const modes = r.reverse.localOptima.filter((o) => o.global);
    assert.equal(modes.length, 2);
    assert.ok(Math.abs(modes[0]!.mean[0] + modes[1]!.mean[0]) < 1e-5, 'symmetric pair');
    assert.ok(Math.abs(modes[0]!.kl - modes[1]!.kl) < 1e-9);
    for (const o of modes) assert.ok(Math.hypot(o.mean[0] - Math.sign(o.mean[0]) * 2.5, o.mean[1] - Math.sign(o.mean[1]) * 1.5) < 0.1);
    assert.ok(r.forward.cov[0][0] > 5 && r.forward.kl < r.reverse.kl);
    // the reported value is the KL at the reported Gaussian
    assert.ok(Math.abs(reverseKl2d(DEFAULT_MIXTURE_2D, modes[0]!.mean, modes[0]!.cov) - modes[0]!.kl) < 1e-9);
  });
  test('bad --mix for 2-D names the component and the rule', () => {
    assert.throws(() => parseMixture2d('0.5:0:1:1'), /component 0: expected "w:mx:my:sx:sy"/);
    assert.throws(() => parseMixture2d('1:0:0:1:0'), /sx and sy must be finite numbers > 0/);
    assert.throws(() => parseMixture2d('0.5:0:0:1:1'), /weights sum to 0\.5/);
  });
});
