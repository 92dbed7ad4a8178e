// A full disk, for real: a 64 KiB tmpfs is mounted (as root, which CI is) and every command that
// writes files is pointed at it. Each must fail with one line naming the target, exit 1, nothing
// on stdout, and leave the file system as it found it: no target and no temporary file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeKldFixture } from '../testing/kldFixtures.js';
import { runCli } from '../testing/cli.js';

let dir = '';
let full = '';
let mounted = false;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'klscope-full-'));
  full = path.join(dir, 'full');
  mkdirSync(full);
  if (process.platform === 'linux' && process.getuid?.() === 0) {
    mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]).status === 0;
  }
});

after(() => {
  if (mounted) spawnSync('umount', [full]);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command that writes into the full file system and checks the failure contract. */
function failsOnFullDisk(args: string[], target: RegExp): void {
  const r = runCli(args, { cwd: dir, timeoutMs: 120_000 });
  const label = `klscope ${args.join(' ')}`;
  assert.equal(r.code, 1, `${label}: exit ${r.code}, stderr ${r.stderr}`);
  assert.equal(r.stdout, '', `${label}: stdout not empty`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${label}: ${r.stderr}`);
  assert.match(r.stderr, /ENOSPC|no space/i, label);
  assert.match(r.stderr, target, label);
  assert.doesNotMatch(r.stderr, /internal error|    at /, label);
  assert.deepEqual(readdirSync(full), [], `${label}: left ${readdirSync(full).join(', ')}`);
}

describe('a full disk (ENOSPC) while writing outputs', () => {
  test('compare --per-token / --report, reference -o, fit --png and --svg: one line, exit 1, nothing left', (t) => {
    if (!mounted) {
      t.skip('needs root to mount a tmpfs (CI runs as root)');
      return;
    }
    // 3 chunks × 255 scored rows: the per-token CSV is far larger than 64 KiB
    const fx = writeKldFixture({ dir, nCtx: 512, nVocab: 64, nChunk: 3, seed: 5 });
    failsOnFullDisk(['compare', fx.base, fx.cand, '--per-token', path.join(full, 'tokens.csv')], /tokens\.csv/);
    failsOnFullDisk(['compare', fx.base, fx.cand, '--per-token', path.join(full, 'tokens.csv'), '--report', path.join(full, 'r.html')], /tokens\.csv|r\.html/);
    // a reference of 765 rows of 480 bytes, streamed: the disk fills midway
    failsOnFullDisk(['reference', fx.base, '-o', path.join(full, 'r.klref')], /r\.klref/);
    failsOnFullDisk(['fit', '--png', path.join(full, 'f.png')], /f\.png/);
    failsOnFullDisk(['fit', '--svg', path.join(full, 'f.svg'), '--png', path.join(full, 'g.png')], /f\.svg|g\.png/);
  });
});
