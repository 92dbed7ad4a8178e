import * as tf from '@tensorflow/tfjs';
import { logSoftmax } from '../rows/logSumExp.js';
import { drawIndex, seededRandom } from '../random.js';
import { ContextStudent, LossReport, cosineLearningRate, setLearningRate, type TrainedStudent } from './student.js';

/**
 * How the on-policy student turns the per-token log-ratio into a gradient, with x sampled from the
 * student q and log r = log p(x) − log q(x):
 * - 'k1-reward': REINFORCE with the advantage −k1 = log r, detached, discount 0 (on-policy
 *   distillation as in MiniLLM and the tinker cookbook): E[g] = ∇KL(q‖p) per context;
 * - 'k2-loss': ½(log r)² backpropagated at the sampled x: E[g] = ∇KL(q‖p) as well;
 * - 'k3-loss': r − 1 − log r backpropagated (GRPO's KL term): E[g] = q − p = ∇KL(p‖q), the
 *   forward KL per context.
 */
export type OpdEstimator = 'k1-reward' | 'k2-loss' | 'k3-loss';

export const OPD_ESTIMATORS: readonly OpdEstimator[] = ['k1-reward', 'k2-loss', 'k3-loss'];

/** What each on-policy estimator descends in expectation, for tables. */
export const OPD_LABELS: Record<OpdEstimator, string> = {
  'k1-reward': 'k1 in the reward (descends KL(Q‖P))',
  'k2-loss': 'k2 as a loss (descends KL(Q‖P))',
  'k3-loss': 'k3 as a loss (descends KL(P‖Q))',
};

/** What the on-policy student needs: prompts to continue and a teacher that scores one token. */
export interface OnPolicyData {
  /** Prompts (character codes), each at least `context` characters long. */
  prompts: readonly Uint8Array[];
  /**
   * The teacher's log-probability of `token` after `text[0 … at)` (it reads what it needs of the
   * context): one teacher evaluation.
   */
  teacherLogProb: (text: Uint8Array, at: number, token: number) => number;
  /** Characters the student sees (k); context ids are base-`vocab` numbers of them. */
  context: number;
  vocab: number;
}

/** Options of {@link trainOnPolicy}. */
export interface OnPolicyOptions {
  estimator: OpdEstimator;
  steps: number;
  /** Sampled tokens per step: `batch / rolloutLength` rollouts (at least one). */
  batch: number;
  /** Tokens each rollout samples after its prompt. */
  rolloutLength: number;
  /** Peak Adam learning rate, cosine-decayed to a tenth, as for the other students. */
  learningRate: number;
  seed: number;
  /** Called every `reportEvery` steps with the mean k1 (the on-policy estimate of KL(q‖p)) since the last call. */
  onProgress?: (step: number, meanK1: number) => void;
  reportEvery?: number;
}

/** A trained on-policy student, with what its training cost. */
export interface OnPolicyStudent extends Omit<TrainedStudent, 'loss'> {
  estimator: OpdEstimator;
  /** Tokens the student sampled and trained on (rollouts × rollout length × steps). */
  sampledTokens: number;
  /** Teacher evaluations: one per sampled token. */
  teacherEvaluations: number;
}

/**
 * On-policy distillation of a {@link ContextStudent}: at every step the student samples its own
 * continuations of random prompts (ancestral sampling from its current table), the teacher scores
 * each sampled token, and the student is updated with Adam on the chosen estimator of the
 * per-token log-ratio (see {@link OpdEstimator}). `finalLoss` is the mean k1 of the last steps,
 * the student's own Monte Carlo estimate of its reverse KL per token.
 *
 * @example
 * const s = await trainOnPolicy(data, { estimator: 'k1-reward', steps: 300, batch: 512, rolloutLength: 16, learningRate: 0.2, seed: 1 });
 */
export async function trainOnPolicy(data: OnPolicyData, opts: OnPolicyOptions): Promise<OnPolicyStudent> {
  const V = data.vocab;
  const k = data.context;
  const L = opts.rolloutLength;
  const R = Math.max(1, Math.floor(opts.batch / L));
  const M = R * L;
  const report = new LossReport(opts.steps, opts.reportEvery, opts.onProgress);
  const rnd = seededRandom(opts.seed);
  const student = new ContextStudent({ contexts: V ** k, vocab: V });
  const optimizer = tf.train.adam(opts.learningRate);
  const ids = new Int32Array(M);
  const tokens = new Int32Array(M);
  const teacherLp = new Float32Array(M);
  const coef = new Float32Array(M);
  const prob = new Float64Array(V);
  let teacherEvaluations = 0;
  const start = performance.now();
  try {
    for (let step = 1; step <= opts.steps; step++) {
      setLearningRate(optimizer, cosineLearningRate(opts.learningRate, step, opts.steps));
      // The current table, read once per step: the samples of this step come from it, so they are
      // on-policy for the update that follows.
      const w = student.weights.dataSync() as Float32Array;
      let k1 = 0;
      for (let r = 0; r < R; r++) {
        const prompt = data.prompts[Math.floor(rnd() * data.prompts.length)]!;
        const text = new Uint8Array(prompt.length + L);
        text.set(prompt);
        for (let t = 0; t < L; t++) {
          const at = prompt.length + t;
          let c = 0;
          for (let j = k; j >= 1; j--) c = c * V + text[at - j]!;
          const lq = logSoftmax(w.subarray(c * V, (c + 1) * V));
          for (let v = 0; v < V; v++) prob[v] = Math.exp(lq[v]!);
          const x = drawIndex(prob, rnd());
          text[at] = x;
          const lp = data.teacherLogProb(text, at, x);
          teacherEvaluations++;
          const i = r * L + t;
          ids[i] = c;
          tokens[i] = x;
          teacherLp[i] = lp;
          // The detached advantage of 'k1-reward' is −k1 = log p − log q; the loss below is
          // k1·log q(x), whose gradient is k1·∇log q(x).
          coef[i] = lq[x]! - lp;
          k1 += lq[x]! - lp;
        }
      }
      tf.tidy(() => {
        const idT = tf.tensor1d(ids, 'int32');
        const onehot = tf.cast(tf.oneHot(tf.tensor1d(tokens, 'int32'), V), 'float32');
        const lpT = tf.tensor1d(teacherLp);
        const cT = tf.tensor1d(coef);
        optimizer.minimize(() => {
          const lqx = tf.sum(tf.mul(tf.logSoftmax(student.logits(idT)), onehot), -1);
          switch (opts.estimator) {
            case 'k1-reward':
              return tf.mean(tf.mul(cT, lqx)) as tf.Scalar;
            case 'k2-loss':
              return tf.mean(tf.mul(tf.square(tf.sub(lqx, lpT)), 0.5)) as tf.Scalar;
            case 'k3-loss': {
              const lr = tf.sub(lpT, lqx);
              return tf.mean(tf.sub(tf.sub(tf.exp(lr), 1), lr)) as tf.Scalar;
            }
          }
        });
      });
      report.add(step, k1 / M);
    }
    return {
      estimator: opts.estimator,
      logProbs: student.logProbTable(),
      finalLoss: report.last,
      steps: opts.steps,
      seconds: (performance.now() - start) / 1000,
      sampledTokens: M * opts.steps,
      teacherEvaluations,
    };
  } finally {
    student.dispose();
    optimizer.dispose();
  }
}
