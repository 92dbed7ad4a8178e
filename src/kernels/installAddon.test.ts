import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// scripts/ is plain JS run by npm ci; loaded by path so tsc does not need its types
const script = fileURLToPath(new URL('../../scripts/install-addon.mjs', import.meta.url));

test('installAddon replaces the addon by a rename: a process holding the old file keeps its bytes', async () => {
  const { installAddon } = (await import(script)) as { installAddon: (src: string, dest: string) => void };
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-addon-'));
  try {
    const dest = path.join(dir, 'build/Release/klscope_kernels.node');
    const v1 = path.join(dir, 'v1.node');
    const v2 = path.join(dir, 'v2.node');
    writeFileSync(v1, 'old addon bytes');
    writeFileSync(v2, 'NEW ADDON BYTES, longer');
    installAddon(v1, dest); // creates the folder
    const inode = statSync(dest).ino;
    // a running klscope: the old file open (as dlopen maps it)
    const fd = openSync(dest, 'r');
    try {
      installAddon(v2, dest);
      const seen = Buffer.alloc(64);
      const n = readSync(fd, seen, 0, 64, 0);
      // an in-place copy would have rewritten the open file under the reader
      assert.equal(seen.subarray(0, n).toString(), 'old addon bytes');
    } finally {
      closeSync(fd);
    }
    assert.notEqual(statSync(dest).ino, inode);
    assert.equal(readFileSync(dest, 'utf8'), 'NEW ADDON BYTES, longer');
    assert.deepEqual(readdirSync(path.dirname(dest)), ['klscope_kernels.node'], 'no temporary file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('build-native installs the addon with installAddon, not an in-place copy', () => {
  const src = readFileSync(fileURLToPath(new URL('../../scripts/build-native.mjs', import.meta.url)), 'utf8');
  assert.match(src, /installAddon\(/);
  assert.doesNotMatch(src, /copyFileSync/);
});
