import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ArgumentError, DataError, fromThreadError, toThreadError } from './errors.js';
import { repoRoot } from './testing/cli.js';
import { sourceFiles } from './testing/sources.js';

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

test('library text names options, never CLI flags: no string outside cli/ and testing/ holds a --flag', () => {
  const src = path.join(repoRoot, 'src');
  const found: string[] = [];
  for (const file of sourceFiles(src)) {
    const f = path.relative(src, file);
    if (/^(cli|testing)\//.test(f)) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
      for (const m of line.matchAll(/(?<![\w-])--[a-z][\w-]*/g)) {
        const before = line.slice(0, m.index);
        // inside a string literal, and not llama.cpp's own flags (llama-perplexity --kl-divergence)
        if ([...'\'"`'].some((q) => before.split(q).length % 2 === 0) && !/llama-perplexity $/.test(before)) found.push(`src/${f}:${i + 1}: ${m[0]}`);
      }
    });
  }
  assert.deepEqual(found, []);
});
