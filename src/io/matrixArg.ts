import { existsSync, readFileSync } from 'node:fs';
import { describeValue } from './argCheck.js';
import path from 'node:path';
import { ArgumentError, DataError, UsageError, quote } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { parseNpy } from './npy.js';
import { readInput } from './readFile.js';
import { parseCsvNumbers, parseNumberCell } from './csv.js';

function fromRows(rows: number[][], where: string): Matrix {
  if (rows.length === 0) throw new DataError(`${where}: no rows`);
  const cols = rows[0]!.length;
  for (let r = 0; r < rows.length; r++) {
    if (rows[r]!.length === 0) throw new DataError(`${where}: row ${r} is empty`);
    if (rows[r]!.length !== cols) throw new DataError(`${where}: row ${r} has ${rows[r]!.length} values, row 0 has ${cols}`);
  }
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, r) => data.set(row, r * cols));
  return { data, rows: rows.length, cols };
}

function splitNumbers(line: string, sep: RegExp, where: (col: number) => string): number[] {
  return line.split(sep).map((cell, c) => {
    const v = parseNumberCell(cell);
    if (v === undefined) throw new DataError(`${where(c)}: ${quote(cell.trim())} is not a number`);
    return v;
  });
}

/** Parses an inline list: "0.5,0.3,0.2", rows separated by ';'. */
export function parseInlineMatrix(text: string, arg: string): Matrix {
  const rows = text
    .split(';')
    .map((r, i) => ({ r, i }))
    .filter(({ r }, _, all) => r.trim() !== '' || all.length === 1)
    .map(({ r, i }) => (r.trim() === '' ? [] : splitNumbers(r, /,/, (c) => `invalid ${arg}: row ${i}, value ${c}`)));
  return fromRows(rows, `invalid ${arg}`);
}

/** Parses CSV text by the one CSV rule ({@link parseCsvNumbers}); NaN and infinities are kept for the row rules. */
export function parseCsvMatrix(text: string, where: string): Matrix {
  const m = parseCsvNumbers(text, where);
  if (m.rows === 0) throw new DataError(`${where}: no rows`);
  return m;
}

/** Parses JSON text: an array of numbers (one row) or an array of arrays. */
export function parseJsonMatrix(text: string, where: string): Matrix {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DataError(`${where}: malformed JSON (${(e as Error).message})`);
  }
  const cell = (x: unknown, r: number, c: number): number => {
    if (typeof x === 'number') return x;
    if (x === 'Infinity' || x === '-Infinity' || x === 'NaN') return Number(x);
    if (x === null) return NaN;
    throw new DataError(`${where}: row ${r}, value ${c} is ${quote(x)}, not a number`);
  };
  if (!Array.isArray(v)) throw new DataError(`${where}: expected an array of numbers or an array of arrays`);
  if (v.length === 0) throw new DataError(`${where}: empty array`);
  if (!Array.isArray(v[0])) return fromRows([v.map((x, c) => cell(x, 0, c))], where);
  return fromRows(
    v.map((row, r) => {
      if (!Array.isArray(row)) throw new DataError(`${where}: row ${r} is not an array`);
      return row.map((x, c) => cell(x, r, c));
    }),
    where,
  );
}

/** Parses the bytes of a matrix given on stdin: .npy (by its magic), JSON (starts with "["), else CSV. */
function parseStdinMatrix(buf: Buffer, arg: string): Matrix {
  const where = `invalid ${arg} (stdin)`;
  if (buf.length >= 6 && buf[0] === 0x93 && buf.subarray(1, 6).toString('latin1') === 'NUMPY') return npyMatrix(buf, arg, 'stdin');
  const text = buf.toString('utf8');
  if (text.trim() === '') throw new DataError(`${where}: stdin is empty`);
  if (text.trimStart().startsWith('[')) return parseJsonMatrix(text, where);
  return parseCsvMatrix(text, where);
}

/** A .npy matrix argument: float16 (widened), float32 or float64, 1-D or 2-D. */
function npyMatrix(buf: Buffer, arg: string, source: string): Matrix {
  const where = `invalid ${arg} (${source})`;
  const a = parseNpy(buf, `${arg} (${source})`);
  const { shape } = a;
  if (!(a.data instanceof Float32Array || a.data instanceof Float64Array)) {
    throw new DataError(`${where}: dtype ${a.header.dtype} is not a distribution; expected float16 '<f2', float32 '<f4' or float64 '<f8'`);
  }
  if (shape.length === 1) return { data: a.data, rows: 1, cols: shape[0]! };
  if (shape.length === 2) return { data: a.data, rows: shape[0]!, cols: shape[1]! };
  throw new DataError(`${where}: expected a 1-D or 2-D array, got shape [${shape.join(', ')}]`);
}

/** Options of {@link readMatrixArg}. */
export interface ReadMatrixArgOptions {
  /** Reads all of stdin for the value "-" (default: file descriptor 0). */
  stdin?: () => Buffer;
}

/**
 * Reads the value of a matrix argument such as `--p`: an inline list ("0.5,0.3,0.2", rows
 * separated by ';'), inline JSON ("[0.5,0.5]" or "[[…],[…]]"), "-" for stdin (.npy bytes, JSON
 * or CSV text), or a file (.npy float16/float32/float64 1-D or 2-D, .json, .csv).
 *
 * @example
 * readMatrixArg('0.5,0.3,0.2', '--p'); // { data: Float64Array [0.5, 0.3, 0.2], rows: 1, cols: 3 }
 * readMatrixArg('[[0.5,0.5],[0.9,0.1]]', '--q').rows; // 2
 */
export function readMatrixArg(value: string, arg: string, opts: ReadMatrixArgOptions = {}): Matrix {
  if (typeof value !== 'string') throw new ArgumentError({ where: 'readMatrixArg(value: string, arg: string, opts?)', expected: 'a string value (a list, JSON, - or a path)', got: describeValue(value) });
  if (value === '-') {
    let buf: Buffer;
    try {
      buf = (opts.stdin ?? (() => readFileSync(0)))();
    } catch (e) {
      throw new DataError(`invalid ${arg} (stdin): cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return parseStdinMatrix(buf, arg);
  }
  if (value.trimStart().startsWith('[') && !existsSync(value)) return parseJsonMatrix(value, `invalid ${arg} (inline JSON)`);
  const looksInline = /^[\s\d.,;eE+\-]*$/.test(value) || /^[\s\d.,;eE+\-naifNIFty]*,[\s\d.,;eE+\-naifNIFty]*$/.test(value);
  const ext = path.extname(value).toLowerCase();
  const fileType = ['.npy', '.json', '.csv', '.txt'].includes(ext);
  if (!existsSync(value)) {
    if (looksInline && /\d|nan|inf/i.test(value)) return parseInlineMatrix(value, arg);
    // A name with a file type is a file: reading it reports why it cannot be read.
    if (!fileType) throw new UsageError(`invalid ${arg}: ${quote(value)} is neither a list of numbers ("0.5,0.5"), JSON ("[0.5,0.5]"), - for stdin, nor an existing .npy/.json/.csv file`);
  } else if (!fileType) throw new UsageError(`invalid ${arg}: unknown file type ${quote(ext)} (expected .npy, .json or .csv)`);
  const where = `invalid ${arg} (${value})`;
  const buf = readInput(value, where);
  if (ext === '.npy') return npyMatrix(buf, arg, value);
  if (ext === '.json') return parseJsonMatrix(buf.toString('utf8'), where);
  return parseCsvMatrix(buf.toString('utf8'), where);
}
