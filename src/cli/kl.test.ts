import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../testing/cli.js';
import { encodeNpy } from '../io/npy.js';
import { tempFiles } from '../testing/tempFiles.js';

const { file } = tempFiles('cli-kl');
const KEYS = ['forward', 'reverse', 'entropyP', 'entropyQ', 'crossEntropyPQ', 'crossEntropyQP', 'jsDivergence', 'jsDistance', 'tvd'];

describe('klscope kl', () => {
  test('the explainer example as a table with directions spelled out', () => {
    const r = runCli(['kl', '--p', '0.5,0.3,0.2', '--q', '0.4,0.4,0.2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /KL\(P‖Q\)\s+forward KL, P = reference\s+0\.0252671539/);
    assert.match(r.stdout, /KL\(Q‖P\)\s+reverse KL\s+0\.0258154085/);
    assert.match(r.stdout, /H\(P,Q\)/);
  });
  test('--json is one document with the exact contract', () => {
    const r = runCli(['kl', '--p', '0.5,0.3,0.2', '--q', '0.4,0.4,0.2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc), ['unit', 'rows', 'mean']);
    assert.equal(doc.unit, 'nats');
    assert.equal(doc.rows.length, 1);
    assert.deepEqual(Object.keys(doc.rows[0]), KEYS);
    assert.deepEqual(Object.keys(doc.mean), KEYS);
    assert.equal(doc.rows[0].forward, 0.025267153921570557);
    assert.equal(doc.rows[0].reverse, 0.025815408455028527);
  });
  test('bits, Infinity as a string, and the ∞ note naming the column', () => {
    const j = JSON.parse(runCli(['kl', '--p', '0.5,0.5', '--q', '1,0', '--json', '--unit', 'bits']).stdout);
    assert.equal(j.unit, 'bits');
    assert.equal(j.rows[0].forward, 'Infinity');
    assert.equal(j.rows[0].reverse, 1);
    const t = runCli(['kl', '--p', '0.5,0.5', '--q', '1,0']);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /KL\(P‖Q\) = ∞ because p\[0\]\[1\] = 0\.5 > 0 where q\[0\]\[1\] is 0/);
  });
  test('files: 2-D float32 .npy logits, .json, .csv with --normalize', () => {
    const a = new Float32Array([1000, 999, 998, 0, 0, 0]);
    const b = new Float32Array([998, 999, 1000, 0, 0, 0]);
    const r = runCli(['kl', '--p', file('a.npy', encodeNpy(a, [2, 3])), '--q', file('b.npy', encodeNpy(b, [2, 3])), '--from', 'logits', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.rows.length, 2);
    assert.ok(Math.abs(doc.rows[0].forward - 1.1504207652088827) < 1e-12);
    assert.equal(doc.rows[1].forward, 0);
    assert.ok(Math.abs(doc.mean.forward - 1.1504207652088827 / 2) < 1e-12);
    const c = JSON.parse(runCli(['kl', '--p', file('p.csv', '1,2,3\n'), '--q', file('q.json', '[3,2,1]'), '--normalize', '--json']).stdout);
    assert.ok(Math.abs(c.rows[0].forward - 0.3662040962227033) < 1e-15);
  });
  test('bad data: one clear line, exit 1, nothing on stdout', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--p', '0.5,0.5', '--q', '1.1,-0.1'], /invalid q\[0\]\[1\]: expected a finite number >= 0, got -0\.1/],
      [['--p', 'nan,1', '--q', '0.5,0.5'], /invalid p\[0\]\[0\]: expected a finite number >= 0, got NaN/],
      [['--p', 'inf,0', '--q', '0.5,0.5'], /invalid p\[0\]\[0\]: expected a finite number >= 0, got Infinity/],
      [['--p', '0.5,0.5', '--q', '0.3,0.3,0.4'], /shape mismatch: --p has 2 columns, --q has 3/],
      [['--p', '0.5,0.4', '--q', '0.5,0.5'], /sum to 0\.9.*--normalize/],
      [['--p', file('bad.npy', 'not a numpy file at all'), '--q', '0.5,0.5'], /not a \.npy file/],
      [['--p', file('trunc.npy', encodeNpy(new Float64Array([0.5, 0.5]), [2]).subarray(0, 130)), '--q', '0.5,0.5'], /truncated \.npy data.*needs 16 bytes/],
      [['--p', file('int.npy', encodeNpy(new Int32Array([1, 1]), [2])), '--q', '0.5,0.5'], /dtype <i4/],
      [['--p', file('empty.json', '[]'), '--q', '0.5,0.5'], /empty array/],
      [['--p', file('ragged.csv', '0.5,0.5\n1\n'), '--q', '0.5,0.5'], /ragged\.csv\): line 2 has 1 columns, the first data line has 2/],
    ];
    for (const [args, re] of cases) {
      const r = runCli(['kl', ...args]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', args.join(' '));
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /NaN.*=|at .*\.js/);
    }
  });
  test('usage errors exit 2', () => {
    for (const args of [['--p', '0.5,0.5'], ['--p', '1', '--q', '1', '--unit', 'decibels'], ['--p', '1', '--q', '1', '--bogus'], ['--p', 'hello', '--q', '1']]) {
      const r = runCli(['kl', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
  });
  test('--help shows examples', () => {
    const r = runCli(['kl', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:\n\s+\$ klscope kl --p 0\.5,0\.3,0\.2 --q 0\.4,0\.4,0\.2/);
  });
});
