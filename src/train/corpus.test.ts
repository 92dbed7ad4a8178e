import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ALPHABET, VOCAB_SIZE, cleanBrownTokens, decodeText, encodeText, loadBrown } from './corpus.js';

describe('cleanBrownTokens', () => {
  test('strips tags at the last slash, drops quote tokens, attaches punctuation', () => {
    const raw = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, Atlanta's/np$ 1/2/cd ./.\n\n\tNext/ap ;/. go/vb !/.";
    assert.equal(cleanBrownTokens(raw), "the jury said no evidence, atlanta's ##. next, go.");
  });
  test('maps digits to #, ? and ! to ., ; and : to , and drops other characters', () => {
    assert.equal(cleanBrownTokens('In/in 1961/cd (/( $5/nns )/) ?/. A&M/np :/: over-all/jj'), 'in #### #. am, over-all');
  });
  test('every character of the output is in the alphabet', () => {
    const s = cleanBrownTokens('Mr./np O\'Brien/np said/vbd ``/`` Hi!/uh \'\'/\'\' {/( [3]/cd */* 50%/nn');
    for (const ch of s) assert.ok(ALPHABET.includes(ch), `${JSON.stringify(ch)} in ${JSON.stringify(s)}`);
  });
});

describe('encodeText / decodeText', () => {
  test('round trip over the 32-symbol alphabet', () => {
    assert.equal(VOCAB_SIZE, 32);
    assert.equal(new Set(ALPHABET).size, 32);
    assert.equal(decodeText(encodeText(ALPHABET)), ALPHABET);
    assert.deepEqual(Array.from(encodeText(' az')), [0, 1, 26]);
  });
  test('a character outside the alphabet is refused with its position', () => {
    assert.throws(() => encodeText('ab!'), /invalid text\[2\]: "!" is not in the alphabet/);
  });
});

describe('loadBrown', () => {
  test('holds out every 10th file in sorted order', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'brown-'));
    for (let i = 1; i <= 20; i++) writeFileSync(path.join(dir, `ca${String(i).padStart(2, '0')}`), `\n\tFile/nn f${String.fromCharCode(96 + i)}/nn ./.\n`);
    writeFileSync(path.join(dir, 'README'), 'not a corpus file');
    const s = loadBrown({ dir });
    assert.equal(s.trainFiles, 18);
    assert.equal(s.heldOutFiles, 2);
    assert.equal(decodeText(s.heldOut), 'file fj. file ft.');
    assert.ok(decodeText(s.train).startsWith('file fa. file fb.'));
    assert.ok(!decodeText(s.train).includes('fj') && !decodeText(s.train).includes('ft'));
  });
  test('the installed corpus: first group of ten files, tags gone', () => {
    const s = loadBrown({ stride: 50 });
    assert.equal(s.trainFiles, 9);
    assert.equal(s.heldOutFiles, 1);
    assert.ok(decodeText(s.train.subarray(0, 40)) === 'the fulton county grand jury said friday');
    // Whole-corpus counts are large; this slice has tens of thousands of characters and no tag left.
    assert.ok(s.train.length > 50_000 && s.heldOut.length > 5_000);
    assert.ok(!/\/(nn|at|vbd)\b/.test(decodeText(s.train)));
  });
  test('a directory without Brown files is a data error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'brown-empty-'));
    assert.throws(() => loadBrown({ dir }), /no Brown files/);
  });
});
