import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../testing/cli.js';
import { textTourSection } from './text.js';
import { samplesTourSection } from './samples.js';
import { estimateTourSection } from './estimate.js';

/** Splits a printed command line into arguments (the tour quotes paths with spaces in '…'). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!));
}

test('the commands the tour prints work from any directory', { timeout: 240000 }, async () => {
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'klscope-elsewhere-'));
  const text = [await textTourSection(), await samplesTourSection(), await estimateTourSection()].join('\n');
  const commands = text.split('\n').filter((l) => l.startsWith('$ klscope ')).map((l) => shellWords(l.slice('$ klscope '.length)));
  assert.equal(commands.length, 3, text);
  for (const args of commands) {
    for (const a of args.filter((x) => /\.(txt|csv|jsonl)$/.test(x))) assert.ok(path.isAbsolute(a), `${a} is relative`);
    const r = runCli(args, { cwd: elsewhere });
    assert.equal(r.code, 0, `klscope ${args.join(' ')} from ${elsewhere}: ${r.stderr}`);
    assert.ok(r.stdout.length > 100);
  }
});
