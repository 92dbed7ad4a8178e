import { describe, test } from 'node:test';
import { commandCli, repoRoot } from '../testing/cli.js';
import { tempFiles } from '../testing/tempFiles.js';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runSamples, samplesTable } from './samples.js';
import { encodeNpy } from '../io/npy.js';

const data = (f: string) => path.join(repoRoot, 'data/samples', f);
const { file } = tempFiles('samplescli');

/** `klscope samples ...` through the real CLI entry point. */
const cli = commandCli('samples');

describe('klscope samples', () => {
  test('--json has the documented keys, forward = KL(A‖B)', async () => {
    const { code, out } = await cli([data('real.csv'), data('generated.csv'), '--bootstrap', '20', '--json']);
    assert.equal(code, 0);
    const j = JSON.parse(out);
    assert.equal(j.dim, 2);
    assert.deepEqual(j.n, { a: 1000, b: 1000 });
    for (const k of ['forward', 'reverse', 'forwardCi', 'reverseCi']) assert.ok(k in j.knn, k);
    assert.ok(j.knn.forwardCi[0] <= j.knn.forwardCi[1]);
    assert.ok('forward' in j.gaussian && 'reverse' in j.gaussian);
    // The bundled sets come from N(0, I) and N((0.5, −0.3), [[1.44, 0.3], [0.3, 0.64]]): KL(A‖B) = 0.3866.
    assert.ok(Math.abs(j.gaussian.forward - 0.3866) < 0.15);
  });
  test('1-D scores add a histogram row; the table names the direction', () => {
    const r = runSamples(data('scores-real.csv'), data('scores-generated.csv'), { bootstrap: 0 });
    assert.ok(r.histogram);
    const t = samplesTable(r, { a: 'real', b: 'gen' });
    assert.match(t, /forward = KL\(A‖B\)/);
    assert.match(t, /histogram \(\d+ bins\)\s+KL\(A‖B\)/);
  });
  test('different dimensions, NaN rows and bad flags', async () => {
    const a = file('a.csv', 'x,y\n1,2\n2,3\n4,1\n');
    const b = file('b.csv', 'x\n1\n2\n3\n');
    let r = await cli([a, b]);
    assert.deepEqual([r.code, r.out], [1, '']);
    assert.match(r.err, /dimension mismatch: A \(.*a\.csv\) has 2 columns, B \(.*b\.csv\) has 1/);
    r = await cli([a, file('nan.csv', 'x,y\n1,2\nNaN,3\n4,1\n')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /B \(.*nan\.csv\): line 3, column 1: expected a finite number, got NaN/);
    r = await cli([a, file('nan.npy', encodeNpy(new Float64Array([1, 2, 3, NaN]), [2, 2]))]);
    assert.equal(r.code, 1);
    assert.match(r.err, /row 1, column 1 \(0-based\): expected a finite number, got NaN/);
    assert.equal((await cli([a, a, '--k', '0'])).code, 2);
    assert.equal((await cli([a, a, '--level', '1.5'])).code, 2);
    const { out } = await cli(['--help']);
    assert.match(out, /Examples:\n\s+\$ klscope samples/);
  });
});
