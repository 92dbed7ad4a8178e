import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeNpy } from './npy.js';
import { readTokenIds } from './tokens.js';

describe('readTokenIds', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-tokens-'));

  test('token ids from .json, text and .npy; bad ids are named', () => {
    writeFileSync(path.join(dir, 'a.json'), '{"tokens": [1, 2, 3]}');
    writeFileSync(path.join(dir, 'a.txt'), '4 5,6\n7');
    writeFileSync(path.join(dir, 'a.npy'), encodeNpy(Int32Array.from([9, 8]), [2]));
    assert.deepEqual([...readTokenIds(path.join(dir, 'a.json'))], [1, 2, 3]);
    assert.deepEqual([...readTokenIds(path.join(dir, 'a.txt'))], [4, 5, 6, 7]);
    assert.deepEqual([...readTokenIds(path.join(dir, 'a.npy'))], [9, 8]);
    writeFileSync(path.join(dir, 'b.json'), '[1, -2]');
    assert.throws(() => readTokenIds(path.join(dir, 'b.json')), /token 1 is -2, expected an integer >= 0/);
  });

  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
