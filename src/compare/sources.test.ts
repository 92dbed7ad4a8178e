import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeNpy } from '../io/npy.js';
import { encodeSafetensors } from '../io/safetensors.js';
import { detectFormat } from './sources.js';

describe('detectFormat', () => {
  test('by extension, by magic bytes, or as told', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'klscope-fmt-'));
    assert.equal(detectFormat('x.kld'), 'kld');
    assert.equal(detectFormat('x.NPY'), 'npy');
    assert.equal(detectFormat('x.jsonl'), 'jsonl');
    const w = (name: string, b: Uint8Array | string) => {
      writeFileSync(path.join(dir, name), b);
      return path.join(dir, name);
    };
    assert.equal(detectFormat(w('a.bin', '_logits_' + '\0'.repeat(12))), 'kld');
    assert.equal(detectFormat(w('b.bin', encodeNpy(new Float32Array(2), [1, 2]))), 'npy');
    assert.equal(detectFormat(w('c.bin', '{"token":"a"}\n')), 'jsonl');
    assert.equal(detectFormat(w('d.bin', encodeSafetensors({ x: { data: new Float32Array(2), shape: [1, 2] } }))), 'safetensors');
    assert.equal(detectFormat(w('e.bin', 'abc'), 'npy'), 'npy');
    assert.throws(() => detectFormat(w('f.bin', 'ab')), /cannot tell the format/);
    assert.throws(() => detectFormat('x.kld', 'parquet'), /: format: expected auto, .* got "parquet"$/);
    assert.equal(detectFormat('m.gguf'), 'gguf');
    assert.equal(detectFormat(w('g.bin', 'GGUF\x03\0\0\0')), 'gguf');
    assert.throws(() => detectFormat(path.join(dir, 'missing.bin')), /missing\.bin: expected a readable regular file, got no such file \(ENOENT\)/);
    rmSync(dir, { recursive: true, force: true });
  });
});
