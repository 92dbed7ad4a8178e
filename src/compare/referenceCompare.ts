import { DataError, UsageError } from '../errors.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { KLREF_MAGIC, KlrefFile, checkKlrefRow, decodeKlrefRow, type KlrefRow } from '../io/klref.js';
import { kldRowView, type KldFile } from '../io/kld.js';
import { readGguf } from '../io/gguf.js';
import { readTokenIds } from '../io/tokens.js';
import type { ChunkPlan, LiveSide } from './live.js';
import { CompareAccumulator, type RowBlock } from './accumulator.js';
import { BoundsScratch, boundsParams, rowBounds, type CandidateRow, type RowBoundsOut } from './bounds.js';
import { KLREF_BOUNDS_OUT, KLREF_BOUNDS_PARAMS, type NativeKlrefBoundsRows } from '../kernels/nativeBackend.js';
import { nativeKlrefBoundsRows } from '../kernels/registry.js';
import { threadCount } from './engine.js';
import { BoundsAccumulator } from './boundsStats.js';
import { fileFingerprint, hashTokens } from './runIdentity.js';
import type { CompareRun, RowSink } from './engine.js';
import { checkKldRow, createRowBlock, decodeSide, readSide, windowThresholdCode, type SideScratch } from './rowStats.js';
import { rowsInRange } from './rowRange.js';
import { detectFormat, openSource } from './sources.js';
import type { RowSource as OpenedSource } from './types.js';

/** A block of per-token results with each row's certified bounds (order kld, reverseKld, js, tvd). */
export interface ReferenceRowBlock extends RowBlock {
  /** lo[4·i + m], hi[4·i + m]: bounds of measure m for row i. */
  lo: Float64Array;
  hi: Float64Array;
}

const EXP_HI = new Float64Array(256);
const EXP_LO = new Float64Array(256);

/**
 * The candidate's row k for the bounds. A .kld row is read straight from its codes:
 * log q = min + scale·code and q from two 256-entry tables, exp(min + 256·scale·hi)·exp(scale·lo)
 * with code = 256·hi + lo (relative error ~1e-14, inside the bounds' rounding slack). A logit row
 * is log-softmaxed into side.lv, then q = exp(log q) token by token.
 */
function candidateRow(cand: OpenedSource, side: SideScratch, k: number, row: number, q: Float64Array, expHi = EXP_HI, expLo = EXP_LO): CandidateRow {
  const lv = side.lv;
  if (cand.kind !== 'kld') {
    const window = decodeSide(cand, side, k, row, lv.length);
    for (let i = 0; i < lv.length; i++) q[i] = Math.exp(lv[i]!);
    return { logq: lv, q, window };
  }
  const { scale, minLogProb, codes } = kldRowView(side.raw!, k, cand.kld.header);
  if (!Number.isFinite(scale) || scale < 0 || !Number.isFinite(minLogProb) || minLogProb > 1e-3) decodeSide(cand, side, k, row, lv.length); // names the bad value
  for (let j = 0; j < 256; j++) {
    expHi[j] = Math.exp(minLogProb + 256 * scale * j);
    expLo[j] = Math.exp(scale * j);
  }
  const c = windowThresholdCode(scale, minLogProb);
  // the row rules (a top value <= 0, a window of mass 1) are checked after the bounds, from the
  // largest code and the window mass their candidate pass leaves in kld (see checkCandidateRow)
  return {
    logq: lv,
    q,
    window: c > 65535 ? Infinity : minLogProb + scale * c,
    kld: { codes, scale, min: minLogProb, expHi, expLo, thresholdCode: c },
  };
}

/** The same row rules as compare's .kld reader, from what the bounds' candidate pass left in cr.kld. */
function checkCandidateRow(cand: OpenedSource, cr: CandidateRow, row: number): void {
  const kc = cr.kld;
  if (cand.kind !== 'kld' || !kc) return;
  checkKldRow(cand, row, kc.scale, kc.min, kc.maxCode!, kc.windowMass!);
}

/**
 * Read-ahead of a .kld candidate's rows (as compare's .kld loop): while the bounds of one block
 * are computed, the next `depth` blocks are read on libuv's thread pool into other buffers of a
 * ring. Blocks come in row order; the next ones are taken to start where this one ends and to be
 * at most `rows` long (a shorter one uses the first rows read; one that does not fit is read now).
 */
class KldReadAhead {
  private readonly bufs: Uint8Array[] = [];
  private pending: { r0: number; n: number; slot: number; done: Promise<void> }[] = [];
  private last = -1;
  /**
   * `count` buffers of `rows` rows, `depth` blocks read ahead (count ≥ depth + 2): a block taken
   * stays valid for count − depth − 1 further takes (the pipeline holds two blocks).
   */
  constructor(
    private readonly file: KldFile,
    private readonly rows: number,
    count = 2,
    private readonly depth = 1,
  ) {
    const bytes = rows * file.header.rowBytes;
    for (let i = 0; i < count; i++) this.bufs.push(new Uint8Array(bytes));
  }

  /** Rows [r0, r0 + n) (n ≤ rows); starts the reads of the rows after them, up to `end`. */
  async take(r0: number, n: number, end: number): Promise<Uint8Array> {
    const count = this.bufs.length;
    const p = this.pending.shift();
    let slot: number;
    if (p && p.r0 === r0 && p.n >= n) {
      await p.done;
      slot = p.slot;
    } else {
      // not the rows read ahead: wait for those reads (nothing may write into a buffer later), read these now
      for (const q of [p, ...this.pending]) await q?.done.catch(() => undefined);
      this.pending = [];
      slot = (this.last + 1) % count;
      this.file.readRaw(r0, n, this.bufs[slot]!);
    }
    this.last = slot;
    const tailRead = this.pending[this.pending.length - 1];
    let nr = tailRead ? tailRead.r0 + tailRead.n : r0 + n;
    let s = tailRead ? tailRead.slot : slot;
    while (this.pending.length < this.depth && nr < end) {
      s = (s + 1) % count;
      const m = Math.min(this.rows, end - nr);
      const done = this.file.readRawAsync(nr, m, this.bufs[s]!);
      done.catch(() => undefined); // handled here; a row that is used still sees the error
      this.pending.push({ r0: nr, n: m, slot: s, done });
      nr += m;
    }
    return this.bufs[slot]!;
  }

  /** Waits for reads still in flight, so that nothing writes into a buffer after the run. */
  async close(): Promise<void> {
    for (const q of this.pending) await q.done.catch(() => undefined);
    this.pending = [];
  }
}

/** Options of {@link compareReference}. */
export interface ReferenceCompareOptions {
  /** The .klref base. */
  reference: string;
  /** The candidate: a live GGUF model (the reference's tokens and chunks), a .kld file or .npy/.safetensors logits. */
  candidate: string;
  /** Live candidate: CPU threads and runtime, as compare's live path. */
  threads?: number;
  runtime?: 'auto' | 'native' | 'node-llama-cpp';
  candidateFormat?: string;
  tensor?: string;
  /** Token ids of a logits candidate, checked against the reference's token list. */
  tokens?: string;
  rowRange?: [number, number];
  /** Rows per candidate block (default: 8 MiB of rows, 4 MiB where the .kld code passes run on a second thread). */
  blockRows?: number;
  relativeAccuracy?: number;
  retainLimit?: number;
  /** Receives every block (a {@link ReferenceRowBlock}) in row order. */
  sink?: RowSink;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Whether a file is a .klref reference (by extension or magic).
 *
 * @example
 * isReferenceFile('base.klref'); // true
 */
export function isReferenceFile(file: string): boolean {
  if (/\.klref$/i.test(file)) return true;
  try {
    const fd = openSync(file, 'r');
    const head = new Uint8Array(8);
    const n = readSync(fd, head, 0, 8, 0);
    closeSync(fd);
    return n === 8 && head.every((b, i) => b === KLREF_MAGIC[i]);
  } catch {
    return false;
  }
}

/** Checks that the candidate scores the reference's tokens; names the first difference. */
function checkTokens(ref: KlrefFile, cand: OpenedSource, opts: ReferenceCompareOptions, notes: string[]): void {
  const c = ref.header.chunking;
  const rt = ref.tokens;
  const first = (a: ArrayLike<number>, b: ArrayLike<number>, offset: number, what: string) => {
    for (let i = 0; i < b.length; i++) {
      if (a[i + offset] !== b[i]) {
        const j = i + offset;
        throw new DataError(
          `token mismatch at index ${j} of the token list (chunk ${Math.floor(j / c.nCtx)}, position ${j % c.nCtx}): the reference has ${a[j]}, ${what} has ${b[i]} (both must score the same text)`,
        );
      }
    }
  };
  if (cand.kind === 'kld') {
    if (opts.tokens) throw new UsageError('the tokens option does not apply when the candidate is a .kld file: the file carries its tokens');
    const h = cand.kld.header;
    if (c.score !== 'second-half' || h.nCtx !== c.nCtx || h.nChunk !== c.nChunk) {
      throw new DataError(`chunking mismatch: the reference scores ${c.nChunk} chunks of n_ctx ${c.nCtx} (${c.score}), the candidate .kld ${h.nChunk} chunks of n_ctx ${h.nCtx} (second-half)`);
    }
    first(rt, cand.kld.tokens, 0, 'the candidate');
  } else if (opts.tokens) {
    const ids = readTokenIds(opts.tokens, 'tokens');
    if (ids.length === rt.length) first(rt, ids, 0, 'the tokens option');
    else if (c.nChunk === 1 && c.first === 0 && ids.length === rt.length - 1) first(rt, ids, 1, 'the tokens option');
    else throw new DataError(`tokens: the reference holds ${rt.length} token ids, the tokens option has ${ids.length}`);
  } else {
    notes.push("The candidate's logits carry no token list: its rows are taken to score the reference's tokens (pass the tokens option to check).");
  }
  const fp = ref.header.tokenizer.fingerprint;
  notes.push(
    fp === 'unknown'
      ? 'Tokenizer fingerprint: unknown in the reference (its source had no token texts); the token ids were checked.'
      : `Tokenizer fingerprint ${fp}: the candidate carries none to compare; the token ids were checked.`,
  );
}

/**
 * Compares a candidate with a .klref reference: per token, certified intervals of
 * KL(base‖candidate), KL(candidate‖base), JS and TVD (see `bounds.ts`), and point estimates
 * (the tail spread in proportion to the candidate), accumulated like any comparison; the
 * accumulator's `bounds` carries the intervals' aggregates and merges with other shards.
 *
 * @example
 * const run = await compareReference({ reference: 'base.klref', candidate: 'q4.kld' });
 * run.result.bounds!.kld.mean; // [lower, upper]
 */
export async function compareReference(opts: ReferenceCompareOptions): Promise<CompareRun> {
  const ref = new KlrefFile(opts.reference, opts.reference);
  let cand: OpenedSource | undefined;
  let live: LiveSide | undefined;
  try {
    const fc = detectFormat(opts.candidate, opts.candidateFormat);
    if (fc === 'jsonl') throw new UsageError('a .klref base needs a candidate with full distributions (a GGUF model, .kld, .npy or .safetensors), not top-k JSONL');
    if (fc === 'gguf') {
      const o = await openLiveCandidate(ref, opts);
      live = o.side;
      cand = o.source;
      return await run(ref, cand, opts, o.notes);
    }
    const opened = openSource({ path: opts.candidate, name: 'candidate', format: fc, tensor: opts.tensor });
    if (opened.kind === 'topk') {
      opened.close();
      throw new UsageError('a .klref base needs a candidate with full distributions (a GGUF model, .kld, .npy or .safetensors), not top-k lists');
    }
    cand = opened;
    return await run(ref, cand, opts);
  } finally {
    cand?.close();
    ref.close();
    await live?.close();
  }
}

/**
 * A live GGUF candidate of a reference: its n_vocab and tokenizer fingerprint are checked
 * against the header (the first difference named), then it is loaded with the reference's
 * n_ctx and evaluates the reference's chunks (BOS first where the model adds one), as
 * compare's live path.
 */
async function openLiveCandidate(ref: KlrefFile, opts: ReferenceCompareOptions): Promise<{ side: LiveSide; source: OpenedSource; notes: string[] }> {
  const h = ref.header;
  if (opts.tokens) throw new UsageError('the tokens option does not apply to a GGUF candidate: it evaluates the reference\'s tokens');
  if (opts.tensor) throw new UsageError('the tensor option does not apply to a GGUF candidate');
  if (opts.rowRange) throw new UsageError('the rowRange option does not apply to a GGUF candidate (it evaluates whole chunks)');
  const info = readGguf(opts.candidate, { name: opts.candidate });
  const fp = h.tokenizer.fingerprint;
  if (info.nVocab !== h.nVocab) throw new DataError(`vocabulary mismatch: the reference has n_vocab ${h.nVocab}, ${opts.candidate} has ${info.nVocab} (the models must share a vocabulary)`);
  if (fp !== 'unknown' && fp !== info.tokenizerFingerprint) {
    throw new DataError(`tokenizer mismatch: the reference's fingerprint is ${fp}, ${opts.candidate} has ${info.tokenizerFingerprint} (same n_vocab ${h.nVocab}, different token texts: the models must share a tokenizer)`);
  }
  const c = h.chunking;
  const rowsPerChunk = c.nCtx - 1 - c.first;
  if (rowsPerChunk < 1 || ref.rows !== c.nChunk * rowsPerChunk) {
    throw new DataError(`${opts.reference}: its chunking (${c.nChunk} chunks of n_ctx ${c.nCtx} from position ${c.first}) does not give its ${ref.rows} rows, so a live model cannot evaluate it`);
  }
  const tokens = Int32Array.from(ref.tokens as ArrayLike<number>);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]! < 0 || tokens[i]! >= info.nVocab) throw new DataError(`${opts.reference}: token ${i} of the token list is ${tokens[i]}, outside n_vocab ${info.nVocab}`);
  }
  const { openLiveSide } = await import('./live.js');
  const side = await openLiveSide({ path: opts.candidate, name: 'candidate', ctx: c.nCtx, info, runtime: opts.runtime, threads: opts.threads });
  const plan: ChunkPlan = { tokens, nCtx: c.nCtx, nChunk: c.nChunk, first: c.first, rowsPerChunk };
  const notes = [
    `Live candidate (llama.cpp via ${side.runtime.name}): it evaluates the reference's ${c.nChunk} chunks of ${c.nCtx} tokens, BOS first where the model adds one, as compare on live models.`,
    fp === 'unknown'
      ? `Tokenizer fingerprint: unknown in the reference (its source had no token texts), so it could not be checked; n_vocab ${h.nVocab} matches.`
      : `Tokenizer fingerprint ${fp} matches the candidate's (${h.tokenizer.method ?? 'a hash of the token texts'}).`,
  ];
  return { side, source: side.rows(plan), notes };
}

async function run(ref: KlrefFile, cand: OpenedSource, opts: ReferenceCompareOptions, liveNotes?: string[]): Promise<CompareRun> {
  const h = ref.header;
  const V = h.nVocab;
  if (cand.cols !== V) throw new DataError(`vocabulary mismatch: the reference has n_vocab ${V}, the candidate ${cand.cols} columns`);
  if (cand.rows !== ref.rows) throw new DataError(`row count mismatch: the reference has ${ref.rows} scored rows, the candidate ${cand.rows}`);
  const notes: string[] = liveNotes ?? [];
  if (!liveNotes) checkTokens(ref, cand, opts, notes);
  const [start, end] = rowsInRange(opts.rowRange, ref.rows);
  const acc = new CompareAccumulator({ relativeAccuracy: opts.relativeAccuracy, retainLimit: opts.retainLimit, positionBinWidth: Math.max(1, Math.ceil(h.chunking.nCtx / 1024)) });
  acc.estimator = 'reference-bounds';
  acc.bounds = new BoundsAccumulator({ relativeAccuracy: opts.relativeAccuracy, retainLimit: opts.retainLimit });
  acc.inputs.push(
    { role: 'base', path: opts.reference, format: 'klref', rows: ref.rows, vocab: V, topK: h.topK, view: h.view, chunking: h.chunking, tokenizer: h.tokenizer, source: h.source, rowRange: [start, end] },
    { role: 'candidate', path: opts.candidate, format: cand.spec.format, rows: cand.rows, vocab: cand.cols },
  );
  // the run's identity, as compare's: merge checks that shards belong together and do not overlap
  const candDesc = cand.describe() as Record<string, unknown>;
  acc.run = {
    base: { format: 'klref', rows: ref.rows, vocab: V, nCtx: h.chunking.nCtx, nChunk: h.chunking.nChunk, fingerprint: fileFingerprint(opts.reference) },
    candidate: {
      format: cand.spec.format,
      rows: cand.rows,
      vocab: cand.cols,
      ...(typeof candDesc.nCtx === 'number' ? { nCtx: candDesc.nCtx } : {}),
      ...(typeof candDesc.nChunk === 'number' ? { nChunk: candDesc.nChunk } : {}),
      ...(cand.kind === 'float' ? { dtype: cand.floats.dtype } : {}),
      fingerprint: fileFingerprint(opts.candidate),
    },
    tokens: hashTokens(Int32Array.from(ref.tokens as ArrayLike<number>)),
    rows: ref.rows,
  };
  acc.rowRanges = [[start, end]];
  acc.notes.push(
    `Base: a .klref reference keeping the top ${h.topK} of ${V} tokens per row. The kld, reverseKld, js and tvd statistics are point estimates (the tail spread in proportion to the candidate, which leans low); "bounds" holds certified intervals: the mean's interval is the mean of the per-token bounds, quantile intervals are quantiles of the lower and of the upper bounds.`,
  );
  if (h.view === 'kld-window') {
    acc.notes.push("The reference came from a .kld file: KL(base‖candidate), JS and TVD count the base's window (log p > −16) as llama.cpp's KLD does; KL(candidate‖base) counts every token at its decoded value.");
  }
  acc.notes.push(...notes);
  const scratch = new BoundsScratch(V);
  const row: KlrefRow = { logTail: 0, logTailAll: 0, floor: 0, logpTarget: NaN, nWindow: 0, logp: new Float64Array(h.topK), ids: new Int32Array(h.topK) };
  const out: RowBoundsOut = { lo: new Float64Array(4), hi: new Float64Array(4), est: new Float64Array(4), argmaxCand: 0 };
  const candRowBytes = cand.kind === 'kld' ? cand.kld.header.rowBytes : cand.cols * 8;
  // a .kld candidate's rows run natively on the thread pool, `width` blocks at a time, unless one
  // thread is asked for (then natively row by row, here)
  const threads = threadCount(opts.threads);
  const tailRows = cand.kind === 'kld' && threads > 1 ? nativeKlrefBoundsRows() : undefined;
  const width = Math.min(4, threads);
  // pipelined, width + 3 candidate blocks are alive (two read ahead, width in native passes, one
  // being finished): smaller blocks keep them in the cache between their read and their use
  const candRows = Math.max(1, Math.floor(opts.blockRows ?? ((tailRows ? 4 : 8) << 20) / candRowBytes));
  const side: SideScratch =
    cand.kind === 'kld' ? { raw: new Uint8Array(0) /* the read-ahead's buffers */, lv: new Float64Array(V), maxCode: 0, scale: 0, min: 0 } : { floats: new Float64Array(candRows * V), lv: new Float64Array(V), maxCode: 0, scale: 0, min: 0 };
  const qv = new Float64Array(V);
  const rowsPerChunk = cand.kind === 'float' && cand.floats.sequential ? h.chunking.nCtx - 1 - h.chunking.first : 0;
  let unboundedReverse = 0;
  const ahead = cand.kind === 'kld' ? new KldReadAhead(cand.kld, candRows, tailRows ? width + 3 : 2, tailRows ? 2 : 1) : undefined;
  /** Row i of block b (row r) from its reference row and candidate row: the bounds, the row checks, the block's columns. */
  const finishRow = (b: ReferenceRowBlock, i: number, r: number, row: KlrefRow, cr: CandidateRow, blkOffset: number) => {
    try {
      rowBounds(row, cr, h, scratch, out);
    } catch (e) {
      if (e instanceof DataError) throw new DataError(`${opts.reference}: block at offset ${blkOffset}: row ${r}: ${e.message}`);
      throw e;
    }
    checkCandidateRow(cand, cr, r);
    b.forward[i] = out.est[0]!;
    b.reverse[i] = out.est[1]!;
    b.js[i] = out.est[2]!;
    b.tvd[i] = out.est[3]!;
    b.lo.set(out.lo, 4 * i);
    b.hi.set(out.hi, 4 * i);
    if (out.hi[1] === Infinity) unboundedReverse++;
    b.argmaxBase[i] = row.ids[0]!;
    b.argmaxCand[i] = out.argmaxCand;
    b.position[i] = ref.positionOf(r);
    const t = ref.targetOf(r);
    b.target[i] = t;
    if (!Number.isNaN(row.logpTarget)) {
      b.logpTarget[i] = row.logpTarget;
      b.logqTarget[i] = cr.kld ? cr.kld.min + cr.kld.scale * cr.kld.codes[t]! : cr.logq[t]!;
    }
  };
  const newBlock = (c0: number, n: number) => {
    const b = createRowBlock(n, c0) as ReferenceRowBlock;
    b.lo = new Float64Array(4 * n);
    b.hi = new Float64Array(4 * n);
    return b;
  };
  const addBlock = async (b: ReferenceRowBlock, c0: number, n: number) => {
    acc.addBlock(b);
    for (let i = 0; i < n; i++) acc.bounds!.add(b.lo.subarray(4 * i, 4 * i + 4), b.hi.subarray(4 * i, 4 * i + 4));
    if (opts.sink) await opts.sink.write(b);
    opts.onProgress?.(c0 + n - start, end - start);
  };
  /** The candidate blocks in row order: within one reference block, at most candRows rows, never across a live chunk. */
  function* spans(): Generator<{ blk: { row0: number; data: Uint8Array; offset: number }; c0: number; n: number }> {
    for (const blk of ref.blocks(start, end)) {
      const b0 = Math.max(start, blk.row0);
      const b1 = Math.min(end, blk.row0 + blk.count);
      for (let c0 = b0, n = 0; c0 < b1; c0 += n) {
        // a live model evaluates one chunk at a time: a block never crosses a chunk
        n = Math.min(candRows, b1 - c0, rowsPerChunk ? rowsPerChunk - (c0 % rowsPerChunk) : Infinity);
        yield { blk, c0, n };
      }
    }
  }
  try {
    if (tailRows) await pipelined(tailRows, width, spans(), finishRow, newBlock, addBlock);
    else {
      for (const { blk, c0, n } of spans()) {
        if (cand.kind === 'float') await cand.floats.prepare?.(c0, n); // a live model evaluates these rows first
        if (ahead) side.raw = await ahead.take(c0, n, end);
        else readSide(cand, side, c0, n);
        const b = newBlock(c0, n);
        for (let i = 0; i < n; i++) {
          const r = c0 + i;
          decodeKlrefRow(h, blk.data, r - blk.row0, row);
          checkKlrefRow(h, row, r, `${opts.reference}: block at offset ${blk.offset}`);
          finishRow(b, i, r, row, candidateRow(cand, side, i, r, qv), blk.offset);
        }
        await addBlock(b, c0, n);
      }
    }
  } finally {
    await ahead?.close();
  }

  /**
   * The .kld candidate's blocks with their bounds computed natively (native/klbounds.h: the code
   * pass over the 16-bit codes and the rest of rowBounds) on threads of libuv's pool, `width`
   * blocks at a time, while this thread prepares the next block and finishes the oldest (its
   * row checks, statistics and sink, in row order, with the results rowBounds takes from
   * kc.pass: the same bits as row by row). A block is prepared (its reference rows decoded, its
   * candidate heads checked, the params from boundsParams) before the older ones are finished, so
   * an error there is kept and thrown when the finishing reaches its row: errors keep their row
   * order.
   */
  async function pipelined(
    rowsPass: NativeKlrefBoundsRows,
    width: number,
    blocks: Generator<{ blk: { row0: number; data: Uint8Array; offset: number }; c0: number; n: number }>,
    finish: typeof finishRow,
    make: typeof newBlock,
    add: typeof addBlock,
  ): Promise<void> {
    const k = h.topK;
    const P = KLREF_BOUNDS_PARAMS;
    const O = KLREF_BOUNDS_OUT;
    // width + 1 sets of buffers: one per block in a native pass, one for the block being finished
    const sets = Array.from({ length: width + 1 }, () => {
      const ids = new Int32Array(candRows * k);
      const logp = new Float64Array(candRows * k);
      return {
        ids,
        logp,
        rows: Array.from({ length: candRows }, (_, i): KlrefRow => ({ logTail: 0, logTailAll: 0, floor: 0, logpTarget: NaN, nWindow: 0, logp: logp.subarray(k * i, k * i + k), ids: ids.subarray(k * i, k * i + k) })),
        exp: new Float64Array(512 * candRows),
        params: new Float64Array(P * candRows),
        out: new Float64Array(O * candRows),
        heap: new Float64Array(V),
        counts: new Uint32Array(65536),
        crs: new Array<CandidateRow | undefined>(candRows),
      };
    });
    type Group = { c0: number; n: number; offset: number; set: (typeof sets)[number]; m: number; err?: unknown; done: Promise<void> };
    let turn = 0;
    const running: Promise<void>[] = [];
    /** Reads and prepares a block, then starts its native pass. */
    const launch = async (span: { blk: { row0: number; data: Uint8Array; offset: number }; c0: number; n: number }): Promise<Group> => {
      const { blk, c0, n } = span;
      const set = sets[turn++ % sets.length]!;
      const g: Group = { c0, n, offset: blk.offset, set, m: 0, done: Promise.resolve() };
      let raw: Uint8Array;
      try {
        raw = await ahead!.take(c0, n, end);
      } catch (e) {
        g.err = e;
        return g;
      }
      side.raw = raw;
      let heapAt = 0;
      for (let i = 0; i < n; i++) {
        const r = c0 + i;
        const rw = set.rows[i]!;
        try {
          decodeKlrefRow(h, blk.data, r - blk.row0, rw);
          checkKlrefRow(h, rw, r, `${opts.reference}: block at offset ${blk.offset}`);
          const cr = candidateRow(cand!, side, i, r, qv, set.exp.subarray(512 * i, 512 * i + 256), set.exp.subarray(512 * i + 256, 512 * i + 512));
          const p = P * i;
          const cap = boundsParams(rw, h, cr, set.params, p);
          set.params[p + 9] = cr.kld!.codes.byteOffset - raw.byteOffset;
          set.params[p + 10] = heapAt;
          set.params[p + 28] = k * i;
          heapAt += cap < 0 ? V : cap;
          cr.kld!.pass = { params: set.params.subarray(p, p + P), out: set.out.subarray(O * i, O * i + O) };
          set.crs[i] = cr;
        } catch (e) {
          g.err = e;
          break;
        }
        g.m = i + 1;
      }
      if (set.heap.length < heapAt) set.heap = new Float64Array(Math.max(heapAt, 2 * set.heap.length));
      if (g.m > 0) {
        g.done = rowsPass(raw, set.ids.subarray(0, g.m * k), set.logp, set.counts, set.exp, set.params, set.heap, set.out, g.m, V);
        running.push(g.done.catch(() => undefined));
      }
      return g;
    };
    /** The oldest block: its rows in order (an error prepared there thrown at its row), then its statistics. */
    const finishGroup = async (g: Group) => {
      await g.done;
      const b = make(g.c0, g.n);
      for (let i = 0; i < g.n; i++) {
        if (i === g.m) throw g.err;
        finish(b, i, g.c0 + i, g.set.rows[i]!, g.set.crs[i]!, g.offset);
      }
      await add(b, g.c0, g.n);
    };
    const queue: Group[] = [];
    try {
      for (;;) {
        let it: IteratorResult<{ blk: { row0: number; data: Uint8Array; offset: number }; c0: number; n: number }>;
        try {
          it = blocks.next(); // reads (and checks) the next reference block
        } catch (e) {
          // a damaged reference block: the rows before it are finished first, as row by row
          while (queue.length) await finishGroup(queue.shift()!);
          throw e;
        }
        if (it.done) break;
        // `width` passes run while the oldest is finished; a set is reused only after its block is
        queue.push(await launch(it.value));
        if (queue.length > width) await finishGroup(queue.shift()!);
      }
      while (queue.length) await finishGroup(queue.shift()!);
    } finally {
      await Promise.all(running); // nothing writes into the buffers after the run
    }
  }
  if (unboundedReverse) {
    acc.notes.push(`KL(candidate‖base) has no upper bound (+Infinity) on ${unboundedReverse} of ${end - start} tokens: the reference knows no floor there, so a tail token the candidate likes may have base probability near 0.`);
  }
  if (cand.kind === 'kld') acc.notes.push('The candidate is a .kld file: its log-probabilities are 16-bit quantized; KL(candidate‖base), JS and TVD count its window.');
  acc.notes.push('PPL(base) and Δp use the reference\'s stored log p(target) (float32).');
  const result = acc.result();
  return { accumulator: acc, result, rows: end - start, elements: (end - start) * V, bytes: ref.size + (end - start) * candRowBytes, vocab: V };
}
