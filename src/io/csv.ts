import { DataError, quote } from '../errors.js';
import type { Matrix } from '../matrix.js';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const NONFINITE_WORD = /^[+-]?(nan|inf|infinity)$/i;

/**
 * Parses one number the way a user writes it in a list or a CSV cell: decimal or exponent, or
 * the words NaN, inf and Infinity (any case, signed), so that they can be refused by a rule that
 * names their value. Anything else is `undefined`.
 *
 * @example
 * parseNumberCell(' -4e-1 '); // -0.4
 * parseNumberCell('-inf'); // -Infinity
 * parseNumberCell('abc'); // undefined
 */
export function parseNumberCell(cell: string): number | undefined {
  const t = cell.trim();
  if (NUMBER.test(t)) return Number(t);
  if (NONFINITE_WORD.test(t)) return /nan/i.test(t) ? NaN : t.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/** Options of {@link parseCsvNumbers}. */
export interface CsvNumbersOptions {
  /** Refuse NaN and infinities at their line and column (default: pass them on, for the reader's own rules). */
  finite?: boolean;
}

/**
 * The one CSV reader of numbers (matrix arguments and sample sets): one row a line, cells
 * separated by commas; blank lines and lines starting with '#' are skipped. Header rule: the
 * first remaining line is a header, and skipped, when none of its cells is a number in the
 * sense of {@link parseNumberCell} ("x1,x2" is a header; "0.5,abc" and "nan,1" are data).
 * Every data line must have as many cells as the first. A bad cell or line is a
 * {@link DataError} naming `where`, its line and column (both 1-based), the rule and the value.
 * No data line gives a matrix of 0 rows; the caller says what it missed.
 *
 * @example
 * parseCsvNumbers('x,y\n1,2\n3,4\n', 'a.csv'); // { data: Float64Array [1, 2, 3, 4], rows: 2, cols: 2 }
 */
export function parseCsvNumbers(text: string, where: string, opts: CsvNumbersOptions = {}): Matrix {
  const values: number[] = [];
  let cols = -1;
  let rows = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',');
    const parsed = cells.map(parseNumberCell);
    if (cols < 0 && parsed.every((v) => v === undefined)) {
      cols = 0; // the header: the next line is the first data line
      continue;
    }
    if (cols <= 0) cols = cells.length;
    if (cells.length !== cols) throw new DataError(`${where}: line ${i + 1} has ${cells.length} columns, the first data line has ${cols}`);
    parsed.forEach((v, j) => {
      const cell = cells[j]!.trim();
      if (v === undefined || (opts.finite && !Number.isFinite(v))) {
        throw new DataError({
          where: `${where}: line ${i + 1}, column ${j + 1}`,
          expected: opts.finite ? 'a finite number' : 'a number',
          got: v === undefined ? quote(cell) : cell,
        });
      }
      values.push(v);
    });
    rows++;
  }
  return { data: Float64Array.from(values), rows, cols: Math.max(cols, 0) };
}
