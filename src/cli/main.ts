import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { registerKl } from './kl.js';
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

/** Builds the `klscope` program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('klscope')
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
