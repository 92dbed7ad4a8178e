import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeLmLogits, makeLogits } from './accuracy.js';
import { referenceBatchStats } from './reference.js';
import { WASM_KERNEL_PATH } from './wasmBackend.js';

// The 'kl' fast path of the wasm module, called directly: when it takes a row and when it
// hands it back to the exact `row` (the dispatch result is covered by accuracy.test.ts).
interface Raw {
  memory: WebAssembly.Memory;
  rowKl(pp: number, qp: number, n: number, target: number, out: number, scratch: number): number;
}

function instance(): Raw {
  const m = new WebAssembly.Module(readFileSync(WASM_KERNEL_PATH));
  return new WebAssembly.Instance(m, { env: { abort: () => { throw new Error('abort'); } } }).exports as unknown as Raw;
}

function callRowKl(ex: Raw, p: Float32Array, q: Float32Array, target: number) {
  const n = p.length;
  const n4 = (n + 3) & ~3;
  const base = ex.memory.buffer.byteLength;
  ex.memory.grow(Math.ceil((128 + n4 * 9 + (n4 / 256 + 1) * 32) / 65536));
  const out = base;
  const pp = base + 128;
  const qp = pp + n4 * 4;
  const f = new Float32Array(ex.memory.buffer);
  f.set(p, pp >> 2);
  f.set(q, qp >> 2);
  f.fill(-Infinity, (pp >> 2) + n, (pp >> 2) + n4);
  f.fill(-Infinity, (qp >> 2) + n, (qp >> 2) + n4);
  const took = ex.rowKl(pp, qp, n, target, out, qp + n4 * 4);
  const res = Array.from(new Float64Array(ex.memory.buffer, out, 13));
  const padding = [...Array.from(f.subarray((pp >> 2) + n, (pp >> 2) + n4)), ...Array.from(f.subarray((qp >> 2) + n, (qp >> 2) + n4))];
  return { took, res, padding };
}

test('wasm rowKl takes well-separated logit rows and matches the float64 reference', () => {
  const ex = instance();
  const cols = 5001; // odd: the padding is used and must come back as -Infinity
  const { p, q } = makeLogits({ rows: 1, cols, scale: 3, noise: 0.5, seed: 3 });
  const { took, res, padding } = callRowKl(ex, p as Float32Array, q as Float32Array, 17);
  assert.equal(took, 1);
  assert.deepEqual(padding, [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity]);
  const ref = referenceBatchStats({ p, q, rows: 1, cols, from: 'logits', targets: new Int32Array([17]) });
  const want = [ref.forward[0]!, ref.reverse[0]!, ref.entropyP[0]!, ref.entropyQ[0]!, ref.crossEntropyPQ[0]!, ref.crossEntropyQP[0]!];
  for (let k = 0; k < 6; k++) assert.ok(Math.abs(res[k]! - want[k]!) <= 1e-5 * want[k]!, `field ${k}: ${res[k]} vs ${want[k]}`);
  assert.ok(Number.isNaN(res[6]) && Number.isNaN(res[7]), 'JS and TV are not computed');
  assert.ok(Math.abs(res[8]! - ref.logpTarget[0]!) <= 1e-5 * Math.abs(ref.logpTarget[0]!));
  assert.ok(Math.abs(res[9]! - ref.logqTarget[0]!) <= 1e-5 * Math.abs(ref.logqTarget[0]!));
  assert.deepEqual([res[10], res[11], res[12]], [ref.argmaxP[0], ref.argmaxQ[0], 0]);
});

test('wasm rowKl keeps near-equal rows (compensated form) and hands masked and invalid rows back to the exact path', () => {
  const ex = instance();
  const cols = 3001;
  for (const [noise, seed] of [[1e-3, 4], [3e-2, 7]] as const) {
    // KL ~ 5e-7 and ~ 4e-4: accurate to the rule on the fast path
    const near = makeLogits({ rows: 1, cols, scale: 3, noise, seed });
    const { took, res } = callRowKl(ex, near.p as Float32Array, near.q as Float32Array, -1);
    assert.equal(took, 1, `near-equal rows, noise ${noise}`);
    const ref = referenceBatchStats({ p: near.p, q: near.q, rows: 1, cols, from: 'logits' });
    for (const [k, want] of [ref.forward[0]!, ref.reverse[0]!].entries()) {
      const err = Math.abs(res[k]! - want);
      assert.ok(want >= 1e-4 ? err <= 1e-5 * want : err <= 1e-9, `noise ${noise} field ${k}: ${res[k]} vs ${want}`);
    }
  }
  const far = makeLogits({ rows: 1, cols, scale: 3, noise: 0.5, seed: 5 });
  const masked = Float32Array.from(far.p);
  masked[100] = -Infinity;
  assert.equal(callRowKl(ex, masked, far.q as Float32Array, -1).took, 0, 'masked logit');
  const nan = Float32Array.from(far.q);
  nan[2000] = NaN;
  assert.equal(callRowKl(ex, far.p as Float32Array, nan, -1).took, 0, 'NaN');
  assert.equal(callRowKl(ex, far.p as Float32Array, far.q as Float32Array, -1).took, 1, 'the same rows unmasked');
});

test('wasm rowKl: argmax takes the first of tied maxima', () => {
  const ex = instance();
  const cols = 1003;
  const { p, q } = makeLogits({ rows: 1, cols, scale: 1, noise: 0.5, seed: 6 });
  const a = Float32Array.from(p);
  const b = Float32Array.from(q);
  for (const i of [901, 13, 1002]) a[i] = 50; // ties: 13 is first
  b[1002] = 60;
  b[5] = 60;
  const { took, res } = callRowKl(ex, a, b, -1);
  assert.equal(took, 1);
  assert.equal(res[10], 13);
  assert.equal(res[11], 5);
});

test('wasm rowKl keeps LM-like peaked rows at KL ≈ 1e-3 and 1e-2 on the fast path, to the accuracy rule', () => {
  const ex = instance();
  const cols = 32001;
  for (const kl of [1e-3, 1e-2]) {
    const { p, q } = makeLmLogits({ rows: 3, cols, kl, seed: 9 });
    for (let r = 0; r < 3; r++) {
      const a = p.subarray(r * cols, (r + 1) * cols);
      const b = q.subarray(r * cols, (r + 1) * cols);
      const { took, res } = callRowKl(ex, a, b, 5);
      assert.equal(took, 1, `kl ${kl} row ${r}`);
      const ref = referenceBatchStats({ p: a, q: b, rows: 1, cols, from: 'logits', targets: new Int32Array([5]) });
      const want = [ref.forward[0]!, ref.reverse[0]!, ref.entropyP[0]!, ref.entropyQ[0]!, ref.crossEntropyPQ[0]!, ref.crossEntropyQP[0]!, NaN, NaN, ref.logpTarget[0]!, ref.logqTarget[0]!];
      for (const k of [0, 1, 2, 3, 4, 5, 8, 9]) {
        const err = Math.abs(res[k]! - want[k]!);
        assert.ok(Math.abs(want[k]!) >= 1e-4 ? err <= 1e-5 * Math.abs(want[k]!) : err <= 1e-9, `kl ${kl} row ${r} field ${k}: ${res[k]} vs ${want[k]}`);
      }
    }
  }
});
