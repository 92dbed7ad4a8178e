import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { KernelBackend } from './backend.js';
import { defaultTolerance } from './reference.js';
import { STAT_F64_KEYS, type BatchInput, type BatchStats } from './types.js';

interface NativeAddon {
  run(
    p: Float32Array | Float64Array,
    q: Float32Array | Float64Array,
    f64: boolean,
    cols: number,
    kind: number,
    normalize: boolean,
    tol: number,
    targets: Int32Array | null,
    outs: ArrayBufferView[],
    start: number,
    end: number,
    threads: number,
    all: boolean,
  ): void;
  simd(): string;
}

const KIND = { logits: 0, logprobs: 1, probs: 2 } as const;

/** Path of the addon built by scripts/build-native.mjs (package root: dist/kernels → ../..). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../build/Release/klscope_kernels.node', import.meta.url));

let simdName = '';

/** Which SIMD the addon was compiled for ('avx512', 'avx2', 'neon', …), or '' when not loaded. */
export function nativeSimd(): string {
  return simdName;
}

/**
 * Loads the native addon when it was built; undefined otherwise (the dispatch then uses wasm).
 * It takes float32 and float64 rows, P and Q of the same type.
 */
export function loadNativeBackend(): KernelBackend | undefined {
  if (!existsSync(NATIVE_ADDON_PATH)) return undefined;
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
  } catch {
    return undefined;
  }
  simdName = addon.simd();
  const call = (input: BatchInput, out: BatchStats, start: number, end: number, threads: number) => {
    const outs: ArrayBufferView[] = [...STAT_F64_KEYS.map((k) => out[k]), out.argmaxP, out.argmaxQ, out.invalid];
    addon.run(
      input.p,
      input.q,
      input.p instanceof Float64Array,
      input.cols,
      KIND[input.from],
      input.normalize ?? false,
      defaultTolerance(input),
      input.targets ?? null,
      outs,
      start,
      end,
      threads,
      input.measures !== 'kl',
    );
  };
  return {
    name: 'native',
    supports: (input) => input.p.constructor === input.q.constructor,
    run: (input, out, start, end) => call(input, out, start, end, 1),
    runThreaded: (input, out, threads) => call(input, out, 0, input.rows, threads),
  };
}
