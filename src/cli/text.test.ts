import { describe, test } from 'node:test';
import { commandCli, repoRoot } from '../testing/cli.js';
import { tempFiles } from '../testing/tempFiles.js';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runText, textJson, textTable, tourSection } from './text.js';

const data = (f: string) => path.join(repoRoot, 'data/text', f);
const { file } = tempFiles('textcli');

/** `klscope text ...` through the real CLI entry point. */
const cli = commandCli('text');

describe('klscope text', () => {
  test('--json has the documented keys; forward = KL(reference‖generated)', async () => {
    const g = file('g.txt', 'a a b b\n');
    const r = file('r.txt', 'a b a c\n');
    const { code, out } = await cli([r, g, '--n', '1', '--smoothing', '1', '--json']);
    assert.equal(code, 0);
    const j = JSON.parse(out);
    for (const k of ['n', 'tokenizer', 'smoothing', 'forward', 'reverse', 'jsDivergence', 'jsDistance', 'vocabulary', 'topForward', 'topReverse']) assert.ok(k in j, k);
    assert.deepEqual(Object.keys(j.vocabulary), ['generated', 'reference', 'union']);
    assert.deepEqual(Object.keys(j.topForward[0]).slice(0, 2), ['ngram', 'contribution']);
    // Reference (a, b, c) = (3, 2, 2)/7, generated (3, 3, 1)/7 with add-1.
    const P = [3 / 7, 2 / 7, 2 / 7];
    const Q = [3 / 7, 3 / 7, 1 / 7];
    const f = P.reduce((s, p, i) => s + p * Math.log(p / Q[i]!), 0);
    assert.ok(Math.abs(j.forward - f) < 1e-12);
    assert.equal(j.smoothing, 1);
    assert.equal(j.tokenizer, 'word');
  });
  test('exact smoothing: ∞ written as "Infinity" in JSON and explained with example n-grams in the table', async () => {
    const g = file('g2.txt', 'the cat sat\n');
    const r = file('r2.txt', 'the cat ran\n');
    const j = JSON.parse((await cli([r, g, '--n', '1', '--smoothing', '0', '--json'])).out);
    assert.equal(j.forward, 'Infinity');
    assert.equal(j.reverse, 'Infinity');
    const { out } = await cli([r, g, '--n', '1', '--smoothing', '0']);
    assert.match(out, /P = reference/);
    assert.match(out, /KL\(generated‖reference\) = ∞: the generated text has n-grams the reference lacks, e\.g\. "sat"/);
    assert.match(out, /KL\(reference‖generated\) = ∞: the reference has n-grams the generated text never produces, e\.g\. "ran"/);
  });
  test('bundled texts with each tokenizer and --pairs', async () => {
    for (const tokenizer of ['char', 'word', 'bpe'] as const) {
      const r = await runText(data('reference.txt'), data('generated.txt'), { n: 2, tokenizer, smoothing: { kind: 'kneser-ney' }, lines: true });
      assert.ok(Number.isFinite(r.forward) && r.forward > 0 && Number.isFinite(r.reverse) && r.reverse > 0, tokenizer);
    }
    const w = await runText(data('reference.txt'), data('generated.txt'), { n: 2, tokenizer: 'word', smoothing: { kind: 'kneser-ney' }, lines: true });
    // The generated text's filler phrases are what KL(generated‖reference) blames.
    assert.ok(w.topReverse.slice(0, 10).some((t) => /very|important|conclusion/.test(t.ngram)), JSON.stringify(w.topReverse.map((t) => t.ngram)));
    const zh = await runText(data('reference-zh.txt'), data('generated-zh.txt'), { n: 1, tokenizer: 'word', smoothing: { kind: 'add', alpha: 0.5 }, lines: true });
    assert.ok(zh.vocabulary.reference > 20, 'Chinese text segments into many words');
    const p = await runText(data('mt/reference.txt'), data('mt/hypothesis.txt'), { n: 1, tokenizer: 'word', smoothing: { kind: 'add', alpha: 0.1 }, pairs: true });
    assert.equal(p.pairs!.lines, 8);
    assert.ok(p.pairs!.mean.forward > 0 && Number.isFinite(p.pairs!.mean.forward));
    assert.match(textTable(p, { generated: 'h', reference: 'r' }), /mean KL\(P‖Q\)\s+per-line mean over 8 line pairs/);
    assert.ok('pairs' in JSON.parse(textJson(p)));
  });
  test('bad input: binary, non-UTF-8, empty, n too large (exit 1); bad flags (exit 2)', async () => {
    const ok = file('ok.txt', 'one two three\n');
    let r = await cli([ok, file('bin.txt', new Uint8Array([1, 2, 0, 3]))]);
    assert.deepEqual([r.code, r.out], [1, '']);
    assert.match(r.err, /GENERATED \(.*bin\.txt\): binary file \(NUL byte at byte offset 2\)/);
    r = await cli([file('latin.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9])), ok]);
    assert.equal(r.code, 1);
    assert.match(r.err, /REFERENCE \(.*latin\.txt\): not valid UTF-8 at byte offset 3/);
    r = await cli([file('empty.txt', ''), ok]);
    assert.equal(r.code, 1);
    assert.match(r.err, /empty corpus/);
    r = await cli([ok, ok, '--n', '4']);
    assert.equal(r.code, 1);
    assert.match(r.err, /n = 4 is larger than every document \(the longest has 3 tokens\)/);
    assert.equal((await cli([ok, ok, '--n', '6'])).code, 2);
    assert.equal((await cli([ok, ok, '--smoothing', 'lots'])).code, 2);
    assert.equal((await cli([ok, ok, '--tokenizer', 'spaces'])).code, 2);
    r = await cli([file('two.txt', 'a\nb\n'), ok, '--pairs', '--n', '1']);
    assert.equal(r.code, 1);
    assert.match(r.err, /the reference file has 2 lines, the generated file 1/);
  });
  test('reference first: positionals REFERENCE GENERATED, or --reference/--generated; JSON says which file was P', async () => {
    const r = file('ro.txt', 'a b a c\n');
    const g = file('go.txt', 'a a b b\n');
    const pos = JSON.parse((await cli([r, g, '--n', '1', '--smoothing', '1', '--json'])).out);
    assert.deepEqual(pos.inputs, { p: { role: 'reference', path: r }, q: { role: 'generated', path: g } });
    const flags = JSON.parse((await cli(['--generated', g, '--reference', r, '--n', '1', '--smoothing', '1', '--json'])).out);
    assert.equal(flags.forward, pos.forward);
    const mixed = JSON.parse((await cli([g, '--reference', r, '--n', '1', '--smoothing', '1', '--json'])).out);
    assert.equal(mixed.forward, pos.forward);
    // swapping the files swaps the directions
    const swapped = JSON.parse((await cli([g, r, '--n', '1', '--smoothing', '1', '--json'])).out);
    assert.equal(swapped.forward, pos.reverse);
    const table = (await cli([r, g, '--n', '1', '--smoothing', '1'])).out;
    assert.ok(table.startsWith(`klscope text: P = reference (${r}), Q = generated (${g})`), table);
    for (const bad of [[r], [r, g, '--reference', r], ['--generated', g]]) {
      const e = await cli([...bad, '--n', '1']);
      assert.equal(e.code, 2, bad.join(' '));
      assert.match(e.err, /missing|too many paths/);
    }
  });
  test('--help shows examples; the tour section runs on bundled data', async () => {
    const { out } = await cli(['--help']);
    assert.match(out, /Examples:\n\s+\$ klscope text/);
    const t = await tourSection();
    assert.match(t, /klscope text \/\S+\/data\/text\/reference\.txt \/\S+\/data\/text\/generated\.txt/);
    assert.match(t, /klscope samples/);
    assert.match(t, /klscope estimate/);
  });
});
