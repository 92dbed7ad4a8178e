// The WebAssembly SIMD kernel, loadable anywhere from the module's bytes (Node or a browser):
// no Node imports here. The host copies each row pair into the module's memory (float32,
// padded to a multiple of 4) and reads its float64 results back from the slots of the measure
// table (assembly/slots.ts is generated from the same table).
import { KERNEL_INT_SLOTS } from '../rows/measureTable.js';
import type { BatchInput, BatchStats } from './types.js';
import { STAT_F64_KEYS } from './types.js';

/** Result slots: the float64 ones, then the integer results (stored as float64). */
const F64 = STAT_F64_KEYS.length;
const SLOTS = F64 + KERNEL_INT_SLOTS.length;
/** Bytes before the p row: the results, rounded up to 16 for the vector loads, and at least the 64 bytes of `rowKl`'s argmax scratch. */
const OUT_BYTES = Math.max(128, Math.ceil((SLOTS * 8) / 16) * 16);

interface KernelExports {
  memory: WebAssembly.Memory;
  row(pp: number, qp: number, n: number, kind: number, normalize: number, tol: number, target: number, out: number, scratch: number, all: number): void;
  /** the 'kl' fast path for logit rows: 1 when it wrote the results, 0 when `row` must run */
  rowKl(pp: number, qp: number, n: number, target: number, out: number, scratch: number): number;
}

const KIND = { logits: 0, logprobs: 1, probs: 2 } as const;

/** One instance of the wasm kernel with its own memory: runs rows of float32 batches. */
export interface WasmKernel {
  /** Fills rows [start, end) of `out`; `input.p` and `input.q` must be Float32Array. */
  run(input: BatchInput, out: BatchStats, start: number, end: number, tolerance: number): void;
}

/**
 * Instantiates the kernel from the bytes of build/kernels.wasm (synchronously: the module is
 * small). Throws when the engine lacks WebAssembly SIMD.
 *
 * @example
 * const k = createWasmKernel(readFileSync('build/kernels.wasm'));
 */
export function createWasmKernel(bytes: BufferSource): WasmKernel {
  const module = new WebAssembly.Module(bytes);
  const inst = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error('wasm kernel abort'); } } });
  const ex = inst.exports as unknown as KernelExports;
  const mem = ex.memory;
  const base = mem.buffer.byteLength; // everything above the module's own pages is ours
  let cap = 0; // floats per row buffer
  const ensure = (n4: number) => {
    if (n4 <= cap) return;
    // out (OUT_BYTES), p and q rows, scratch: two rows of floats and the per-block maxima
    const need = base + OUT_BYTES + n4 * 16 + (Math.ceil(n4 / 2048) + 1) * 16;
    const have = mem.buffer.byteLength;
    if (need > have) mem.grow(Math.ceil((need - have) / 65536));
    cap = n4;
  };
  return {
    run(input, out, start, end, tolerance) {
      const n = input.cols;
      const n4 = (n + 3) & ~3;
      ensure(n4);
      const outPtr = base;
      const pPtr = base + OUT_BYTES;
      const qPtr = pPtr + n4 * 4;
      const scratch = qPtr + n4 * 4;
      const f32 = new Float32Array(mem.buffer);
      const res = new Float64Array(mem.buffer, outPtr, SLOTS);
      const pv = f32.subarray(pPtr >> 2, (pPtr >> 2) + n4);
      const qv = f32.subarray(qPtr >> 2, (qPtr >> 2) + n4);
      // padding that contributes nothing: masked logits, zero probabilities
      const fill = input.from === 'probs' ? 0 : -Infinity;
      pv.fill(fill, n);
      qv.fill(fill, n);
      const kind = KIND[input.from];
      const norm = input.normalize ? 1 : 0;
      const all = input.measures === 'kl' ? 0 : 1;
      // two exps per element instead of three; near-equal rows fall back to the exact form
      const fast = all === 0 && kind === 0;
      const P = input.p as Float32Array;
      const Q = input.q as Float32Array;
      for (let r = start; r < end; r++) {
        pv.set(P.subarray(r * n, r * n + n));
        qv.set(Q.subarray(r * n, r * n + n));
        const t = input.targets ? input.targets[r]! : -1;
        if (!fast || ex.rowKl(pPtr, qPtr, n, t, outPtr, scratch) === 0) ex.row(pPtr, qPtr, n, kind, norm, tolerance, t, outPtr, scratch, all);
        for (let k = 0; k < F64; k++) out[STAT_F64_KEYS[k]!][r] = res[k]!;
        for (let k = 0; k < KERNEL_INT_SLOTS.length; k++) out[KERNEL_INT_SLOTS[k]!.key][r] = res[F64 + k]!;
      }
    },
  };
}
