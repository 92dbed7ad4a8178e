// Worker thread of `klscope compare` for .kld inputs: opens both sides itself and computes the
// per-token statistics of the row blocks it is sent (only the small per-row results travel).
import { parentPort, workerData } from 'node:worker_threads';
import { toThreadError } from '../errors.js';
import { fusedBlock, FusedScratch } from './rowStats.js';
import { openSource } from './sources.js';
import type { RowSource, SourceSpec } from './types.js';

interface Init {
  base: SourceSpec;
  cand: SourceSpec;
  blockRows: number;
}

const init = workerData as Init;
// the engine sends workers .kld and float file sides only
const base = openSource(init.base) as RowSource;
const cand = openSource(init.cand) as RowSource;
const scratch = new FusedScratch(base, cand, init.blockRows);

parentPort!.on('message', (m: { id: number; r0: number; n: number } | { close: true }) => {
  if ('close' in m) {
    base.close();
    cand.close();
    parentPort!.close();
    return;
  }
  try {
    const b = fusedBlock({ base, cand, r0: m.r0, n: m.n, scratch });
    const bufs = [b.forward, b.reverse, b.js, b.tvd, b.argmaxBase, b.argmaxCand, b.target, b.position, b.logpTarget, b.logqTarget].map((a) => a.buffer as ArrayBuffer);
    parentPort!.postMessage({ id: m.id, block: b }, bufs);
  } catch (e) {
    parentPort!.postMessage({ id: m.id, ...toThreadError(e) });
  }
});
