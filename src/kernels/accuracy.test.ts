import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { divergenceMeasures } from '../divergence/measures.js';
import { compareStats, makeLogits } from './accuracy.js';
import { accuracyCases } from '../testing/accuracyCases.js';
import { availableBackends, batchStatsSync, closeWorkers } from './index.js';
import { referenceBatchStats } from './reference.js';
import { createBatchStats } from './types.js';

after(closeWorkers);

// Every fast backend that loads here, against the float64 reference, on the whole suite.
const fast = availableBackends().filter((b) => b !== 'js');

describe('accuracy suite (rule: rel ≤ 1e-5 on values ≥ 1e-4, abs ≤ 1e-9 below)', () => {
  test('the wasm kernel is built and loads (npm ci builds it from npm-only tools)', () => {
    assert.ok(availableBackends().includes('wasm'), `available: ${availableBackends().join(', ')}`);
  });

  const f32 = accuracyCases();
  const f64 = accuracyCases({ float64: true, large: false });
  for (const backend of fast) {
    test(`${backend}: float32 cases`, () => {
      for (const c of f32) {
        const cmp = compareStats(referenceBatchStats(c.input), batchStatsSync(c.input, { backend }));
        assert.deepEqual(cmp.mismatches, [], `${backend} ${c.name}`);
      }
    });
    if (backend === 'native') {
      test('native: float64 cases', () => {
        for (const c of f64) {
          const cmp = compareStats(referenceBatchStats(c.input), batchStatsSync(c.input, { backend }));
          assert.deepEqual(cmp.mismatches, [], `native ${c.name}`);
        }
      });
    }
    test(`${backend}: measures 'kl' (two-exp fast path for logits, exact fallback) on the whole float32 suite`, () => {
      for (const c of f32) {
        const input = { ...c.input, measures: 'kl' as const };
        const cmp = compareStats(referenceBatchStats(input), batchStatsSync(input, { backend }));
        assert.deepEqual(cmp.mismatches, [], `${backend} kl ${c.name}`);
      }
    });
    test(`${backend}: measures 'kl' across the fast path's boundary (KL from 1e-10 to 1)`, () => {
      // near-equal rows must leave the fast path (its error is ~1e-7·E|x|, not relative to KL)
      for (const noise of [1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1]) {
        for (const scale of [0.5, 3, 10]) {
          for (const cols of [1000, 32001]) {
            const { p, q } = makeLogits({ rows: 3, cols, scale, noise, seed: 11 + cols });
            const input = { p, q, rows: 3, cols, from: 'logits' as const, measures: 'kl' as const, targets: new Int32Array([0, 5, cols - 1]) };
            const cmp = compareStats(referenceBatchStats(input), batchStatsSync(input, { backend }));
            assert.deepEqual(cmp.mismatches, [], `${backend} noise ${noise} scale ${scale} cols ${cols}`);
          }
        }
      }
    });
    test(`${backend}: agrees with the independent per-row divergence functions`, () => {
      const cols = 3001;
      const { p, q } = makeLogits({ rows: 3, cols, scale: 2.5, noise: 0.4, seed: 42 });
      const s = batchStatsSync({ p, q, rows: 3, cols, from: 'logits' }, { backend });
      for (let r = 0; r < 3; r++) {
        const m = divergenceMeasures(p.subarray(r * cols, (r + 1) * cols), q.subarray(r * cols, (r + 1) * cols), { from: 'logits' });
        for (const k of ['forward', 'reverse', 'entropyP', 'entropyQ', 'crossEntropyPQ', 'crossEntropyQP', 'jsDivergence', 'tvd'] as const) {
          assert.ok(Math.abs(s[k][r]! - m[k]) <= 1e-5 * m[k], `${backend} row ${r} ${k}: ${s[k][r]} vs ${m[k]}`);
        }
      }
    });
  }

  test('compareStats finds a wrong value, a wrong infinity and a wrong argmax', () => {
    const c = f32[0]!;
    const ref = referenceBatchStats(c.input);
    const bad = createBatchStats(ref.rows);
    for (const k of Object.keys(bad) as (keyof typeof bad)[]) if (k !== 'rows') (bad[k] as Float64Array).set(ref[k] as Float64Array);
    bad.forward[0] = ref.forward[0]! * (1 + 2e-5);
    bad.reverse[1] = Infinity;
    bad.argmaxQ[2] = ref.argmaxQ[2]! + 1;
    const fields = compareStats(ref, bad).mismatches.map((m) => `${m.field}@${m.row}`).sort();
    assert.deepEqual(fields, ['argmaxQ@2', 'forward@0', 'reverse@1']);
  });
});
