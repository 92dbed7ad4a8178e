import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KernelBackend } from './backend.js';
import { defaultTolerance } from './reference.js';
import { createWasmKernel } from './wasmKernel.js';

/** Path of the module built by scripts/build-wasm.mjs (package root: dist/kernels → ../..). */
export const WASM_KERNEL_PATH = fileURLToPath(new URL('../../build/kernels.wasm', import.meta.url));

/**
 * Loads build/kernels.wasm for this thread; undefined when it is missing or the engine has no
 * WebAssembly SIMD. It takes float32 rows (P and Q both Float32Array).
 */
export function loadWasmBackend(): KernelBackend | undefined {
  if (!existsSync(WASM_KERNEL_PATH)) return undefined;
  let kernel: ReturnType<typeof createWasmKernel>;
  try {
    kernel = createWasmKernel(readFileSync(WASM_KERNEL_PATH));
  } catch {
    return undefined;
  }
  return {
    name: 'wasm',
    supports: (input) => input.p instanceof Float32Array && input.q instanceof Float32Array,
    run: (input, out, start, end) => kernel.run(input, out, start, end, defaultTolerance(input)),
  };
}
