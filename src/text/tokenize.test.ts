import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from './tokenize.js';

describe('tokenizers', () => {
  test('word: Unicode segmentation splits Chinese and Japanese into words, keeps punctuation', async () => {
    const w = await loadTokenizer('word');
    const zh = w.tokenize('我们今天去北京。');
    assert.ok(zh.length >= 4, `expected several words, got ${JSON.stringify(zh)}`);
    assert.equal(zh.join(''), '我们今天去北京。');
    assert.equal(zh.at(-1), '。');
    const ja = w.tokenize('日本語のテキストを分割します');
    assert.ok(ja.length >= 4 && ja.join('') === '日本語のテキストを分割します');
    assert.deepEqual(w.tokenize("Hello,  world! It's 3.14"), ['Hello', ',', 'world', '!', "It's", '3.14']);
    assert.deepEqual((await loadTokenizer('word', { lowercase: true })).tokenize('The THE'), ['the', 'the']);
    assert.equal(w.render(['a', 'b']), 'a b');
  });
  test('char: grapheme clusters, whitespace runs collapsed', async () => {
    const c = await loadTokenizer('char');
    assert.deepEqual(c.tokenize(' ab \n\t c '), ['a', 'b', ' ', 'c']);
    // e + combining acute accent and a flag are one character each.
    assert.deepEqual(c.tokenize('e\u0301🇯🇵'), ['e\u0301', '🇯🇵']);
    assert.equal(c.render(['a', ' ', 'b']), 'a b');
  });
  test('bpe: GPT-2 token ids that decode back to the text', async () => {
    const b = await loadTokenizer('bpe');
    const text = 'Hello world, 北京 <|endoftext|>';
    const ids = b.tokenize(text);
    assert.deepEqual(ids.slice(0, 2), ['15496', '995']); // "Hello", " world" in GPT-2's vocabulary
    assert.equal(b.render(ids), text);
  });
});
