import type { Command } from 'commander';
import type { InputKind } from '../divergence/types.js';
import { DataError, UsageError } from '../errors.js';
import { readMatrixArg } from '../io/matrixArg.js';
import { seededRandom } from '../random.js';
import { formatNumber } from '../report/format.js';
import { toJson } from '../report/json.js';
import { renderTable } from '../report/table.js';
import { estimatorGradients, gradientVerdict, randomDistribution, type EstimatorGradientResult } from '../text/estimatorGradients.js';
import { action, choiceOption, intOption, numberOption, withExamples } from './run.js';

/** Largest --vocab and --samples: the work is O(samples + vocab) per row and 4 bytes per sample. */
const MAX_VOCAB = 1_000_000;
const MAX_SAMPLES = 10_000_000;

/** Options of {@link runGradients}, as parsed from the command line. */
export interface GradientsRun {
  p?: string;
  q?: string;
  from: InputKind;
  vocab: number;
  samples: number;
  seed: number;
  /** 'uniform', 'random', or a distribution as --p takes it. */
  behaviour?: string;
  clip?: number;
}

function oneRow(value: string, arg: string): Float64Array {
  const m = readMatrixArg(value, arg);
  if (m.rows !== 1) throw new DataError(`invalid ${arg}: expected one distribution (one row), got ${m.rows} rows`);
  return Float64Array.from(m.data);
}

/**
 * Runs `klscope gradients`: p and q from --p/--q or random (seeded, uniform on the simplex), the
 * behaviour distribution if any, then {@link estimatorGradients}.
 *
 * @example
 * const r = runGradients({ from: 'probs', vocab: 8, samples: 10000, seed: 1 });
 */
export function runGradients(o: GradientsRun): EstimatorGradientResult {
  const rnd = seededRandom(o.seed);
  const given = { p: o.p === undefined ? undefined : oneRow(o.p, '--p'), q: o.q === undefined ? undefined : oneRow(o.q, '--q') };
  const V = given.p?.length ?? given.q?.length ?? o.vocab;
  if (given.p && given.q && given.p.length !== given.q.length) throw new DataError(`shape mismatch: --p has ${given.p.length} values, --q has ${given.q.length}`);
  // Random draws in a fixed order (p, q, behaviour) so that giving one of them keeps the others.
  const rp = randomDistribution(V, rnd);
  const rq = randomDistribution(V, rnd);
  const rb = randomDistribution(V, rnd);
  const from = given.p || given.q ? o.from : 'probs';
  const p = given.p ?? (from === 'probs' ? rp : rp.map(Math.log));
  const q = given.q ?? (from === 'probs' ? rq : rq.map(Math.log));
  let behaviour: Float64Array | undefined;
  if (o.behaviour === 'uniform') behaviour = new Float64Array(V).fill(from === 'probs' ? 1 / V : -Math.log(V));
  else if (o.behaviour === 'random') behaviour = from === 'probs' ? rb : rb.map(Math.log);
  else if (o.behaviour !== undefined) behaviour = oneRow(o.behaviour, '--behaviour');
  return estimatorGradients({ p, q, from, behaviour, clip: o.clip, samples: o.samples, seed: o.seed + 1 });
}

/** The `--json` document: the issue's contract, nothing more. */
export function gradientsJson(r: EstimatorGradientResult): string {
  return (
    toJson({
      vocab: r.vocab,
      samples: r.samples,
      kl: { reverse: r.kl.reverse, forward: r.kl.forward },
      rows: r.rows.map((x) => ({
        estimator: x.estimator,
        placement: x.placement,
        valueBias: x.valueBias,
        gradBias: x.gradBias,
        cosineReverse: x.cosineReverse,
        cosineForward: x.cosineForward,
        expectedGradientOf: x.expectedGradientOf,
        mc: { value: x.mc.value, valueStderr: x.mc.valueStderr, gradBias: x.mc.gradBias, gradVariance: x.mc.gradVariance },
      })),
    }) + '\n'
  );
}

const f = (x: number | null, d = 4) => (x === null ? 'n/a' : formatNumber(x, d));
/** A bias that is rounding only (below 1e-12) reads as 0. */
const bias = (x: number) => (Math.abs(x) < 1e-12 ? '0' : formatNumber(x, 4));

/**
 * The table for people: one row per estimator and placement with the exact bias of the value
 * and of the gradient, the cosines, which gradient it equals, the Monte Carlo columns, and what
 * it does in plain words.
 *
 * @example
 * process.stdout.write(gradientsTable(runGradients({ from: 'probs', vocab: 8, samples: 10000, seed: 1 })));
 */
export function gradientsTable(r: EstimatorGradientResult, command = 'klscope gradients'): string {
  const header = ['estimator', 'in the', 'E[value] − KL', 'grad bias', 'cos ∇KL(q‖p)', 'cos ∇KL(p‖q)', 'E[g] = ∇ of', 'MC value ± SE', 'MC grad bias', 'tr Cov(g)', 'what it does'];
  const rows = r.rows.map((x) => [
    x.estimator,
    x.placement,
    bias(x.valueBias),
    bias(x.gradBias),
    f(x.cosineReverse),
    f(x.cosineForward),
    x.expectedGradientOf,
    `${f(x.mc.value)} ± ${f(x.mc.valueStderr, 2)}`,
    f(x.mc.gradBias, 3),
    f(x.mc.gradVariance, 3),
    gradientVerdict(x, r.offPolicy),
  ]);
  const sampling = r.offPolicy ? `a behaviour μ with importance weights q/μ${r.clip === null ? '' : ` clipped at ${r.clip}`}` : 'q (on-policy)';
  const title =
    `${command}: policy q = softmax(θ) over ${r.vocab} tokens, reference p; KL(q‖p) = ${formatNumber(r.kl.reverse, 6)}, KL(p‖q) = ${formatNumber(r.kl.forward, 6)} nats; ` +
    `${r.samples} samples from ${sampling}; gradients with respect to θ`;
  const notes = [
    'reward: g = e(x)·∇θ log q(x), e detached (REINFORCE); loss: g = ∇θ e(x) at the sampled x. k1 = −log r, k2 = ½(log r)², k3 = r − 1 − log r with r = p(x)/q(x); k3+ = k3\'s value with k2\'s gradient.',
    `E[value], E[g]: exact, summed over the vocabulary. grad bias = ‖E[g] − ∇KL(q‖p)‖/‖∇KL(q‖p)‖; "E[g] = ∇ of" to 1e-9; MC: means over the samples, tr Cov(g) = per-sample gradient variance (trace).`,
  ];
  return renderTable(header, rows, { title, notes, align: ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'right', 'right', 'right', 'left'] });
}

/**
 * The tour's part: the default run's table (8 random tokens, 10,000 samples; milliseconds).
 *
 * @example
 * process.stdout.write(gradientsTourSection());
 */
export function gradientsTourSection(): string {
  const r = runGradients({ from: 'probs', vocab: 8, samples: 10_000, seed: 1 });
  return (
    'KL from samples: the right value is not the right gradient (k3 as a loss descends the forward KL).\n' +
    '$ klscope gradients\n' +
    gradientsTable(r, 'klscope gradients (seed 1)')
  );
}

export function registerGradients(program: Command): Command {
  const cmd = program
    .command('gradients')
    .description('What each KL estimator (k1, k2, k3, k3+) does as a gradient, in the reward or in the loss: exact expected values and gradients, cosines to ∇KL(q‖p) and ∇KL(p‖q), and Monte Carlo.')
    .option('--p <values|file>', 'the reference p, as `klscope kl --p` takes it (default: random, uniform on the simplex)')
    .option('--q <values|file>', 'the policy q = softmax(θ) (default: random)')
    .addOption(choiceOption('--from <kind>', 'how --p, --q and --behaviour are given', ['probs', 'logprobs', 'logits'], 'probs'))
    .option('--vocab <n>', 'tokens of the random p and q', '8')
    .option('--samples <n>', 'Monte Carlo samples', '10000')
    .option('--seed <n>', 'seed of the random p, q and samples', '1')
    .option('--behaviour <dist>', 'sample off-policy from μ: "uniform", "random", or a distribution as --p takes it')
    .option('--clip <c>', 'clip the importance weights q/μ at c (with --behaviour)')
    .option('--json', 'print one JSON document: {"vocab", "samples", "kl": {"reverse", "forward"}, "rows": [{"estimator", "placement", "valueBias", "gradBias", ...}]}')
    .action(
      action('gradients', (o: Record<string, string | boolean | undefined>) => {
        const vocab = intOption(String(o.vocab), '--vocab', 2);
        if (vocab > MAX_VOCAB) throw new UsageError(`invalid --vocab: expected an integer from 2 to ${MAX_VOCAB}, got ${o.vocab}`);
        const samples = intOption(String(o.samples), '--samples', 2);
        if (samples > MAX_SAMPLES) throw new UsageError(`invalid --samples: expected an integer from 2 to ${MAX_SAMPLES}, got ${o.samples}`);
        const seed = intOption(String(o.seed), '--seed', 0);
        let clip: number | undefined;
        if (o.clip !== undefined) {
          if (o.behaviour === undefined) throw new UsageError('invalid --clip: it clips importance weights, so it needs --behaviour');
          clip = numberOption(String(o.clip), '--clip');
          if (!(clip > 0)) throw new UsageError(`invalid --clip: expected a number > 0, got ${JSON.stringify(o.clip)}`);
        }
        const r = runGradients({
          p: o.p === undefined ? undefined : String(o.p),
          q: o.q === undefined ? undefined : String(o.q),
          from: o.from as InputKind,
          vocab,
          samples,
          seed,
          behaviour: o.behaviour === undefined ? undefined : String(o.behaviour),
          clip,
        });
        process.stdout.write(o.json ? gradientsJson(r) : gradientsTable(r, `klscope gradients (seed ${seed})`));
      }),
    );
  return withExamples(cmd, [
    'klscope gradients',
    'klscope gradients --vocab 32 --samples 100000 --seed 3',
    'klscope gradients --p 0.7,0.2,0.1 --q 0.2,0.5,0.3 --json',
    'klscope gradients --behaviour uniform --clip 2',
  ]);
}
