import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors.js';

/**
 * How per-token divergences become one loss value:
 * - 'batchmean': Σ over the vocabulary, then the mean over the unmasked tokens (torch's
 *   `kl_div(..., reduction='batchmean')` for 2-D input, keras' KLDivergence with mean reduction);
 * - 'sum': Σ over vocabulary and unmasked tokens;
 * - 'none': the per-token values (masked tokens are 0), shape = logits shape without the last axis.
 */
export type LossReduction = 'batchmean' | 'sum' | 'none';

/** Options shared by the divergence losses. */
export interface DivergenceLossOptions {
  /**
   * Softmax temperature T applied to both teacher and student logits (softmax(z / T)).
   * The loss is not multiplied by T² (Hinton et al. do that to keep gradient sizes comparable
   * across temperatures; multiply yourself if you want it). Default 1.
   */
  temperature?: number;
  /**
   * 1 for tokens that count, 0 for padding: shape = logits shape without the vocabulary axis.
   * The 'batchmean' divides by the number of unmasked tokens (by 1 if there are none).
   */
  mask?: tf.Tensor;
  /** Default 'batchmean'. */
  reduction?: LossReduction;
}

type PerToken = (teacherLogits: tf.Tensor, studentLogits: tf.Tensor) => tf.Tensor;

function checkShapes(name: string, t: tf.Tensor, s: tf.Tensor, mask?: tf.Tensor): void {
  const same = t.rank === s.rank && t.shape.every((d, i) => d === s.shape[i]);
  if (!same) throw new ArgumentError({ where: `${name}: studentLogits`, expected: `the shape of the teacher logits, [${t.shape}]`, got: `shape [${s.shape}]` });
  if (t.rank < 1) throw new ArgumentError({ where: `${name}: teacherLogits`, expected: 'logits with a vocabulary axis', got: 'a scalar' });
  if (mask) {
    const want = s.shape.slice(0, -1);
    if (mask.rank !== want.length || !mask.shape.every((d, i) => d === want[i])) {
      throw new ArgumentError({ where: `${name}: mask`, expected: `shape [${want}] (the logits shape without the vocabulary axis)`, got: `shape [${mask.shape}]` });
    }
  }
}

function reduce(perToken: tf.Tensor, opts: DivergenceLossOptions): tf.Tensor {
  const reduction = opts.reduction ?? 'batchmean';
  const m = opts.mask ? tf.cast(opts.mask, 'float32') : undefined;
  const v = m ? tf.mul(perToken, m) : perToken;
  if (reduction === 'none') return v;
  const s = tf.sum(v);
  if (reduction === 'sum') return s;
  const count = m ? tf.maximum(tf.sum(m), 1) : tf.scalar(Math.max(1, perToken.size));
  return tf.div(s, count);
}

function scaled(z: tf.Tensor, temperature: number | undefined): tf.Tensor {
  const T = temperature ?? 1;
  if (!(T > 0) || !Number.isFinite(T)) throw new ArgumentError({ where: 'temperature', expected: 'a finite number > 0', got: T });
  return T === 1 ? z : tf.div(z, T);
}

function lossWith(name: string, perToken: PerToken, t: tf.Tensor, s: tf.Tensor, opts: DivergenceLossOptions): tf.Tensor {
  checkShapes(name, t, s, opts.mask);
  return tf.tidy(() => reduce(perToken(scaled(t, opts.temperature), scaled(s, opts.temperature)), opts));
}

/** Σ_w a_w·x_w over the last axis, kept as [..., 1] for broadcasting against [..., V]. */
function rowSum(x: tf.Tensor): tf.Tensor {
  return tf.sum(x, -1, true);
}

/**
 * Per-token KL(P‖Q) from logits with its exact gradients (custom, cheaper than autodiff through
 * two log-softmaxes): ∂/∂student = q − p, ∂/∂teacher = p ⊙ (log p − log q − KL(P‖Q)).
 */
const forwardPerToken: PerToken = tf.customGrad((t: tf.Tensor | tf.GradSaveFunc, s: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
  const lp = tf.logSoftmax(t as tf.Tensor);
  const lq = tf.logSoftmax(s as tf.Tensor);
  const p = tf.exp(lp);
  const diff = tf.sub(lp, lq);
  const value = tf.sum(tf.mul(p, diff), -1);
  (save as tf.GradSaveFunc)([p, lq, diff, value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [pp, lqq, d, kl] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const g = tf.expandDims(dy, -1);
      const dT = tf.mul(g, tf.mul(pp, tf.sub(d, tf.expandDims(kl, -1))));
      const dS = tf.mul(g, tf.sub(tf.exp(lqq), pp));
      return [dT, dS];
    },
  };
}) as unknown as PerToken;

/**
 * Per-token KL(Q‖P) from logits: forward KL with the roles swapped. Its custom gradient carries
 * over: ∂/∂student = q ⊙ (log q − log p − KL(Q‖P)), ∂/∂teacher = p − q.
 */
const reversePerToken: PerToken = (t, s) => forwardPerToken(s, t);

/** log(e^a + e^b) elementwise without overflow: max + log1p(e^(−|a − b|)). */
function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const hi = tf.maximum(a, b);
  return tf.add(hi, tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(a, b))))));
}

function jsdPerToken(beta: number): PerToken {
  const lb = Math.log(beta);
  const l1b = Math.log1p(-beta);
  return tf.customGrad((t: tf.Tensor | tf.GradSaveFunc, s: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const lp = tf.logSoftmax(t as tf.Tensor);
    const lq = tf.logSoftmax(s as tf.Tensor);
    const p = tf.exp(lp);
    const q = tf.exp(lq);
    // log m = log(βp + (1−β)q) from the logs, so m cannot underflow to 0 where p or q > 0.
    const lm = logAddExp(tf.add(lp, lb), tf.add(lq, l1b));
    const dp = tf.sub(lp, lm);
    const dq = tf.sub(lq, lm);
    const klPM = tf.sum(tf.mul(p, dp), -1, true);
    const klQM = tf.sum(tf.mul(q, dq), -1, true);
    const value = tf.reshape(tf.add(tf.mul(klPM, beta), tf.mul(klQM, 1 - beta)), (s as tf.Tensor).shape.slice(0, -1));
    (save as tf.GradSaveFunc)([p, q, dp, dq, klPM, klQM]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [pp, qq, dpp, dqq, kp, kq] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const g = tf.expandDims(dy, -1);
        // ∂/∂z_student = (1−β)·q ⊙ (log(q/m) − KL(Q‖M)); the teacher side mirrors it with β.
        const dS = tf.mul(g, tf.mul(tf.mul(qq, tf.sub(dqq, kq)), 1 - beta));
        const dT = tf.mul(g, tf.mul(tf.mul(pp, tf.sub(dpp, kp)), beta));
        return [dT, dS];
      },
    };
  }) as unknown as PerToken;
}

const tvdPerToken: PerToken = (t, s) => tf.mul(tf.sum(tf.abs(tf.sub(tf.softmax(t), tf.softmax(s))), -1), 0.5);

/**
 * Forward KL(P‖Q) with P = softmax(teacher/T), Q = softmax(student/T), from logits via
 * log-softmax (never an unshifted exp). Reduction 'batchmean' = mean over unmasked tokens of
 * Σ_w p·(log p − log q). Same value as torch
 * `F.kl_div(F.log_softmax(s/T,-1), F.log_softmax(t/T,-1), reduction='batchmean', log_target=True)`
 * on [tokens × V] (note torch's argument order: input = log Q first, target = P second) and as
 * keras `KLDivergence()(softmax(t), softmax(s))` without keras' 1e-7 clipping. "Mean-seeking":
 * Q is pushed to cover every token P gives mass to. Gradient w.r.t. the student: (q − p)/T.
 *
 * @example
 * forwardKlLoss(tf.tensor2d([[2, 0, -1]]), tf.tensor2d([[0, 0, 0]])); // scalar KL(P‖Q) in nats
 */
export function forwardKlLoss(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, opts: DivergenceLossOptions = {}): tf.Tensor {
  return lossWith('forwardKlLoss', forwardPerToken, teacherLogits, studentLogits, opts);
}

/**
 * Reverse KL(Q‖P) = Σ_w q·(log q − log p), P = softmax(teacher/T) the reference, Q =
 * softmax(student/T) the model; 'batchmean' as in {@link forwardKlLoss}. In torch:
 * `F.kl_div(F.log_softmax(t/T,-1), F.log_softmax(s/T,-1), reduction='batchmean', log_target=True)`
 * (arguments swapped). "Mode-seeking": Q is punished for mass where P has little, not for
 * missing mass P has. Gradient w.r.t. the student: q ⊙ (log q − log p − KL(Q‖P))/T.
 *
 * @example
 * reverseKlLoss(tf.tensor2d([[2, 0, -1]]), tf.tensor2d([[0, 0, 0]])); // scalar KL(Q‖P)
 */
export function reverseKlLoss(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, opts: DivergenceLossOptions = {}): tf.Tensor {
  return lossWith('reverseKlLoss', reversePerToken, teacherLogits, studentLogits, opts);
}

/**
 * Generalized Jensen–Shannon divergence JSD(β) = β·KL(P‖M) + (1 − β)·KL(Q‖M),
 * M = βP + (1 − β)Q (the GKD loss; β = ½ is the JS divergence, at most ln 2), P = teacher,
 * Q = student. β must be strictly inside (0, 1): the formula is 0 at both ends, where TRL
 * instead uses forward (β = 0) or reverse (β = 1) KL, i.e. {@link forwardKlLoss} /
 * {@link reverseKlLoss}.
 *
 * @example
 * jsdLoss(tf.tensor2d([[2, 0, -1]]), tf.tensor2d([[0, 0, 0]]), { beta: 0.5 });
 */
export function jsdLoss(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, opts: DivergenceLossOptions & { beta?: number } = {}): tf.Tensor {
  const beta = opts.beta ?? 0.5;
  if (!(beta > 0 && beta < 1)) throw new ArgumentError({ where: 'beta', expected: 'a number strictly between 0 and 1 (forwardKlLoss / reverseKlLoss are the ends)', got: beta });
  return lossWith('jsdLoss', jsdPerToken(beta), teacherLogits, studentLogits, opts);
}

/**
 * Total variation distance ½Σ_w |p − q| between softmax(teacher/T) and softmax(student/T),
 * symmetric and in [0, 1]; gradients by autodiff (sign of p − q through the softmax).
 *
 * @example
 * tvdLoss(tf.tensor2d([[2, 0, -1]]), tf.tensor2d([[0, 0, 0]]));
 */
export function tvdLoss(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, opts: DivergenceLossOptions = {}): tf.Tensor {
  return lossWith('tvdLoss', tvdPerToken, teacherLogits, studentLogits, opts);
}

/**
 * Cross-entropy of integer targets under softmax(student/T): −log q[target] per token,
 * 'batchmean' = mean over unmasked tokens. This is forward KL to the one-hot data distribution
 * (plus its zero entropy): plain next-token training, torch `F.cross_entropy(s, y)`.
 *
 * @example
 * crossEntropyLoss(tf.tensor1d([0], 'int32'), tf.tensor2d([[2, 0, -1]])); // −log softmax([2,0,−1])[0]
 */
export function crossEntropyLoss(targets: tf.Tensor, studentLogits: tf.Tensor, opts: DivergenceLossOptions = {}): tf.Tensor {
  const V = studentLogits.shape[studentLogits.rank - 1]!;
  const want = studentLogits.shape.slice(0, -1);
  if (targets.rank !== want.length || !targets.shape.every((d, i) => d === want[i])) {
    throw new ArgumentError({ where: 'crossEntropyLoss: targets', expected: `shape [${want}] (the logits shape without the vocabulary axis)`, got: `shape [${targets.shape}]` });
  }
  if (opts.mask) checkShapes('crossEntropyLoss', studentLogits, studentLogits, opts.mask);
  return tf.tidy(() => {
    const lq = tf.logSoftmax(scaled(studentLogits, opts.temperature));
    // Built as int32 and cast (tfjs-wasm's float32 OneHot writes integer bit patterns).
    const onehot = tf.cast(tf.oneHot(tf.cast(targets, 'int32'), V), 'float32');
    return reduce(tf.neg(tf.sum(tf.mul(onehot, lq), -1)), opts);
  });
}
