import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';
import type { KernelBackend } from './backend.js';
import { runOnWorkers } from './pool.js';
import { checkBatchInput } from './reference.js';
import { loadedBackends } from './registry.js';
import { createBatchStats, type BackendName, type BatchInput, type BatchStats } from './types.js';

/** Options of {@link batchStats}. */
export interface BatchStatsOptions {
  /** Which backend; 'auto' (default) takes the fastest that loads and accepts the input. */
  backend?: BackendName | 'auto';
  /** Threads to split the rows over; default all cores. Small batches run on the current thread. */
  threads?: number;
}

/** Below this many elements (rows·cols) a batch runs on the current thread: workers cost more than they save. */
export const WORKER_MIN_ELEMENTS = 1 << 20;

/**
 * The backends available on this machine, fastest first ('native' only when the addon was built,
 * 'wasm' when build/kernels.wasm loads; 'js' always).
 *
 * @example
 * availableBackends(); // e.g. ['native', 'wasm', 'js']
 */
export function availableBackends(): BackendName[] {
  return [...loadedBackends().keys()];
}

/** Picks the backend for an input: the named one (which must exist and accept it) or the fastest. */
export function pickBackend(input: BatchInput, backend: BackendName | 'auto' = 'auto'): KernelBackend {
  const all = loadedBackends();
  if (backend !== 'auto') {
    const b = all.get(backend);
    if (!b) throw new UsageError(`backend ${backend} is not available here (available: ${availableBackends().join(', ')})`);
    if (!b.supports(input)) {
      throw new UsageError(`backend ${backend} does not take this input (${input.p.constructor.name}/${input.q.constructor.name}, from ${input.from}); use js`);
    }
    return b;
  }
  for (const b of all.values()) if (b.supports(input)) return b;
  return all.get('js')!;
}

/**
 * The fused pass on the current thread: every per-row statistic (KL both ways, entropies,
 * cross-entropies, JS, TV, argmax, target log-probabilities) of a [rows × cols] pair.
 *
 * @example
 * const s = batchStatsSync({ p: new Float32Array([1000, 999, 998]), q: new Float32Array([998, 999, 1000]), rows: 1, cols: 3, from: 'logits' });
 * s.forward[0]; // ≈ 1.1504207652088827 = KL(P‖Q)
 */
export function batchStatsSync(input: BatchInput, opts: { backend?: BackendName | 'auto' } = {}): BatchStats {
  checkBatchInput(input);
  const b = pickBackend(input, opts.backend);
  const out = createBatchStats(input.rows);
  if (input.rows > 0) b.run(input, out, 0, input.rows);
  return out;
}

function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

function toShared<T extends Float32Array | Float64Array | Int32Array>(a: T): T {
  if (isShared(a)) return a;
  const C = a.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const s = new C(new SharedArrayBuffer(a.length * C.BYTES_PER_ELEMENT));
  s.set(a as never);
  return s;
}

/** Splits `rows` into `k` contiguous ranges of nearly equal size. */
export function splitRows(rows: number, k: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++) {
    const a = Math.floor((rows * i) / k);
    const b = Math.floor((rows * (i + 1)) / k);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/**
 * The fused pass over a batch, split over threads: the native addon runs its own threads,
 * wasm and js run on worker threads over SharedArrayBuffers (input on a SharedArrayBuffer is
 * read in place; other input is copied once into shared memory). Results as {@link BatchStats}.
 *
 * @example
 * const s = await batchStats({ p, q, rows: 256, cols: 32000, from: 'logits' }, { threads: 2 });
 * s.forward; // Float64Array of KL(P_t‖Q_t) per row
 */
export async function batchStats(input: BatchInput, opts: BatchStatsOptions = {}): Promise<BatchStats> {
  checkBatchInput(input);
  const b = pickBackend(input, opts.backend);
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const k = Math.min(threads, input.rows);
  if (k <= 1 || input.rows * input.cols < WORKER_MIN_ELEMENTS) {
    const out = createBatchStats(input.rows);
    if (input.rows > 0) b.run(input, out, 0, input.rows);
    return out;
  }
  if (b.runThreaded) {
    const out = createBatchStats(input.rows);
    b.runThreaded(input, out, k);
    return out;
  }
  const shared: BatchInput = { ...input, p: toShared(input.p), q: toShared(input.q) };
  if (input.targets) shared.targets = toShared(input.targets);
  const out = createBatchStats(input.rows, true);
  await runOnWorkers(b.name, shared, out, splitRows(input.rows, k));
  return out;
}

export { closeWorkers } from './pool.js';
export { referenceBatchStats } from './reference.js';
export { createBatchStats } from './types.js';
export type { BackendName, BatchInput, BatchStats } from './types.js';
