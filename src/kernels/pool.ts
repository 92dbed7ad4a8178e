import { Worker } from 'node:worker_threads';
import { fromThreadError, type ThreadError } from '../errors.js';
import type { BackendName, BatchInput, BatchStats } from './types.js';

/** A message to a kernel worker: fill rows [start, end) of the shared output. */
export interface WorkerJob {
  id: number;
  backend: BackendName;
  input: BatchInput;
  out: BatchStats;
  start: number;
  end: number;
}

interface PoolWorker {
  worker: Worker;
  busy: boolean;
}

const workers: PoolWorker[] = [];
let nextId = 1;
const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

function spawn(): PoolWorker {
  const worker = new Worker(new URL('./worker.js', import.meta.url));
  const w: PoolWorker = { worker, busy: false };
  worker.on('message', (msg: { id: number } & Partial<ThreadError>) => {
    w.busy = false;
    worker.unref();
    const job = pending.get(msg.id);
    if (!job) return;
    pending.delete(msg.id);
    if (msg.error !== undefined) job.reject(fromThreadError(msg as ThreadError));
    else job.resolve();
  });
  worker.on('error', (e) => {
    for (const [id, job] of pending) {
      pending.delete(id);
      job.reject(e);
    }
  });
  // idle workers must not keep the process alive
  worker.unref();
  return w;
}

/**
 * Runs row ranges on `n` pooled worker threads (created on first use, kept for reuse, never
 * keeping the process alive). The typed arrays in `input` and `out` must live on
 * SharedArrayBuffers: the workers read and write them in place, nothing is copied.
 */
export async function runOnWorkers(backend: BackendName, input: BatchInput, out: BatchStats, ranges: [number, number][]): Promise<void> {
  while (workers.length < ranges.length) workers.push(spawn());
  await Promise.all(
    ranges.map(([start, end], k) => {
      const w = workers[k]!;
      w.busy = true;
      w.worker.ref();
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const job: WorkerJob = { id, backend, input, out, start, end };
        w.worker.postMessage(job);
      });
    }),
  );
}

/** Terminates the pooled workers (tests and benchmarks call it at the end). */
export async function closeWorkers(): Promise<void> {
  const ws = workers.splice(0);
  await Promise.all(ws.map((w) => w.worker.terminate()));
}
