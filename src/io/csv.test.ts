import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCsvNumbers, parseNumberCell } from './csv.js';
import { parseCsvMatrix } from './matrixArg.js';
import { parseSampleCsv } from './sampleMatrix.js';
import { DataError } from '../errors.js';

describe('the one CSV rule', () => {
  test('cells: decimals, exponents and the words NaN / inf / Infinity; nothing else', () => {
    assert.equal(parseNumberCell(' 3.5 '), 3.5);
    assert.equal(parseNumberCell('-4e-1'), -0.4);
    assert.equal(parseNumberCell('.5'), 0.5);
    assert.ok(Number.isNaN(parseNumberCell('NaN')));
    assert.equal(parseNumberCell('-Infinity'), -Infinity);
    assert.equal(parseNumberCell('+inf'), Infinity);
    for (const s of ['', 'abc', '0x10', '1,2', '1e', 'nanx']) assert.equal(parseNumberCell(s), undefined, s);
  });

  test('a first line is a header only when none of its cells is a number, for both readers', () => {
    // "x1,x2" has digits but no number: a header (matrix arguments used to refuse it).
    for (const parse of [parseCsvMatrix, parseSampleCsv]) {
      assert.deepEqual(Array.from(parse('x1,x2\n1,2\n', 'a.csv').data), [1, 2]);
      assert.deepEqual(Array.from(parse('# note\n\na,b\n1,2\n3,4\n', 'a.csv').data), [1, 2, 3, 4]);
      // A first line with one number is data: its bad cell is reported (sample sets used to skip it).
      assert.throws(() => parse('0.5,abc\n1,2\n', 'a.csv'), (e: unknown) => e instanceof DataError && /^a\.csv: line 1, column 2: expected a (finite )?number, got "abc"$/.test((e as Error).message));
    }
    // NaN counts as a number: a first row of NaNs is data (matrix arguments used to drop it as a header).
    const m = parseCsvMatrix('nan,nan\n0.5,0.5\n', 'a.csv');
    assert.equal(m.rows, 2);
    assert.throws(() => parseSampleCsv('nan,1\n2,3\n', 'A'), /A: line 1, column 1: expected a finite number, got nan/);
  });

  test('ragged lines and empty inputs', () => {
    assert.throws(() => parseCsvNumbers('h\n1,2\n3\n', 'f'), /f: line 3 has 1 columns, the first data line has 2/);
    assert.deepEqual(parseCsvNumbers('x,y\n', 'f').rows, 0);
    assert.throws(() => parseCsvMatrix('x,y\n', 'f'), /f: no rows/);
    assert.throws(() => parseSampleCsv('# only\n', 'f'), /f: no samples/);
  });

  test('the values of a well-formed table come back in row order', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 20 }), (rows) => {
        const text = 'a,b,c\n' + rows.map((r) => r.map((x) => String(x)).join(',')).join('\n');
        const m = parseCsvNumbers(text, 't');
        assert.deepEqual([m.rows, m.cols], [rows.length, 3]);
        assert.deepEqual(Array.from(m.data), rows.flat().map((x) => (Object.is(x, -0) ? 0 : x)));
      }),
    );
  });
});
