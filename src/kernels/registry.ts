import type { KernelBackend } from './backend.js';
import { jsBackend } from './jsBackend.js';
import { loadNativeBackend, loadNativeKldRows, loadNativeKlrefBoundsRows, loadNativeKlrefRow, type NativeKldRows, type NativeKlrefBoundsRows, type NativeKlrefRow } from './nativeBackend.js';
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
 * The native row of the reference bounds against a .kld candidate (its code pass, or the whole
 * bounds), unless the addon is missing or `KLSCOPE_DISABLE` names native.
 *
 * @example
 * const row = nativeKlrefRow(); // undefined: rowBounds runs in TypeScript
 */
export function nativeKlrefRow(): NativeKlrefRow | undefined {
  return disabledBackends().has('native') ? undefined : loadNativeKlrefRow();
}

/**
 * The background bounds of a reference against a .kld candidate (many rows, off the main
 * thread), unless the addon is missing or `KLSCOPE_DISABLE` names native.
 *
 * @example
 * const rows = nativeKlrefBoundsRows(); // undefined: the rows run one by one
 */
export function nativeKlrefBoundsRows(): NativeKlrefBoundsRows | undefined {
  return disabledBackends().has('native') ? undefined : loadNativeKlrefBoundsRows();
}

/**
 * The backends that load on this machine, fastest first: native (if the addon was built),
 * wasm (if build/kernels.wasm exists and the engine has SIMD; the relaxed-SIMD build of the
 * same kernels when it loads), js (always). `KLSCOPE_DISABLE=native,wasm` hides backends, and
 * `KLSCOPE_DISABLE=relaxed-simd` keeps wasm on its baseline module (to test the fallbacks).
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
    const w = loadWasmBackend({ relaxed: !disabled.has('relaxed-simd') });
    if (w) m.set('wasm', w);
  }
  m.set('js', jsBackend);
  cache = m;
  return m;
}
