import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError } from '../errors.js';
import { BENCH_REGIMES, benchLogits, runKernelBenchmark, threadLadder } from './bench.js';
import { referenceBatchStats } from './reference.js';
import { availableBackends, closeWorkers } from './index.js';

after(closeWorkers);

test('threadLadder: 1, powers of two, and the top', () => {
  assert.deepEqual(threadLadder(1), [1]);
  assert.deepEqual(threadLadder(2), [1, 2]);
  assert.deepEqual(threadLadder(6), [1, 2, 4, 6]);
});

test('runKernelBenchmark reports every backend × thread count in the issue-3 JSON shape', async () => {
  const r = await runKernelBenchmark({ regimes: ['synthetic', 'lm-1e-3'], vocabs: [1000], rows: 8, threads: [1, 2], repeat: 1, latencyVocab: 500 });
  const backends = availableBackends();
  assert.equal(r.results.length, 2 * backends.length * 2);
  assert.deepEqual([...new Set(r.results.map((x) => x.regime))], ['synthetic', 'lm-1e-3']);
  for (const x of r.results) {
    assert.deepEqual(Object.keys(x), ['regime', 'backend', 'threads', 'vocab', 'rows', 'melemPerSec', 'maxRelErr']);
    assert.ok(x.melemPerSec > 0);
    // the fast backends are measured against the js reference of the same data
    if (x.backend === 'js') assert.equal(x.maxRelErr, 0);
    else assert.ok(x.maxRelErr > 0 && x.maxRelErr <= 1e-5, `${x.backend}: ${x.maxRelErr}`);
  }
  assert.deepEqual(r.singleRowMs.map((l) => l.backend), backends);
  assert.equal(r.cpu.length, r.results.length);
});

test('the benchmark regimes: broad synthetic rows, and LM-like rows (H 1–4 nats) at KL ≈ 1e-3, 1e-2, 1e-1', () => {
  assert.deepEqual([...BENCH_REGIMES], ['synthetic', 'lm-1e-3', 'lm-1e-2', 'lm-1e-1']);
  const rows = 12;
  const cols = 32000;
  const med = (a: Float64Array) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const syn = referenceBatchStats({ ...benchLogits('synthetic', rows, cols), rows, cols, from: 'logits' });
  assert.ok(med(syn.entropyP) > 6, `synthetic H ${med(syn.entropyP)}`);
  for (const [id, kl] of [['lm-1e-3', 1e-3], ['lm-1e-2', 1e-2], ['lm-1e-1', 1e-1]] as const) {
    const s = referenceBatchStats({ ...benchLogits(id, rows, cols), rows, cols, from: 'logits' });
    for (let r = 0; r < rows; r++) assert.ok(s.entropyP[r]! > 0.8 && s.entropyP[r]! < 4.5, `${id} row ${r}: H ${s.entropyP[r]}`);
    const m = med(s.forward);
    assert.ok(m > kl / 2 && m < kl * 2, `${id}: median KL ${m}`);
  }
  assert.throws(() => benchLogits('lm-1e-5', 1, 10), (e: Error) => e instanceof ArgumentError && /^regime: expected one of .*, got "lm-1e-5"$/.test(e.message));
});

test('nativeFloors: positive finite read GB/s and exp rates with the addon, undefined without it', async () => {
  const { nativeFloors, nativeSimd, loadNativeBackend } = await import('./nativeBackend.js');
  const rows = new Float32Array(1 << 16).map((_, i) => Math.sin(i) * 5);
  const f = nativeFloors(rows, 2, 1);
  if (!loadNativeBackend()) {
    assert.equal(f, undefined);
    return;
  }
  assert.ok(nativeSimd().length > 0);
  assert.ok(f);
  for (const k of ['readGBs', 'expRegMexps', 'expRowsMexps'] as const) assert.ok(Number.isFinite(f[k]) && f[k] > 0, `${k}: ${f[k]}`);
});
