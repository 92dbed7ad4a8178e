import { Command, CommanderError, Help, type Option } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { registerKl } from './kl.js';
import { helpWidth } from './run.js';
import { registerTour } from './tour.js';
import { registerBench } from './bench.js';
import { registerCompare } from './compare.js';
import { registerMerge } from './merge.js';
import { registerDistill } from './distill.js';
import { registerFit } from './fit.js';
import { registerServe } from './serve.js';
import { registerText } from './text.js';
import { registerSamples } from './samples.js';
import { registerEstimate } from './estimate.js';
import { registerGradients } from './gradients.js';
import { guardStdout } from './run.js';
import { registerReference } from './reference.js';

function version(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/**
 * Help settings every command inherits: wrapped at {@link helpWidth} even beside long terms,
 * and numeric defaults shown as numbers (`(default: 20)`, not `(default: "20")`).
 */
function helpSettings(): Partial<Help> {
  return {
    helpWidth: helpWidth(),
    minWidthToWrap: 24,
    optionDescription(this: Help, option: Option): string {
      return Help.prototype.optionDescription.call(this, option).replace(/default: "(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)"/i, 'default: $1');
    },
  };
}

/** Builds the `klscope` program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('klscope')
    .configureHelp(helpSettings())
    .description('Forward KL(P‖Q) and reverse KL(Q‖P) for language-model work: measures, comparisons, training, pictures.\nP is always the reference (truth, teacher, base) and Q the model.')
    .version(version())
    .showHelpAfterError('(run with --help for usage and examples)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addHelpText('after', '\nExamples:\n  $ klscope kl --p 0.5,0.3,0.2 --q 0.4,0.4,0.2\n  $ klscope tour\n');
  for (const register of [registerKl, registerTour, registerBench, registerCompare, registerMerge, registerDistill, registerFit, registerServe, registerText, registerSamples, registerEstimate, registerGradients, registerReference]) {
    const cmd = register(program);
    cmd.exitOverride();
  }
  return program;
}

/**
 * Runs the CLI on `argv` (process.argv form) and resolves to the exit code: 0 ok, 1 data
 * error, 2 usage error.
 */
export async function main(argv: string[]): Promise<number> {
  guardStdout();
  const program = buildProgram();
  // no command at all: the overview on stdout (it is what was asked for, and it pipes to less)
  if (argv.length <= 2) {
    process.stdout.write(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    throw e;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
