import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DataError, fromThreadError, toThreadError } from './errors.js';

test('an error posted from a worker thread keeps its class and exit code (structured clone drops the class)', () => {
  const across = (e: unknown) => fromThreadError(structuredClone(toThreadError(e)));
  const d = across(new DataError({ where: 'x.kld', expected: 'a whole row', got: 3 }));
  assert.ok(d instanceof DataError);
  assert.equal((d as DataError).exitCode, 1);
  assert.equal(d.message, 'x.kld: expected a whole row, got 3');
  const a = across(new ArgumentError('bad rows'));
  assert.ok(a instanceof ArgumentError);
  assert.equal((a as ArgumentError).exitCode, 2);
  // anything else is a bug: a plain Error that keeps the worker's stack for the internal-error report
  const bug = across(new TypeError('x is undefined'));
  assert.ok(!(bug instanceof DataError) && !(bug instanceof ArgumentError));
  assert.match(bug.message, /^x is undefined\nTypeError: x is undefined\n {4}at /);
  assert.equal(across('a string').message.split('\n')[0], 'a string');
});
