import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readMatrixArg } from './matrixArg.js';
import { encodeNpy } from './npy.js';
import { DataError, UsageError } from '../errors.js';
import { tempFiles } from '../testing/tempFiles.js';

const { dir, file } = tempFiles('matrix');

describe('matrix arguments', () => {
  test('inline lists and rows separated by ;', () => {
    const m = readMatrixArg('0.5,0.3,0.2', '--p');
    assert.deepEqual([m.rows, m.cols, ...m.data], [1, 3, 0.5, 0.3, 0.2]);
    const m2 = readMatrixArg('0.5,0.5;0.9,0.1', '--q');
    assert.deepEqual([m2.rows, m2.cols], [2, 2]);
    assert.throws(() => readMatrixArg('0.5,0.5;0.9', '--q'), /row 1 has 1 values, row 0 has 2/);
  });
  test('.json, .csv and .npy files', () => {
    assert.equal(readMatrixArg(file('a.json', '[[0.5,0.5],[1,0]]'), '--p').rows, 2);
    assert.equal(readMatrixArg(file('b.json', '[0.2,0.8]'), '--p').cols, 2);
    const c = readMatrixArg(file('c.csv', 'a,b\n0.5,0.5\n\n0.25,0.75\n'), '--p');
    assert.deepEqual(Array.from(c.data), [0.5, 0.5, 0.25, 0.75]);
    const n = readMatrixArg(file('d.npy', encodeNpy(new Float32Array([0.5, 0.5, 1, 0]), [2, 2])), '--p');
    assert.ok(n.data instanceof Float32Array);
    assert.deepEqual([n.rows, n.cols], [2, 2]);
    assert.deepEqual(Array.from(n.data), [0.5, 0.5, 1, 0]); // read through a pooled Buffer: must be copied, not viewed
  });
  test('bad files name the file, line and column', () => {
    assert.throws(() => readMatrixArg(file('e.csv', '0.5,0.5\n0.5,abc\n'), '--p'), (e: unknown) => e instanceof DataError && /e\.csv\): line 2, column 2: expected a number, got "abc"/.test((e as Error).message));
    assert.throws(() => readMatrixArg(file('f.json', '[[0.5, 0.5], [0.5'), '--p'), /malformed JSON/);
    assert.throws(() => readMatrixArg(file('g.npy', encodeNpy(new Int32Array([1, 2]), [2])), '--p'), /dtype <i4 is not a distribution/);
    assert.throws(() => readMatrixArg(path.join(dir, 'missing.npy'), '--p'), /missing\.npy\): expected a readable regular file, got no such file \(ENOENT\)/);
    assert.throws(() => readMatrixArg('hello', '--p'), (e: unknown) => e instanceof UsageError);
  });
});
