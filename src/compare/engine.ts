import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DataError, UsageError, fromThreadError, type ThreadError } from '../errors.js';
import { batchStats, pickBackend } from '../kernels/index.js';
import type { BackendName, BatchInput } from '../kernels/types.js';
import { readTokenIds } from '../io/tokens.js';
import { CompareAccumulator, type RowBlock } from './accumulator.js';
import { kernelBlock } from './kernelRows.js';
import { fusedBlock, FusedScratch, usesNativeKldLoop } from './rowStats.js';
import { openSource, sideSpec } from './sources.js';
import { compareTopk } from './topk.js';
import type { CompareOptions, CompareRun, OpenedSource, RowSource } from './types.js';
import { fileFingerprint, hashTokens, type InputIdentity } from './runIdentity.js';
import { formatRowRange, rowsInRange } from './rowRange.js';

export { formatRowRange };

export type { CompareOptions, CompareRun, RowSink, SideOptions } from './types.js';

/**
 * Parses "A:B" (either side may be empty) into a row range, as a usage error when malformed.
 *
 * @example
 * parseRowRange('1000:'); // [1000, Number.MAX_SAFE_INTEGER]
 */
export function parseRowRange(text: string): [number, number] {
  const m = /^\s*(\d*)\s*:\s*(\d*)\s*$/.exec(text);
  if (!m) throw new UsageError({ where: 'rowRange', expected: 'START:END (row indices, END excluded; either may be empty)', got: JSON.stringify(text) });
  return [m[1] ? Number(m[1]) : 0, m[2] ? Number(m[2]) : Number.MAX_SAFE_INTEGER];
}

/** What identifies a side in a summary: its description without the path, and a content fingerprint. */
function identify(s: RowSource): InputIdentity {
  const d: Record<string, unknown> = { ...s.describe() };
  delete d.path;
  delete d.role;
  const keep = Object.fromEntries(Object.entries(d).filter(([, v]) => typeof v === 'string' || typeof v === 'number'));
  return { format: String(d.format ?? s.spec.format), rows: s.rows, vocab: s.cols, ...keep, fingerprint: fileFingerprint(s.spec.path) } as InputIdentity;
}

/**
 * Checks that two .kld files describe the same evaluation: n_ctx, n_vocab, n_chunk and every
 * token; a token mismatch names its index in the token list (from 0).
 *
 * @example
 * checkKldPair(openSource(baseSpec), openSource(candSpec)); // throws DataError on a mismatch
 */
export function checkKldPair(a: OpenedSource & { kind: 'kld' }, b: OpenedSource & { kind: 'kld' }): void {
  const ha = a.kld.header;
  const hb = b.kld.header;
  if (ha.nCtx !== hb.nCtx) throw new DataError(`n_ctx mismatch: ${a.spec.name} has ${ha.nCtx}, ${b.spec.name} has ${hb.nCtx} (both runs must use the same context size)`);
  if (ha.nVocab !== hb.nVocab) throw new DataError(`n_vocab mismatch: ${a.spec.name} has ${ha.nVocab}, ${b.spec.name} has ${hb.nVocab} (the models must share a vocabulary)`);
  if (ha.nChunk !== hb.nChunk) throw new DataError(`n_chunk mismatch: ${a.spec.name} has ${ha.nChunk} chunks, ${b.spec.name} has ${hb.nChunk}`);
  const ta = a.kld.tokens;
  const tb = b.kld.tokens;
  for (let i = 0; i < ta.length; i++) {
    if (ta[i] !== tb[i]) {
      throw new DataError(
        `token mismatch at index ${i} of the token list (chunk ${Math.floor(i / ha.nCtx)}, position ${i % ha.nCtx}): ${a.spec.name} has ${ta[i]}, ${b.spec.name} has ${tb[i]} (the files must score the same text)`,
      );
    }
  }
}

/**
 * Compares two saved runs token by token: KL(base‖candidate) (llama.cpp's KLD), KL(candidate‖base),
 * JS, TVD, same top token, and with target tokens perplexities and Δp. Streams the inputs in row
 * blocks (bounded memory); .kld pairs run on worker threads, logit pairs through the fused kernel.
 *
 * @example
 * const run = await compareFiles({ base: 'fp16.kld', candidate: 'q4.kld' });
 * run.result.kld.mean; // llama.cpp's "Mean KLD"
 */
export async function compareFiles(opts: CompareOptions): Promise<CompareRun> {
  const defaults = { format: opts.format, tensor: opts.tensor };
  const sb = sideSpec(opts.base, 'base', defaults);
  const sc = sideSpec(opts.candidate, 'candidate', defaults);
  if (sb.format === 'gguf' || sc.format === 'gguf') {
    // live models evaluate the text chunk by chunk (the ladder runner also takes one candidate)
    const { compareLive } = await import('./live.js');
    return (await compareLive({ ...opts, base: sb, candidates: [sc] }))[0]!;
  }
  if (sb.format === 'jsonl' || sc.format === 'jsonl') {
    if (sb.format !== sc.format) throw new UsageError(`top-k JSONL can only be compared with top-k JSONL (base is ${sb.format}, candidate is ${sc.format})`);
    if (opts.tokens) throw new UsageError('the tokens option does not apply to JSONL inputs: each line carries its token');
  }
  const base = openSource(sb);
  let cand: OpenedSource;
  try {
    cand = openSource(sc);
  } catch (e) {
    base.close();
    throw e;
  }
  try {
    if (base.kind === 'topk' && cand.kind === 'topk') return await compareTopk(base, cand, opts);
    if (base.kind === 'topk' || cand.kind === 'topk') throw new Error('unreachable: top-k sides pair only with each other');
    return await compareOpened(base, cand, opts);
  } finally {
    base.close();
    cand.close();
  }
}

async function compareOpened(base: RowSource, cand: RowSource, opts: CompareOptions): Promise<CompareRun> {
  if (base.kind === 'kld' && cand.kind === 'kld') checkKldPair(base, cand);
  if (base.cols !== cand.cols) throw new DataError(`vocabulary mismatch: base has ${base.cols} columns, candidate has ${cand.cols}`);
  if (base.rows !== cand.rows) throw new DataError(`row count mismatch: base has ${base.rows} scored rows, candidate has ${cand.rows} (row t of each must predict the same token)`);
  const total = base.rows;
  const cols = base.cols;
  // Targets: a .kld side carries its tokens (read per block); logits take --tokens (row t predicts token t + 1).
  const kld = base.kind === 'kld' ? base.kld : cand.kind === 'kld' ? cand.kld : null;
  let targets: Int32Array | null = null;
  if (kld) {
    if (opts.tokens) throw new UsageError('the tokens option does not apply when a side is a .kld file: the file carries its tokens');
  } else if (opts.tokens) {
    const ids = readTokenIds(opts.tokens, `tokens (${opts.tokens})`);
    if (ids.length !== total + 1 && ids.length !== total) {
      throw new DataError(`tokens (${opts.tokens}): expected ${total + 1} token ids (T + 1 for ${total} rows: row t predicts token t + 1), got ${ids.length}`);
    }
    // T ids: the targets themselves; T + 1 ids: the text, row t predicting token t + 1
    targets = ids.length === total + 1 ? ids.subarray(1) : ids;
    for (let r = 0; r < total; r++) {
      if (targets[r]! >= cols) throw new DataError(`tokens (${opts.tokens}): token ${ids.length === total + 1 ? r + 1 : r} is ${targets[r]}, outside the vocabulary of ${cols}`);
    }
  }
  if (total === 0) {
    throw new DataError(kld ? `no scored rows: a .kld file scores the second half of each window, and n_ctx ${kld.header.nCtx} leaves none` : 'no rows to compare: the inputs are empty');
  }
  const [start, end] = rowsInRange(opts.rowRange, total);
  // KL by position: positions in the context window (.kld), else row indices in about 512 bins
  const positionBinWidth = kld ? Math.max(1, Math.ceil(kld.header.nCtx / 1024)) : Math.max(1, Math.ceil(total / 512));
  const acc = new CompareAccumulator({ relativeAccuracy: opts.relativeAccuracy, retainLimit: opts.retainLimit, positionBinWidth });
  acc.inputs.push({ role: 'base', ...base.describe(), rowRange: [start, end] }, { role: 'candidate', ...cand.describe() });
  acc.run = { base: identify(base), candidate: identify(cand), tokens: kld ? hashTokens(kld.tokens) : targets ? hashTokens(targets) : null, rows: total };
  acc.rowRanges = [[start, end]];
  const threads = threadCount(opts.threads);
  const bytesPerRow = (s: RowSource) => (s.kind === 'kld' ? s.kld.header.rowBytes : s.cols * (s.floats.dtype === 'f64' ? 8 : s.floats.dtype === 'f32' ? 4 : 2));
  const bytes = (end - start) * (bytesPerRow(base) + bytesPerRow(cand));

  if (base.kind === 'kld' || cand.kind === 'kld') {
    notesForKld(acc, base, cand);
    await runFused(base, cand, { start, end, targets, threads, acc, opts });
  } else {
    await runKernel(base, cand, { start, end, targets, threads, acc, opts });
  }
  return { accumulator: acc, result: acc.result(), rows: end - start, elements: (end - start) * cols, bytes, vocab: cols };
}

/**
 * The worker threads a comparison uses: the request, capped at the core count. More threads than
 * cores only add memory (each holds a block of rows) and switching, never speed.
 *
 * @example
 * threadCount(1000); // os.availableParallelism()
 */
export function threadCount(requested?: number): number {
  const cores = availableParallelism();
  return Math.max(1, Math.min(cores, Math.floor(requested ?? cores)));
}

function notesForKld(acc: CompareAccumulator, base: RowSource, cand: RowSource): void {
  const floor = (side: string) => `tokens the ${side} .kld stores at its floor code read as the floor value, an upper bound on their log-probability, so those terms are lower bounds`;
  acc.notes.push(
    'KL(base‖candidate) sums over ' +
      (base.kind === 'kld' ? "the base's stored window (log p > −16 nats), exactly as llama.cpp's KLD; quantized rows can come out slightly negative and are not clamped" : 'the whole vocabulary') +
      (cand.kind === 'kld' ? `; ${floor('candidate')}.` : '.'),
  );
  acc.notes.push(
    "KL(candidate‖base) sums over the candidate's " +
      (cand.kind === 'kld' ? 'stored window (log q > −16)' : 'whole vocabulary') +
      (base.kind === 'kld' ? `; ${floor('base')}.` : '.'),
  );
  acc.notes.push("JS and TVD compare the windowed distributions: tokens outside a .kld side's window (log p ≤ −16) count as 0.");
  if (cand.kind === 'kld') {
    acc.notes.push('The candidate is a .kld file too: its log-probabilities are 16-bit quantized, where llama.cpp would use live logits; the 16-bit storage moves each log-probability by at most scale/2 (≤ 1.2e-4 nats), so a stored row read against its exact source gives |KLD| ≤ 5e-5 per token and about 1e-6 on the mean.');
  }
}

interface RunArgs {
  start: number;
  end: number;
  /** Targets of logit inputs (from --tokens), or null. */
  targets: Int32Array | null;
  threads: number;
  acc: CompareAccumulator;
  opts: CompareOptions;
}

async function deliver(args: RunArgs, b: RowBlock): Promise<void> {
  args.acc.addBlock(b);
  if (args.opts.sink) await args.opts.sink.write(b);
  args.opts.onProgress?.(b.row0 + b.n - args.start, args.end - args.start);
}

/** Row blocks of about 8 MB of input per side. */
function blockRowsFor(base: RowSource, cand: RowSource): number {
  const rb = (s: RowSource) => (s.kind === 'kld' ? s.kld.header.rowBytes : s.cols * 8);
  return Math.max(1, Math.floor((8 << 20) / Math.max(rb(base), rb(cand))));
}

function rowRanges(start: number, end: number, blockRows: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let r = start; r < end; r += blockRows) ranges.push([r, Math.min(blockRows, end - r)]);
  return ranges;
}

async function runFused(base: RowSource, cand: RowSource, args: RunArgs): Promise<void> {
  if (base.kind === 'kld' && cand.kind === 'kld' && usesNativeKldLoop(base, cand)) {
    const blockRows = blockRowsFor(base, cand);
    await runNativeKld(base, cand, rowRanges(args.start, args.end, blockRows), blockRows, args);
    return;
  }
  // worker threads get at least 4 blocks each
  const blockRows = Math.min(blockRowsFor(base, cand), Math.max(1, Math.ceil((args.end - args.start) / (4 * args.threads))));
  const ranges = rowRanges(args.start, args.end, blockRows);
  const small = (args.end - args.start) * base.cols < (args.opts.minWorkerElements ?? 1 << 26);
  if (args.threads <= 1 || ranges.length <= 1 || small) {
    const scratch = new FusedScratch(base, cand, blockRows);
    for (const [r0, n] of ranges) await deliver(args, fusedBlock({ base, cand, r0, n, scratch }));
    return;
  }
  const nw = Math.min(args.threads, ranges.length);
  const url = new URL('./worker.js', import.meta.url);
  const workers = Array.from(
    { length: nw },
    () => new Worker(url, { workerData: { base: base.spec, cand: cand.spec, blockRows } }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const ready = new Map<number, RowBlock>();
      let next = 0; // next range to send
      let emit = 0; // next range to deliver, in order
      let failed = false;
      let delivering = false;
      const send = (w: Worker) => {
        if (next < ranges.length && !failed) {
          const [r0, n] = ranges[next]!;
          w.postMessage({ id: next++, r0, n });
        }
      };
      const drain = async () => {
        if (delivering) return;
        delivering = true;
        try {
          while (ready.has(emit)) {
            const b = ready.get(emit)!;
            ready.delete(emit);
            emit++;
            await deliver(args, b);
          }
        } catch (e) {
          failed = true;
          reject(e);
          return;
        } finally {
          delivering = false;
        }
        if (emit === ranges.length) resolve();
      };
      for (const w of workers) {
        w.on('message', (m: { id: number; block?: RowBlock } & Partial<ThreadError>) => {
          if (m.error !== undefined) {
            failed = true;
            reject(fromThreadError(m as ThreadError));
            return;
          }
          ready.set(m.id, m.block!);
          // per-row results are small (about 80 bytes a row), so finished blocks may wait
          send(w);
          void drain();
        });
        w.on('error', (e) => {
          failed = true;
          reject(e);
        });
      }
      for (const w of workers) {
        send(w);
        send(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * A .kld pair through the native row-pair loop, in this thread: the rows of each block are shared
 * by the loop's own std::threads (no worker start-up, one copy of the buffers), and the next
 * block of both files is read on libuv's thread pool while the current one is computed.
 */
async function runNativeKld(base: RowSource & { kind: 'kld' }, cand: RowSource & { kind: 'kld' }, ranges: Array<[number, number]>, blockRows: number, args: RunArgs): Promise<void> {
  const scratch = [0, 1].map(() => new FusedScratch(base, cand, blockRows, { threads: args.threads }));
  const readAhead = (i: number): Promise<unknown> => {
    const [r0, n] = ranges[i]!;
    const s = scratch[i % 2]!;
    return Promise.all([base.kld.readRawAsync(r0, n, s.base.raw!), cand.kld.readRawAsync(r0, n, s.cand.raw!)]);
  };
  let pending: Promise<unknown> | null = ranges.length > 0 ? readAhead(0) : null;
  try {
    for (let i = 0; i < ranges.length; i++) {
      await pending;
      pending = i + 1 < ranges.length ? readAhead(i + 1) : null;
      const [r0, n] = ranges[i]!;
      await deliver(args, fusedBlock({ base, cand, r0, n, scratch: scratch[i % 2]!, preread: true }));
    }
  } finally {
    // a read still in flight must not write into a buffer after an error returned
    await pending?.catch(() => undefined);
  }
}

async function runKernel(base: RowSource, cand: RowSource, args: RunArgs): Promise<void> {
  if (base.kind !== 'float' || cand.kind !== 'float') throw new Error('unreachable');
  const cols = base.cols;
  // Blocks of ~4M elements per side: enough for the kernel to use every thread.
  const blockRows = Math.max(1, Math.min(args.end - args.start, Math.floor((4 << 20) / cols)));
  const mk = (s: typeof base): [Float32Array | Float64Array, Float32Array | Float64Array] => {
    const sab = (): Float32Array | Float64Array =>
      s.floats.dtype === 'f64' ? new Float64Array(new SharedArrayBuffer(blockRows * cols * 8)) : new Float32Array(new SharedArrayBuffer(blockRows * cols * 4));
    return [sab(), sab()];
  };
  const pb = mk(base);
  const qb = mk(cand);
  const tb = [new Int32Array(new SharedArrayBuffer(blockRows * 4)), new Int32Array(new SharedArrayBuffer(blockRows * 4))] as const;
  let backendName: string | undefined;
  const read = (r0: number, n: number, k: 0 | 1): BatchInput => {
    const p = pb[k].subarray(0, n * cols);
    const q = qb[k].subarray(0, n * cols);
    base.floats.read(r0, n, p);
    cand.floats.read(r0, n, q);
    const input: BatchInput = { p, q, rows: n, cols, from: 'logits' };
    if (args.targets) {
      const t = tb[k].subarray(0, n);
      t.set(args.targets.subarray(r0, r0 + n));
      input.targets = t;
    }
    return input;
  };
  let r0 = args.start;
  let k: 0 | 1 = 0;
  let input = read(r0, Math.min(blockRows, args.end - r0), k);
  while (true) {
    const n = input.rows;
    backendName ??= pickBackend(input, args.opts.backend).name;
    const pending = batchStats(input, { backend: args.opts.backend, threads: args.threads });
    // read the next block while the kernel runs on this one
    const nr0 = r0 + n;
    const nextInput = nr0 < args.end ? read(nr0, Math.min(blockRows, args.end - nr0), (1 - k) as 0 | 1) : null;
    const s = await pending;
    const b = kernelBlock(input, s, { r0, names: [base.spec.path, cand.spec.path] });
    await deliver(args, b);
    if (!nextInput) break;
    r0 = nr0;
    k = (1 - k) as 0 | 1;
    input = nextInput;
  }
  args.acc.notes.push(`Both sides are logits: per-token statistics from the fused kernel (${backendName ?? 'js'} backend), accumulated in float64; rounding noise below 0 is clamped to 0.`);
}
