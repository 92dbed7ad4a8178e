import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runKernelBenchmark, threadLadder } from './bench.js';
import { availableBackends, closeWorkers } from './index.js';

after(closeWorkers);

test('threadLadder: 1, powers of two, and the top', () => {
  assert.deepEqual(threadLadder(1), [1]);
  assert.deepEqual(threadLadder(2), [1, 2]);
  assert.deepEqual(threadLadder(6), [1, 2, 4, 6]);
});

test('runKernelBenchmark reports every backend × thread count in the issue-3 JSON shape', async () => {
  const r = await runKernelBenchmark({ vocabs: [1000], rows: 8, threads: [1, 2], repeat: 1, latencyVocab: 500 });
  const backends = availableBackends();
  assert.equal(r.results.length, backends.length * 2);
  for (const x of r.results) {
    assert.deepEqual(Object.keys(x), ['backend', 'threads', 'vocab', 'rows', 'melemPerSec', 'maxRelErr']);
    assert.ok(x.melemPerSec > 0);
    // the fast backends are measured against the js reference of the same data
    if (x.backend === 'js') assert.equal(x.maxRelErr, 0);
    else assert.ok(x.maxRelErr > 0 && x.maxRelErr <= 1e-5, `${x.backend}: ${x.maxRelErr}`);
  }
  assert.deepEqual(r.singleRowMs.map((l) => l.backend), backends);
  assert.equal(r.cpu.length, r.results.length);
});
