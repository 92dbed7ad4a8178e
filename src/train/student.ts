import * as tf from '@tensorflow/tfjs';
import { logSoftmax } from '../rows/logSumExp.js';
import { crossEntropyLoss, forwardKlLoss, jsdLoss, reverseKlLoss, tvdLoss } from './losses.js';
import { seededRandom } from '../random.js';

/** The training objectives of the distillation experiment. */
export type StudentLoss = 'fkl' | 'rkl' | 'jsd' | 'ce' | 'tvd';

/** What each loss minimizes, for tables and docs (P = teacher, Q = student). */
export const LOSS_LABELS: Record<StudentLoss, string> = {
  fkl: 'forward KL(P‖Q)',
  rkl: 'reverse KL(Q‖P)',
  jsd: 'JSD(0.5) of P and Q',
  tvd: 'TV(P,Q)',
  ce: 'cross-entropy on the data',
};

/**
 * Row lookup W[ids] with a gradient that tfjs-wasm can run: wasm has no UnsortedSegmentSum (the
 * kernel behind gather's own gradient), so ∂W = onehot(ids)ᵀ · dy, with an explicit transpose
 * because wasm's matMul with transposeA is much slower than transpose + plain matMul.
 */
const lookupRows = tf.customGrad((w: tf.Tensor | tf.GradSaveFunc, ids: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
  const W = w as tf.Tensor2D;
  const I = ids as tf.Tensor1D;
  (save as tf.GradSaveFunc)([I]);
  return {
    value: tf.gather(W, I),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const idx = saved[0] as tf.Tensor1D;
      // oneHot is built as int32 and cast: tfjs-wasm 4.22's OneHot with dtype 'float32' writes
      // the integer bit pattern (1 reads as 1.4e-45), which silently zeroes the gradient.
      const onehotT = tf.transpose(tf.cast(tf.oneHot(idx, W.shape[0]!), 'float32'));
      return [tf.matMul(onehotT, dy as tf.Tensor2D), tf.zerosLike(idx)];
    },
  };
}) as unknown as (w: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D;

/**
 * A student that sees only the last k characters: one row of V logits per context (V^k rows),
 * the most expressive model of that context, so what it learns is decided by the loss alone.
 * Starts at zero logits (uniform).
 *
 * @example
 * const s = new ContextStudent({ contexts: 32, vocab: 32 });
 * s.logits(tf.tensor1d([3, 7], 'int32')); // [2 × 32] logits
 */
export class ContextStudent {
  readonly weights: tf.Variable<tf.Rank.R2>;
  readonly contexts: number;
  readonly vocab: number;

  constructor(opts: { contexts: number; vocab: number }) {
    this.contexts = opts.contexts;
    this.vocab = opts.vocab;
    const init = tf.zeros<tf.Rank.R2>([opts.contexts, opts.vocab]);
    this.weights = tf.variable(init, true);
    init.dispose(); // the variable holds its own reference to the data
  }

  /** Logits [B × V] for context ids [B]. */
  logits(ids: tf.Tensor1D): tf.Tensor2D {
    return lookupRows(this.weights, ids);
  }

  /** The learned next-token log-probabilities per context, [contexts × V] in float64. */
  logProbTable(): Float64Array {
    const w = this.weights.dataSync();
    const V = this.vocab;
    const out = new Float64Array(w.length);
    for (let c = 0; c < this.contexts; c++) out.set(logSoftmax(w.subarray(c * V, (c + 1) * V)), c * V);
    return out;
  }

  dispose(): void {
    this.weights.dispose();
  }
}

/**
 * The learning rate at step `step` of `steps` (1-based): a cosine from `peak` down to a tenth of
 * it, so the last steps average out the minibatch noise.
 *
 * @example
 * cosineLearningRate(0.2, 1, 300); // 0.2
 */
export function cosineLearningRate(peak: number, step: number, steps: number): number {
  return peak * (0.1 + 0.45 * (1 + Math.cos((Math.PI * (step - 1)) / steps)));
}

/**
 * The training loss as a run reports it: the mean of the values added since the last report,
 * handed to `onProgress` every `every` steps and at the last step; `last` is the latest mean
 * (NaN before the first report), a run's `finalLoss`.
 *
 * @example
 * const t = new LossReport(4, 2);
 * t.add(1, 3); t.add(2, 5); t.add(3, 1); t.add(4, 2);
 * t.last; // 1.5 = (1 + 2)/2
 */
export class LossReport {
  last = NaN;
  private sum = 0;
  private count = 0;
  constructor(
    private readonly steps: number,
    private readonly every = 10,
    private readonly onProgress?: (step: number, mean: number) => void,
  ) {}
  /** Adds step `step`'s value; reports the mean when the step is a multiple of `every` or the last. */
  add(step: number, value: number): void {
    this.sum += value;
    this.count++;
    if (step % this.every === 0 || step === this.steps) {
      this.last = this.sum / this.count;
      this.onProgress?.(step, this.last);
      this.sum = 0;
      this.count = 0;
    }
  }
}

/** Sets an Adam optimizer's learning rate (tfjs' Adam reads its learningRate field at every update). */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/** Training data of a student: a pool of positions with the teacher's distribution at each. */
export interface StudentData {
  /** Teacher log-probabilities at each position, row-major [N × V]. */
  teacherLogProbs: Float32Array | Float64Array;
  /** The student's context id at each position [N]. */
  contexts: Int32Array;
  /** The observed next token at each position [N] (for 'ce'). */
  targets: Uint8Array | Int32Array;
  /** Number of context ids (V^k). */
  numContexts: number;
  vocab: number;
}

/** Options of {@link trainStudent}. */
export interface TrainOptions {
  loss: StudentLoss;
  steps: number;
  batch: number;
  /**
   * Peak Adam learning rate; it follows a cosine from this value down to a tenth of it over the
   * steps, so the last steps average out the minibatch noise.
   */
  learningRate: number;
  seed: number;
  /** Called every `reportEvery` steps (and at the end) with the mean loss since the last call. */
  onProgress?: (step: number, loss: number) => void;
  reportEvery?: number;
}

/** A trained student: the log-probability table and the loss curve. */
export interface TrainedStudent {
  loss: StudentLoss;
  /** [numContexts × V] float64 log-probabilities. */
  logProbs: Float64Array;
  /** Mean training loss over the last `reportEvery` steps. */
  finalLoss: number;
  steps: number;
  /** Wall-clock seconds of the training loop. */
  seconds: number;
}

/**
 * Trains a {@link ContextStudent} with Adam (cosine-decayed learning rate) on minibatches of positions drawn (with replacement,
 * seeded) from `data`, with the chosen loss against the teacher's full distributions (or the
 * observed next token for 'ce'). The teacher's log-probabilities serve as its logits.
 *
 * @example
 * const s = await trainStudent(data, { loss: 'rkl', steps: 200, batch: 256, learningRate: 0.05, seed: 1 });
 */
export async function trainStudent(data: StudentData, opts: TrainOptions): Promise<TrainedStudent> {
  const V = data.vocab;
  const N = data.contexts.length;
  const B = opts.batch;
  const report = new LossReport(opts.steps, opts.reportEvery, opts.onProgress);
  const rnd = seededRandom(opts.seed);
  const student = new ContextStudent({ contexts: data.numContexts, vocab: V });
  const optimizer = tf.train.adam(opts.learningRate);
  const tBuf = new Float32Array(B * V);
  const cBuf = new Int32Array(B);
  const yBuf = new Int32Array(B);
  const start = performance.now();
  try {
    for (let step = 1; step <= opts.steps; step++) {
      setLearningRate(optimizer, cosineLearningRate(opts.learningRate, step, opts.steps));
      for (let b = 0; b < B; b++) {
        const i = Math.floor(rnd() * N);
        cBuf[b] = data.contexts[i]!;
        yBuf[b] = data.targets[i]!;
        if (opts.loss !== 'ce') for (let w = 0; w < V; w++) tBuf[b * V + w] = data.teacherLogProbs[i * V + w]!;
      }
      const value = tf.tidy(() => {
        const ids = tf.tensor1d(cBuf, 'int32');
        const t = opts.loss === 'ce' ? undefined : tf.tensor2d(tBuf, [B, V]);
        const y = opts.loss === 'ce' ? tf.tensor1d(yBuf, 'int32') : undefined;
        return optimizer.minimize(() => {
          const z = student.logits(ids);
          switch (opts.loss) {
            case 'fkl':
              return forwardKlLoss(t!, z) as tf.Scalar;
            case 'rkl':
              return reverseKlLoss(t!, z) as tf.Scalar;
            case 'jsd':
              return jsdLoss(t!, z, { beta: 0.5 }) as tf.Scalar;
            case 'tvd':
              return tvdLoss(t!, z) as tf.Scalar;
            case 'ce':
              return crossEntropyLoss(y!, z) as tf.Scalar;
          }
        }, true)!;
      });
      report.add(step, (await value.data())[0]!);
      value.dispose();
    }
    return { loss: opts.loss, logProbs: student.logProbTable(), finalLoss: report.last, steps: opts.steps, seconds: (performance.now() - start) / 1000 };
  } finally {
    student.dispose();
    optimizer.dispose();
  }
}
