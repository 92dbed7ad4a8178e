import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { decodeUtf8Strict, firstInvalidUtf8, readCorpus } from './textFiles.js';
import { DataError } from '../errors.js';
import { tempFiles } from '../testing/tempFiles.js';

const { dir, file } = tempFiles('text');

describe('strict UTF-8 decoding', () => {
  test('firstInvalidUtf8 agrees with the WHATWG fatal decoder on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 10 }), (noise, text) => {
        const bytes = new Uint8Array([...new TextEncoder().encode(text), ...noise]);
        const at = firstInvalidUtf8(bytes);
        let ok = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          ok = false;
        }
        assert.equal(at === -1, ok);
        // Everything before the reported offset is valid UTF-8 on its own.
        if (at >= 0) new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, at));
      }),
      { numRuns: 300 },
    );
  });
  test('errors give the byte offset; NUL bytes mean binary', () => {
    const bad = new Uint8Array([...new TextEncoder().encode('héllo '), 0xc3, 0x28]);
    assert.throws(() => decodeUtf8Strict(bad, 'x.txt'), (e: Error) => e instanceof DataError && /x\.txt: not valid UTF-8 at byte offset 7 \(bytes 0xc3 0x28\)/.test(e.message));
    assert.throws(() => decodeUtf8Strict(new Uint8Array([0x41, 0x00, 0x42]), 'b.bin'), /b\.bin: binary file \(NUL byte at byte offset 1\)/);
    assert.equal(decodeUtf8Strict(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69]), 'bom.txt'), 'hi');
  });
});

describe('readCorpus', () => {
  test('a file per document, lines, and folders searched recursively in sorted order', () => {
    const f = file('one.txt', 'first line\n\nsecond line\n');
    assert.deepEqual(readCorpus(f, { name: 'G' }).map((d) => d.text), ['first line\n\nsecond line\n']);
    assert.deepEqual(readCorpus(f, { name: 'G', lines: true }).map((d) => [d.text, d.line]), [['first line', 1], ['second line', 3]]);
    assert.deepEqual(readCorpus(f, { name: 'G', lines: true, keepBlankLines: true }).map((d) => d.text), ['first line', '', 'second line']);
    file('folder/b.txt', 'bee');
    file('folder/sub/a.txt', 'ay');
    file('folder/skip.md', 'not text corpus');
    assert.deepEqual(readCorpus(path.join(dir, 'folder'), { name: 'G' }).map((d) => d.text), ['bee', 'ay']);
  });
  test('empty corpora, missing paths and binary files are data errors naming the file', () => {
    assert.throws(() => readCorpus(file('empty.txt', ' \n\n'), { name: 'REFERENCE' }), /REFERENCE \(.*empty\.txt\): empty corpus: no text in 1 file/);
    mkdirSync(path.join(dir, 'nothing'), { recursive: true });
    assert.throws(() => readCorpus(path.join(dir, 'nothing'), { name: 'GENERATED' }), /empty corpus: the folder has no \.txt files/);
    assert.throws(() => readCorpus(path.join(dir, 'missing.txt'), { name: 'GENERATED' }), /GENERATED \(.*missing\.txt\): expected a readable regular file, got no such file \(ENOENT\)/);
    assert.throws(() => readCorpus(file('bin.txt', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1])), { name: 'GENERATED' }), /bin\.txt\): binary file \(NUL byte at byte offset 4\)/);
    assert.throws(() => readCorpus(file('latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a])), { name: 'GENERATED' }), /latin1\.txt\): not valid UTF-8 at byte offset 3/);
  });
});
