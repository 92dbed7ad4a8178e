import { divergenceMeasures } from '../divergence/measures.js';
import { logSumExp } from '../rows/logSumExp.js';
import { DataError } from '../errors.js';

/** Held-out positions: the teacher's distribution and the student's context id at each. */
export interface EvalSet {
  /** Teacher log-probabilities, row-major [M × V], float64. */
  teacherLogProbs: Float64Array;
  /** Student context id per position [M]. */
  contexts: Int32Array;
  /** The observed next token per position [M] (for the teacher's held-out NLL). */
  targets: Uint8Array | Int32Array;
  vocab: number;
}

/** Mean measures of a context-table student over an {@link EvalSet}, in nats. */
export interface StudentEvaluation {
  /** mean KL(teacher‖student) */
  forwardKl: number;
  /** mean KL(student‖teacher) */
  reverseKl: number;
  /** mean JS(teacher, student) */
  jsDivergence: number;
  /** mean H(student) */
  studentEntropy: number;
  /** mean H(teacher) */
  teacherEntropy: number;
}

/**
 * Evaluates a student given as a [contexts × V] table of log-probabilities on held-out positions,
 * with the library's float64 measures (teacher = P, student = Q at each position).
 *
 * @example
 * evaluateTable(student.logProbs, evalSet).forwardKl; // mean KL(teacher‖student) in nats
 */
export function evaluateTable(table: Float64Array, set: EvalSet): StudentEvaluation {
  const V = set.vocab;
  const M = set.contexts.length;
  if (M === 0) throw new DataError('invalid evaluation set: no positions');
  let f = 0;
  let r = 0;
  let js = 0;
  let hq = 0;
  let hp = 0;
  for (let i = 0; i < M; i++) {
    const c = set.contexts[i]!;
    const m = divergenceMeasures(set.teacherLogProbs.subarray(i * V, (i + 1) * V), table.subarray(c * V, (c + 1) * V), { from: 'logprobs' });
    f += m.forward;
    r += m.reverse;
    js += m.jsDivergence;
    hq += m.entropyQ;
    hp += m.entropyP;
  }
  return { forwardKl: f / M, reverseKl: r / M, jsDivergence: js / M, studentEntropy: hq / M, teacherEntropy: hp / M };
}

/** The best possible short-context students for an evaluation set and their values. */
export interface ContextOptima {
  /** argmin of mean KL(teacher‖student): per context the average of the teacher's distributions, [C × V] log-probs. */
  forwardTable: Float64Array;
  /** argmin of mean KL(student‖teacher): per context the normalized geometric mean, [C × V] log-probs. */
  reverseTable: Float64Array;
  /** min mean KL(teacher‖student) over all students that see only the context. */
  forwardKl: number;
  /** min mean KL(student‖teacher) over all students that see only the context. */
  reverseKl: number;
  /** Mean student entropy at each optimum. */
  forwardEntropy: number;
  reverseEntropy: number;
}

/**
 * Exact optima over every student that sees only the context id (a function of the last k
 * characters), for the positions of `set`:
 * - forward KL: Σ_t KL(p_t‖q_c) over the positions t with context c is minimized by the
 *   arithmetic mean q_c = mean_t p_t (Gibbs' inequality on the pooled cross-entropy);
 * - reverse KL: Σ_t KL(q_c‖p_t) = n_c·KL(q_c‖g_c) − n_c·log Z_c with g_c ∝ exp(mean_t log p_t),
 *   so it is minimized by the normalized geometric mean and its minimum is −log Z_c.
 * Contexts with no positions get a uniform row.
 *
 * @example
 * const o = contextOptima(evalSet, 1024);
 * o.forwardKl; // no context-k student can have a lower mean KL(teacher‖student) on these positions
 */
export function contextOptima(set: EvalSet, numContexts: number): ContextOptima {
  const V = set.vocab;
  const M = set.contexts.length;
  const n = new Float64Array(numContexts);
  const arith = new Float64Array(numContexts * V);
  const geo = new Float64Array(numContexts * V);
  for (let i = 0; i < M; i++) {
    const c = set.contexts[i]!;
    n[c]!++;
    for (let w = 0; w < V; w++) {
      const lp = set.teacherLogProbs[i * V + w]!;
      arith[c * V + w]! += Math.exp(lp);
      geo[c * V + w]! += lp;
    }
  }
  const forwardTable = new Float64Array(numContexts * V);
  const reverseTable = new Float64Array(numContexts * V);
  for (let c = 0; c < numContexts; c++) {
    const row = (t: Float64Array) => t.subarray(c * V, (c + 1) * V);
    if (n[c] === 0) {
      row(forwardTable).fill(-Math.log(V));
      row(reverseTable).fill(-Math.log(V));
      continue;
    }
    let s = 0;
    for (let w = 0; w < V; w++) s += arith[c * V + w]!;
    for (let w = 0; w < V; w++) forwardTable[c * V + w] = Math.log(arith[c * V + w]! / s);
    // Mean log-probabilities, renormalized with a log-sum-exp (they sum to less than 1).
    const g = row(geo).map((x) => x / n[c]!);
    const lz = logSumExp(g);
    for (let w = 0; w < V; w++) reverseTable[c * V + w] = g[w]! - lz;
  }
  const f = evaluateTable(forwardTable, set);
  const r = evaluateTable(reverseTable, set);
  return { forwardTable, reverseTable, forwardKl: f.forwardKl, reverseKl: r.reverseKl, forwardEntropy: f.studentEntropy, reverseEntropy: r.studentEntropy };
}

/** How spread out the teacher's next-token distributions are, over an evaluation set. */
export interface ModeStats {
  /** Mean number of tokens with probability >= 0.1 per position. */
  meanTokensAbove10Percent: number;
  /** Share of positions where the most likely token has probability < 0.5. */
  shareTopBelowHalf: number;
  /** Share of positions with at least two tokens of probability >= 0.2 (two clear modes). */
  shareTwoAbove20Percent: number;
}

/**
 * Multi-modality of the teacher on `set`: how many next tokens are plausible at once.
 *
 * @example
 * modeStats(evalSet).shareTwoAbove20Percent; // share of positions with two tokens >= 0.2
 */
export function modeStats(set: EvalSet): ModeStats {
  const V = set.vocab;
  const M = set.contexts.length;
  let above10 = 0;
  let topBelowHalf = 0;
  let two20 = 0;
  for (let i = 0; i < M; i++) {
    let top = 0;
    let n20 = 0;
    for (let w = 0; w < V; w++) {
      const p = Math.exp(set.teacherLogProbs[i * V + w]!);
      if (p >= 0.1) above10++;
      if (p >= 0.2) n20++;
      if (p > top) top = p;
    }
    if (top < 0.5) topBelowHalf++;
    if (n20 >= 2) two20++;
  }
  return { meanTokensAbove10Percent: above10 / M, shareTopBelowHalf: topBelowHalf / M, shareTwoAbove20Percent: two20 / M };
}

/**
 * The teacher's mean negative log-likelihood (nats per character) of the observed tokens of `set`.
 *
 * @example
 * teacherHeldOutNll(evalSet); // 1.339 for the 6-gram teacher on held-out Brown text
 */
export function teacherHeldOutNll(set: EvalSet): number {
  let s = 0;
  for (let i = 0; i < set.targets.length; i++) s -= set.teacherLogProbs[i * set.vocab + set.targets[i]!]!;
  return s / set.targets.length;
}
