import { closeSync, fstatSync, read, readSync } from 'node:fs';
import { expectPath } from './argCheck.js';
import { DataError } from '../errors.js';
import { inputLabel, openInput } from './readFile.js';
import { WriterOutput, type OutputGroup } from './output.js';

/**
 * llama.cpp's KL-divergence base file (`--kl-divergence-base`), little-endian, no version:
 * "_logits_", int32 n_ctx, int32 n_vocab, int32 n_chunk, int32 tokens[n_ctx·n_chunk], then for
 * each chunk the rows of its scored second half. A row is float32 scale, float32 min_log_prob
 * and n_vocab uint16 codes (one pad code when n_vocab is odd): log p_i = scale·code_i + min_log_prob.
 */
export interface KldHeader {
  nCtx: number;
  nVocab: number;
  nChunk: number;
  /** Scored rows per chunk: n_ctx − 1 − ⌊n_ctx/2⌋. */
  rowsPerChunk: number;
  /** ⌊n_ctx/2⌋: row r of a chunk predicts the token at chunk position first + r + 1. */
  first: number;
  /** uint16 values per row: 2·⌈n_vocab/2⌉ + 4. */
  nv: number;
  rowBytes: number;
  /** Byte offset of the first row. */
  dataOffset: number;
  /** All scored rows in the file. */
  rows: number;
  /** The size the header implies. */
  expectedSize: number;
}

export const KLD_MAGIC = '_logits_';

/**
 * Computes the layout that a header's three numbers imply.
 *
 * @example
 * kldLayout(512, 32000, 1).rowBytes; // 64008
 */
export function kldLayout(nCtx: number, nVocab: number, nChunk: number): KldHeader {
  const first = Math.floor(nCtx / 2);
  const rowsPerChunk = nCtx - 1 - first;
  const nv = 2 * Math.ceil(nVocab / 2) + 4;
  const rowBytes = nv * 2;
  const dataOffset = 20 + 4 * nCtx * nChunk;
  const rows = rowsPerChunk * nChunk;
  return { nCtx, nVocab, nChunk, rowsPerChunk, first, nv, rowBytes, dataOffset, rows, expectedSize: dataOffset + rows * rowBytes };
}

/**
 * Validates the 20-byte header and the file size of a .kld file. Errors name the file, the
 * offset and the expected size.
 *
 * @example
 * const h = parseKldHeader(firstBytes, 'base.kld', fileSize);
 * h.rows; // scored tokens
 */
export function parseKldHeader(buf: Uint8Array, name: string, fileSize: number): KldHeader {
  if (buf.length < 20) {
    throw new DataError(`${name}: truncated llama.cpp KL-divergence file: ${fileSize} bytes, the header alone needs 20`);
  }
  const magic = new TextDecoder('latin1').decode(buf.subarray(0, 8));
  if (magic !== KLD_MAGIC) {
    throw new DataError(`${name}: not a llama.cpp KL-divergence file (bytes 0-7 are ${JSON.stringify(magic)}, expected the magic "_logits_")`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, 20);
  const nCtx = dv.getInt32(8, true);
  const nVocab = dv.getInt32(12, true);
  const nChunk = dv.getInt32(16, true);
  if (nCtx < 2) throw new DataError(`${name}: invalid n_ctx ${nCtx} at offset 8 (expected an integer >= 2)`);
  if (nVocab < 1) throw new DataError(`${name}: invalid n_vocab ${nVocab} at offset 12 (expected an integer >= 1)`);
  if (nChunk < 1) throw new DataError(`${name}: invalid n_chunk ${nChunk} at offset 16 (expected an integer >= 1)`);
  const h = kldLayout(nCtx, nVocab, nChunk);
  if (fileSize < h.expectedSize) {
    const whole = Math.max(0, Math.floor((fileSize - h.dataOffset) / h.rowBytes));
    throw new DataError(
      `${name}: truncated llama.cpp KL-divergence file: n_ctx ${nCtx}, n_vocab ${nVocab}, n_chunk ${nChunk} need ` +
        `${h.expectedSize} bytes (20 + 4·${nCtx}·${nChunk} token bytes + ${h.rows} rows × ${h.rowBytes}), the file has ${fileSize}` +
        (fileSize > h.dataOffset ? ` (${whole} whole rows; it ends inside row ${whole} at offset ${fileSize})` : ''),
    );
  }
  if (fileSize > h.expectedSize) {
    throw new DataError(`${name}: ${fileSize - h.expectedSize} unexpected bytes after the last row (expected size ${h.expectedSize}, got ${fileSize})`);
  }
  return h;
}

/**
 * A .kld file opened for random access by row: the header and token list are read at once,
 * rows on demand (so a 37 GB file needs only a row buffer).
 *
 * @example
 * const f = new KldFile('base.kld');
 * const raw = new Uint8Array(f.header.rowBytes);
 * f.readRaw(0, 1, raw); f.close();
 */
export class KldFile {
  readonly header: KldHeader;
  /** Token ids of all chunks, n_ctx·n_chunk of them. */
  readonly tokens: Int32Array;
  readonly name: string;
  private fd: number;

  constructor(path: string, name = path) {
    expectPath(path, 'new KldFile(path: string, name?: string)', 'parseKldHeader(bytes)');
    this.name = inputLabel(name, path); // a damaged file is named by its role and its path
    this.fd = openInput(path, name);
    try {
      const size = fstatSync(this.fd).size;
      const head = new Uint8Array(20);
      const got = readSync(this.fd, head, 0, 20, 0);
      this.header = parseKldHeader(head.subarray(0, got), this.name, size);
      const nt = this.header.nCtx * this.header.nChunk;
      const tok = new Int32Array(nt);
      readFully(this.fd, new Uint8Array(tok.buffer), 20, this.name);
      this.tokens = tok;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  /** The token that scored row `r` predicts (row r of chunk c → tokens[c·n_ctx + first + r' + 1]). */
  targetOf(row: number): number {
    const h = this.header;
    const c = Math.floor(row / h.rowsPerChunk);
    const r = row - c * h.rowsPerChunk;
    return this.tokens[c * h.nCtx + h.first + r + 1]!;
  }

  /** Position in its context window of the token row `row` predicts (first + r + 1). */
  positionOf(row: number): number {
    const h = this.header;
    return h.first + (row % h.rowsPerChunk) + 1;
  }

  /** Reads rows [r0, r0 + n) as raw bytes into `out` (at least n·rowBytes long). */
  readRaw(r0: number, n: number, out: Uint8Array): void {
    const h = this.header;
    readFully(this.fd, out.subarray(0, n * h.rowBytes), h.dataOffset + r0 * h.rowBytes, this.name);
  }

  /**
   * {@link readRaw} on libuv's thread pool: the copy from the page cache runs while the caller
   * computes on rows read before.
   *
   * @example
   * await f.readRawAsync(0, 1, raw);
   */
  readRawAsync(r0: number, n: number, out: Uint8Array): Promise<void> {
    const h = this.header;
    return readFullyAsync(this.fd, out.subarray(0, n * h.rowBytes), h.dataOffset + r0 * h.rowBytes, this.name);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function endOfFile(name: string, position: number, missing: number): DataError {
  return new DataError(`${name}: unexpected end of file at offset ${position} (needed ${missing} more bytes)`);
}

function readFullyAsync(fd: number, out: Uint8Array, position: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= out.length) return resolve();
      read(fd, out, done, out.length - done, position + done, (err, n) => {
        if (err) return reject(err);
        if (n === 0) return reject(endOfFile(name, position + done, out.length - done));
        step(done + n);
      });
    };
    step(0);
  });
}

function readFully(fd: number, out: Uint8Array, position: number, name: string): void {
  let done = 0;
  while (done < out.length) {
    const n = readSync(fd, out, done, out.length - done, position + done);
    if (n === 0) throw endOfFile(name, position + done, out.length - done);
    done += n;
  }
}

/**
 * The decoded view of one row of raw .kld bytes: scale, min_log_prob and the codes.
 *
 * @example
 * const { scale, minLogProb, codes } = kldRowView(raw, 0, header);
 */
export function kldRowView(raw: Uint8Array, row: number, h: KldHeader): { scale: number; minLogProb: number; codes: Uint16Array } {
  const off = raw.byteOffset + row * h.rowBytes;
  const f = new Float32Array(raw.buffer, off, 2);
  return { scale: f[0]!, minLogProb: f[1]!, codes: new Uint16Array(raw.buffer, off + 8, h.nVocab) };
}

/**
 * llama.cpp's decoded log-probability, in float32 like its reader: fl(fl(scale·code) + min).
 * Tokens at or below −16 nats are outside llama.cpp's window (its KLD skips them).
 *
 * @example
 * decodeKldValue(16 / 65535, -17, 65535); // ≈ −1
 */
export function decodeKldValue(scale: number, minLogProb: number, code: number): number {
  return Math.fround(Math.fround(scale * code) + minLogProb);
}

/** The absolute log-probability floor of llama.cpp's KLD sum: terms with log p <= −16 are skipped. */
export const KLD_WINDOW = -16;

/** llama.cpp's rounding of a float to the nearest integer (ties to even, as its magic-number trick). */
function nearestInt(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; llama.cpp's float trick rounds ties to even.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Encodes one row of logits as llama.cpp's writer does (float32 arithmetic): the window is
 * clamped to 16 nats below the max logit, codes 0..65535 over [min, max], code 0 at or below the
 * floor, all-zero codes when scale is 0.
 * Writes nv uint16 values (pad code 0 when n_vocab is odd) at `out`.
 *
 * @example
 * const out = new Uint16Array(kldLayout(512, 3, 1).nv);
 * encodeKldRow(new Float32Array([1, 2, 3]), out);
 */
export function encodeKldRow(logits: ArrayLike<number>, out: Uint16Array): void {
  const n = logits.length;
  let max = Math.fround(logits[0]!);
  let min = max;
  for (let i = 1; i < n; i++) {
    const v = Math.fround(logits[i]!);
    if (v > max) max = v;
    if (v < min) min = v;
  }
  min = Math.max(min, Math.fround(max - 16));
  let sumExp = 0; // double, of float expf terms
  for (let i = 0; i < n; i++) sumExp += Math.fround(Math.exp(Math.fround(Math.fround(logits[i]!) - max)));
  const lse = Math.fround(Math.log(sumExp));
  const minLogProb = Math.fround(Math.fround(min - max) - lse);
  const scale = Math.fround(Math.fround(max - min) / 65535);
  const head = new Float32Array(out.buffer, out.byteOffset, 2);
  head[0] = scale;
  head[1] = minLogProb;
  if (scale) {
    const inv = Math.fround(1 / scale);
    for (let i = 0; i < n; i++) {
      const v = Math.fround(logits[i]!);
      // 65535 at most: float rounding of inv·(max − min) can land a hair above it.
      out[4 + i] = v > min ? Math.min(65535, nearestInt(Math.fround(inv * Math.fround(v - min)))) : 0;
    }
  } else {
    out.fill(0, 4, 4 + n);
  }
  out.fill(0, 4 + n);
}

/** Options of {@link KldWriter}. */
export interface KldWriterOptions {
  nCtx: number;
  nVocab: number;
  nChunk: number;
  /** n_ctx·n_chunk token ids. */
  tokens: ArrayLike<number>;
  /**
   * The run's output group: the file is reserved there and renamed into place by the group's
   * commit, with the run's other outputs. Without it the writer has a group of its own and
   * {@link KldWriter.close} commits it.
   */
  out?: OutputGroup;
}

/**
 * Writes a llama.cpp KL-divergence file row by row, byte for byte like `llama-perplexity
 * --kl-divergence-base` would from the same logits. The file is an output of an
 * {@link OutputGroup} (the run's, or one of its own): it is written at the group's temporary
 * name and appears at the path only when the group commits, so an error, SIGINT or SIGTERM
 * leaves neither a partial file nor a temporary one.
 *
 * @example
 * const w = new KldWriter('base.kld', { nCtx: 8, nVocab: 5, nChunk: 1, tokens: [0, 1, 2, 3, 4, 0, 1, 2] });
 * for (let r = 0; r < 3; r++) w.writeLogits(new Float32Array([1, 2, 3, 4, 5]));
 * w.close(); // base.kld now exists
 */
export class KldWriter {
  readonly header: KldHeader;
  private readonly output: WriterOutput;
  private written = 0;
  private row: Uint16Array;
  private buf: Uint8Array;
  private bufRows = 0;
  private rowsPerFlush: number;

  constructor(path: string, opts: KldWriterOptions) {
    this.header = kldLayout(opts.nCtx, opts.nVocab, opts.nChunk);
    if (opts.tokens.length !== opts.nCtx * opts.nChunk) {
      throw new DataError(`KldWriter: expected ${opts.nCtx * opts.nChunk} tokens (n_ctx·n_chunk), got ${opts.tokens.length}`);
    }
    this.output = new WriterOutput(path, opts.out);
    try {
      const head = new Uint8Array(20);
      head.set(new TextEncoder().encode(KLD_MAGIC), 0);
      const dv = new DataView(head.buffer);
      dv.setInt32(8, opts.nCtx, true);
      dv.setInt32(12, opts.nVocab, true);
      dv.setInt32(16, opts.nChunk, true);
      this.output.stream.write(head);
      this.output.stream.write(new Uint8Array(Int32Array.from(opts.tokens).buffer));
    } catch (e) {
      this.abort();
      throw e;
    }
    this.rowsPerFlush = Math.max(1, Math.floor((4 << 20) / this.header.rowBytes));
    this.buf = new Uint8Array(this.rowsPerFlush * this.header.rowBytes);
    this.row = new Uint16Array(this.header.nv);
  }

  /** Bytes written to the file so far (rows still in the buffer not counted). */
  get size(): number {
    return this.output.stream.size;
  }

  /** Encodes and appends one row of logits (n_vocab values). */
  writeLogits(logits: ArrayLike<number>): void {
    if (logits.length !== this.header.nVocab) throw new DataError(`KldWriter: row ${this.written} has ${logits.length} logits, n_vocab is ${this.header.nVocab}`);
    encodeKldRow(logits, this.row);
    this.writeEncoded(this.row);
  }

  /** Appends one already encoded row (nv uint16 values). */
  writeEncoded(row: Uint16Array): void {
    if (this.written >= this.header.rows) throw new DataError(`KldWriter: the file holds ${this.header.rows} rows; row ${this.written} is one too many`);
    this.buf.set(new Uint8Array(row.buffer, row.byteOffset, this.header.rowBytes), this.bufRows * this.header.rowBytes);
    this.bufRows++;
    this.written++;
    if (this.bufRows === this.rowsPerFlush) this.flush();
  }

  private flush(): void {
    if (this.bufRows) this.output.stream.write(this.buf.subarray(0, this.bufRows * this.header.rowBytes));
    this.bufRows = 0;
  }

  /** Gives up: the temporary file (and the run's other outputs, in the run's group) is removed. */
  abort(): void {
    this.output.abort();
  }

  /**
   * Finishes the file; with a group of its own the writer commits it (the file appears at its
   * path), with the run's group the file waits for the group's commit. Refuses (and aborts)
   * when rows are missing.
   */
  close(): void {
    this.output.finish(() => {
      this.flush();
      if (this.written !== this.header.rows) throw new DataError(`KldWriter: ${this.written} rows written, the header promises ${this.header.rows}`);
    });
  }
}
