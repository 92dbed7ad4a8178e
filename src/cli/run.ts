import { Command, CommanderError, Option } from 'commander';
import { KlscopeError, UsageError } from '../errors.js';

/**
 * Runs a command's action: a {@link KlscopeError} becomes one line on stderr and its exit code
 * (2 usage, 1 data); anything else is an internal error (exit 1). Output is written by the
 * action only after all work succeeded, so a failure leaves stdout empty.
 */
export function action<A extends unknown[]>(name: string, fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof KlscopeError) {
        process.stderr.write(`klscope ${name}: ${e.message}\n`);
        process.exitCode = e.exitCode;
        return;
      }
      throw e;
    }
  };
}

/** Adds the "Example:" block that every command's --help shows. */
export function withExamples(cmd: Command, examples: string[]): Command {
  return cmd.addHelpText('after', '\nExamples:\n' + examples.map((e) => `  $ ${e}`).join('\n') + '\n');
}

/** Parses a positive integer option, as a usage error when it is not one. */
export function intOption(value: string, name: string, min = 1): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`invalid ${name}: expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  return v;
}

/** Parses a finite number option. */
export function numberOption(value: string, name: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new UsageError(`invalid ${name}: expected a number, got ${JSON.stringify(value)}`);
  return v;
}

/** A choice option whose bad values are usage errors listing the choices. */
export function choiceOption(flags: string, description: string, choices: string[], def?: string): Option {
  const o = new Option(flags, description).choices(choices);
  return def === undefined ? o : o.default(def);
}

export { CommanderError };
