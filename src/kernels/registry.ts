import type { KernelBackend } from './backend.js';
import { jsBackend } from './jsBackend.js';
import { loadNativeBackend } from './nativeBackend.js';
import { loadWasmBackend } from './wasmBackend.js';
import type { BackendName } from './types.js';

let cache: Map<BackendName, KernelBackend> | undefined;

/**
 * The backends that load on this machine, fastest first: native (if the addon was built),
 * wasm (if build/kernels.wasm exists and the engine has SIMD), js (always).
 * `KLSCOPE_DISABLE=native,wasm` hides backends (to test the fallbacks).
 */
export function loadedBackends(): Map<BackendName, KernelBackend> {
  if (cache) return cache;
  const disabled = new Set((process.env.KLSCOPE_DISABLE ?? '').split(',').map((s) => s.trim()));
  const m = new Map<BackendName, KernelBackend>();
  if (!disabled.has('native')) {
    const n = loadNativeBackend();
    if (n) m.set('native', n);
  }
  if (!disabled.has('wasm')) {
    const w = loadWasmBackend();
    if (w) m.set('wasm', w);
  }
  m.set('js', jsBackend);
  cache = m;
  return m;
}
