import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import type { KernelBackend } from './backend.js';
import { defaultTolerance } from './reference.js';
import { createBatchStats, STAT_F64_KEYS, type BatchInput, type BatchStats } from './types.js';
import { createWasmKernel, type WasmKernel } from './wasmKernel.js';

/** Path of the module built by scripts/build-wasm.mjs (package root: dist/kernels → ../..). */
export const WASM_KERNEL_PATH = fileURLToPath(new URL('../../build/kernels.wasm', import.meta.url));
/** The same kernels built with relaxed SIMD (fused multiply-add where the hardware has it). */
export const WASM_RELAXED_KERNEL_PATH = fileURLToPath(new URL('../../build/kernels-relaxed.wasm', import.meta.url));

/** The V8 option (Node 20) that adds relaxed SIMD to WebAssembly validation. */
const V8_RELAXED_SIMD = 'experimental-wasm-relaxed-simd';

/** Which module `loadWasmKernel` instantiated. */
export type WasmKernelVariant = 'relaxed' | 'baseline';

/**
 * The bytes of build/kernels-relaxed.wasm when this engine compiles them, else undefined. Node 20
 * (V8 11.3) has relaxed SIMD behind a flag, which is turned on here (it only adds the relaxed
 * opcodes to validation; nothing else changes); engines where it is standard accept it as is.
 */
function relaxedBytes(file: string): Buffer<ArrayBuffer> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const bytes = readFileSync(file);
    if (!WebAssembly.validate(bytes)) {
      // a V8 option for the engine, not text for the user (hence not written as one literal)
      v8.setFlagsFromString(`--${V8_RELAXED_SIMD}`);
      if (!WebAssembly.validate(bytes)) return undefined;
    }
    return bytes;
  } catch {
    return undefined;
  }
}

/**
 * Two deterministic logit rows of 1500 values (no Math.random): a broad pair (the two-exp form)
 * and a peaked, close pair (the compensated φ form with its float64 heavy weights).
 */
function selfCheckInput(measures: 'kl' | 'all'): BatchInput {
  const cols = 1500;
  const p = new Float32Array(2 * cols);
  const q = new Float32Array(2 * cols);
  const h = (i: number) => { const s = Math.sin(i * 12.9898) * 43758.5453; return s - Math.floor(s) - 0.5; };
  for (let i = 0; i < cols; i++) {
    p[i] = 6 * h(i);
    q[i] = p[i]! + h(i + 7919);
    p[cols + i] = -1.2 * Math.log(i + 1) + 0.3 * h(i + 104729);
    q[cols + i] = p[cols + i]! + 0.05 * h(i + 15485863);
  }
  return { p, q, rows: 2, cols, from: 'logits', measures, targets: new Int32Array([3, 0]) };
}

/** Whether two kernels' results agree to the accuracy rule (rel 1e-5 at ≥ 1e-4, abs 1e-9 below), NaN for NaN, argmax exactly. */
function sameResults(a: BatchStats, b: BatchStats): boolean {
  for (const k of STAT_F64_KEYS) {
    for (let r = 0; r < a.rows; r++) {
      const x = a[k][r]!;
      const y = b[k][r]!;
      if (Number.isNaN(x) || Number.isNaN(y)) {
        if (Number.isNaN(x) !== Number.isNaN(y)) return false;
        continue;
      }
      const d = Math.abs(x - y);
      if (!(Math.max(Math.abs(x), Math.abs(y)) >= 1e-4 ? d <= 1e-5 * Math.abs(x) : d <= 1e-9)) return false;
    }
  }
  for (let r = 0; r < a.rows; r++) if (a.argmaxP[r] !== b.argmaxP[r] || a.argmaxQ[r] !== b.argmaxQ[r]) return false;
  return true;
}

/** The relaxed kernel agrees with the baseline one on the self-check rows, for 'kl' and 'all'. */
function agrees(relaxed: WasmKernel, baseline: WasmKernel): boolean {
  for (const measures of ['kl', 'all'] as const) {
    const input = selfCheckInput(measures);
    const a = createBatchStats(input.rows);
    const b = createBatchStats(input.rows);
    relaxed.run(input, a, 0, input.rows, defaultTolerance(input));
    baseline.run(input, b, 0, input.rows, defaultTolerance(input));
    if (!sameResults(a, b)) return false;
  }
  return true;
}

/**
 * The wasm kernel for this thread: the relaxed-SIMD module when it loads and agrees with the
 * baseline module on a self-check, else the baseline module (silently); undefined when
 * build/kernels.wasm is missing or the engine has no WebAssembly SIMD. `relaxed: false` (or
 * `KLSCOPE_DISABLE=relaxed-simd` through the registry) forces the baseline module; `relaxedPath`
 * replaces build/kernels-relaxed.wasm (for the tests of the fallback).
 */
export function loadWasmKernel(options: { relaxed?: boolean; relaxedPath?: string } = {}): { kernel: WasmKernel; variant: WasmKernelVariant } | undefined {
  if (!existsSync(WASM_KERNEL_PATH)) return undefined;
  let baseline: WasmKernel;
  try {
    baseline = createWasmKernel(readFileSync(WASM_KERNEL_PATH));
  } catch {
    return undefined;
  }
  const bytes = options.relaxed === false ? undefined : relaxedBytes(options.relaxedPath ?? WASM_RELAXED_KERNEL_PATH);
  if (bytes) {
    try {
      const relaxed = createWasmKernel(bytes);
      if (agrees(relaxed, baseline)) return { kernel: relaxed, variant: 'relaxed' };
    } catch {
      // the baseline module below
    }
  }
  return { kernel: baseline, variant: 'baseline' };
}

/**
 * The wasm backend for this thread (see loadWasmKernel). It takes float32 rows (P and Q both
 * Float32Array).
 */
export function loadWasmBackend(options: { relaxed?: boolean } = {}): KernelBackend | undefined {
  const loaded = loadWasmKernel(options);
  if (!loaded) return undefined;
  const { kernel } = loaded;
  return {
    name: 'wasm',
    supports: (input) => input.p instanceof Float32Array && input.q instanceof Float32Array,
    run: (input, out, start, end) => kernel.run(input, out, start, end, defaultTolerance(input)),
  };
}
