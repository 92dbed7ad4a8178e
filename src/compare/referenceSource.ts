import { statSync } from 'node:fs';
import { DataError, UsageError } from '../errors.js';
import { kldLayout } from '../io/kld.js';
import type { OutputGroup } from '../io/output.js';
import { KlrefWriter, SummarizeScratch, summarizeLogRow, type KlrefHeader, type KlrefRow } from '../io/klref.js';
import { readGguf } from '../io/gguf.js';
import { readTokenIds } from '../io/tokens.js';
import { checkKldRow, decodeSide, readSide, type SideScratch } from './rowStats.js';
import { detectFormat, openSource } from './sources.js';
import type { RowSource as OpenedSource } from './types.js';

/** One scored row of a base, as a reference source hands it over. */
export interface ReferenceRowInput {
  /** Log-probabilities of all n_vocab tokens, float64 (a normalized log-softmax, or a .kld decode). */
  logp: Float64Array;
  /** The token this row predicts (or −1). */
  target: number;
  /** "kld-window" sources: tokens with logp below this are outside the window. */
  window?: number;
}

/**
 * What `klscope reference` needs from a base: its vocabulary size, the token list and chunking,
 * and the scored rows in order. A .kld file and a logits file with token ids are sources; a live
 * model is one more, with these same members.
 */
export interface ReferenceSource {
  nVocab: number;
  view: KlrefHeader['view'];
  chunking: KlrefHeader['chunking'];
  /** n_ctx·n_chunk token ids. */
  tokens: ArrayLike<number>;
  /** A hash of the token texts, or { fingerprint: "unknown" }. */
  tokenizer: KlrefHeader['tokenizer'];
  /** Stored as the file's source description. */
  description: Record<string, unknown>;
  /** Calls `fn` once per scored row, in order (the row's arrays may be reused afterwards). */
  forEachRow(fn: (row: ReferenceRowInput, index: number) => void): Promise<void>;
  /** Releases the source (a live model's close is asynchronous). */
  close(): void | Promise<void>;
}

/** Options of {@link openFileReferenceSource}. */
export interface FileReferenceOptions {
  format?: string;
  tensor?: string;
  /** Token ids of a logits source: T + 1 ids for T rows (row t predicts token t + 1). */
  tokens?: string;
}

const UNKNOWN_TOKENIZER = { fingerprint: 'unknown', method: 'the source carries no token texts; only token ids are checked' };

/**
 * Opens a saved base as a {@link ReferenceSource}: a llama.cpp .kld file (its token list and
 * second-half chunking, view "kld-window") or .npy/.safetensors logits with `tokens` (one
 * sequence, every position after the first scored, view "logits").
 *
 * @example
 * const src = openFileReferenceSource('base.kld');
 * await writeReference(src, 'base.klref', { topK: 64 });
 */
export function openFileReferenceSource(file: string, o: FileReferenceOptions = {}): ReferenceSource {
  const format = detectFormat(file, o.format);
  if (format === 'jsonl') throw new UsageError(`${file}: a reference needs full distributions; top-k JSONL holds only the top of each row`);
  const opened = openSource({ path: file, name: file, format, tensor: o.tensor });
  if (opened.kind === 'topk') {
    opened.close();
    throw new UsageError(`${file}: a reference needs full distributions, not top-k lists`);
  }
  const src: OpenedSource = opened;
  try {
    const bytes = statSync(file).size;
    if (src.kind === 'kld') {
      if (o.tokens) throw new UsageError('the tokens option does not apply to a .kld source: the file carries its tokens');
      const h = src.kld.header;
      return fileSource(src, {
        view: 'kld-window',
        chunking: { nCtx: h.nCtx, nChunk: h.nChunk, first: h.first, score: 'second-half' },
        tokens: src.kld.tokens,
        description: { kind: 'llama.cpp .kld', path: file, bytes, nCtx: h.nCtx, nChunk: h.nChunk },
        target: (r) => src.kld.targetOf(r),
      });
    }
    if (!o.tokens) throw new UsageError(`the tokens option is required for a logits source (${file}): the reference keeps the token list (T + 1 ids for T rows)`);
    const ids = readTokenIds(o.tokens, 'tokens');
    if (ids.length !== src.rows + 1) {
      throw new DataError(`tokens: a reference needs ${src.rows + 1} token ids (T + 1 for ${src.rows} rows: the text, row t predicting token t + 1), got ${ids.length}`);
    }
    for (let i = 0; i < ids.length; i++) if (ids[i]! >= src.cols) throw new DataError(`tokens: token ${i} is ${ids[i]}, outside the vocabulary of ${src.cols}`);
    return fileSource(src, {
      view: 'logits',
      chunking: { nCtx: ids.length, nChunk: 1, first: 0, score: 'all' },
      tokens: ids,
      description: { kind: `${format} logits`, path: file, bytes, dtype: src.kind === 'float' ? src.floats.dtype : undefined, tokens: o.tokens },
      target: (r) => ids[r + 1]!,
    });
  } catch (e) {
    src.close();
    throw e;
  }
}

function fileSource(
  src: OpenedSource,
  o: {
    view: KlrefHeader['view'];
    chunking: KlrefHeader['chunking'];
    tokens: ArrayLike<number>;
    description: Record<string, unknown>;
    target: (r: number) => number;
    tokenizer?: KlrefHeader['tokenizer'];
    rowsPerChunk?: number;
    close?: () => Promise<void>;
  },
): ReferenceSource {
  const cols = src.cols;
  return {
    nVocab: cols,
    view: o.view,
    chunking: o.chunking,
    tokens: o.tokens,
    tokenizer: o.tokenizer ?? UNKNOWN_TOKENIZER,
    description: o.description,
    async forEachRow(fn) {
      const rowBytes = src.kind === 'kld' ? src.kld.header.rowBytes : cols * 8;
      // a live model's rows come one chunk at a time: blocks never cross a chunk
      const blockRows = o.rowsPerChunk ?? Math.max(1, Math.floor((8 << 20) / rowBytes));
      const s: SideScratch =
        src.kind === 'kld' ? { raw: new Uint8Array(blockRows * rowBytes), lv: new Float64Array(cols), maxCode: 0, scale: 0, min: 0 } : { floats: new Float64Array(blockRows * cols), lv: new Float64Array(cols), maxCode: 0, scale: 0, min: 0 };
      const row: ReferenceRowInput = { logp: s.lv, target: -1 };
      for (let r0 = 0; r0 < src.rows; r0 += blockRows) {
        const n = Math.min(blockRows, src.rows - r0);
        if (src.kind === 'float') await src.floats.prepare?.(r0, n);
        readSide(src, s, r0, n);
        for (let k = 0; k < n; k++) {
          const threshold = decodeSide(src, s, k, r0 + k, cols);
          if (src.kind === 'kld') {
            // the same row rules as compare's .kld reader: a top value <= 0 and a window of mass 1
            let mass = 0;
            for (let i = 0; i < cols; i++) if (s.lv[i]! >= threshold) mass += Math.exp(s.lv[i]!);
            checkKldRow(src, r0 + k, s.scale, s.min, s.maxCode, mass);
          }
          row.target = o.target(r0 + k);
          row.window = src.kind === 'kld' ? threshold : undefined;
          fn(row, r0 + k);
        }
        // once per block: signals and the progress bar's timer
        if (o.rowsPerChunk) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    close: () => {
      src.close();
      return o.close?.();
    },
  };
}

/** Options of {@link openLiveReferenceSource}: the text and its chunking, as `klscope compare` on live models. */
export interface LiveReferenceOptions {
  text: string;
  /** Tokens per chunk (default 512). */
  ctx?: number;
  /** At most this many chunks. */
  chunks?: number;
  /** Scored positions: the second half of each chunk (llama-perplexity) or all. */
  score?: 'second-half' | 'all';
  runtime?: 'auto' | 'native' | 'node-llama-cpp';
  threads?: number;
}

/** How the reference's tokenizer fingerprint of a GGUF model is made. */
export const GGUF_FINGERPRINT_METHOD = 'tokenizerFingerprint: SHA-256 over the GGUF token texts (tokenizer.ggml.tokens), each length-prefixed, in id order; first 128 bits';

/**
 * Opens a live GGUF base as a {@link ReferenceSource}: the text is tokenized with the model and
 * chunked as `klscope compare` does on live models (llama-perplexity's plan), each chunk
 * evaluated once; the header carries the model's tokenizer fingerprint.
 *
 * @example
 * const src = await openLiveReferenceSource('f16.gguf', { text: 'wiki.test.raw', ctx: 512 });
 * await writeReference(src, 'f16.klref', { topK: 64 });
 */
export async function openLiveReferenceSource(model: string, o: LiveReferenceOptions): Promise<ReferenceSource> {
  const { checkContext, openLiveSide, planChunks, readLiveText } = await import('./live.js');
  const info = readGguf(model, { name: model });
  const ctx = o.ctx ?? 512;
  checkContext(ctx, model, info);
  const text = readLiveText(o.text);
  const side = await openLiveSide({ path: model, name: model, ctx, info, runtime: o.runtime, threads: o.threads });
  try {
    const plan = planChunks(await side.model.tokenize(text), { ctx, chunks: o.chunks, score: o.score, name: o.text });
    const src = side.rows(plan);
    return fileSource(src, {
      view: 'logits',
      chunking: { nCtx: plan.nCtx, nChunk: plan.nChunk, first: plan.first, score: o.score ?? 'second-half' },
      tokens: plan.tokens,
      tokenizer: { fingerprint: info.tokenizerFingerprint, method: GGUF_FINGERPRINT_METHOD },
      description: { kind: 'live GGUF model', path: model, bytes: info.fileSize, architecture: info.architecture, parameters: info.parameterCount, bitsPerWeight: info.bitsPerWeight, runtime: side.runtime.name, text: o.text, nCtx: plan.nCtx, nChunk: plan.nChunk },
      target: (r) => src.tokens!.targetOf(r),
      rowsPerChunk: plan.rowsPerChunk,
      close: () => side.close(),
    });
  } catch (e) {
    await side.close();
    throw e;
  }
}

/** What {@link writeReference} reports. */
export interface ReferenceWritten {
  rows: number;
  tokens: number;
  /** Size of the .klref file. */
  bytes: number;
  /** Size of llama.cpp's .kld for the same tokens and rows (20 + 4·tokens + rows·(2·⌈V/2⌉ + 4)·2). */
  kldBytes: number;
  topK: number;
  nVocab: number;
}

/**
 * Size of a llama.cpp .kld holding these rows and tokens.
 *
 * @example
 * kldBytesFor(128256, 512, 255); // 65,414,668 = 20 + 4·512 + 255·256,520
 */
export function kldBytesFor(nVocab: number, tokens: number, rows: number): number {
  return 20 + 4 * tokens + rows * kldLayout(2, nVocab, 1).rowBytes;
}

/**
 * Streams a source into a .klref file with the top `topK` of each row (k = min(topK, n_vocab)).
 * The file is written through an output group (`group`: the run's, committed by its owner; else
 * one of its own, committed here): nothing is left at `out`, and no temporary file, on failure.
 *
 * @example
 * const w = await writeReference(openFileReferenceSource('base.kld'), 'base.klref', { topK: 64 });
 * w.kldBytes / w.bytes; // about 500 at n_vocab 128,256
 */
export async function writeReference(
  src: ReferenceSource,
  out: string,
  o: { topK?: number; rowsPerBlock?: number; group?: OutputGroup; onProgress?: (done: number, total: number) => void } = {},
): Promise<ReferenceWritten> {
  const k = Math.min(o.topK ?? 64, src.nVocab);
  const w = new KlrefWriter(out, {
    nVocab: src.nVocab,
    topK: k,
    view: src.view,
    chunking: src.chunking,
    tokens: src.tokens,
    tokenizer: src.tokenizer,
    source: src.description,
    rowsPerBlock: o.rowsPerBlock,
    out: o.group,
  });
  try {
    const scratch = new SummarizeScratch(src.nVocab);
    const row: KlrefRow = { logTail: 0, logTailAll: 0, floor: 0, logpTarget: NaN, nWindow: k, logp: new Float64Array(k), ids: new Int32Array(k) };
    let done = 0;
    await src.forEachRow((r, i) => {
      if (r.logp.length !== src.nVocab) throw new DataError(`row ${i}: ${r.logp.length} log-probabilities, n_vocab is ${src.nVocab}`);
      summarizeLogRow(r.logp, k, row, scratch, { window: src.view === 'kld-window' ? r.window ?? -Infinity : undefined, target: r.target });
      w.writeRow(row);
      done++;
      o.onProgress?.(done, w.totalRows);
    });
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
  return { rows: w.totalRows, tokens: src.tokens.length, bytes: w.size, kldBytes: kldBytesFor(src.nVocab, src.tokens.length, w.totalRows), topK: k, nVocab: src.nVocab };
}
