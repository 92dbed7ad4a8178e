import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseSampleCsv, readSampleMatrix } from './sampleMatrix.js';
import { encodeNpy } from './npy.js';
import { DataError } from '../errors.js';
import { tempFiles } from '../testing/tempFiles.js';

const { dir, file } = tempFiles('samples');

describe('sample matrices', () => {
  test('CSV with a header, comments and blank lines', () => {
    const m = parseSampleCsv('x1,x2\n# note\n1,2\n\n3.5,-4e-1\n', 'a.csv');
    assert.deepEqual([m.rows, m.cols, ...m.data], [2, 2, 1, 2, 3.5, -0.4]);
    assert.deepEqual(Array.from(parseSampleCsv('0.5\n0.25\n', 'b.csv').data), [0.5, 0.25]);
  });
  test('NaN, infinities, words and ragged rows name the file, line and column', () => {
    assert.throws(() => parseSampleCsv('x,y\n1,2\n3,NaN\n', 'A (a.csv)'), (e: Error) => e instanceof DataError && e.message === 'A (a.csv): line 3, column 2: expected a finite number, got NaN');
    assert.throws(() => parseSampleCsv('1,2\n3,inf\n', 'A'), /line 2, column 2: expected a finite number, got inf/);
    assert.throws(() => parseSampleCsv('1,2\n3,abc\n', 'A'), /line 2, column 2: expected a finite number, got "abc"/);
    assert.throws(() => parseSampleCsv('1,2\n3\n', 'A'), /line 2 has 1 columns, the first data line has 2/);
    assert.throws(() => parseSampleCsv('x,y\n', 'A'), /no samples/);
  });
  test('.npy (float and int, 1-D as one column) and .json files', () => {
    const a = readSampleMatrix(file('a.npy', encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2])), 'A');
    assert.deepEqual([a.rows, a.cols], [3, 2]);
    const b = readSampleMatrix(file('b.npy', encodeNpy(new Int32Array([1, 2, 3]), [3])), 'B');
    assert.deepEqual([b.rows, b.cols, ...b.data], [3, 1, 1, 2, 3]);
    assert.throws(() => readSampleMatrix(file('c.npy', encodeNpy(new Float64Array([1, 2, NaN, 4]), [2, 2])), 'A'), /A \(.*c\.npy\): row 1, column 0 \(0-based\): expected a finite number, got NaN/);
    const j = readSampleMatrix(file('d.json', '[0.1, 0.2, 0.3]'), 'A');
    assert.deepEqual([j.rows, j.cols], [3, 1]);
    assert.throws(() => readSampleMatrix(path.join(dir, 'none.csv'), 'B'), /B \(.*none\.csv\): expected a readable regular file, got no such file \(ENOENT\)/);
    assert.throws(() => readSampleMatrix(file('e.parquet', 'x'), 'B'), /unknown file type/);
  });
});
