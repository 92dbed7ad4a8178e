import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { formatNumber, formatPercent } from '../report/format.js';
import { toJson } from '../report/json.js';
import { createProgress } from '../report/progress.js';
import { renderTable } from '../report/table.js';
import { DISTILL_LABELS, DISTILL_LIMITS, distillPreset, runDistill, type DistillLoss, type DistillOptions, type DistillResult, type StudentReport } from '../train/distill.js';
import { OPD_ESTIMATORS, OPD_LABELS, type OpdEstimator } from '../train/onPolicy.js';
import { action, intOption, numberOption, withExamples } from './run.js';

const LOSSES: DistillLoss[] = ['fkl', 'rkl', 'jsd', 'ce', 'tvd', 'opd'];

/** A student's row label: its loss, or for 'opd' the estimator it was trained with. */
function studentLabel(s: StudentReport): string {
  return s.opdEstimator ? `student: opd, ${OPD_LABELS[s.opdEstimator]}` : `student: ${s.loss} = ${DISTILL_LABELS[s.loss]}`;
}

/** Options of {@link distillReport}. */
export interface DistillReportOptions {
  /** Sample lines shown per model. Default 2. */
  sampleLines?: number;
  /** Characters shown per sample line. Default 72. */
  sampleWidth?: number;
  /** The command line that produced the result, shown in the title. */
  command?: string;
}

/**
 * The table `klscope distill` prints for people: one row per model with KL both ways, entropy,
 * the gap to the exact forward-KL optimum, the teacher's NLL of its samples and distinct-2/3;
 * the exact optima; the three expected-outcome checks; sample lines.
 *
 * @example
 * process.stdout.write(distillReport(await runDistill(distillPreset('quick'))));
 */
export function distillReport(r: DistillResult, opts: DistillReportOptions = {}): string {
  const t = r.teacher;
  const lines = opts.sampleLines ?? 2;
  const width = opts.sampleWidth ?? 72;
  const f = (x: number) => formatNumber(x, 4);
  const header = ['model (P = teacher, Q = student)', 'KL(P‖Q)', 'KL(Q‖P)', 'H(Q)', 'gap to min KL(P‖Q)', 'teacher NLL of samples', 'KL(Q‖P) on samples', 'distinct-2', 'distinct-3', 'train tokens/s', 'teacher evals/token'];
  const rows: string[][] = [];
  rows.push(['teacher itself', '0', '0', f(t.teacherEntropy), '', f(t.sampleTeacherNll), '0', f(t.distinct2), f(t.distinct3), '', '']);
  for (const s of r.students) {
    rows.push([
      studentLabel(s),
      f(s.forwardKl),
      f(s.reverseKl),
      f(s.studentEntropy),
      f(s.forwardKlGapToOptimum),
      f(s.sampleTeacherNll),
      f(s.reverseKlOnSamples),
      f(s.distinct2),
      f(s.distinct3),
      formatNumber(Math.round(s.samplesPerSecond), 6),
      formatNumber(s.teacherEvaluationsPerSample, 3),
    ]);
  }
  rows.push(['exact min of KL(P‖Q), no training', f(t.forwardKlOptimum), '', f(t.forwardKlOptimumEntropy), '0', '', '', '', '', '', '']);
  rows.push(['exact min of KL(Q‖P), no training', '', f(t.reverseKlOptimum), f(t.reverseKlOptimumEntropy), '', '', '', '', '', '', '']);
  const first = r.students[0];
  const opd = r.students.find((s) => s.opdEstimator !== null);
  const title = [
    `${opts.command ?? 'klscope distill'}: P = teacher, ${t.model} (context ${t.order - 1} characters), Q = student that sees the last ${t.studentContext} character${t.studentContext === 1 ? '' : 's'}.`,
    `${t.corpus}; train ${t.trainFiles} files (${t.trainChars} characters), held out ${t.heldOutFiles} files (${t.heldOutChars} characters); ` +
      `measured on ${t.evalPositions} held-out positions; nats; seed ${t.seed}; backend ${t.backend}.`,
    first ? `Students: ${first.steps} Adam steps of ${first.batch} positions, learning rate ${first.learningRate}, on ${t.trainPositions} training positions with the teacher's full distributions.` : '',
    opd
      ? `opd: ${opd.steps} steps, each on ${opd.batch} characters the student samples itself (rollouts after held-out prompts); the teacher scores each sampled character (log-ratio log q − log p, discount 0).`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
  const notes: string[] = [];
  notes.push(
    `Teacher: mean entropy H(P) = ${f(t.teacherEntropy)}, NLL of the held-out text ${f(t.heldOutNll)} nats/char; held-out text distinct-2/3 ${f(t.dataDistinct2)}/${f(t.dataDistinct3)}.`,
    `Teacher is multi-modal: ${f(t.modes.meanTokensAbove10Percent)} characters with p ≥ 0.1 per position on average; top character below 0.5 at ${formatPercent(t.modes.shareTopBelowHalf, 1)} of positions; two characters ≥ 0.2 at ${formatPercent(t.modes.shareTwoAbove20Percent, 1)}.`,
    `"gap": KL(P‖Q) minus the exact minimum over every student that sees ${t.studentContext} character${t.studentContext === 1 ? '' : 's'} (the teacher's distributions averaged per context); ` +
      `the student that is optimal on the training positions reaches ${f(t.forwardKlOfTrainOptimum)} here.`,
    `Samples: ${t.samples.length} × ${t.samples[0]?.length ?? 0} characters per model after the same held-out prompts; NLL under the teacher (lower = more precise); distinct-n of character n-grams (higher = more diverse).`,
    'KL(P‖Q), KL(Q‖P): at held-out positions (contexts weighted as the data has them); "KL(Q‖P) on samples": exact, at the positions of the student\'s own samples (contexts weighted as the student visits them: what on-policy training minimizes).',
    '',
  );
  notes.push('"train tokens/s": positions (opd: self-sampled characters, teacher scoring included) per second of training, wall clock; "teacher evals/token": contexts the teacher scored per training token.', '');
  for (const x of r.findings) notes.push(`${x.holds ? 'yes' : 'NO '}  ${x.claim}: ${x.detail}`);
  notes.push('');
  const show = (name: string, samples: string[]) => {
    for (const s of samples.slice(0, lines)) notes.push(`${name.padEnd(8)}│${s.slice(0, width)}`);
  };
  show('teacher', t.samples);
  for (const s of r.students) show(s.opdEstimator ? `opd ${s.opdEstimator.split('-')[0]}` : s.loss, s.samples);
  return renderTable(header, rows, { title, notes });
}

/**
 * The options of a run from the flags of `klscope distill` (commander's parsed object), with the
 * preset of --quick or the full run filling what is not given; bad values are usage errors.
 *
 * @example
 * parseDistillFlags({ quick: true, seed: '7' }).steps; // 300
 */
export function parseDistillFlags(o: Record<string, string | boolean | undefined>): DistillOptions & { quick: boolean } {
  const quick = Boolean(o.quick);
  const opt = (name: string, flag: string, min = 1) => {
    if (o[name] === undefined) return undefined;
    const v = intOption(String(o[name]), flag, min);
    const max = DISTILL_LIMITS[name as keyof typeof DISTILL_LIMITS] as number | undefined;
    if (max !== undefined && v > max) throw new UsageError(`invalid ${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(o[name])}`);
    return v;
  };
  const losses = o.losses === undefined ? undefined : String(o.losses).split(',').map((x) => x.trim());
  for (const l of losses ?? []) {
    if (!LOSSES.includes(l as DistillLoss)) throw new UsageError(`invalid --losses: ${JSON.stringify(l)} is not one of ${LOSSES.join(', ')}`);
  }
  const opdEstimators = o.opdEstimator === undefined ? undefined : String(o.opdEstimator).split(',').map((x) => x.trim());
  for (const e of opdEstimators ?? []) {
    if (!OPD_ESTIMATORS.includes(e as OpdEstimator)) throw new UsageError(`invalid --opd-estimator: ${JSON.stringify(e)} is not one of ${OPD_ESTIMATORS.join(', ')}`);
  }
  let learningRate: number | undefined;
  if (o.lr !== undefined) {
    learningRate = numberOption(String(o.lr), '--lr');
    if (!(learningRate > 0)) throw new UsageError(`invalid --lr: expected a number > 0, got ${JSON.stringify(o.lr)}`);
  }
  const order = opt('order', '--order', 2);
  if (order !== undefined && order > 6) throw new UsageError(`invalid --order: expected an integer from 2 to 6, got ${order}`);
  const k = opt('studentContext', '--student-context');
  if (k !== undefined && k > 3) throw new UsageError(`invalid --student-context: expected 1, 2 or 3, got ${k}`);
  const preset = distillPreset(quick ? 'quick' : 'full');
  if ((k ?? preset.studentContext) >= (order ?? preset.order) - 1) {
    throw new UsageError(
      `invalid --student-context ${k ?? preset.studentContext} with --order ${order ?? preset.order}: the student must see fewer characters than the teacher's ${(order ?? preset.order) - 1}`,
    );
  }
  return {
    ...preset,
    quick,
    ...Object.fromEntries(
      Object.entries({
        seed: opt('seed', '--seed', 0),
        order,
        studentContext: k,
        steps: opt('steps', '--steps'),
        batch: opt('batch', '--batch'),
        learningRate,
        trainPositions: opt('trainPositions', '--train-positions'),
        evalPositions: opt('evalPositions', '--eval-positions'),
        samples: opt('samples', '--samples'),
        sampleLength: opt('sampleLength', '--sample-length', 10),
        losses: losses as DistillLoss[] | undefined,
        opdEstimators: opdEstimators as OpdEstimator[] | undefined,
        rolloutLength: opt('rolloutLength', '--rollout-length'),
        opdBatch: opt('opdBatch', '--opd-batch'),
      }).filter(([, v]) => v !== undefined),
    ),
  };
}

/**
 * The tour's distillation part (`npm start`): a lighter run than --quick (a quarter of the
 * corpus, 4 students × 200 steps of 256 positions; about 7 s of CPU) and its table with one
 * sample line per model.
 *
 * @example
 * process.stdout.write(await tourSection());
 */
export async function tourSection(): Promise<string> {
  const r = await runDistill(distillPreset('tour'));
  return (
    'Forward or reverse? A character 6-gram teacher distilled into students that see only the last 2 characters.\n' +
    'Same run with more steps and on-policy students (opd): klscope distill --quick; the full run: klscope distill.\n\n' +
    distillReport(r, { sampleLines: 1, sampleWidth: 64, command: 'klscope tour (distill, 200 steps per student)' })
  );
}

export function registerDistill(program: Command): Command {
  const cmd = program
    .command('distill')
    .description(
      'Distillation experiment on the Brown corpus: a Kneser–Ney character 6-gram teacher P, short-context students Q trained with forward KL(P‖Q), reverse KL(Q‖P), JSD(0.5), cross-entropy, and on-policy on their own samples; held-out KL both ways, entropies, sample precision and diversity.',
    )
    .option('--quick', 'small run (a quarter of the corpus, 300 steps): well under 90 s on 2 cores')
    .option('--seed <n>', 'seed of positions, batches and samples (same seed, same numbers)', '1')
    .option('--json', 'print one JSON document: {"teacher": {...}, "students": [{"loss", "opdEstimator", "forwardKl", "reverseKl", ...}], "findings": [{"claim", "holds", "detail"}]}')
    .option('--losses <list>', `students to train, comma-separated from ${LOSSES.join(', ')} (default fkl,rkl,jsd,ce,opd)`)
    .option('--opd-estimator <list>', `how the on-policy student learns from its samples, comma-separated from ${OPD_ESTIMATORS.join(', ')}; one opd student each (default all three)`)
    .option('--opd-batch <n>', 'characters the on-policy student samples per step (default 2048)')
    .option('--rollout-length <n>', 'characters each on-policy rollout samples (default 16)')
    .option('--steps <n>', 'Adam steps per student (default 3000, --quick 300)')
    .option('--batch <n>', 'positions per step (default 1024, --quick 512)')
    .option('--lr <x>', 'peak Adam learning rate, cosine-decayed to a tenth (default 0.2)')
    .option('--order <n>', 'teacher n-gram order, 2 to 6 (default 6)')
    .option('--student-context <k>', 'characters the student sees, 1 to 3 (default 2)')
    .option('--train-positions <n>', 'training positions with teacher distributions (default 400000, --quick 40000)')
    .option('--eval-positions <n>', 'held-out positions measured (default 100000, --quick 20000)')
    .option('--samples <n>', 'samples per model (default 40, --quick 12)')
    .option('--sample-length <n>', 'characters per sample (default 300, --quick 160)')
    .option('--show-samples <n>', 'sample lines shown per model in the table', '2')
    .action(
      action('distill', async (o: Record<string, string | boolean | undefined>) => {
        const opts = parseDistillFlags(o);
        const showSamples = intOption(String(o.showSamples), '--show-samples', 0);
        const students = opts.losses!.reduce((n, l) => n + (l === 'opd' ? opts.opdEstimators!.length : 1), 0);
        const bar = createProgress({ total: opts.steps! * students, label: 'steps', extra: '{student} loss {loss}' });
        let result: DistillResult;
        let shown = '-';
        try {
          result = await runDistill({
            ...opts,
            onProgress: (p) => {
              if (p.value !== undefined) shown = p.value.toFixed(4);
              else if (p.phase === 'train' || p.phase === 'teacher') shown = '-';
              bar.update(p.done, { student: p.phase === 'teacher' ? 'fitting the teacher;' : (p.loss ?? p.phase), loss: shown });
            },
          });
        } finally {
          bar.stop();
        }
        const command = ['klscope distill', opts.quick ? '--quick' : '', o.seed !== '1' ? `--seed ${opts.seed}` : ''].filter(Boolean).join(' ');
        process.stdout.write(o.json ? toJson(result) + '\n' : distillReport(result, { sampleLines: showSamples, command }));
      }),
    );
  return withExamples(cmd, [
    'klscope distill --quick',
    'klscope distill --quick --json > distill.json',
    'klscope distill --seed 7',
    'klscope distill --losses fkl,rkl --student-context 1 --steps 1000',
    'klscope distill --quick --losses rkl,opd --opd-estimator k1-reward,k3-loss',
  ]);
}
