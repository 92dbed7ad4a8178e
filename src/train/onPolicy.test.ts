import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initTf } from './backend.js';
import { contextOptima, type EvalSet } from './evaluate.js';
import { trainOnPolicy, type OnPolicyData, type OpdEstimator } from './onPolicy.js';

// Two teacher states behind one student context: the prompts "1 0" and "2 0" both end in 0 (the
// only character a k = 1 student sees), and the teacher, which also sees the first character,
// answers A after "1 0" and B after "2 0". With rollouts of one character the student's contexts
// are exactly the prompts', so the optima are known in closed form: the reverse KL is minimized by
// the normalized geometric mean of A and B, the forward KL by their arithmetic mean.
const A = [0.6, 0.3, 0.05, 0.05];
const B = [0.6, 0.05, 0.3, 0.05];
const data: OnPolicyData = {
  prompts: [Uint8Array.of(1, 0), Uint8Array.of(2, 0)],
  teacherLogProb: (text, at, token) => Math.log((text[at - 2] === 1 ? A : B)[token]!),
  context: 1,
  vocab: 4,
};
const set: EvalSet = { teacherLogProbs: Float64Array.from([...A, ...B], Math.log), contexts: Int32Array.of(0, 0), targets: Uint8Array.of(0, 0), vocab: 4 };
const optima = contextOptima(set, 4);
const row = (t: Float64Array) => Array.from(t.subarray(0, 4), Math.exp);
const train = (estimator: OpdEstimator) => trainOnPolicy(data, { estimator, steps: 400, batch: 256, rolloutLength: 1, learningRate: 0.05, seed: 5 });

before(async () => {
  await initTf();
});

function near(got: number[], want: number[], tol: number, what: string): void {
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < tol, `${what}[${i}]: ${got[i]} vs ${want[i]} (all: ${got.map((x) => x.toFixed(4))})`);
}

test('k1 in the reward and k2 as a loss reach the reverse-KL optimum (geometric mean); k3 as a loss the forward-KL one (arithmetic mean)', async () => {
  const geo = row(optima.reverseTable);
  const arith = row(optima.forwardTable);
  // The two optima differ most on the shared mode: 0.6 (arithmetic) against 0.67 (geometric).
  assert.ok(geo[0]! - arith[0]! > 0.05);
  const k1 = await train('k1-reward');
  const k2 = await train('k2-loss');
  const k3 = await train('k3-loss');
  near(row(k1.logProbs), geo, 0.02, 'k1-reward');
  near(row(k2.logProbs), geo, 0.02, 'k2-loss');
  near(row(k3.logProbs), arith, 0.02, 'k3-loss');
  // The student's mean k1 estimates its reverse KL per token, min −log Z at the geometric mean.
  assert.ok(Math.abs(k1.finalLoss - optima.reverseKl) < 0.02, `${k1.finalLoss} vs ${optima.reverseKl}`);
  assert.equal(k1.sampledTokens, 400 * 256);
  assert.equal(k1.teacherEvaluations, 400 * 256);
  // Contexts the student never visits stay uniform.
  near(Array.from(k1.logProbs.subarray(4, 8), Math.exp), [0.25, 0.25, 0.25, 0.25], 1e-6, 'unvisited context');
});

test('the same seed repeats the run exactly', async () => {
  const a = await trainOnPolicy(data, { estimator: 'k1-reward', steps: 20, batch: 64, rolloutLength: 1, learningRate: 0.05, seed: 9 });
  const b = await trainOnPolicy(data, { estimator: 'k1-reward', steps: 20, batch: 64, rolloutLength: 1, learningRate: 0.05, seed: 9 });
  assert.deepEqual(a.logProbs, b.logProbs);
});
