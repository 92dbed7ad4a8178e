import type { BackendName, BatchInput, BatchStats } from './types.js';

/**
 * One implementation of the fused pass. `run` fills rows [start, end) of `out` on the current
 * thread; `supports` says whether it takes this input (e.g. the wasm kernel reads float32 only).
 */
export interface KernelBackend {
  name: BackendName;
  supports(input: BatchInput): boolean;
  run(input: BatchInput, out: BatchStats, start: number, end: number): void;
  /** Runs all rows on `threads` threads of its own (native only); absent = use worker_threads. */
  runThreaded?(input: BatchInput, out: BatchStats, threads: number): void;
}
