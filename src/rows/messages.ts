import { DataError } from '../errors.js';
import { shortNumber } from '../words.js';
import { VALUE_RULE, type InputKind } from './values.js';

/** Where a row error points: the argument or file's name, and the row of a matrix. */
export interface RowPlace {
  /** 'p', 'q', 'base', a file name */
  name: string;
  /** Row index in a matrix; omit for a single row. */
  row?: number;
}

/**
 * `p` for a single row, `p[2]` for row 2 of a matrix, `p[2][3]` for one of its cells.
 *
 * @example
 * rowWhere({ name: 'q', row: 2 }, 17); // 'q[2][17]'
 */
export function rowWhere(at: RowPlace, col?: number): string {
  return `${at.name}${at.row === undefined ? '' : `[${at.row}]`}${col === undefined ? '' : `[${col}]`}`;
}

/**
 * A row without values.
 *
 * @example
 * emptyRowError({ name: 'p' }).message; // 'invalid p: empty row (a distribution needs at least one value)'
 */
export function emptyRowError(at: RowPlace): DataError {
  return new DataError(`invalid ${rowWhere(at)}: empty row (a distribution needs at least one value)`);
}

/**
 * A value that breaks the rule of its input kind ({@link VALUE_RULE}).
 *
 * @example
 * badValueError({ name: 'q', row: 2 }, 17, 'probs', -0.1).message; // 'invalid q[2][17]: expected a finite number >= 0, got -0.1'
 */
export function badValueError(at: RowPlace, col: number, from: InputKind, value: number): DataError {
  return new DataError({ where: `invalid ${rowWhere(at, col)}`, expected: VALUE_RULE[from], got: value });
}

const NO_MASS: Readonly<Record<InputKind, string>> = { probs: 'values are 0', logprobs: 'log-probabilities are -Infinity', logits: 'logits are -Infinity' };

/**
 * A row without probability mass: all zeros, or all −Infinity.
 *
 * @example
 * noMassError({ name: 'p' }, 3, 'logits').message; // 'invalid p: all 3 logits are -Infinity, so it is no distribution'
 */
export function noMassError(at: RowPlace, n: number, from: InputKind): DataError {
  return new DataError(`invalid ${rowWhere(at)}: all ${n} ${NO_MASS[from]}, so it is no distribution`);
}

/**
 * The error of a probability or log-probability row whose sum is off 1 by more than the
 * tolerance. Its fix is named as the library's option (`normalize: true`); a command line names
 * its own flag through {@link NotNormalizedError.withFix}.
 */
export class NotNormalizedError extends DataError {
  readonly #head: string;
  constructor(head: string, fix = 'normalize: true') {
    super(`${head}; pass ${fix} to rescale it`);
    this.#head = head;
  }
  /** The same error with the fix named as `fix`, e.g. a CLI flag. */
  withFix(fix: string): NotNormalizedError {
    return new NotNormalizedError(this.#head, fix);
  }
}

/**
 * A probability or log-probability row whose sum is off 1 by more than the tolerance.
 *
 * @example
 * notNormalizedError({ name: 'p' }, 0.9, 1e-6).message; // 'invalid p: values sum to 0.9 (off by 0.100, relative tolerance 1e-6); pass normalize: true to rescale it'
 */
export function notNormalizedError(at: RowPlace, sum: number, tol: number): NotNormalizedError {
  return new NotNormalizedError(`invalid ${rowWhere(at)}: values sum to ${shortNumber(sum)} (off by ${Math.abs(sum - 1).toPrecision(3)}, relative tolerance ${tol.toExponential()})`);
}
