// The table of klscope's commands: what `klscope --help` lists without loading any command's
// module, and how to load each one when it runs. Each command's module sets the same
// description on its own command; cli/commands.test.ts checks that the two agree.
import type { Command } from 'commander';

/** One command: its name, its arguments as help lists them, its description and its loader. */
export interface CommandEntry {
  name: string;
  /** The positional arguments, as in the command's usage (empty when it takes none). */
  args: string;
  /** Whether the command takes options (help shows `[options]`). */
  options: boolean;
  description: string;
  /** Imports the command's module and returns its `register` function. */
  load: () => Promise<(program: Command) => Command>;
}

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'kl',
    args: '',
    options: true,
    description: 'Every divergence measure between P (reference) and Q (model): KL both ways, entropies, cross-entropies, JS, TV.',
    load: async () => (await import('./kl.js')).registerKl,
  },
  {
    name: 'tour',
    args: '',
    options: false,
    description: 'The main job (npm start): a short tour of klscope on bundled data.',
    load: async () => (await import('./tour.js')).registerTour,
  },
  {
    name: 'bench',
    args: '',
    options: true,
    description: 'Benchmark the fused kernels (js reference, wasm SIMD, native) on generated logits: elements/s per backend and thread count.',
    load: async () => (await import('./bench.js')).registerBench,
  },
  {
    name: 'compare',
    args: '<base> <candidates...>',
    options: true,
    description:
      "Compare models' next-token distributions over a corpus: KL(base‖candidate) (llama.cpp's KLD) and KL(candidate‖base), JS, TVD, PPL, Δp, same top. Saved runs, or GGUF models run live on a text.",
    load: async () => (await import('./compare.js')).registerCompare,
  },
  {
    name: 'merge',
    args: '<summaries...>',
    options: true,
    description: 'Combine `klscope compare --summary-out` shards (from different machines) into the statistics of the whole run.',
    load: async () => (await import('./merge.js')).registerMerge,
  },
  {
    name: 'distill',
    args: '',
    options: true,
    description:
      'Distillation experiment on the Brown corpus: a Kneser–Ney character 6-gram teacher P, short-context students Q trained with forward KL(P‖Q), reverse KL(Q‖P), JSD(0.5), cross-entropy, and on-policy on their own samples; held-out KL both ways, entropies, sample precision and diversity.',
    load: async () => (await import('./distill.js')).registerDistill,
  },
  {
    name: 'fit',
    args: '',
    options: true,
    description:
      'Fit one Gaussian Q to a mixture of Gaussians P both ways: forward KL(P‖Q) (exact, moment matching) and reverse KL(Q‖P) (every local optimum). Draws the figure.',
    load: async () => (await import('./fit.js')).registerFit,
  },
  {
    name: 'serve',
    args: '',
    options: true,
    description: 'Serve the interactive page (Gaussian fits, token view, every measure) on this machine and print its URL. Ctrl-C stops it.',
    load: async () => (await import('./serve.js')).registerServe,
  },
  {
    name: 'text',
    args: '[REFERENCE] [GENERATED]',
    options: true,
    description:
      'KL both ways and JS between the n-gram distributions of a reference and a generated corpus; forward = KL(reference‖generated), P = the reference (given first).',
    load: async () => (await import('./text.js')).registerText,
  },
  {
    name: 'samples',
    args: '<A> <B>',
    options: true,
    description:
      'KL between two sets of continuous samples (rows = samples, columns = dimensions): kNN estimator both ways with a bootstrap interval, Gaussian-fit closed form, histogram for 1-D; forward = KL(A‖B).',
    load: async () => (await import('./samples.js')).registerSamples,
  },
  {
    name: 'estimate',
    args: '<FILE>',
    options: true,
    description:
      "Monte Carlo KL(q‖p) from sampled sequences, as in RLHF: Schulman's k1, k2, k3 per token and per sequence with standard errors; q = the sampling policy, p = the reference.",
    load: async () => (await import('./estimate.js')).registerEstimate,
  },
  {
    name: 'gradients',
    args: '',
    options: true,
    description:
      'What each KL estimator (k1, k2, k3, k3+) does as a gradient, in the reward or in the loss: exact expected values and gradients, cosines to ∇KL(q‖p) and ∇KL(p‖q), and Monte Carlo.',
    load: async () => (await import('./gradients.js')).registerGradients,
  },
  {
    name: 'reference',
    args: '<source>',
    options: true,
    description:
      "Write a compact base reference (.klref): per scored token the base's top-k log-probabilities, the exact tail mass, ceiling and floor. `klscope compare ref.klref CANDIDATE` then gives certified KL intervals.",
    load: async () => (await import('./reference.js')).registerReference,
  },
];

/**
 * The command that `argv` (process.argv form) runs: the first argument that is not an option,
 * or the one after `help`. Undefined for `klscope`, `klscope --help`, `klscope --version`.
 *
 * @example
 * requestedCommand(['node', 'klscope', 'kl', '--p', '1']); // 'kl'
 * requestedCommand(['node', 'klscope', 'help', 'fit']); // 'fit'
 */
export function requestedCommand(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  const i = args.findIndex((a) => !a.startsWith('-'));
  if (i < 0) return undefined;
  if (args[i] === 'help') return args.slice(i + 1).find((a) => !a.startsWith('-'));
  return args[i];
}
