import path from 'node:path';
import { DataError, showValue, UsageError, quote } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { readMatrixArg } from './matrixArg.js';
import { readNpy } from './npy.js';
import { decodeUtf8Strict } from './textFiles.js';
import { checkRegularFile, readInput } from './readFile.js';
import { parseCsvNumbers } from './csv.js';

/**
 * Parses CSV samples by the one CSV rule ({@link parseCsvNumbers}: blank lines and '#' comments
 * skipped, a first line without a number is a header); every cell must be a finite number: the
 * first that is not is reported with its line and column (1-based), as are rows with the wrong
 * number of columns.
 *
 * @example
 * parseSampleCsv('x,y\n1,2\n3,4\n', 'a.csv'); // { data: Float64Array [1, 2, 3, 4], rows: 2, cols: 2 }
 */
export function parseSampleCsv(text: string, where: string): Matrix {
  const m = parseCsvNumbers(text, where, { finite: true });
  if (m.rows === 0) throw new DataError(`${where}: no samples (no data lines)`);
  return m;
}

/**
 * Reads a matrix of continuous samples (rows = samples, columns = dimensions) from .csv,
 * .json or .npy (any float or integer dtype; a 1-D array is one column). Every value must be
 * finite: the first NaN or infinity is reported with its file, row (or line) and column.
 *
 * @example
 * const a = readSampleMatrix('data/samples/real.csv', 'A'); // { data, rows: 1000, cols: 2 }
 */
export function readSampleMatrix(file: string, name: string): Matrix {
  const ext = path.extname(file).toLowerCase();
  const where = `${name} (${file})`;
  let m: Matrix;
  if (ext === '.npy') {
    const a = readNpy(file, where);
    const data = a.data instanceof Float64Array || a.data instanceof Float32Array ? a.data : Float64Array.from(a.data);
    if (a.shape.length === 1) m = { data, rows: a.shape[0]!, cols: 1 };
    else if (a.shape.length === 2) m = { data, rows: a.shape[0]!, cols: a.shape[1]! };
    else throw new DataError(`${where}: expected a 1-D or 2-D array (rows = samples), got shape [${a.shape.join(', ')}]`);
  } else if (ext === '.csv' || ext === '.txt') {
    return parseSampleCsv(decodeUtf8Strict(readInput(file, where), where), where);
  } else if (ext === '.json') {
    checkRegularFile(file, where);
    m = readMatrixArg(file, name);
    // A flat JSON array is one column of 1-D samples.
    if (m.rows === 1) m = { data: m.data, rows: m.cols, cols: 1 };
  } else throw new UsageError(`invalid ${name}: unknown file type ${quote(ext)} for ${file} (expected .csv, .npy or .json)`);
  if (m.rows === 0 || m.cols === 0) throw new DataError(`${where}: no samples (shape [${m.rows}, ${m.cols}])`);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      const v = m.data[r * m.cols + c]!;
      if (!Number.isFinite(v)) throw new DataError(`${where}: row ${r}, column ${c} (0-based): expected a finite number, got ${showValue(v)}`);
    }
  }
  return m;
}
