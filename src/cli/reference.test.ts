import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeKldFixture, makeLogitPair } from '../testing/kldFixtures.js';
import { compareFiles } from '../compare/engine.js';
import { encodeNpy } from '../io/npy.js';
import { runCli } from '../testing/cli.js';

describe('klscope reference and compare REF.klref (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-cliref-'));
  const fx = writeKldFixture({ dir, nCtx: 24, nVocab: 501, nChunk: 6, seed: 3 });
  const out = (name: string) => path.join(dir, name);

  test('reference prints the size and the ratio to the .kld; compare --json has the bounds contract', async () => {
    const r = runCli(['reference', fx.base, '-o', out('base.klref'), '--top-k', '16']);
    assert.equal(r.code, 0, r.stderr);
    const size = statSync(out('base.klref')).size;
    const kld = statSync(fx.base).size;
    assert.match(r.stdout, new RegExp(`wrote .*base\\.klref: 66 rows, top 16 of 501 tokens, ${size} bytes .* a \\.kld for the same tokens is ${kld} bytes .*: [\\d.]+× smaller`));
    assert.equal(r.stdout.trim().split('\n').length, 1);
    const j = JSON.parse(runCli(['reference', fx.base, '-o', out('b2.klref'), '--top-k', '16', '--json']).stdout);
    assert.equal(j.bytes, size);
    assert.equal(j.kldBytes, kld);
    assert.ok(j.ratioToKld > 5); // 1012-byte .kld rows against 128-byte rows at k = 16

    const c = runCli(['compare', out('base.klref'), fx.cand, '--json']);
    assert.equal(c.code, 0, c.stderr);
    const d = JSON.parse(c.stdout);
    assert.equal(d.estimator, 'reference-bounds');
    assert.equal(d.direction, 'KL(base‖candidate)');
    const exact = await compareFiles({ base: fx.base, candidate: fx.cand, threads: 1 });
    for (const m of ['kld', 'reverseKld', 'js', 'tvd']) {
      for (const q of ['mean', 'median', 'p99']) {
        const iv = d.bounds[m][q];
        assert.equal(iv.length, 2, `${m}.${q}`);
        assert.ok(typeof iv[0] === 'number' && (typeof iv[1] === 'number' || iv[1] === 'Infinity'), `${m}.${q}: ${JSON.stringify(iv)}`);
        assert.ok(iv[0] <= iv[1], `${m}.${q}`);
      }
    }
    // the mean KL from the .kld itself lies in the certified interval
    assert.ok(d.bounds.kld.mean[0] <= exact.result.kld.mean && exact.result.kld.mean <= d.bounds.kld.mean[1]);
    assert.ok(d.bounds.reverseKld.mean[0] <= exact.result.reverseKld.mean && exact.result.reverseKld.mean <= d.bounds.reverseKld.mean[1]);
    assert.ok(d.bounds.kld.mean[0] <= d.kld.mean && d.kld.mean <= d.bounds.kld.mean[1]);

    const t = runCli(['compare', out('base.klref'), fx.cand]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /Mean KL\(base‖candidate\)\s+[\d.e-]+\s+\[[\d.e-]+, [\d.e-]+\]\s+bounds\.kld\.mean/);
    assert.match(t.stdout, /Mean KL\(candidate‖base\)/);
    assert.match(t.stdout, /certified interval/);
  });

  test('unbounded reverse KL is "Infinity" in JSON and said so; per-token CSV has bounds beside estimates', () => {
    const rows = 12;
    const V = 40;
    const { base, cand } = makeLogitPair({ rows, vocab: V, seed: 2 });
    for (let r = 0; r < rows; r++) base[r * V + 3] = -Infinity; // a masked token: no floor
    writeFileSync(out('mb.npy'), encodeNpy(base, [rows, V]));
    writeFileSync(out('mc.npy'), encodeNpy(cand, [rows, V]));
    writeFileSync(out('ids.txt'), Array.from({ length: rows + 1 }, (_, i) => i % V).join(' '));
    const r = runCli(['reference', out('mb.npy'), '--tokens', out('ids.txt'), '-o', out('m.klref'), '--top-k', '4']);
    assert.equal(r.code, 0, r.stderr);
    const c = runCli(['compare', out('m.klref'), out('mc.npy'), '--tokens', out('ids.txt'), '--json', '--per-token', out('pt.csv')]);
    assert.equal(c.code, 0, c.stderr);
    const d = JSON.parse(c.stdout);
    assert.equal(d.bounds.reverseKld.mean[1], 'Infinity');
    assert.ok(d.notes.some((n: string) => /KL\(candidate‖base\) has no upper bound \(\+Infinity\) on 12 of 12 tokens/.test(n)));
    const csv = readFileSync(out('pt.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, rows + 1);
    assert.match(csv[0]!, /^row,position,token,kl_base_candidate_lo,kl_base_candidate_est,kl_base_candidate_hi,kl_candidate_base_lo/);
    assert.match(csv[1]!, /,inf,/);
  });

  test('shards merge through klscope merge to the unsplit bounds', () => {
    assert.equal(runCli(['compare', out('base.klref'), fx.cand, '--rows', '0:30', '--summary-out', out('s0.json')]).code, 0);
    assert.equal(runCli(['compare', out('base.klref'), fx.cand, '--rows', '30:', '--summary-out', out('s1.json')]).code, 0);
    const m = runCli(['merge', out('s0.json'), out('s1.json'), '--json']);
    assert.equal(m.code, 0, m.stderr);
    const whole = JSON.parse(runCli(['compare', out('base.klref'), fx.cand, '--json']).stdout);
    const merged = JSON.parse(m.stdout);
    assert.equal(merged.estimator, 'reference-bounds');
    for (const k of ['kld', 'reverseKld', 'js', 'tvd']) assert.deepEqual(merged.bounds[k].mean, whole.bounds[k].mean);
    const table = runCli(['merge', out('s0.json'), out('s1.json')]);
    assert.match(table.stdout, /certified interval/);
    // a bounded shard does not merge with an unbounded one
    assert.equal(runCli(['compare', fx.base, fx.cand, '--summary-out', out('plain.json')]).code, 0);
    const bad = runCli(['merge', out('s0.json'), out('plain.json')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^klscope merge: cannot merge a summary with certified bounds \(a \.klref base\) and one without\n$/);
    // reference summaries identify their run: a shard of another candidate, or overlapping rows, is refused
    assert.equal(runCli(['compare', out('base.klref'), fx.base, '--rows', '30:', '--summary-out', out('s2.json')]).code, 0);
    const other = runCli(['merge', out('s0.json'), out('s2.json')]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /a different run: the candidate differs in content/);
    const overlap = runCli(['merge', out('s0.json'), out('s0.json')]);
    assert.equal(overlap.code, 1, overlap.stderr);
  });

  test('bad input: one line, exit 1 (data) or 2 (usage), empty stdout, no files left', () => {
    const good = readFileSync(out('base.klref'));
    const flipped = Buffer.from(good);
    flipped[good.length - 100] ^= 4;
    writeFileSync(out('flip.klref'), flipped);
    writeFileSync(out('trunc.klref'), good.subarray(0, good.length - 300));
    const wrongTokens = Buffer.from(readFileSync(fx.cand));
    wrongTokens.writeInt32LE(wrongTokens.readInt32LE(20 + 4 * 40) + 1, 20 + 4 * 40);
    writeFileSync(out('tok.kld'), wrongTokens);
    // a .kld row that is no distribution: every code at the top, so its window sums far above 1
    const noDist = Buffer.from(readFileSync(fx.cand));
    const rowBytes = 2 * (2 * Math.ceil(501 / 2) + 4);
    const row5 = 20 + 4 * 24 * 6 + 5 * rowBytes;
    for (let i = row5 + 8; i < row5 + rowBytes; i += 2) noDist.writeUInt16LE(0xffff, i);
    writeFileSync(out('nodist.kld'), noDist);
    const before = new Set(readdirSync(dir));
    const cases: Array<[string[], number, RegExp]> = [
      [['reference', out('nodist.kld'), '-o', out('x.klref')], 1, /^klscope reference: .*nodist\.kld.*row 5.*sum to [\d.e+]+, expected 1/],
      [['compare', out('base.klref'), out('nodist.kld'), '--summary-out', out('x.json')], 1, /^klscope compare: .*nodist\.kld.*row 5.*sum to [\d.e+]+, expected 1/],
      [['compare', out('flip.klref'), fx.cand, '--summary-out', out('x.json'), '--per-token', out('x.csv')], 1, /^klscope compare: \S*flip\.klref: damaged \.klref file: checksum mismatch in the block at offset \d+/],
      [['compare', out('trunc.klref'), fx.cand, '--report', out('x.html')], 1, /^klscope compare: \S*trunc\.klref: truncated \.klref file/],
      [['compare', out('base.klref'), out('tok.kld'), '--json'], 1, /^klscope compare: token mismatch at index 40 of the token list \(chunk 1, position 16\): the reference has \d+, the candidate has \d+/],
      [['reference', fx.base, '-o', out('x.klref'), '--top-k', '0'], 2, /^klscope reference: invalid --top-k: expected an integer >= 1, got "0"/],
      [['reference', fx.base, '-o', out('x.bin')], 2, /^klscope reference: invalid --output "[^"]+x\.bin": expected a file ending in \.klref/],
      [['reference', fx.baseNpy, '-o', out('x.klref')], 2, /^klscope reference: --tokens is required for a logits source/],
      [['reference', out('nope.kld'), '-o', out('x.klref')], 1, /^klscope reference: .*nope\.kld: .*no such file \(ENOENT\)/],
      [['reference', out('trunc.klref'), '-o', out('x.klref')], 1, /^klscope reference: /],
    ];
    for (const [args, code, re] of cases) {
      const r = runCli(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual(new Set(readdirSync(dir)), before, `files left by ${args.join(' ')}`);
    }
    assert.ok(!existsSync(out('x.klref')));
    const h = runCli(['reference', '--help']);
    assert.match(h.stdout, /Examples:/);
    for (const line of h.stdout.split('\n')) assert.ok([...line].length <= 80, `help line over 80 columns: ${line}`);
  });
});
