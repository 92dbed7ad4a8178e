import type { KernelBackend } from './backend.js';
import { jsBackend } from './jsBackend.js';
import { loadNativeBackend, loadNativeKldRows, loadNativeKlrefTail, loadNativeKlrefTailRows, type NativeKldRows, type NativeKlrefTail, type NativeKlrefTailRows } from './nativeBackend.js';
import { loadWasmBackend } from './wasmBackend.js';
import type { BackendName } from './types.js';

let cache: Map<BackendName, KernelBackend> | undefined;

/** The backends `KLSCOPE_DISABLE` hides. */
function disabledBackends(): Set<string> {
  return new Set((process.env.KLSCOPE_DISABLE ?? '').split(',').map((s) => s.trim()));
}

/**
 * The native .kld row-pair loop, unless the addon is missing or `KLSCOPE_DISABLE` names native.
 *
 * @example
 * const kldRows = nativeKldRows(); // undefined: the JavaScript loop runs
 */
export function nativeKldRows(): NativeKldRows | undefined {
  return disabledBackends().has('native') ? undefined : loadNativeKldRows();
}

/**
 * The native candidate pass of the reference bounds, unless the addon is missing or
 * `KLSCOPE_DISABLE` names native.
 *
 * @example
 * const tail = nativeKlrefTail(); // undefined: the JavaScript pass runs
 */
export function nativeKlrefTail(): NativeKlrefTail | undefined {
  return disabledBackends().has('native') ? undefined : loadNativeKlrefTail();
}

/**
 * The background candidate pass of the reference bounds (many rows, off the main thread), unless
 * the addon is missing or `KLSCOPE_DISABLE` names native.
 *
 * @example
 * const rows = nativeKlrefTailRows(); // undefined: the passes run row by row
 */
export function nativeKlrefTailRows(): NativeKlrefTailRows | undefined {
  return disabledBackends().has('native') ? undefined : loadNativeKlrefTailRows();
}

/**
 * The backends that load on this machine, fastest first: native (if the addon was built),
 * wasm (if build/kernels.wasm exists and the engine has SIMD), js (always).
 * `KLSCOPE_DISABLE=native,wasm` hides backends (to test the fallbacks).
 */
export function loadedBackends(): Map<BackendName, KernelBackend> {
  if (cache) return cache;
  const disabled = disabledBackends();
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
