// Builds the WebAssembly SIMD kernel build/kernels.wasm from assembly/kernels.ts with the
// AssemblyScript compiler (an npm devDependency: no C toolchain needed).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(path.join(root, 'build'), { recursive: true });
const asc = path.join(root, 'node_modules/assemblyscript/bin/asc.js');
const r = spawnSync(
  process.execPath,
  [asc, 'assembly/kernels.ts', '--enable', 'simd', '-O3', '--noAssert', '--runtime', 'stub', '-o', 'build/kernels.wasm'],
  { cwd: root, stdio: 'inherit' },
);
if (r.status !== 0) {
  process.stderr.write('klscope build-wasm: asc failed\n');
  process.exit(r.status ?? 1);
}
