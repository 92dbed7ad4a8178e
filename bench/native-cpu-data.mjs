// Writes the benchmark's data sets (32 rows × 128256, P then Q, float32) for bench/native-cpu.cc.
// Usage: node bench/native-cpu-data.mjs [dir]   (default /tmp/klscope-cpu)
import { mkdirSync, writeFileSync } from 'node:fs';
import { BENCH_REGIMES, benchLogits } from '../dist/kernels/bench.js';

const dir = process.argv[2] ?? '/tmp/klscope-cpu';
mkdirSync(dir, { recursive: true });
for (const r of BENCH_REGIMES) {
  const { p, q } = benchLogits(r, 32, 128256);
  writeFileSync(`${dir}/${r}.f32`, Buffer.concat([Buffer.from(p.buffer, p.byteOffset, p.byteLength), Buffer.from(q.buffer, q.byteOffset, q.byteLength)]));
}
