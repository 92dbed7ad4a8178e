import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseLogprobLine, readLogprobJsonl } from './logprobJsonl.js';

describe('log-probability JSONL', () => {
  test('parses a line; blank lines are null', () => {
    const s = parseLogprobLine('{"logp": [-1.5, -0.25], "logq": [-1, -0.5]}', 3, 'r.jsonl')!;
    assert.deepEqual([Array.from(s.logp), Array.from(s.logq), s.line], [[-1.5, -0.25], [-1, -0.5], 3]);
    assert.equal(parseLogprobLine('   ', 4, 'r.jsonl'), null);
    // p = 0 for a sampled token is allowed (KL is then infinite), q = 0 is not.
    assert.equal(parseLogprobLine('{"logp": ["-Infinity"], "logq": [-1]}', 1, 'r')!.logp[0], -Infinity);
  });
  test('bad lines are named with their line number and value', () => {
    assert.throws(() => parseLogprobLine('{"logp": [-1], "logq": [-1, -2]}', 7, 'r.jsonl'), /r\.jsonl line 7: logp has 1 values, logq has 2/);
    assert.throws(() => parseLogprobLine('{"logp": [-1, 0.5], "logq": [-1, -2]}', 2, 'r'), /r line 2: logp\[1\] = 0\.5: expected a log-probability <= 0/);
    assert.throws(() => parseLogprobLine('{"logp": [-1, null], "logq": [-1, -2]}', 2, 'r'), /logp\[1\] = null/);
    assert.throws(() => parseLogprobLine('{"logp": [-1], "logq": ["-Infinity"]}', 2, 'r'), /logq\[0\] = -Infinity: a token sampled from q must have q > 0/);
    assert.throws(() => parseLogprobLine('{"logp": [-1], ', 9, 'r'), /r line 9: malformed JSON/);
    assert.throws(() => parseLogprobLine('{"logq": [-1]}', 1, 'r'), /"logp" must be an array/);
    assert.throws(() => parseLogprobLine('{"logp": [], "logq": []}', 1, 'r'), /empty sequence/);
  });
  test('streams a file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'klscope-jsonl-'));
    const f = path.join(dir, 'r.jsonl');
    writeFileSync(f, '{"logp": [-1], "logq": [-2]}\n\n{"logp": [-3, -4], "logq": [-3, -4]}\n');
    const seen: number[] = [];
    for await (const s of readLogprobJsonl(f)) seen.push(s.line, s.logp.length);
    assert.deepEqual(seen, [1, 1, 3, 2]);
    await assert.rejects(async () => {
      for await (const _ of readLogprobJsonl(path.join(dir, 'none.jsonl'))) void _;
    }, /none\.jsonl: expected a readable regular file, got no such file \(ENOENT\)/);
  });
});
