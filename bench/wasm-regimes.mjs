// The wasm kernel alone, one thread, on the rows of every `klscope bench` data set: CPU time per
// row pair of the 'kl' fast path (rowKl, with `row` when it hands a row back) and of 'all'
// (`row`), and how many rows rowKl handed back. For before/after comparisons on a loaded
// machine (process CPU time of this single thread; several builds are interleaved, least time).
// Usage: node bench/wasm-regimes.mjs [--wasm build/kernels.wasm,build/kernels-relaxed.wasm] [--vocab 128256] [--rows 32] [--reps 5] [--all]
// (relaxed-SIMD modules load with Node 20's --experimental-wasm-relaxed-simd, turned on here)
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_REGIMES, benchLogits } from '../dist/kernels/bench.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const wasmFiles = arg('wasm', ['build/kernels.wasm', 'build/kernels-relaxed.wasm'].map((f) => path.join(root, f)).join(',')).split(',');
const V = Number(arg('vocab', '128256'));
const T = Number(arg('rows', '32'));
const reps = Number(arg('reps', '5'));
const doAll = process.argv.includes('--all');
const regimes = arg('regime', BENCH_REGIMES.join(',')).split(',');

function instance(file) {
  const bytes = readFileSync(file);
  if (!WebAssembly.validate(bytes)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort: () => { throw new Error('abort'); } } });
  const ex = inst.exports;
  const base = ex.memory.buffer.byteLength;
  const n4 = (V + 3) & ~3;
  ex.memory.grow(Math.ceil((256 + n4 * 16 + (Math.ceil(n4 / 2048) + 1) * 16 + 65536) / 65536));
  const outPtr = base, pPtr = base + 256, qPtr = pPtr + n4 * 4, scratch = qPtr + n4 * 4;
  const f32 = new Float32Array(ex.memory.buffer);
  const res = new Float64Array(ex.memory.buffer, outPtr, 13);
  const pv = f32.subarray(pPtr >> 2, (pPtr >> 2) + n4), qv = f32.subarray(qPtr >> 2, (qPtr >> 2) + n4);
  pv.fill(-Infinity); qv.fill(-Infinity);
  return {
    run(P, Q, r, all) {
      pv.set(P.subarray(r * V, r * V + V));
      qv.set(Q.subarray(r * V, r * V + V));
      let fb = 0;
      if (all || ex.rowKl(pPtr, qPtr, V, -1, outPtr, scratch) === 0) {
        fb = all ? 0 : 1;
        ex.row(pPtr, qPtr, V, 0, 0, 1e-3, -1, outPtr, scratch, all ? 1 : 0);
      }
      return [fb, res[0], res[1]];
    },
  };
}
const insts = wasmFiles.map(instance);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
for (const regime of regimes) {
  const { p, q } = benchLogits(regime, T, V);
  for (const all of doAll ? [false, true] : [false]) {
    // the builds interleaved, rep by rep, and the least CPU time of each: what other load on
    // the machine adds is not in the minimum, and both builds see the same load
    for (const k of insts) for (let r = 0; r < T; r++) k.run(p, q, r, all); // warm-up (TurboFan tier-up)
    const best = insts.map(() => Infinity);
    const fb = insts.map(() => 0);
    for (let rep = 0; rep < reps; rep++) {
      insts.forEach((k, w) => {
        const t0 = cpu();
        let f = 0;
        for (let r = 0; r < T; r++) f += k.run(p, q, r, all)[0];
        best[w] = Math.min(best[w], (cpu() - t0) / T);
        fb[w] = f;
      });
    }
    const cells = best.map((ms, w) => `${path.basename(wasmFiles[w])}: ${ms.toFixed(3)} ms/row ${(V / ms / 1e3).toFixed(0)} Melem/cpu-s, handed back ${fb[w]}/${T}`);
    if (insts.length > 1) cells.push(`first/last time ${(best[0] / best[best.length - 1]).toFixed(2)}`);
    process.stdout.write(`${regime} ${all ? 'all' : 'kl '} | ${cells.join(' | ')}\n`);
  }
}
