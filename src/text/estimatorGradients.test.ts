import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classifyGradient, estimatorGradients, gradientVerdict, type EstimatorGradientResult, type EstimatorGradientRow } from './estimatorGradients.js';
import { Running } from './monteCarlo.js';
import { DataError } from '../errors.js';

const row = (r: EstimatorGradientResult, e: string, pl: string): EstimatorGradientRow => r.rows.find((x) => x.estimator === e && x.placement === pl)!;

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}]: ${a[i]} vs ${b[i]}`);
}

test('V = 2 by hand: p = (3/4, 1/4), q = (1/2, 1/2)', () => {
  // log r = log p − log q = (log 1.5, −log 2); ∇θ log q(x) = onehot(x) − q = ±(½, −½).
  // KL(q‖p) = ½ log(0.5/0.75) + ½ log(0.5/0.25) = ½ log(4/3).
  // ∇KL(q‖p) = q ⊙ (log q − log p − KL) = (½(log ⅔ − log(2/√3)), ½(log 2 − log(2/√3))) = (−¼ log 3, ¼ log 3).
  // ∇KL(p‖q) = q − p = (−¼, ¼).
  const r = estimatorGradients({ p: [0.75, 0.25], q: [0.5, 0.5], samples: 1000, seed: 1 });
  const L3 = Math.log(3);
  assert.ok(Math.abs(r.kl.reverse - 0.5 * Math.log(4 / 3)) < 1e-15);
  close(r.gradReverse, [-L3 / 4, L3 / 4]);
  close(r.gradForward, [-0.25, 0.25]);
  // Values: k1 = −log r = (−log 1.5, log 2), mean ½ log(4/3), unbiased; k2 = ½(log r)², mean
  // ¼((log 1.5)² + (log 2)²); k3 = r − 1 − log r = (½ − log 1.5, −½ + log 2), mean ½ log(4/3).
  const k2 = 0.25 * (Math.log(1.5) ** 2 + Math.log(2) ** 2);
  assert.ok(Math.abs(row(r, 'k1', 'loss').valueBias) < 1e-15);
  assert.ok(Math.abs(row(r, 'k3', 'reward').valueBias) < 1e-15);
  assert.ok(Math.abs(row(r, 'k2', 'loss').value - k2) < 1e-15);
  // k1 as a loss: c = 1, E[g] = ½(½, −½) + ½(−½, ½) = 0.
  close(row(r, 'k1', 'loss').expectedGradient, [0, 0]);
  assert.equal(row(r, 'k1', 'loss').expectedGradientOf, '0');
  // k1 in the reward: c = k1 = (−log 1.5, log 2): E[g] = ¼(−log 1.5 − log 2, log 1.5 + log 2) = (−¼ log 3, ¼ log 3).
  close(row(r, 'k1', 'reward').expectedGradient, [-L3 / 4, L3 / 4]);
  assert.equal(row(r, 'k1', 'reward').expectedGradientOf, 'KL(q‖p)');
  // k2 as a loss: c = −log r, the same coefficients as k1 in the reward.
  close(row(r, 'k2', 'loss').expectedGradient, [-L3 / 4, L3 / 4]);
  // k3 as a loss: c = 1 − r = (−½, ½): E[g] = ½(−½)(½, −½) + ½(½)(−½, ½) = (−¼, ¼) = q − p.
  close(row(r, 'k3', 'loss').expectedGradient, [-0.25, 0.25]);
  assert.equal(row(r, 'k3', 'loss').expectedGradientOf, 'KL(p‖q)');
  assert.ok(Math.abs(row(r, 'k3', 'loss').cosineForward! - 1) < 1e-12);
  // k3+ as a loss takes k2's gradient; in the reward it is k3 (the reward only sees the value).
  close(row(r, 'k3+', 'loss').expectedGradient, [-L3 / 4, L3 / 4]);
  // k2 in the reward: c = ½(log r)²: E[g] = ⅛((log 1.5)² − (log 2)²)·(1, −1).
  const c2 = ((Math.log(1.5) ** 2 - Math.log(2) ** 2) / 8);
  close(row(r, 'k2', 'reward').expectedGradient, [c2, -c2]);
  assert.equal(row(r, 'k2', 'reward').expectedGradientOf, 'other');
  // k3 in the reward: E[g] = ¼(½ − log 1.5 − log 2 + ½)·(1, −1) = ¼(1 − log 3)·(1, −1).
  const c3 = (1 - L3) / 4;
  close(row(r, 'k3', 'reward').expectedGradient, [c3, -c3]);
  close(row(r, 'k3+', 'reward').expectedGradient, [c3, -c3]);
  // In V = 2 every gradient is along (1, −1), so k3 in the reward points the right way (cosine 1)
  // with the wrong length: ‖E[g] − ∇KL‖/‖∇KL‖ = |(1 − log 3)/4 + (log 3)/4| / ((log 3)/4) = 1/log 3.
  assert.ok(Math.abs(row(r, 'k3', 'reward').cosineReverse! - 1) < 1e-12);
  assert.ok(Math.abs(row(r, 'k3', 'reward').gradBias - 1 / L3) < 1e-12);
  assert.equal(gradientVerdict(row(r, 'k1', 'reward'), false), 'correct on-policy');
  assert.equal(gradientVerdict(row(r, 'k3', 'loss'), false), 'descends the forward KL');
  assert.equal(gradientVerdict(row(r, 'k1', 'loss'), false), 'no gradient in expectation');
});

test('V = 3 by hand: p = (½, ¼, ¼), q = (¼, ¼, ½)', () => {
  // r = p/q = (2, 1, ½), L = log 2. KL(q‖p) = ¼ log ½ + 0 + ½ log 2 = L/4.
  // k3 = r − 1 − log r = (1 − L, 0, L − ½): E = ¼(1 − L) + ½(L − ½) = L/4, unbiased.
  // k2 = ½(log r)² = (L²/2, 0, L²/2): E = L²/8 + L²/4 = 3L²/8, bias 3L²/8 − L/4.
  const r = estimatorGradients({ p: [0.5, 0.25, 0.25], q: [0.25, 0.25, 0.5], samples: 1000, seed: 2 });
  const L = Math.log(2);
  assert.ok(Math.abs(r.kl.reverse - L / 4) < 1e-15);
  assert.ok(Math.abs(row(r, 'k3', 'loss').value - L / 4) < 1e-15);
  assert.ok(Math.abs(row(r, 'k2', 'reward').valueBias - (3 * L * L / 8 - L / 4)) < 1e-15);
  // k3 as a loss: c = 1 − r = (−1, 0, ½); E[g] = ¼(−1)(e₀ − q) + ½·½(e₂ − q) = (−¼, 0, ¼) = q − p.
  close(row(r, 'k3', 'loss').expectedGradient, [-0.25, 0, 0.25]);
  // k1 in the reward: a = q ⊙ (−log r) = (−L/4, 0, L/2), Σa = L/4, E[g] = a − q·L/4 = (−5L/16, −L/16, 3L/8),
  // which is q ⊙ (log q − log p − KL) = (¼(−L − L/4), ¼(−L/4), ½(L − L/4)).
  const want = [(-5 * L) / 16, -L / 16, (3 * L) / 8];
  close(r.gradReverse, want);
  close(row(r, 'k1', 'reward').expectedGradient, want);
  close(row(r, 'k2', 'loss').expectedGradient, want);
  assert.equal(row(r, 'k2', 'loss').expectedGradientOf, 'KL(q‖p)');
  assert.equal(row(r, 'k3', 'loss').expectedGradientOf, 'KL(p‖q)');
});

/** A random distribution on V tokens with every probability > 0. */
const dist = (V: number) => fc.array(fc.double({ min: 1e-3, max: 1, noNaN: true }), { minLength: V, maxLength: V }).map((w) => {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
});
const triple = fc.integer({ min: 2, max: 12 }).chain((V) => fc.tuple(dist(V), dist(V), dist(V)));

test('identities on random p, q (and an unclipped behaviour μ): which gradient each estimator follows', () => {
  fc.assert(
    fc.property(triple, ([p, q, mu]) => {
      for (const behaviour of [undefined, mu]) {
        const r = estimatorGradients({ p, q, behaviour, samples: 2, seed: 1 });
        assert.equal(row(r, 'k1', 'reward').expectedGradientOf, 'KL(q‖p)');
        assert.equal(row(r, 'k2', 'loss').expectedGradientOf, 'KL(q‖p)');
        assert.equal(row(r, 'k3+', 'loss').expectedGradientOf, 'KL(q‖p)');
        assert.equal(row(r, 'k3', 'loss').expectedGradientOf, 'KL(p‖q)');
        assert.equal(row(r, 'k1', 'loss').expectedGradientOf, '0');
        for (const e of ['k1', 'k3', 'k3+']) assert.ok(Math.abs(row(r, e, 'loss').valueBias) <= 1e-12 * Math.max(1, r.kl.reverse));
        assert.ok(row(r, 'k2', 'loss').value >= 0);
        assert.ok(Math.abs(row(r, 'k1', 'reward').gradBias) < 1e-9);
        assert.ok(Math.abs(row(r, 'k3', 'loss').cosineForward! - 1) < 1e-9);
        // The same value whichever place the estimator is put.
        for (const e of ['k1', 'k2', 'k3', 'k3+']) assert.equal(row(r, e, 'loss').value, row(r, e, 'reward').value);
      }
    }),
    { seed: 16, numRuns: 300 },
  );
});

test('classification: a gradient off by more than 1e-9 is "other"', () => {
  const rev = [-0.3, 0.1, 0.2];
  const fwd = [0.1, -0.2, 0.1];
  assert.equal(classifyGradient([-0.3, 0.1, 0.2 + 1e-8], rev, fwd), 'other');
  assert.equal(classifyGradient([-0.3, 0.1, 0.2 + 1e-11], rev, fwd), 'KL(q‖p)');
  assert.equal(classifyGradient([1e-12, 0, 0], rev, fwd), '0');
});

test('Monte Carlo means lie within 4 standard errors of the exact expectations, on and off policy', () => {
  const p = [0.4, 0.25, 0.2, 0.1, 0.05];
  const q = [0.1, 0.2, 0.3, 0.15, 0.25];
  for (const behaviour of [undefined, [0.2, 0.2, 0.2, 0.2, 0.2]]) {
    const r = estimatorGradients({ p, q, behaviour, samples: 20_000, seed: 5 });
    for (const x of r.rows) {
      assert.ok(Math.abs(x.mc.value - x.value) <= 4 * x.mc.valueStderr!, `${x.estimator} ${x.placement} value ${x.mc.value} vs ${x.value} ± ${x.mc.valueStderr}`);
      for (let j = 0; j < r.vocab; j++) {
        const d = Math.abs(x.mc.gradMean[j]! - x.expectedGradient[j]!);
        assert.ok(d <= 4 * x.mc.gradStderr[j]! + 1e-15, `${x.estimator} ${x.placement} grad[${j}] off by ${d}, stderr ${x.mc.gradStderr[j]}`);
      }
    }
  }
});

test('the O(N + V) gradient variance equals a direct per-sample computation', () => {
  const p = [0.5, 0.3, 0.2];
  const q = [0.2, 0.3, 0.5];
  const N = 500;
  const r = estimatorGradients({ p, q, samples: N, seed: 9 });
  // k1 in the loss has a = 1 for every draw, so N·(gradMean + q) recovers how often each token was
  // drawn; rebuild the k3-loss per-sample gradients g = (1 − p(x)/q(x))·(onehot(x) − q) from those
  // counts and take their variances one component at a time.
  const counts = row(r, 'k1', 'loss').mc.gradMean.map((g, j) => Math.round(N * (g + q[j]!)));
  assert.equal(counts.reduce((a, b) => a + b, 0), N);
  const comp = [new Running(), new Running(), new Running()];
  for (let x = 0; x < 3; x++) {
    for (let c = 0; c < counts[x]!; c++) {
      const coef = 1 - p[x]! / q[x]!;
      for (let j = 0; j < 3; j++) comp[j]!.add(coef * ((j === x ? 1 : 0) - q[j]!));
    }
  }
  const trace = comp.reduce((s, c) => s + c.stats().variance!, 0);
  const got = row(r, 'k3', 'loss').mc.gradVariance;
  assert.ok(Math.abs(got - trace) < 1e-12 * trace, `${got} vs ${trace}`);
});

test('clipped importance weights bias the expectations, and the verdict says so', () => {
  const p = [0.6, 0.3, 0.1];
  const q = [0.1, 0.2, 0.7];
  const mu = [0.6, 0.3, 0.1];
  const r = estimatorGradients({ p, q, behaviour: mu, clip: 1, samples: 100, seed: 1 });
  const k1 = row(r, 'k1', 'reward');
  assert.equal(k1.expectedGradientOf, 'other');
  assert.equal(k1.onPolicyGradientOf, 'KL(q‖p)');
  assert.equal(gradientVerdict(k1, true), 'biased by the clipped weights');
  assert.ok(Math.abs(k1.valueBias) > 0.1);
  const free = estimatorGradients({ p, q, behaviour: mu, samples: 100, seed: 1 });
  assert.equal(gradientVerdict(row(free, 'k1', 'reward'), true), 'correct off-policy (importance-weighted)');
});

test('bad inputs are data errors naming the argument and the rule', () => {
  assert.throws(() => estimatorGradients({ p: [1, 0], q: [0.5, 0.5], samples: 10, seed: 1 }), (e: unknown) => e instanceof DataError && /invalid p\[1\]: expected a probability > 0, got 0 \(KL\(q‖p\) is infinite/.test(e.message));
  assert.throws(() => estimatorGradients({ p: [0.5, 0.5], q: [0.5, 0.5], behaviour: [1, 0], samples: 10, seed: 1 }), /invalid behaviour\[1\]/);
  assert.throws(() => estimatorGradients({ p: [0.5, 0.5], q: [0.5, 0.3, 0.2], samples: 10, seed: 1 }), /shape mismatch/);
  assert.throws(() => estimatorGradients({ p: [0.5, 0.5], q: [0.5, 0.5], samples: 10, seed: 1, clip: 0 }), /invalid clip/);
});
