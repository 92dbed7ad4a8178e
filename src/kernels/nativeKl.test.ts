import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareStats, makeLmLogits } from './accuracy.js';
import { availableBackends, batchStats, batchStatsSync, closeWorkers } from './index.js';
import { referenceBatchStats } from './reference.js';
import type { BatchInput } from './types.js';

after(closeWorkers);

// measures 'kl' on float32 logits takes the native fast path: pass 1 keeps only the blocks' lane
// maxima and finds each argmax by scanning the first block that holds the maximum; pass 2 derives
// Q's weights from P's where every lane has |log p − log q − c| < 2 and computes them elsewhere,
// while the next row pair of the thread's range is prefetched. Every field against the float64
// TypeScript reference, under the accuracy rule.
const hasNative = availableBackends().includes('native');

describe("native measures 'kl' fast path (LM-like rows, ties, far lanes, several rows per thread)", { skip: !hasNative }, () => {
  const cols = 128256;

  test('the first index of a tied maximum wins, in whichever block it lies', () => {
    const rows = 4;
    const { p, q } = makeLmLogits({ rows, cols, kl: 1e-2, entropy: [1, 3], seed: 7 });
    // row 0: the maximum repeated at 5 and 70000; row 1: at 511 and 512 (a block edge, lanes 15
    // and 0); row 2: at the last column and 3; row 3: at cols - 2 and cols - 1
    const ties: [number, number][] = [[70000, 5], [512, 511], [cols - 1, 3], [cols - 1, cols - 2]];
    for (const [r, [i, j]] of ties.entries()) {
      for (const x of [p, q]) {
        const row = x.subarray(r * cols, (r + 1) * cols);
        let m = -Infinity;
        for (const v of row) m = Math.max(m, v);
        row[i] = m + 1;
        row[j] = m + 1;
      }
    }
    const input: BatchInput = { p, q, rows, cols, from: 'logits', measures: 'kl' };
    const got = batchStatsSync(input, { backend: 'native' });
    assert.deepEqual(Array.from(got.argmaxP), [5, 511, 3, cols - 2]);
    assert.deepEqual(Array.from(got.argmaxQ), [5, 511, 3, cols - 2]);
    assert.deepEqual(compareStats(referenceBatchStats(input), got).mismatches, []);
  });

  test('close rows, rows with far lanes and a masked row, 1 and 2 threads: every field within the rule', async () => {
    const rows = 6;
    const { p, q } = makeLmLogits({ rows, cols, kl: 1e-3, entropy: [1, 4], seed: 21 });
    const before = referenceBatchStats({ p, q: q.slice(), rows, cols, from: 'logits', measures: 'kl' });
    // row 2: three light tokens of P (ranks 2000, 5000, 20000: below the float64 weights) moved by 3 nats in Q, inside otherwise near vectors (those vectors compute
    // Q's weights by exp); row 4: one masked logit (the exact path); the others stay near
    const row2 = Array.from(p.subarray(2 * cols, 3 * cols), (v, k) => [v, k] as const).sort((x, y) => y[0] - x[0]);
    for (const rank of [2000, 5000, 20000]) q[2 * cols + row2[rank]![1]] = q[2 * cols + row2[rank]![1]]! + 3;
    q[4 * cols + 77] = -Infinity;
    const targets = new Int32Array([0, 1, 2, 3, 77, cols - 1]);
    const input: BatchInput = { p, q, rows, cols, from: 'logits', measures: 'kl', targets };
    const ref = referenceBatchStats(input);
    for (const threads of [1, 2]) {
      const got = await batchStats(input, { backend: 'native', threads });
      assert.deepEqual(compareStats(ref, got).mismatches, [], `threads ${threads}`);
    }
    // the cases are what the test claims: close pairs, one infinite reverse KL from the mask
    assert.ok(ref.forward[0]! > 1e-4 && ref.forward[0]! < 1e-2, `row 0 KL ${ref.forward[0]}`);
    assert.ok(ref.reverse[2]! > before.reverse[2]! * 1.001, `far lanes raise KL(Q‖P): ${before.reverse[2]} -> ${ref.reverse[2]}`);
    assert.equal(ref.forward[4], Infinity);
  });
});
