// A kernel worker thread: runs the requested backend over its row range of shared buffers.
import { parentPort } from 'node:worker_threads';
import { toThreadError } from '../errors.js';
import type { WorkerJob } from './pool.js';
import { loadedBackends } from './registry.js';

parentPort!.on('message', (job: WorkerJob) => {
  try {
    const b = loadedBackends().get(job.backend);
    if (!b) throw new Error(`backend ${job.backend} is not available in the worker`);
    b.run(job.input, job.out, job.start, job.end);
    parentPort!.postMessage({ id: job.id });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, ...toThreadError(e) });
  }
});
