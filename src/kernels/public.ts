// klscope/kernels: fused batch kernels (TS reference, wasm SIMD, native) and their accuracy
// rule. kernels/index.ts is the batch entry the other kernels modules import; this file adds
// the rest of the public API of the area.
export { batchStats, batchStatsSync, availableBackends, closeWorkers, referenceBatchStats, createBatchStats } from './index.js';
export type { BackendName, BatchInput, BatchStats, BatchStatsOptions } from './index.js';
export { createWasmKernel } from './wasmKernel.js';
export type { WasmKernel } from './wasmKernel.js';
export { compareStats, ACCURACY_RULE } from './accuracy.js';
export { runKernelBenchmark } from './bench.js';
export type { BenchResult, KernelBenchReport, KernelBenchOptions } from './bench.js';
