import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { makeLogits } from './accuracy.js';
import { availableBackends, batchStats, batchStatsSync, closeWorkers, pickBackend, splitRows, WORKER_MIN_ELEMENTS } from './index.js';
import { STAT_F64_KEYS, type BatchStats } from './types.js';

after(closeWorkers);

function assertSame(a: BatchStats, b: BatchStats) {
  for (const k of STAT_F64_KEYS) assert.deepEqual(Array.from(a[k]), Array.from(b[k]), k);
  assert.deepEqual(Array.from(a.argmaxP), Array.from(b.argmaxP));
  assert.deepEqual(Array.from(a.argmaxQ), Array.from(b.argmaxQ));
  assert.deepEqual(Array.from(a.invalid), Array.from(b.invalid));
}

describe('kernel dispatch', () => {
  test('js is always available and listed last; auto takes the fastest that accepts the input', () => {
    const all = availableBackends();
    assert.equal(all[all.length - 1], 'js');
    const f32 = { p: new Float32Array(4), q: new Float32Array(4), rows: 1, cols: 4, from: 'logits' as const };
    assert.equal(pickBackend(f32).name, all[0]);
    // float64 rows: the wasm kernel reads float32 only, so auto skips it
    const f64 = { ...f32, p: new Float64Array(4), q: new Float64Array(4) };
    assert.notEqual(pickBackend(f64).name, 'wasm');
    if (all.includes('wasm')) assert.throws(() => pickBackend(f64, 'wasm'), UsageError);
  });

  test('an unavailable backend is a usage error naming the available ones', () => {
    const input = { p: new Float32Array(2), q: new Float32Array(2), rows: 1, cols: 2, from: 'logits' as const };
    const r = spawnSync(process.execPath, ['-e', `import('${new URL('./index.js', import.meta.url).href}').then(m => console.log(JSON.stringify(m.availableBackends())))`], {
      env: { ...process.env, KLSCOPE_DISABLE: 'native,wasm' },
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(r.stdout), ['js']);
    if (!availableBackends().includes('native')) assert.throws(() => batchStatsSync(input, { backend: 'native' }), /not available here/);
  });

  test('splitRows covers every row once', () => {
    assert.deepEqual(splitRows(10, 3), [[0, 3], [3, 6], [6, 10]]);
    assert.deepEqual(splitRows(1, 4), [[0, 1]]);
  });

  test('threads give the same results as one thread, for every backend', async () => {
    const cols = 32000;
    const rows = Math.ceil(WORKER_MIN_ELEMENTS / cols) + 1;
    const { p, q } = makeLogits({ rows, cols, scale: 2, noise: 0.5, seed: 3, shared: true });
    const targets = new Int32Array(rows).map((_, i) => i);
    for (const backend of availableBackends()) {
      const input = { p, q, rows, cols, from: 'logits' as const, targets };
      const one = batchStatsSync(input, { backend });
      const two = await batchStats(input, { backend, threads: 2 });
      assertSame(one, two);
    }
    // input on ordinary ArrayBuffers is copied into shared memory once
    const plain = { p: new Float32Array(p), q: new Float32Array(q), rows, cols, from: 'logits' as const };
    assertSame(batchStatsSync(plain, { backend: 'js' }), await batchStats(plain, { backend: 'js', threads: 2 }));
  });
});

test('the wasm module loads from bytes alone (the browser path)', async () => {
  const { readFileSync } = await import('node:fs');
  const { createWasmKernel } = await import('./wasmKernel.js');
  const { WASM_KERNEL_PATH } = await import('./wasmBackend.js');
  const k = createWasmKernel(readFileSync(WASM_KERNEL_PATH));
  const { createBatchStats } = await import('./types.js');
  const out = createBatchStats(1);
  k.run({ p: new Float32Array([1000, 999, 998]), q: new Float32Array([998, 999, 1000]), rows: 1, cols: 3, from: 'logits' }, out, 0, 1, 1e-4);
  assert.ok(Math.abs(out.forward[0]! - 1.1504207652088827) < 1e-6);
  assert.throws(() => createWasmKernel(new Uint8Array([0, 1, 2, 3])));
  void fileURLToPath;
});
