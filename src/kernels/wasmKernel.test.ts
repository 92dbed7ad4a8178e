import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareStats, LM_REGIMES, makeLmLogits, makeLogits } from './accuracy.js';
import { defaultTolerance, referenceBatchStats } from './reference.js';
import { createBatchStats } from './types.js';
import { loadWasmKernel, WASM_KERNEL_PATH, WASM_RELAXED_KERNEL_PATH } from './wasmBackend.js';

// The 'kl' fast path of the wasm module, called directly: when it takes a row and when it
// hands it back to the exact `row` (the dispatch result is covered by accuracy.test.ts).
interface Raw {
  memory: WebAssembly.Memory;
  rowKl(pp: number, qp: number, n: number, target: number, out: number, scratch: number): number;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Both builds of the same source: the baseline module, and the relaxed-SIMD one where this
// engine loads it (loadWasmKernel turns on Node 20's flag for it).
const relaxedLoads = loadWasmKernel()?.variant === 'relaxed';
const MODULES: [string, string][] = [['baseline', WASM_KERNEL_PATH], ...(relaxedLoads ? [['relaxed', WASM_RELAXED_KERNEL_PATH] as [string, string]] : [])];

function instance(path: string): Raw {
  const m = new WebAssembly.Module(readFileSync(path));
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

for (const [variant, path] of MODULES) {
  test(`wasm (${variant}) rowKl takes well-separated logit rows and matches the float64 reference`, () => {
    const ex = instance(path);
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

  test(`wasm (${variant}) rowKl keeps near-equal rows (compensated form) and hands masked and invalid rows back to the exact path`, () => {
    const ex = instance(path);
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

  test(`wasm (${variant}) rowKl: argmax takes the first of tied maxima`, () => {
    const ex = instance(path);
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

  test(`wasm (${variant}) rowKl keeps LM-like peaked rows at KL ≈ 1e-3 and 1e-2 on the fast path, to the accuracy rule`, () => {
    const ex = instance(path);
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
}

test('the relaxed-SIMD module loads on Node 20+ (build/kernels-relaxed.wasm, from the same source)', () => {
  assert.ok(existsSync(WASM_RELAXED_KERNEL_PATH), 'npm run build writes build/kernels-relaxed.wasm');
  assert.equal(loadWasmKernel()?.variant, 'relaxed');
});

test('wasm, whichever module: LM-like regimes for measures kl and all match the float64 reference', () => {
  const cols = 20001;
  for (const [variant, relaxed] of [['relaxed', true], ['baseline', false]] as const) {
    const loaded = loadWasmKernel({ relaxed });
    assert.ok(loaded);
    if (relaxed && !relaxedLoads) continue;
    assert.equal(loaded.variant, variant);
    for (const r of LM_REGIMES) {
      const { p, q } = makeLmLogits({ rows: 4, cols, kl: r.kl, seed: 21 });
      for (const measures of ['kl', 'all'] as const) {
        const input = { p, q, rows: 4, cols, from: 'logits' as const, measures, targets: new Int32Array([0, 7, 100, 20000]) };
        const got = createBatchStats(4);
        loaded.kernel.run(input, got, 0, 4, defaultTolerance(input));
        const cmp = compareStats(referenceBatchStats(input), got);
        assert.deepEqual(cmp.mismatches, [], `${variant} ${r.id} ${measures}`);
      }
    }
  }
});

test('wasm falls back to the baseline module silently when the relaxed one is absent, invalid or switched off', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-wasm-'));
  try {
    const bad = path.join(dir, 'bad.wasm');
    writeFileSync(bad, Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 255])); // a truncated section
    for (const relaxedPath of [path.join(dir, 'absent.wasm'), bad]) assert.equal(loadWasmKernel({ relaxedPath })?.variant, 'baseline', relaxedPath);
    assert.equal(loadWasmKernel({ relaxed: false })?.variant, 'baseline');
    // through the registry in a fresh process: the env switch, nothing on stdout or stderr
    const code = `import('./dist/kernels/index.js').then(async (m) => { const { makeLmLogits } = await import('./dist/kernels/accuracy.js'); const { p, q } = makeLmLogits({ rows: 2, cols: 5000, kl: 1e-2, seed: 3 }); const s = m.batchStatsSync({ p, q, rows: 2, cols: 5000, from: 'logits', measures: 'kl' }, { backend: 'wasm' }); process.stdout.write(JSON.stringify(Array.from(s.forward))); })`;
    const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
    const base = run({ KLSCOPE_DISABLE: 'relaxed-simd' });
    const fast = run({ KLSCOPE_DISABLE: '' });
    assert.equal(base.status, 0, base.stderr);
    assert.equal(base.stderr, '');
    assert.equal(fast.stderr, '');
    const a = JSON.parse(base.stdout) as number[];
    const b = JSON.parse(fast.stdout) as number[];
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-5 * a[i]!, `${a[i]} vs ${b[i]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
