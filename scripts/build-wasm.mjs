// Builds the WebAssembly SIMD kernels from assembly/kernels.ts with the AssemblyScript compiler
// (an npm devDependency: no C toolchain needed), one source, two modules:
//   build/kernels.wasm          baseline SIMD (every engine with wasm SIMD, the browser build)
//   build/kernels-relaxed.wasm  relaxed SIMD too (ASC_FEATURE_RELAXED_SIMD: a*b + c as
//                               relaxed_madd, fused where the hardware has FMA); Node loads it
//                               when the engine accepts it (src/kernels/wasmBackend.ts)
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(path.join(root, 'build'), { recursive: true });
const asc = path.join(root, 'node_modules/assemblyscript/bin/asc.js');
for (const [features, out] of [
  ['simd', 'build/kernels.wasm'],
  ['simd,relaxed-simd', 'build/kernels-relaxed.wasm'],
]) {
  const r = spawnSync(
    process.execPath,
    [asc, 'assembly/kernels.ts', '--enable', features, '-O3', '--noAssert', '--runtime', 'stub', '-o', out],
    { cwd: root, stdio: 'inherit' },
  );
  if (r.status !== 0) {
    process.stderr.write(`klscope build-wasm: asc failed (${out})\n`);
    process.exit(r.status ?? 1);
  }
}
