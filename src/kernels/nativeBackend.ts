import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ArgumentError } from '../errors.js';
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
  klrefTail?(codes: Uint16Array, ids: Int32Array, counts: Uint32Array, expHi: Float64Array, expLo: Float64Array, params: Float64Array, heap: Float64Array, out: Float64Array): void;
  klrefTailRows?(raw: Uint8Array, ids: Int32Array, counts: Uint32Array, exp: Float64Array, params: Float64Array, heap: Float64Array, out: Float64Array, n: number, V: number): Promise<void>;
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

/**
 * The native candidate pass of a compact reference's bounds over one .kld candidate row (the twin
 * of the code pass in src/compare/bounds.ts): codes of the row, the base's top-k ids, a
 * zeroed 65,536-bin count array (left zeroed), the row's two 256-entry exp tables, params (scale,
 * min_log_prob, first in-window code, loF, log loF, loR, log loR, cap, nOut), the buffer for the
 * least likely tail values, and out for its ten results (Q_T, Q_T in the window, the two floor
 * sums, the count in the window, argmax, the nOut smallest masses in all and in the window, the
 * largest code, the top-k's window mass).
 */
export type NativeKlrefTail = (
  codes: Uint16Array,
  ids: Int32Array,
  counts: Uint32Array,
  expHi: Float64Array,
  expLo: Float64Array,
  params: Float64Array,
  heap: Float64Array,
  out: Float64Array,
) => void;

/**
 * The native candidate pass of the reference bounds when the addon was built with it; undefined
 * otherwise (the JavaScript pass in src/compare/bounds.ts then runs).
 *
 * @example
 * const tail = loadNativeKlrefTail(); // undefined without the addon
 */
export function loadNativeKlrefTail(): NativeKlrefTail | undefined {
  const addon = loadAddon();
  const f = addon?.klrefTail;
  if (!addon || typeof f !== 'function') return undefined;
  return (codes, ids, counts, expHi, expLo, params, heap, out) => {
    // the native loop trusts these sizes: check them here, where it is cheap
    if (counts.length < 65536 || heap.length < codes.length || expHi.length < 256 || expLo.length < 256 || params.length < 9 || out.length < 10) {
      throw new ArgumentError({
        where: 'klrefTail',
        expected: '65,536 counts, a heap as long as the codes, 256-entry exp tables, 9 params and 10 outputs',
        got: `${counts.length} counts, heap ${heap.length} for ${codes.length} codes, tables ${expHi.length} and ${expLo.length}, ${params.length} params, ${out.length} outputs`,
      });
    }
    f.call(addon, codes, ids, counts, expHi, expLo, params, heap, out);
  };
}

/** Numbers per row in the params of {@link NativeKlrefTailRows}. */
export const KLREF_ROW_PARAMS = 11;

/**
 * {@link NativeKlrefTail} for n rows at once, on a thread of libuv's pool (the promise settles
 * when they are done): row j's V codes start at byte params[11j + 9] of raw, its k ids at
 * ids[k·j] (k = ids.length / n), its exp tables at exp[512j] (expHi) and exp[512j + 256]
 * (expLo), params[11j, 11j + 9) are klrefTail's, its least likely values go to heap from
 * params[11j + 10] and its ten results to out[10j]. counts is the pass's own (zero, left zero).
 * Nothing of these arrays may be written, and heap and out not read, until the promise settles.
 */
export type NativeKlrefTailRows = (raw: Uint8Array, ids: Int32Array, counts: Uint32Array, exp: Float64Array, params: Float64Array, heap: Float64Array, out: Float64Array, n: number, V: number) => Promise<void>;

/**
 * The background candidate pass of the reference bounds when the addon was built with it;
 * undefined otherwise.
 *
 * @example
 * const rows = loadNativeKlrefTailRows(); // undefined without the addon
 */
export function loadNativeKlrefTailRows(): NativeKlrefTailRows | undefined {
  const addon = loadAddon();
  const f = addon?.klrefTailRows;
  if (!addon || typeof f !== 'function') return undefined;
  return (raw, ids, counts, exp, params, heap, out, n, V) => {
    // the native loop trusts these sizes and offsets: check them here, where it is cheap
    const k = n > 0 ? ids.length / n : 0;
    let bad = counts.length < 65536 || exp.length < 512 * n || params.length < KLREF_ROW_PARAMS * n || out.length < 10 * n || !Number.isInteger(k) || !(V > 0);
    for (let j = 0; j < n && !bad; j++) {
      const p = KLREF_ROW_PARAMS * j;
      const at = params[p + 9]!;
      const h = params[p + 10]!;
      const cap = params[p + 7]!;
      bad = !(Number.isInteger(at) && at >= 0 && at % 2 === 0 && at + 2 * V <= raw.byteLength && Number.isInteger(h) && h >= 0 && h + (cap < 0 ? V : cap) <= heap.length && (raw.byteOffset + at) % 2 === 0);
    }
    if (bad) {
      throw new ArgumentError({
        where: 'klrefTailRows',
        expected: '65,536 counts, 512 exp entries, 11 params and 10 outputs a row, and every row\'s codes and heap inside raw and heap',
        got: `${counts.length} counts, ${exp.length} exp entries, ${params.length} params, ${out.length} outputs, ${ids.length} ids for ${n} rows`,
      });
    }
    return f.call(addon, raw, ids, counts, exp, params, heap, out, n, V);
  };
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
