import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { KernelBackend } from './backend.js';
import { KERNEL_INT_SLOTS } from '../rows/measureTable.js';
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
  floors?(rows: Float32Array, threads: number, reps: number): NativeFloors;
  kldRows(rawA: Uint8Array, rawB: Uint8Array, rowBytes: number, cols: number, n: number, heads: Float64Array, out: Float64Array, threads: number): void;
}

/**
 * The native .kld row-pair loop: rows [0, n) of two blocks of raw .kld rows (rowBytes each: an
 * 8-byte head, then cols 16-bit codes). heads holds six numbers per row (scale, min_log_prob and
 * first in-window code of the base, then of the candidate), already validated; out receives eight
 * per row: KL(base‖candidate), KL(candidate‖base), twice JS, Σ|p − q|, argmax base, argmax
 * candidate, window mass base, window mass candidate. threads > 1 shares the rows among that many
 * std::threads (the calling one included).
 */
export type NativeKldRows = (rawA: Uint8Array, rawB: Uint8Array, rowBytes: number, cols: number, n: number, heads: Float64Array, out: Float64Array, threads?: number) => void;

let addonCache: NativeAddon | null | undefined;

function loadAddon(): NativeAddon | undefined {
  if (addonCache !== undefined) return addonCache ?? undefined;
  addonCache = null;
  if (!existsSync(NATIVE_ADDON_PATH)) return undefined;
  try {
    addonCache = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
  } catch {
    return undefined;
  }
  return addonCache;
}

/**
 * The native .kld row-pair loop when the addon was built with it; undefined otherwise (the
 * JavaScript loop in src/compare/rowStats.ts then runs).
 *
 * @example
 * const kldRows = loadNativeKldRows(); // undefined without the addon
 */
export function loadNativeKldRows(): NativeKldRows | undefined {
  const addon = loadAddon();
  if (!addon || typeof addon.kldRows !== 'function') return undefined;
  return (rawA, rawB, rowBytes, cols, n, heads, out, threads = 1) => addon.kldRows(rawA, rawB, rowBytes, cols, n, heads, out, threads);
}

const KIND = { logits: 0, logprobs: 1, probs: 2 } as const;

/** Path of the addon built by scripts/build-native.mjs (package root: dist/kernels → ../..). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../build/Release/klscope_kernels.node', import.meta.url));

/** The machine's floors as the native kernel's vectors see them ({@link nativeFloors}). */
export interface NativeFloors {
  /** plain read of the rows, GB/s */
  readGBs: number;
  /** the kernel's float32 vector exp on values in registers, millions of exps per second */
  expRegMexps: number;
  /** the same exp fed from the rows (load + exp), millions per second */
  expRowsMexps: number;
}

/**
 * Measures the floors of the fused kernel on this machine with the native addon's vectors: plain
 * read bandwidth of `rows` and the throughput of its vector exp (best of `reps`, on `threads`
 * threads). Undefined without the addon. Benchmarks only.
 *
 * @example
 * const f = nativeFloors(new Float32Array(1 << 24), 2); // { readGBs, expRegMexps, expRowsMexps }
 */
export function nativeFloors(rows: Float32Array, threads = 1, reps = 5): NativeFloors | undefined {
  const addon = loadAddon();
  if (!addon || typeof addon.floors !== 'function') return undefined;
  return addon.floors(rows, threads, reps);
}

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
  const addon = loadAddon();
  if (!addon) return undefined;
  simdName = addon.simd();
  const call = (input: BatchInput, out: BatchStats, start: number, end: number, threads: number) => {
    const outs: ArrayBufferView[] = [...STAT_F64_KEYS.map((k) => out[k]), ...KERNEL_INT_SLOTS.map((s) => out[s.key])];
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
