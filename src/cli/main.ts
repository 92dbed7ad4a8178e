import type { Command, Help, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { COMMANDS, requestedCommand } from './commands.js';
import { guardStdout } from './stdout.js';

function version(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/**
 * Help settings every command inherits: wrapped at the help width (run.ts) even beside long terms,
 * and numeric defaults shown as numbers (`(default: 20)`, not `(default: "20")`).
 */
function helpSettings(HelpClass: typeof Help, width: number): Partial<Help> {
  return {
    helpWidth: width,
    minWidthToWrap: 24,
    optionDescription(this: Help, option: Option): string {
      return HelpClass.prototype.optionDescription.call(this, option).replace(/default: "(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)"/i, 'default: $1');
    },
  };
}

/**
 * Builds the `klscope` program. Only the module of `only` (a command name) is loaded and
 * registered with its options; every other command is listed by name, arguments and
 * description from the command table, so `--help` shows them all without importing them.
 * Without `only`, every command is loaded.
 */
export async function buildProgram(only?: string | null): Promise<Command> {
  const { Command, Help, Option: OptionClass } = await import('commander');
  const { helpWidth } = await import('./run.js');
  const program = new Command('klscope')
    .configureHelp(helpSettings(Help, helpWidth()))
    .description('Forward KL(P‖Q) and reverse KL(Q‖P) for language-model work: measures, comparisons, training, pictures.\nP is always the reference (truth, teacher, base) and Q the model.')
    .version(version())
    .showHelpAfterError('(run with --help for usage and examples)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addHelpText('after', '\nExamples:\n  $ klscope kl --p 0.5,0.3,0.2 --q 0.4,0.4,0.2\n  $ klscope tour\n');
  for (const entry of COMMANDS) {
    if (only === undefined || only === entry.name) {
      const register = await entry.load();
      register(program).exitOverride();
      continue;
    }
    // A listing-only entry: the hidden option makes help show "[options]" as for the real one.
    const cmd = program.command(entry.name).description(entry.description).exitOverride();
    if (entry.args) cmd.arguments(entry.args);
    if (entry.options) cmd.addOption(new OptionClass('--listed-only').hideHelp());
  }
  return program;
}

/**
 * Runs the CLI on `argv` (process.argv form) and resolves to the exit code: 0 ok, 1 data
 * error, 2 usage error.
 */
export async function main(argv: string[]): Promise<number> {
  guardStdout();
  // `klscope --version` alone answers without loading commander (it is most of the start-up)
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const { CommanderError } = await import('commander');
  const program = await buildProgram(requestedCommand(argv) ?? null);
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
