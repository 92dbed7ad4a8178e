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
  klrefBoundsParams?: number;
  klrefBoundsOut?: number;
  klrefRow?(codes: Uint16Array, ids: Int32Array, logp: Float64Array, counts: Uint32Array, expHi: Float64Array, expLo: Float64Array, params: Float64Array, heap: Float64Array, out: Float64Array, bounds: boolean): void;
  klrefBoundsRows?(raw: Uint8Array, ids: Int32Array, logp: Float64Array, counts: Uint32Array, exp: Float64Array, params: Float64Array, heap: Float64Array, out: Float64Array, n: number, V: number): Promise<void>;
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

/** Numbers per row in the params of {@link NativeKlrefRow} and {@link NativeKlrefBoundsRows} (klbounds.h's BOUNDS_PARAMS). */
export const KLREF_BOUNDS_PARAMS = 30;
/** Results per row of {@link NativeKlrefRow} with bounds (klbounds.h's BOUNDS_OUT). */
export const KLREF_BOUNDS_OUT = 23;

/** Whether the addon's row layout is this file's (an addon built from other sources is not used; the TypeScript path runs). */
function sameBoundsLayout(addon: NativeAddon): boolean {
  return addon.klrefBoundsParams === KLREF_BOUNDS_PARAMS && addon.klrefBoundsOut === KLREF_BOUNDS_OUT;
}

/**
 * One .kld candidate row against a reference row, natively (native/klref.h, klbounds.h): the
 * row's codes, the base's top-k ids and their stored log-probabilities, a zeroed 65,536-bin
 * count array (left zeroed), the row's two 256-entry exp tables, the row's 30 params
 * (setBoundsParams in src/compare/bounds.ts; the code pass reads the first nine: scale,
 * min_log_prob, first in-window code, loF, log loF, loR, log loR, cap, nOut), the buffer for
 * the least likely tail values, and out.
 * - bounds false: the code pass alone (the twin of codePass in bounds.ts), its ten results in out
 *   (Q_T, Q_T in the window, the two floor sums, the count in the window, argmax, the nOut
 *   smallest masses in all and in the window, the largest code, the top-k's window mass);
 *   logp is not read.
 * - bounds true: then the row's certified bounds (the twin of rowBounds for a .kld candidate):
 *   lo, hi and est of kld, reverseKld, js and tvd at out[10, 22), and at out[22] the first top-k
 *   id that appears twice (−1: none; otherwise no bound is computed).
 */
export type NativeKlrefRow = (
  codes: Uint16Array,
  ids: Int32Array,
  logp: Float64Array,
  counts: Uint32Array,
  expHi: Float64Array,
  expLo: Float64Array,
  params: Float64Array,
  heap: Float64Array,
  out: Float64Array,
  bounds: boolean,
) => void;

/**
 * The native row of the reference bounds when the addon was built with it; undefined otherwise
 * (src/compare/bounds.ts then computes the row in TypeScript).
 *
 * @example
 * const row = loadNativeKlrefRow(); // undefined without the addon
 */
export function loadNativeKlrefRow(): NativeKlrefRow | undefined {
  const addon = loadAddon();
  const f = addon?.klrefRow;
  if (!addon || typeof f !== 'function' || !sameBoundsLayout(addon)) return undefined;
  return (codes, ids, logp, counts, expHi, expLo, params, heap, out, bounds) => {
    // the native loop trusts these sizes: check them here, where it is cheap
    const nOut = bounds ? KLREF_BOUNDS_OUT : 10;
    const nParams = bounds ? KLREF_BOUNDS_PARAMS : 9;
    if (counts.length < 65536 || heap.length < codes.length || expHi.length < 256 || expLo.length < 256 || (bounds && logp.length < ids.length) || params.length < nParams || out.length < nOut) {
      throw new ArgumentError({
        where: 'klrefRow',
        expected: `65,536 counts, a heap as long as the codes, 256-entry exp tables, ${bounds ? 'a log-probability per id, ' : ''}${nParams} params and ${nOut} outputs`,
        got: `${counts.length} counts, heap ${heap.length} for ${codes.length} codes, tables ${expHi.length} and ${expLo.length}, ${logp.length} log-probabilities for ${ids.length} ids, ${params.length} params, ${out.length} outputs`,
      });
    }
    f.call(addon, codes, ids, logp, counts, expHi, expLo, params, heap, out, bounds);
  };
}

/**
 * {@link NativeKlrefRow} with bounds for n rows at once, on a thread of libuv's pool (the promise settles
 * when they are done). With P = {@link KLREF_BOUNDS_PARAMS}: row j's V codes start at byte
 * params[Pj + 9] of raw, its k ids at ids[k·j] (k = ids.length / n) and their log-probabilities
 * at logp[params[Pj + 28]], its exp tables at exp[512j] (expHi) and exp[512j + 256] (expLo), its
 * least likely values go to heap from params[Pj + 10] and its results to
 * out[{@link KLREF_BOUNDS_OUT}·j]. counts is the call's own (zero, left zero): two calls in flight
 * need two. Nothing of these arrays may be written, and heap and out not read, until it settles.
 */
export type NativeKlrefBoundsRows = (raw: Uint8Array, ids: Int32Array, logp: Float64Array, counts: Uint32Array, exp: Float64Array, params: Float64Array, heap: Float64Array, out: Float64Array, n: number, V: number) => Promise<void>;

/**
 * The background bounds of a reference against a .kld candidate when the addon was built with
 * them; undefined otherwise.
 *
 * @example
 * const rows = loadNativeKlrefBoundsRows(); // undefined without the addon
 */
export function loadNativeKlrefBoundsRows(): NativeKlrefBoundsRows | undefined {
  const addon = loadAddon();
  const f = addon?.klrefBoundsRows;
  if (!addon || typeof f !== 'function' || !sameBoundsLayout(addon)) return undefined;
  return (raw, ids, logp, counts, exp, params, heap, out, n, V) => {
    // the native loop trusts these sizes and offsets: check them here, where it is cheap
    const P = KLREF_BOUNDS_PARAMS;
    const k = n > 0 ? ids.length / n : 0;
    let bad = counts.length < 65536 || exp.length < 512 * n || params.length < P * n || out.length < KLREF_BOUNDS_OUT * n || !Number.isInteger(k) || !(V > 0);
    for (let j = 0; j < n && !bad; j++) {
      const p = P * j;
      const at = params[p + 9]!;
      const h = params[p + 10]!;
      const cap = params[p + 7]!;
      const l = params[p + 28]!;
      bad = !(Number.isInteger(at) && at >= 0 && at % 2 === 0 && at + 2 * V <= raw.byteLength && Number.isInteger(h) && h >= 0 && h + (cap < 0 ? V : cap) <= heap.length && (raw.byteOffset + at) % 2 === 0 && Number.isInteger(l) && l >= 0 && l + k <= logp.length);
    }
    if (bad) {
      throw new ArgumentError({
        where: 'klrefBoundsRows',
        expected: `65,536 counts, 512 exp entries, ${P} params and ${KLREF_BOUNDS_OUT} outputs a row, and every row's codes, heap and log-probabilities inside raw, heap and logp`,
        got: `${counts.length} counts, ${exp.length} exp entries, ${params.length} params, ${out.length} outputs, ${ids.length} ids for ${n} rows`,
      });
    }
    return f.call(addon, raw, ids, logp, counts, exp, params, heap, out, n, V);
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
