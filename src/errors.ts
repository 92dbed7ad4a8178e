/**
 * Errors that the CLI maps to exit codes: a {@link UsageError} (exit 2) is a wrong
 * command line; a {@link DataError} (exit 1) is input that breaks a rule.
 * Messages are one line and name the argument, the position, the value and the rule.
 *
 * @example
 * throw new DataError('invalid q[2][17]: expected a finite number >= 0, got -0.1');
 */
export class KlscopeError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** A command-line mistake: unknown option value, missing argument. Exit code 2. */
export class UsageError extends KlscopeError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Input data that breaks a rule: NaN, negative probability, truncated file. Exit code 1. */
export class DataError extends KlscopeError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** Formats a number for an error message so that -0.1, NaN and Infinity read as themselves. */
export function showValue(x: unknown): string {
  if (typeof x === 'number') return Number.isNaN(x) ? 'NaN' : String(x);
  if (typeof x === 'string') return JSON.stringify(x);
  return String(x);
}
