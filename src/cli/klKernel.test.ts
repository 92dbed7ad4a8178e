// `klscope kl` on large [T, V] inputs runs the fused kernels: same output shape and values
// (within the kernels' accuracy rule), and the reference's exact errors and ∞ notes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../testing/cli.js';
import { encodeNpy } from '../io/npy.js';
import { divergenceRows, MEASURE_KEYS } from '../divergence/measures.js';
import { makeLogits } from '../kernels/accuracy.js';
import { KERNEL_MIN_ELEMENTS } from './kl.js';

const dir = mkdtempSync(path.join(tmpdir(), 'klscope-cli-klk-'));
const T = 4;
const V = 20000;

function write(name: string, data: Float32Array) {
  const f = path.join(dir, name);
  writeFileSync(f, encodeNpy(data, [T, V]));
  return f;
}

describe('klscope kl through the fused kernels', () => {
  const { p, q } = makeLogits({ rows: T, cols: V, scale: 2, noise: 0.5, seed: 5 }) as { p: Float32Array; q: Float32Array };
  assert.ok(T * V >= KERNEL_MIN_ELEMENTS);

  test('--json gives every row and the mean as the reference computes them', () => {
    const r = runCli(['kl', '--p', write('p.npy', p), '--q', write('q.npy', q), '--from', 'logits', '--json', '--unit', 'bits']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc), ['unit', 'rows', 'mean']);
    const ref = divergenceRows({ data: p, rows: T, cols: V }, { data: q, rows: T, cols: V }, { from: 'logits', unit: 'bits' });
    assert.equal(doc.rows.length, T);
    for (let t = 0; t < T; t++) {
      for (const k of MEASURE_KEYS) assert.ok(Math.abs(doc.rows[t][k] - ref.rows[t]![k]) <= 1e-5 * ref.rows[t]![k], `row ${t} ${k}`);
    }
    for (const k of MEASURE_KEYS) assert.ok(Math.abs(doc.mean[k] - ref.mean[k]) <= 1e-5 * ref.mean[k], `mean ${k}`);
  });

  test('a broken rule gives the reference error naming the row and column', () => {
    const bad = p.slice();
    bad[2 * V + 17] = NaN;
    const r = runCli(['kl', '--p', write('bad.npy', bad), '--q', write('q.npy', q), '--from', 'logits']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid p\[2\]\[17\]: expected a finite logit/);
    assert.equal(r.stdout, '');
  });

  test('an infinite divergence names its column as the reference does', () => {
    const masked = q.slice();
    masked[V + 123] = -Infinity;
    const r = runCli(['kl', '--p', write('p.npy', p), '--q', write('masked.npy', masked), '--from', 'logits']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /row 1: KL\(P‖Q\) = ∞ because p\[1\]\[123\]/);
  });
});
