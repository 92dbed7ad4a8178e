// Published reference values from the test suites of scipy and ml-distance, and the explainer's
// example (P = (0.5, 0.3, 0.2), Q = (0.4, 0.4, 0.2)), each checked here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { relEntr } from '../rows/terms.js';
import { forwardKl, reverseKl, klDivergence } from './kl.js';
import { entropy, crossEntropy } from './entropy.js';
import { jsDistance, jsDivergence } from './jensenShannon.js';
import { divergenceRows } from './measures.js';

function close(actual: number, expected: number, rtol = 1e-13, atol = 0): void {
  const tol = atol + rtol * Math.abs(expected);
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual} (diff ${actual - expected}, tol ${tol})`);
}

describe('scipy.stats.entropy reference values', () => {
  test('entropy([.5,.2,.3], [.1,.25,.65])', () => close(klDivergence([0.5, 0.2, 0.3], [0.1, 0.25, 0.65]), 0.5281332794841637));
  test('entropy([.5,.5], [.9,.1], base 2)', () => close(klDivergence([0.5, 0.5], [0.9, 0.1], { unit: 'bits' }), 0.7369655941662062));
  test('entropy([.9,.1], base 2)', () => close(entropy([0.9, 0.1], { unit: 'bits' }), 0.46899559358928117));
  test('entropy(ones(16), base 2) = 4', () => close(entropy(new Array(16).fill(1), { unit: 'bits', normalize: true }), 4.0));
  test('entropy([0,1,2]) normalized', () => close(entropy([0, 1, 2], { normalize: true }), 0.6365141682948128));
  test('[1,2,3] vs [3,2,1] normalized first', () => close(klDivergence([1, 2, 3], [3, 2, 1], { normalize: true }), 0.3662040962227033));
  test('matrices: columns as distributions', () => {
    const A = [[0.1, 0.2], [0.6, 0.3], [0.3, 0.5]];
    const B = [[0.2, 0.1], [0.3, 0.6], [0.5, 0.3]];
    const col = (m: number[][], j: number) => m.map((r) => r[j]!);
    close(klDivergence(col(A, 0), col(B, 0)), 0.19332590315017542);
    close(klDivergence(col(A, 1), col(B, 1)), 0.18609809382700082);
  });
  test('matrices: rows as distributions (batched, normalized)', () => {
    const A = [[0.1, 0.2], [0.6, 0.3], [0.3, 0.5]];
    const B = [[0.2, 0.1], [0.3, 0.6], [0.5, 0.3]];
    const r = divergenceRows(A, B, { normalize: true });
    const expected = [0.23104906018664842, 0.23104906018664845, 0.12770640594149776];
    r.rows.forEach((row, i) => close(row.forward, expected[i]!, 1e-12));
  });
});

describe('scipy.spatial.distance.jensenshannon reference values', () => {
  test('[1,0,0] vs [0,1,0] base 2 = 1', () => close(jsDistance([1, 0, 0], [0, 1, 0], { unit: 'bits' }), 1.0));
  test('[1,0,0] vs [0,1,0] nats = sqrt(ln 2)', () => close(jsDistance([1, 0, 0], [0, 1, 0]), 0.8325546111576977));
  test('[1,0] vs [.5,.5]', () => close(jsDistance([1, 0], [0.5, 0.5]), 0.46450140402245893));
});

describe('scipy.special.rel_entr reference values', () => {
  test('rel_entr(.5, 1)', () => close(relEntr(0.5, 1), -0.34657359027997264));
  test('rel_entr(1, .5)', () => close(relEntr(1, 0.5), 0.6931471805599453));
  test('rel_entr(1, 0) = inf, rel_entr(0, 0) = 0', () => {
    assert.equal(relEntr(1, 0), Infinity);
    assert.equal(relEntr(0, 0), 0);
    assert.equal(relEntr(0, 0.3), 0);
  });
  test('near-equal values need the log1p branch (rtol 1e-13)', () => {
    const x = [0.9456657713430001, 0.48066098564791515, 0.786048657854401];
    const y = [0.9456657713430094, 0.48066098564794774, 0.7860486578542367];
    const expected = [-9.325873406851269e-15, -3.258504577274724e-14, 1.6431300764454033e-13];
    x.forEach((xi, i) => close(relEntr(xi, y[i]!), expected[i]!, 1e-13));
  });
  test('extreme ratios', () => {
    close(relEntr(4, 2.22e-308), 2839.139983229607, 1e-13);
    close(relEntr(1e-200, 1e200), -9.210340371976183e-198, 1e-13);
  });
});

describe('ml-distance reference values', () => {
  const v1 = [0.2, 0.4, 0.3, 0.1];
  const v2 = [0.3, 0.2, 0.3, 0.2];
  test('KL', () => close(forwardKl(v1, v2), 0.12685113254635072, 1e-12));
  test('JS divergence', () => close(jsDivergence(v1, v2), 0.0305187339069818, 1e-12));
  test('Jeffreys = KL(P‖Q) + KL(Q‖P)', () => close(forwardKl(v1, v2) + reverseKl(v1, v2), 0.2484906649788, 1e-12));
});

describe('logits and the explainer example', () => {
  test('logits [1000,999,998] vs [998,999,1000] (a naive softmax gives NaN)', () => {
    close(forwardKl([1000, 999, 998], [998, 999, 1000], { from: 'logits' }), 1.1504207652088827, 1e-13);
  });
  test('P=(0.5,0.3,0.2), Q=(0.4,0.4,0.2)', () => {
    const P = [0.5, 0.3, 0.2];
    const Q = [0.4, 0.4, 0.2];
    close(forwardKl(P, Q), 0.025267153921570557);
    close(forwardKl(P, Q, { unit: 'bits' }), 0.036452797660027965);
    close(reverseKl(P, Q), 0.025815408455028527);
    close(entropy(P), 1.0296530140645737);
    close(crossEntropy(P, Q), 1.0549201679861442);
    close(jsDivergence(P, Q), 0.006367198333995694, 1e-12);
    // The explainer's printed 0.0204 is wrong in every base.
    assert.ok(Math.abs(forwardKl(P, Q) - 0.0204) > 1e-3);
    assert.ok(Math.abs(forwardKl(P, Q, { unit: 'bits' }) - 0.0204) > 1e-3);
  });
});
