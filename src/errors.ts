/**
 * The error taxonomy at the library boundary. An {@link ArgumentError} (exit 2) is a wrong
 * argument or command line; a {@link DataError} (exit 1) is input that breaks a rule. Both carry
 * structured `where` / `expected` / `got` fields when they are built from them, and a one-line
 * message that names the place, the rule and the (bounded) value. Library messages name the
 * argument as the library knows it; the CLI adds its flag names.
 *
 * @example
 * const e = new DataError({ where: 'q[2][17]', expected: 'a finite number >= 0', got: -0.1 });
 * e.message; // 'q[2][17]: expected a finite number >= 0, got -0.1'
 */
export interface ErrorParts {
  /** The file, argument, row/column or byte offset. */
  where: string;
  /** The rule the value breaks, as "expected …". */
  expected: string;
  /** The offending value: a string is shown as it is (quote a user's string with {@link quote}); anything else through {@link showValue}. */
  got?: unknown;
}

export class KlscopeError extends Error {
  readonly exitCode: number;
  readonly where?: string;
  readonly expected?: string;
  readonly got?: string;
  constructor(what: string | ErrorParts, exitCode: number) {
    super(typeof what === 'string' ? oneLine(what) : partsMessage(what));
    this.name = new.target.name;
    this.exitCode = exitCode;
    if (typeof what !== 'string') {
      this.where = what.where;
      this.expected = what.expected;
      if ('got' in what) this.got = gotText(what.got);
    }
  }
}

/** A wrong argument or command line: unknown option value, missing argument, bad output path. Exit code 2. */
export class ArgumentError extends KlscopeError {
  constructor(what: string | ErrorParts) {
    super(what, 2);
  }
}

/** The CLI's name for an {@link ArgumentError}. */
export const UsageError = ArgumentError;
export type UsageError = ArgumentError;

/** Input data that breaks a rule: NaN, negative probability, truncated file. Exit code 1. */
export class DataError extends KlscopeError {
  constructor(what: string | ErrorParts) {
    super(what, 1);
  }
}

function partsMessage(p: ErrorParts): string {
  return oneLine(`${p.where}: expected ${p.expected}${'got' in p ? `, got ${gotText(p.got)}` : ''}`);
}

function gotText(x: unknown): string {
  return typeof x === 'string' ? x : showValue(x);
}

/** Messages are one line: control characters (newlines from a quoted input) are escaped. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** The longest quoted input an error message shows, in characters; longer ones are cut with their length stated. */
export const MAX_QUOTE = 80;

/**
 * Formats a value for an error message so that -0.1, NaN and Infinity read as themselves, and
 * long strings are cut at {@link MAX_QUOTE} characters with their full length stated.
 *
 * @example
 * showValue(NaN); // 'NaN'
 * showValue('x'.repeat(1000)); // '"xxxx…xxx"… (1000 characters)'
 */
export function showValue(x: unknown): string {
  if (typeof x === 'number') return Number.isNaN(x) ? 'NaN' : String(x);
  if (typeof x === 'string') return quote(x);
  if (x === null) return 'null';
  if (x === undefined) return 'nothing';
  if (typeof x === 'object') {
    let s: string | undefined;
    try {
      s = JSON.stringify(x);
    } catch {
      s = undefined;
    }
    return s === undefined ? (Array.isArray(x) ? 'a list nested too deeply to show' : 'an object that cannot be shown') : bounded(s);
  }
  return bounded(String(x));
}

/** JSON-quotes a string, cut to {@link MAX_QUOTE} characters (other values as {@link showValue}). */
export function quote(s: unknown): string {
  if (typeof s !== 'string') return s === undefined ? 'nothing' : showValue(s);
  if (s.length <= MAX_QUOTE) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, MAX_QUOTE))}… (${s.length} characters)`;
}

function bounded(s: string): string {
  return s.length <= MAX_QUOTE ? s : `${s.slice(0, MAX_QUOTE)}… (${s.length} characters)`;
}

/**
 * Whether `e` is a failed allocation (a typed array, buffer or string beyond what the process
 * can hold): the input asked for more memory than exists, a data or argument problem, not a bug.
 */
export function isAllocationFailure(e: unknown): boolean {
  return e instanceof RangeError && /Invalid (typed )?array length|Array buffer allocation failed|Invalid string length|out of memory|Maximum call stack|Invalid count value|must be a positive integer|Array length/i.test(e.message);
}

/** A thrown value as a worker thread posts it to the main thread (structured clone drops the class). */
export interface ThreadError {
  error: string;
  /** The {@link KlscopeError}'s exit code; absent for anything else (a bug). */
  exitCode?: number;
  stack?: string;
}

/**
 * What a worker thread posts for a thrown value, so that {@link fromThreadError} on the main
 * thread rebuilds a {@link DataError} or {@link ArgumentError} with its exit code.
 *
 * @example
 * toThreadError(new DataError('x.kld: truncated')); // { error: 'x.kld: truncated', exitCode: 1, stack: '…' }
 */
export function toThreadError(e: unknown): ThreadError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { error: err.message, exitCode: e instanceof KlscopeError ? e.exitCode : undefined, stack: err.stack };
}

/**
 * The main thread's error for what a worker posted with {@link toThreadError}: a DataError
 * (exit 1) or ArgumentError (exit 2) with the same message, anything else a plain Error that
 * keeps the worker's stack (an internal error).
 *
 * @example
 * fromThreadError({ error: 'x.kld: truncated', exitCode: 1 }) instanceof DataError; // true
 */
export function fromThreadError(m: ThreadError): Error {
  if (m.exitCode === 1) return new DataError(m.error);
  if (m.exitCode === 2) return new ArgumentError(m.error);
  return new Error(`${m.error}\n${m.stack ?? ''}`);
}
