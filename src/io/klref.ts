import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { DataError, showValue } from '../errors.js';
import { LOGPROB_SLACK } from '../rows/tolerance.js';
import { WriterOutput, type OutputGroup } from './output.js';

/**
 * klscope's compact reference file (.klref), version 1: what a base run's next-token
 * distributions must keep so that KL, JS and TVD against any candidate can be bounded with
 * certainty. Little-endian, written and read as a stream of checksummed blocks:
 *
 *     offset 0   8 bytes  magic 89 'K' 'L' 'R' 'E' 'F' 0D 0A
 *            8   uint32   version (1)
 *           12   uint32   H, length of the header JSON
 *           16   H bytes  header JSON (UTF-8, {@link KlrefHeader})
 *       16 + H   uint32   CRC-32 of bytes [0, 16 + H)
 *     then blocks: uint32 tag, uint32 count, uint32 payload length L, L bytes, uint32 CRC-32 of
 *     the 12 + L bytes before it. Tags: "TOKS" (count int32 token ids), "ROWS" (count rows of
 *     {@link klrefRowBytes} bytes), "END " (8 bytes: uint32 tokens, uint32 rows; last block).
 *
 * A row (one scored position), fields in this order:
 *
 *     float64  logTail     log of the tail mass m = Σ p over the tokens not in the top k,
 *                          computed in float64 from the tail itself (a log-sum-exp of the tail)
 *     float64  logTailAll  (view "kld-window" only) the same over all tail tokens, window or not
 *     float32  floor       no token's log p is below it (−Infinity: unknown), rounded down
 *     float32  logpTarget  base log p of the token the row predicts (NaN: unknown), nearest
 *     uint32   nWindow     (view "kld-window" only) top-k entries inside the window
 *     uint32   nOutside    (view "kld-window" only) tail tokens outside the window
 *     k × float32          top-k log-probabilities, largest first, rounded to nearest
 *     k × uint24/uint32    their token ids (idBytes per id)
 *
 * Semantics of stored values: a top-k value v stands for every log-probability within
 * {@link storedLogpError}(v) of it (float32 rounding to nearest is within half an ulp); the
 * tail ceiling is the k-th value plus that error, so no tail token is more likely; the floor is
 * rounded toward −∞. The float64 tail masses are the source's own float64 values.
 *
 * View "logits": the base is the float64 softmax of a logit row. View "kld-window": the base is a
 * llama.cpp .kld row decoded as llama.cpp reads it: KL(base‖·), JS and TVD count only the
 * window (log p > −16 in float32 decode; `logTail` is the window's tail mass, the first `nWindow`
 * top-k entries are in the window), KL(·‖base) counts every token at its decoded value (every one
 * is at least `floor` = min_log_prob; `logTailAll` is that tail mass).
 */
export interface KlrefHeader {
  format: 'klscope-reference';
  nVocab: number;
  /** k: entries per row (at most nVocab). */
  topK: number;
  /** Bytes per token id: 3 when nVocab <= 2^24. */
  idBytes: 3 | 4;
  view: 'logits' | 'kld-window';
  /**
   * Which position each row scores: chunk c holds tokens [c·nCtx, (c+1)·nCtx); its rows are
   * positions j = first … nCtx − 2, row j predicting token c·nCtx + j + 1 ("second-half":
   * first = ⌊nCtx/2⌋, llama.cpp's rule; "all": first = 0).
   */
  chunking: { nCtx: number; nChunk: number; first: number; score: 'second-half' | 'all' };
  /** A hash of the tokenizer's token texts, or "unknown" (sources that carry none). */
  tokenizer: { fingerprint: string; method?: string };
  /** Free-form description of where the reference came from. */
  source: Record<string, unknown>;
  /** Rows per "ROWS" block (the last one may hold fewer). */
  rowsPerBlock: number;
}

export const KLREF_MAGIC = Uint8Array.from([0x89, 0x4b, 0x4c, 0x52, 0x45, 0x46, 0x0d, 0x0a]);
export const KLREF_VERSION = 1;
const TAG_TOKS = 0x534b4f54; // "TOKS" read as a little-endian uint32
const TAG_ROWS = 0x53574f52; // "ROWS"
const TAG_END = 0x20444e45; // "END "

/** One row as written or read (log-probabilities in float64 arrays; ids as int32). */
export interface KlrefRow {
  logTail: number;
  /** kld-window view: the tail mass over all tokens; else equal to logTail. */
  logTailAll: number;
  floor: number;
  logpTarget: number;
  /** kld-window view: top-k entries in the window; else k. */
  nWindow: number;
  /** kld-window view: tail tokens outside the window (0 otherwise). */
  nOutside?: number;
  /** k values, largest first. */
  logp: Float64Array;
  ids: Int32Array;
}

/**
 * Bytes of one row of a file with this header.
 *
 * @example
 * klrefRowBytes({ topK: 64, idBytes: 3, view: 'logits' }); // 464 (480 for "kld-window")
 */
export function klrefRowBytes(h: Pick<KlrefHeader, 'topK' | 'idBytes' | 'view'>): number {
  return (h.view === 'kld-window' ? 32 : 16) + h.topK * (4 + h.idBytes);
}

/** Scored rows per chunk and in all. */
export function klrefRows(c: KlrefHeader['chunking']): { perChunk: number; total: number } {
  const perChunk = c.nCtx - 1 - c.first;
  return { perChunk, total: perChunk * c.nChunk };
}

/**
 * How far a stored top-k log-probability v may be from the value it stands for: float32
 * rounding to nearest is within half an ulp, at most 2^-24·|v| for normal numbers, plus the
 * subnormal spacing. The bounds widen every top-k entry by this much.
 *
 * @example
 * storedLogpError(-2); // ≈ 1.2e-7
 */
export function storedLogpError(v: number): number {
  return Math.abs(v) * 5.9604644775390625e-8 + 1.401298464324817e-45;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The largest float32 <= x (x finite or ±Infinity). */
export function float32Down(x: number): number {
  const f = Math.fround(x);
  if (f <= x || Number.isNaN(f)) return f;
  // f > x: step one float32 toward −∞
  F32[0] = f;
  if (f === 0) return -1.401298464324817e-45;
  U32[0] = f > 0 ? U32[0]! - 1 : U32[0]! + 1;
  return F32[0]!;
}

/** The smallest float32 >= x. */
export function float32Up(x: number): number {
  return -float32Down(-x);
}

/**
 * Rounds a row's values in place exactly as the file stores them: top-k log-probabilities and
 * the target's to the nearest float32, the floor down to a float32 (the float64 tail masses are
 * kept). Reading a written row gives back these values bit for bit.
 *
 * @example
 * roundKlrefRow(row); // row.logp[0] is now a float32 value
 */
export function roundKlrefRow(r: KlrefRow): void {
  for (let i = 0; i < r.logp.length; i++) r.logp[i] = Math.fround(r.logp[i]!);
  r.floor = float32Down(r.floor);
  r.logpTarget = Math.fround(r.logpTarget);
}

/** Options of {@link KlrefWriter}. */
export interface KlrefWriterOptions {
  nVocab: number;
  topK: number;
  view: KlrefHeader['view'];
  chunking: KlrefHeader['chunking'];
  /** n_ctx·n_chunk token ids. */
  tokens: ArrayLike<number>;
  tokenizer?: KlrefHeader['tokenizer'];
  source: Record<string, unknown>;
  /** Rows per block (default 1024). */
  rowsPerBlock?: number;
  /**
   * The run's output group: the file is reserved there and renamed into place by the group's
   * commit, with the run's other outputs. Without it the writer has a group of its own and
   * {@link KlrefWriter.close} commits it.
   */
  out?: OutputGroup;
}

/**
 * Streams a .klref file: tokens first, then rows in order, then the end block. The file is an
 * output of an {@link OutputGroup} (the run's, or one of its own): it is written at the group's
 * temporary name and appears at the path only when the group commits, so an error, SIGINT or
 * SIGTERM leaves neither a partial file nor a temporary one.
 *
 * @example
 * const w = new KlrefWriter('ref.klref', { nVocab: 4, topK: 1, view: 'logits',
 *   chunking: { nCtx: 3, nChunk: 1, first: 0, score: 'all' }, tokens: [0, 1, 2], source: { kind: 'test' } });
 * w.writeRow({ logTail: Math.log(0.5), logTailAll: Math.log(0.5), floor: Math.log(0.1), logpTarget: NaN, nWindow: 1,
 *   logp: Float64Array.of(Math.log(0.5)), ids: Int32Array.of(2) });
 * w.writeRow({ logTail: Math.log(0.5), logTailAll: Math.log(0.5), floor: Math.log(0.1), logpTarget: NaN, nWindow: 1,
 *   logp: Float64Array.of(Math.log(0.5)), ids: Int32Array.of(1) });
 * w.close(); // ref.klref now exists
 */
export class KlrefWriter {
  readonly header: KlrefHeader;
  readonly rowBytes: number;
  readonly totalRows: number;
  private readonly output: WriterOutput;
  private block: Uint8Array;
  private dv: DataView;
  private inBlock = 0;
  private written = 0;
  private readonly nTokens: number;

  constructor(path: string, o: KlrefWriterOptions) {
    const k = o.topK;
    if (!Number.isInteger(k) || k < 1 || k > o.nVocab) throw new DataError(`.klref: top-k ${k} must be an integer in [1, n_vocab = ${o.nVocab}]`);
    const c = o.chunking;
    if (o.tokens.length !== c.nCtx * c.nChunk) throw new DataError(`.klref: expected ${c.nCtx * c.nChunk} tokens (n_ctx·n_chunk), got ${o.tokens.length}`);
    this.header = {
      format: 'klscope-reference',
      nVocab: o.nVocab,
      topK: k,
      idBytes: o.nVocab <= 1 << 24 ? 3 : 4,
      view: o.view,
      chunking: { ...c },
      tokenizer: o.tokenizer ?? { fingerprint: 'unknown' },
      source: o.source,
      rowsPerBlock: Math.max(1, Math.floor(o.rowsPerBlock ?? 1024)),
    };
    this.rowBytes = klrefRowBytes(this.header);
    this.totalRows = klrefRows(c).total;
    this.nTokens = o.tokens.length;
    this.output = new WriterOutput(path, o.out);
    try {
      const json = new TextEncoder().encode(JSON.stringify(this.header));
      const head = new Uint8Array(20 + json.length);
      head.set(KLREF_MAGIC, 0);
      const hv = new DataView(head.buffer);
      hv.setUint32(8, KLREF_VERSION, true);
      hv.setUint32(12, json.length, true);
      head.set(json, 16);
      hv.setUint32(16 + json.length, crc32(head.subarray(0, 16 + json.length)), true);
      this.output.stream.write(head);
      // the token list in blocks of up to 2^16 ids
      for (let t = 0; t < o.tokens.length; t += 65536) {
        const n = Math.min(65536, o.tokens.length - t);
        const ids = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const v = o.tokens[t + i]!;
          if (!Number.isInteger(v) || v < 0 || v >= o.nVocab) throw new DataError(`.klref: token ${t + i} is ${showValue(v)}, outside the vocabulary of ${o.nVocab}`);
          ids[i] = v;
        }
        this.putBlock(TAG_TOKS, n, new Uint8Array(ids.buffer));
      }
    } catch (e) {
      this.abort();
      throw e;
    }
    this.block = new Uint8Array(this.header.rowsPerBlock * this.rowBytes);
    this.dv = new DataView(this.block.buffer);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.output.stream.size;
  }

  private putBlock(tag: number, count: number, payload: Uint8Array): void {
    const buf = new Uint8Array(16 + payload.length);
    const v = new DataView(buf.buffer);
    v.setUint32(0, tag, true);
    v.setUint32(4, count, true);
    v.setUint32(8, payload.length, true);
    buf.set(payload, 12);
    v.setUint32(12 + payload.length, crc32(buf.subarray(0, 12 + payload.length)), true);
    this.output.stream.write(buf);
  }

  /** Appends one row; rounds its values in place as the format says ({@link roundKlrefRow}). */
  writeRow(r: KlrefRow): void {
    const h = this.header;
    const k = h.topK;
    if (this.written >= this.totalRows) throw new DataError(`.klref: the chunking holds ${this.totalRows} rows; row ${this.written} is one too many`);
    if (r.logp.length !== k || r.ids.length !== k) throw new DataError(`.klref: row ${this.written} has ${r.logp.length} values, top-k is ${k}`);
    roundKlrefRow(r);
    const dv = this.dv;
    let o = this.inBlock * this.rowBytes;
    dv.setFloat64(o, r.logTail, true);
    o += 8;
    if (h.view === 'kld-window') {
      dv.setFloat64(o, r.logTailAll, true);
      o += 8;
    }
    dv.setFloat32(o, r.floor, true);
    dv.setFloat32(o + 4, r.logpTarget, true);
    o += 8;
    if (h.view === 'kld-window') {
      dv.setUint32(o, r.nWindow, true);
      dv.setUint32(o + 4, r.nOutside ?? 0, true);
      o += 8;
    }
    for (let i = 0; i < k; i++) dv.setFloat32(o + 4 * i, r.logp[i]!, true);
    o += 4 * k;
    const b = this.block;
    for (let i = 0; i < k; i++) {
      const id = r.ids[i]!;
      b[o] = id & 255;
      b[o + 1] = (id >>> 8) & 255;
      b[o + 2] = (id >>> 16) & 255;
      if (h.idBytes === 4) b[o + 3] = id >>> 24;
      o += h.idBytes;
    }
    this.inBlock++;
    this.written++;
    if (this.inBlock === h.rowsPerBlock) this.flush();
  }

  private flush(): void {
    if (this.inBlock) this.putBlock(TAG_ROWS, this.inBlock, this.block.subarray(0, this.inBlock * this.rowBytes));
    this.inBlock = 0;
  }

  /**
   * Writes the end block and closes the file; with a group of its own the writer commits it (the
   * file appears at its path), with the run's group the file waits for the group's commit.
   * Refuses (and aborts) when rows are missing.
   */
  close(): void {
    this.output.finish(() => {
      this.flush();
      if (this.written !== this.totalRows) throw new DataError(`.klref: ${this.written} rows written, the chunking promises ${this.totalRows}`);
      const end = new Uint8Array(8);
      new DataView(end.buffer).setUint32(0, this.nTokens, true);
      new DataView(end.buffer).setUint32(4, this.written, true);
      this.putBlock(TAG_END, this.written, end);
    });
  }

  /**
   * Gives up: the group's temporary files are removed (the run's other outputs too, since a run
   * whose reference failed writes nothing), so nothing is left at the path.
   */
  abort(): void {
    this.output.abort();
  }
}

/** Where one "ROWS" block lies. */
interface BlockIndex {
  row0: number;
  count: number;
  /** Offset of the block's tag. */
  offset: number;
}

/**
 * A .klref file opened for streaming: the header and token list are read and checked at once,
 * the row blocks are located; each row block's checksum is checked when it is read. Every
 * damage (wrong magic or version, truncation, a flipped byte) is refused with a one-line
 * {@link DataError} naming the offset of the bad block.
 *
 * @example
 * const f = new KlrefFile('ref.klref');
 * f.header.topK; // 64
 * for (const b of f.blocks(0, f.rows)) b.rows; // decoded rows
 * f.close();
 */
export class KlrefFile {
  readonly header: KlrefHeader;
  readonly tokens: Int32Array;
  readonly rows: number;
  readonly rowBytes: number;
  readonly size: number;
  readonly name: string;
  private readonly fd: number;
  private readonly index: BlockIndex[] = [];

  constructor(path: string, name = path) {
    this.name = name;
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new DataError(`${name}: cannot open file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      this.size = fstatSync(this.fd).size;
      const pre = this.read(0, Math.min(16, this.size));
      if (pre.length < 16) throw new DataError(`${name}: truncated .klref file: ${this.size} bytes, the header alone needs at least 20`);
      for (let i = 0; i < 8; i++) {
        if (pre[i] !== KLREF_MAGIC[i]) {
          throw new DataError(`${name}: not a klscope reference (bytes 0-7 are ${Buffer.from(pre.subarray(0, 8)).toString('hex')}, expected the magic ${Buffer.from(KLREF_MAGIC).toString('hex')})`);
        }
      }
      const pv = new DataView(pre.buffer, pre.byteOffset, 16);
      const version = pv.getUint32(8, true);
      if (version !== KLREF_VERSION) throw new DataError(`${name}: unsupported .klref version ${version} at offset 8 (this klscope reads version ${KLREF_VERSION})`);
      const hl = pv.getUint32(12, true);
      if (20 + hl > this.size) throw new DataError(`${name}: truncated .klref file: the header block at offset 0 needs ${20 + hl} bytes, the file has ${this.size}`);
      const head = this.read(0, 20 + hl);
      const hv = new DataView(head.buffer, head.byteOffset, head.length);
      if (crc32(head.subarray(0, 16 + hl)) !== hv.getUint32(16 + hl, true)) throw new DataError(`${name}: damaged .klref file: checksum mismatch in the header block at offset 0`);
      let h: KlrefHeader;
      try {
        h = JSON.parse(new TextDecoder().decode(head.subarray(16, 16 + hl))) as KlrefHeader;
      } catch (e) {
        throw new DataError(`${name}: header JSON at offset 16 does not parse (${(e as Error).message})`);
      }
      checkHeader(h, name);
      this.header = h;
      this.rowBytes = klrefRowBytes(h);
      const expectRows = klrefRows(h.chunking).total;
      const nTokens = h.chunking.nCtx * h.chunking.nChunk;
      this.tokens = new Int32Array(nTokens);
      let off = 20 + hl;
      let nt = 0;
      let nr = 0;
      let ended = false;
      while (!ended) {
        if (off + 16 > this.size) {
          throw new DataError(
            `${name}: truncated .klref file: ${off === this.size ? 'it ends' : 'a block header is cut off'} at offset ${off} after ${nt} of ${nTokens} tokens and ${nr} of ${expectRows} rows (no end block)`,
          );
        }
        const bh = this.read(off, 12);
        const bv = new DataView(bh.buffer, bh.byteOffset, 12);
        const tag = bv.getUint32(0, true);
        const count = bv.getUint32(4, true);
        const len = bv.getUint32(8, true);
        const want = tag === TAG_TOKS ? count * 4 : tag === TAG_ROWS ? count * this.rowBytes : tag === TAG_END ? 8 : -1;
        if (want < 0) throw new DataError(`${name}: damaged .klref file: unknown block tag 0x${tag.toString(16)} in the block at offset ${off}`);
        if (len !== want) throw new DataError(`${name}: damaged .klref file: the block at offset ${off} says ${len} payload bytes for ${count} entries (expected ${want})`);
        if (off + 16 + len > this.size) throw new DataError(`${name}: truncated .klref file: the block at offset ${off} needs ${16 + len} bytes, the file ends at ${this.size}`);
        if (tag === TAG_TOKS) {
          if (nr > 0 || nt + count > nTokens) throw new DataError(`${name}: damaged .klref file: unexpected token block at offset ${off}`);
          const blk = this.readBlock(off, len);
          this.tokens.set(new Int32Array(blk.buffer.slice(blk.byteOffset, blk.byteOffset + len)), nt);
          nt += count;
        } else if (tag === TAG_ROWS) {
          if (nt !== nTokens) throw new DataError(`${name}: damaged .klref file: row block at offset ${off} before the token list is complete (${nt} of ${nTokens})`);
          if (count === 0 || nr + count > expectRows) throw new DataError(`${name}: damaged .klref file: the row block at offset ${off} holds ${count} rows after ${nr} (the chunking has ${expectRows})`);
          this.index.push({ row0: nr, count, offset: off });
          nr += count;
        } else {
          const blk = this.readBlock(off, len);
          const ev = new DataView(blk.buffer, blk.byteOffset, 8);
          if (ev.getUint32(0, true) !== nt || ev.getUint32(4, true) !== nr || nr !== expectRows || nt !== nTokens) {
            throw new DataError(`${name}: damaged .klref file: the end block at offset ${off} counts ${ev.getUint32(0, true)} tokens and ${ev.getUint32(4, true)} rows, the file holds ${nt} of ${nTokens} and ${nr} of ${expectRows}`);
          }
          ended = true;
        }
        off += 16 + len;
      }
      if (off !== this.size) throw new DataError(`${name}: ${this.size - off} unexpected bytes after the end block (it ends at offset ${off})`);
      for (let i = 0; i < nTokens; i++) {
        const t = this.tokens[i]!;
        if (t < 0 || t >= h.nVocab) throw new DataError(`${name}: token ${i} is ${t}, outside the vocabulary of ${h.nVocab}`);
      }
      this.rows = nr;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  private read(pos: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      const k = readSync(this.fd, out, done, n - done, pos + done);
      if (k === 0) break;
      done += k;
    }
    return done === n ? out : out.subarray(0, done);
  }

  /** Reads a block's payload and checks its CRC (the block starts at `off`). */
  private readBlock(off: number, len: number): Uint8Array {
    const all = this.read(off, 16 + len);
    const v = new DataView(all.buffer, all.byteOffset, all.length);
    if (crc32(all.subarray(0, 12 + len)) !== v.getUint32(12 + len, true)) {
      throw new DataError(`${this.name}: damaged .klref file: checksum mismatch in the block at offset ${off} (${len + 16} bytes)`);
    }
    return all.subarray(12, 12 + len);
  }

  /** The token that row `row` predicts. */
  targetOf(row: number): number {
    const c = this.header.chunking;
    const per = c.nCtx - 1 - c.first;
    const ch = Math.floor(row / per);
    return this.tokens[ch * c.nCtx + c.first + (row - ch * per) + 1]!;
  }

  /** Position in its chunk of the token row `row` predicts. */
  positionOf(row: number): number {
    const c = this.header.chunking;
    return c.first + (row % (c.nCtx - 1 - c.first)) + 1;
  }

  /**
   * The row blocks overlapping rows [start, end), each checked against its CRC, as raw bytes
   * with the global index of their first row (decode rows with {@link decodeKlrefRow}).
   */
  *blocks(start: number, end: number): Generator<{ row0: number; count: number; data: Uint8Array; offset: number }> {
    for (const b of this.index) {
      if (b.row0 + b.count <= start || b.row0 >= end) continue;
      yield { row0: b.row0, count: b.count, data: this.readBlock(b.offset, b.count * this.rowBytes), offset: b.offset };
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

function checkHeader(h: KlrefHeader, name: string): void {
  const bad = (what: string) => new DataError(`${name}: invalid .klref header at offset 16: ${what}`);
  if (!h || h.format !== 'klscope-reference') throw bad('"format" is not "klscope-reference"');
  const int = (x: unknown, min: number) => typeof x === 'number' && Number.isInteger(x) && x >= min;
  if (!int(h.nVocab, 1)) throw bad(`n_vocab ${showValue(h.nVocab)} is not an integer >= 1`);
  if (!int(h.topK, 1) || h.topK > h.nVocab) throw bad(`top-k ${showValue(h.topK)} is not an integer in [1, ${h.nVocab}]`);
  if (h.idBytes !== 3 && h.idBytes !== 4) throw bad(`idBytes ${showValue(h.idBytes)} is not 3 or 4`);
  if (h.idBytes === 3 && h.nVocab > 1 << 24) throw bad(`3-byte ids cannot hold n_vocab ${h.nVocab}`);
  if (h.view !== 'logits' && h.view !== 'kld-window') throw bad(`view ${showValue(h.view)} is not "logits" or "kld-window"`);
  const c = h.chunking;
  if (!c || !int(c.nCtx, 2) || !int(c.nChunk, 1) || !int(c.first, 0) || c.first > c.nCtx - 2) throw bad('chunking needs n_ctx >= 2, n_chunk >= 1 and 0 <= first <= n_ctx − 2');
  if (!int(h.rowsPerBlock, 1)) throw bad('rowsPerBlock is not an integer >= 1');
  if (!h.tokenizer || typeof h.tokenizer.fingerprint !== 'string') throw bad('tokenizer.fingerprint is missing');
}

/**
 * Decodes row `i` of a raw block into `out` (arrays of length k, reused).
 *
 * @example
 * for (const b of f.blocks(0, f.rows)) decodeKlrefRow(f.header, b.data, 0, row);
 */
export function decodeKlrefRow(h: KlrefHeader, data: Uint8Array, i: number, out: KlrefRow): void {
  const k = h.topK;
  const rb = klrefRowBytes(h);
  const dv = new DataView(data.buffer, data.byteOffset + i * rb, rb);
  let o = 0;
  out.logTail = dv.getFloat64(0, true);
  o = 8;
  if (h.view === 'kld-window') {
    out.logTailAll = dv.getFloat64(8, true);
    o = 16;
  } else out.logTailAll = out.logTail;
  out.floor = dv.getFloat32(o, true);
  out.logpTarget = dv.getFloat32(o + 4, true);
  o += 8;
  if (h.view === 'kld-window') {
    out.nWindow = dv.getUint32(o, true);
    out.nOutside = dv.getUint32(o + 4, true);
    o += 8;
  } else {
    out.nWindow = k;
    out.nOutside = 0;
  }
  for (let j = 0; j < k; j++) out.logp[j] = dv.getFloat32(o + 4 * j, true);
  o += 4 * k;
  const b = data.byteOffset + i * rb + o;
  const u = data;
  const base = b - data.byteOffset;
  for (let j = 0; j < k; j++) {
    const p = base + j * h.idBytes;
    out.ids[j] = h.idBytes === 3 ? u[p]! | (u[p + 1]! << 8) | (u[p + 2]! << 16) : (u[p]! | (u[p + 1]! << 8) | (u[p + 2]! << 16) | (u[p + 3]! << 24)) >>> 0;
  }
}

/**
 * Checks a decoded row against the format's rules; names the row, the file offset and the value.
 */
export function checkKlrefRow(h: KlrefHeader, r: KlrefRow, row: number, where: string): void {
  const bad = (what: string) => new DataError(`${where}: row ${row}: ${what}`);
  const k = h.topK;
  for (let j = 0; j < k; j++) {
    const v = r.logp[j]!;
    if (!(v <= 0) && !(v < LOGPROB_SLACK)) throw bad(`top-k log-probability ${j} is ${showValue(v)}, expected a number <= 0`);
    if (j > 0 && v > r.logp[j - 1]!) throw bad(`top-k log-probabilities must not increase (entry ${j} is ${v}, entry ${j - 1} is ${r.logp[j - 1]})`);
    const id = r.ids[j]!;
    if (id >= h.nVocab) throw bad(`token id ${id} of entry ${j} is outside the vocabulary of ${h.nVocab}`);
  }
  if (Number.isNaN(r.logTail) || r.logTail > 1e-9) throw bad(`log tail mass is ${showValue(r.logTail)}, expected a number <= 0 or -Infinity`);
  if (Number.isNaN(r.logTailAll) || r.logTailAll > 1e-9 || r.logTailAll < r.logTail) throw bad(`log tail mass over all tokens is ${showValue(r.logTailAll)}, expected a number in [${r.logTail}, 0]`);
  if (Number.isNaN(r.floor) || r.floor > 0) throw bad(`floor is ${showValue(r.floor)}, expected a log-probability <= 0 or -Infinity`);
  if (r.nWindow > k) throw bad(`${r.nWindow} top-k entries in the window, k is ${k}`);
  if ((r.nOutside ?? 0) > h.nVocab - k) throw bad(`${r.nOutside} tail tokens outside the window, the tail has ${h.nVocab - k}`);
  if (k === h.nVocab && r.logTailAll !== -Infinity) throw bad(`top-k holds the whole vocabulary, so the tail mass must be 0 (log −Infinity), got ${r.logTailAll}`);
}


/** Reusable buffers of {@link summarizeLogRow}. */
export class SummarizeScratch {
  readonly idx: Int32Array;
  readonly mark: Uint8Array;
  constructor(nVocab: number) {
    this.idx = new Int32Array(nVocab);
    this.mark = new Uint8Array(nVocab);
  }
}

/** a ranks above b: larger log-probability first, ties by the smaller id. */
function above(lp: Float64Array, a: number, b: number): boolean {
  const x = lp[a]!;
  const y = lp[b]!;
  return x > y || (x === y && a < b);
}

/** Moves the k highest-ranked ids of idx[0, n) to idx[0, k) (quickselect on ranks). */
function selectTop(lp: Float64Array, idx: Int32Array, n: number, k: number): void {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const p = idx[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (above(lp, idx[i]!, p)) i++;
      while (above(lp, p, idx[j]!)) j--;
      if (i <= j) {
        const t = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = t;
        i++;
        j--;
      }
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else return;
  }
}

/** log Σ exp(lp[i]) over the ids with mark 0 and lp >= window, shifted by the max (exact-ish in float64). */
function tailLogSum(lp: Float64Array, mark: Uint8Array, window: number): number {
  let m = -Infinity;
  for (let i = 0; i < lp.length; i++) if (!mark[i] && lp[i]! >= window && lp[i]! > m) m = lp[i]!;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < lp.length; i++) if (!mark[i] && lp[i]! >= window) s += Math.exp(lp[i]! - m);
  return m + Math.log(s);
}

/** Options of {@link summarizeLogRow}. */
export interface SummarizeOptions {
  /** "kld-window" rows: tokens below this log-probability are outside the window. */
  window?: number;
  /** A known floor (a .kld row's min_log_prob); default the row's smallest value. */
  floor?: number;
  /** The token the row predicts (its log-probability is kept), or −1. */
  target?: number;
}

/**
 * Reduces one full row of base log-probabilities (float64, V values) to a reference row: the
 * top k (largest first, ties by id), the tail mass as a log-sum-exp over the tail itself (so it
 * keeps its relative precision when the top-k mass is within rounding of 1, where 1 − Σ p would
 * cancel), the floor and the target's log-probability. With `window`, `logTail` counts only the
 * tail tokens in the window and `logTailAll` every tail token.
 *
 * @example
 * const out = { logTail: 0, logTailAll: 0, floor: 0, logpTarget: 0, nWindow: 0, logp: new Float64Array(1), ids: new Int32Array(1) };
 * summarizeLogRow(Float64Array.of(Math.log(0.7), Math.log(0.2), Math.log(0.1)), 1, out, new SummarizeScratch(3));
 * Math.exp(out.logTail); // 0.3 (to rounding)
 */
export function summarizeLogRow(lp: Float64Array, k: number, out: KlrefRow, scratch: SummarizeScratch, o: SummarizeOptions = {}): void {
  const V = lp.length;
  const idx = scratch.idx;
  for (let i = 0; i < V; i++) idx[i] = i;
  if (k < V) selectTop(lp, idx, V, k);
  const top = Array.from(idx.subarray(0, k)).sort((a, b) => (above(lp, a, b) ? -1 : above(lp, b, a) ? 1 : 0));
  const mark = scratch.mark;
  const window = o.window ?? -Infinity;
  let nWindow = 0;
  for (let i = 0; i < k; i++) {
    const id = top[i]!;
    out.ids[i] = id;
    out.logp[i] = lp[id]!;
    mark[id] = 1;
    if (lp[id]! >= window) nWindow++;
  }
  let floor = Infinity;
  for (let i = 0; i < V; i++) if (lp[i]! < floor) floor = lp[i]!;
  out.floor = o.floor === undefined ? floor : Math.min(o.floor, floor);
  out.logTailAll = tailLogSum(lp, mark, -Infinity);
  out.logTail = o.window === undefined ? out.logTailAll : tailLogSum(lp, mark, window);
  out.nWindow = o.window === undefined ? k : nWindow;
  let outside = 0;
  if (o.window !== undefined) for (let i = 0; i < V; i++) if (!mark[i] && !(lp[i]! >= window)) outside++;
  out.nOutside = outside;
  out.logpTarget = o.target !== undefined && o.target >= 0 ? lp[o.target]! : NaN;
  for (let i = 0; i < k; i++) mark[top[i]!] = 0;
}
