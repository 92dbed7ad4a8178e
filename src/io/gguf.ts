import { createHash } from 'node:crypto';
import { openFailure } from './readFile.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DataError } from '../errors.js';
import { halfToNumber } from './float16.js';

/**
 * GGUF value types as the format numbers them (gguf.h): the key-value section stores one of
 * these before every value, and arrays store one for their items.
 */
export const GGUF_VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'] as const;
/** One GGUF value type by name: `u32`, `f32`, `string`, `array`, … */
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

/** A metadata value: numbers (64-bit integers as bigint when past 2^53), booleans, strings, arrays. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** One metadata entry: the key, its stored type, and for arrays the item type. */
export interface GgufKv {
  key: string;
  type: GgufValueType;
  /** Item type of an array (the innermost, for nested arrays). */
  itemType?: GgufValueType;
  value: GgufValue;
}

/** Layout of one ggml tensor type: elements per block and bytes per block. */
export interface GgmlTypeInfo {
  id: number;
  name: string;
  blockSize: number;
  typeSize: number;
}

// ggml's type table (ggml.h / ggml.c type_traits): id, name, block size, block bytes.
const GGML_TYPE_LIST: GgmlTypeInfo[] = [
  [0, 'F32', 1, 4], [1, 'F16', 1, 2], [2, 'Q4_0', 32, 18], [3, 'Q4_1', 32, 20], [6, 'Q5_0', 32, 22],
  [7, 'Q5_1', 32, 24], [8, 'Q8_0', 32, 34], [9, 'Q8_1', 32, 36], [10, 'Q2_K', 256, 84], [11, 'Q3_K', 256, 110],
  [12, 'Q4_K', 256, 144], [13, 'Q5_K', 256, 176], [14, 'Q6_K', 256, 210], [15, 'Q8_K', 256, 292],
  [16, 'IQ2_XXS', 256, 66], [17, 'IQ2_XS', 256, 74], [18, 'IQ3_XXS', 256, 98], [19, 'IQ1_S', 256, 50],
  [20, 'IQ4_NL', 32, 18], [21, 'IQ3_S', 256, 110], [22, 'IQ2_S', 256, 82], [23, 'IQ4_XS', 256, 136],
  [24, 'I8', 1, 1], [25, 'I16', 1, 2], [26, 'I32', 1, 4], [27, 'I64', 1, 8], [28, 'F64', 1, 8],
  [29, 'IQ1_M', 256, 56], [30, 'BF16', 1, 2], [34, 'TQ1_0', 256, 54], [35, 'TQ2_0', 256, 66],
  [39, 'MXFP4', 32, 17], [40, 'NVFP4', 64, 36], [41, 'Q1_0', 128, 18], [42, 'Q2_0', 64, 18],
].map(([id, name, blockSize, typeSize]) => ({ id, name, blockSize, typeSize }) as GgmlTypeInfo);

/** ggml tensor types by id. */
export const GGML_TYPES: ReadonlyMap<number, GgmlTypeInfo> = new Map(GGML_TYPE_LIST.map((t) => [t.id, t]));
/** ggml tensor type ids by name (`F32` → 0, `Q8_0` → 8). */
export const GGML_TYPE_IDS: Readonly<Record<string, number>> = Object.fromEntries(GGML_TYPE_LIST.map((t) => [t.name, t.id]));

/** Bytes a tensor of `elements` elements takes in ggml type `type` (its row length must be a whole number of blocks). */
export function ggmlTensorBytes(type: number, elements: number): number {
  const t = GGML_TYPES.get(type);
  if (!t) throw new DataError(`unknown ggml tensor type ${type}`);
  return (elements / t.blockSize) * t.typeSize;
}

/** Number of values in one Q8_0 block: one f16 scale and 32 int8 quants, 34 bytes. */
export const Q8_0_BLOCK = 32;

/**
 * The values Q8_0 blocks stand for, d × q (exact in float64).
 *
 * @example
 * dequantizeQ8_0(quantizeQ8_0([...Array(32).keys()]), 32)[31]; // 31.005859375: 127 × f16(31/127) (quantizeQ8_0 is in ./ggufWriter.ts)
 */
export function dequantizeQ8_0(bytes: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < n / Q8_0_BLOCK; b++) {
    const d = halfToNumber(dv.getUint16(b * 34, true));
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b * Q8_0_BLOCK + j] = d * dv.getInt8(b * 34 + 2 + j);
  }
  return out;
}

/**
 * The values of one tensor as float64, row-major in ggml order (dims[0] fastest). Reads only
 * that tensor's bytes. F32, F16, BF16, F64 and Q8_0 are decoded; other types are a DataError.
 *
 * @example
 * const g = readGguf('tiny.gguf');
 * const w = readGgufTensor('tiny.gguf', g.tensors.find((t) => t.name === 'output.weight')!);
 */
export function readGgufTensor(path: string, tensor: GgufTensorInfo, opts: { name?: string } = {}): Float64Array {
  const name = opts.name ?? path;
  const fd = openForRead(path, name);
  try {
    const size = fstatSync(fd).size;
    if (tensor.offset + tensor.bytes > size) throw new DataError(`${name}: truncated GGUF: tensor ${quoteBounded(tensor.name)} needs bytes ${tensor.offset}..${tensor.offset + tensor.bytes}, the file has ${size}`);
    const b = new Uint8Array(tensor.bytes);
    let got = 0;
    while (got < b.length) {
      const r = readSync(fd, b, got, b.length - got, tensor.offset + got);
      if (r === 0) break;
      got += r;
    }
    return decodeTensor(b, tensor, name);
  } finally {
    closeSync(fd);
  }
}

function decodeTensor(b: Uint8Array, t: GgufTensorInfo, name: string): Float64Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = t.elements;
  const out = new Float64Array(n);
  switch (t.typeName) {
    case 'F32': for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true); return out;
    case 'F64': for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true); return out;
    case 'F16': for (let i = 0; i < n; i++) out[i] = halfToNumber(dv.getUint16(2 * i, true)); return out;
    case 'BF16': {
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      for (let i = 0; i < n; i++) {
        u[0] = dv.getUint16(2 * i, true) << 16;
        out[i] = f[0]!;
      }
      return out;
    }
    case 'Q8_0': return dequantizeQ8_0(b, n);
    default: throw new DataError(`${name}: tensor ${quoteBounded(t.name)} is ${t.typeName}; values can be read from F32, F16, BF16, F64 and Q8_0 tensors`);
  }
}

/** One tensor of a GGUF file. `offset` is absolute (from the start of the file). */
export interface GgufTensorInfo {
  name: string;
  /** ggml order: dims[0] is the contiguous (row) length. */
  dims: number[];
  type: number;
  typeName: string;
  elements: number;
  offset: number;
  bytes: number;
}

/** What {@link readGguf} found: header, metadata, tensor table, and the figures a comparison reports. */
export interface GgufInfo {
  name: string;
  version: number;
  fileSize: number;
  alignment: number;
  /** Absolute offset of the tensor data section. */
  dataOffset: number;
  metadata: Map<string, GgufKv>;
  tensors: GgufTensorInfo[];
  /** `general.architecture` (e.g. `llama`), or undefined when absent. */
  architecture: string | undefined;
  /** `tokenizer.ggml.model` (`llama` = SentencePiece, `gpt2` = BPE, …). */
  tokenizerModel: string | undefined;
  /** Token texts (`tokenizer.ggml.tokens`); empty when the file has none. */
  tokens: string[];
  /** Vocabulary size: `<arch>.vocab_size`, else the number of token texts, else the output rows. */
  nVocab: number;
  /** `tokenizer.ggml.bos_token_id`, or llama.cpp's default for the tokenizer model (1 for SPM). */
  bosId: number | undefined;
  /** Whether a BOS token is prepended: `tokenizer.ggml.add_bos_token`, else llama.cpp's default for the tokenizer model. */
  addBos: boolean;
  /** `<arch>.context_length`: the training context. */
  contextLength: number | undefined;
  /** Total elements of all tensors. */
  parameterCount: number;
  /** Total bytes of all tensor data. */
  tensorBytes: number;
  /** tensorBytes × 8 / parameterCount. */
  bitsPerWeight: number;
  /** {@link tokenizerFingerprint} of the token texts. */
  tokenizerFingerprint: string;
  /** llama.cpp's name for `general.file_type` (`F32`, `F16`, `Q8_0`, `Q4_K_M`, …), or undefined when absent or unknown. */
  fileType: string | undefined;
  /** Parameters by tensor type, e.g. `{ Q8_0: 131072, F32: 320 }`. */
  parametersByType: Record<string, number>;
}

// llama.h's llama_ftype names by number (general.file_type): "mostly" the named type, 1-D tensors aside.
const FILE_TYPES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M',
  13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M', 18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS',
  21: 'Q2_K_S', 22: 'IQ3_XS', 23: 'IQ3_XXS', 24: 'IQ1_S', 25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M', 28: 'IQ2_S',
  29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M', 32: 'BF16', 36: 'TQ1_0', 37: 'TQ2_0', 38: 'MXFP4_MOE', 39: 'NVFP4', 40: 'Q1_0', 41: 'Q2_0',
};

/**
 * A short stable hash of a vocabulary: SHA-256 over the token texts, each length-prefixed, so
 * two models share a fingerprint exactly when they have the same texts in the same order.
 *
 * @example
 * tokenizerFingerprint(['<unk>', '<s>', '</s>']) === tokenizerFingerprint(['<unk>', '<s>', '</s>']); // true
 * tokenizerFingerprint(['ab', 'c']) !== tokenizerFingerprint(['a', 'bc']); // true
 */
export function tokenizerFingerprint(tokens: readonly string[]): string {
  const h = createHash('sha256');
  const len = Buffer.alloc(4);
  h.update(`n=${tokens.length};`);
  for (const t of tokens) {
    const b = Buffer.from(t, 'utf8');
    len.writeUInt32LE(b.length, 0);
    h.update(len);
    h.update(b);
  }
  return `sha256:${h.digest('hex').slice(0, 32)}`;
}

/** Quotes a value for an error message, at most `max` characters, so a corrupt string stays one short line. */
export function quoteBounded(s: string, max = 60): string {
  const q = JSON.stringify(s.length > max ? s.slice(0, max) : s);
  return s.length > max ? `${q.slice(0, -1)}…" (${s.length} chars)` : q;
}

// Random access to the bytes of a file or buffer, read in bounded windows: a 150k-token vocabulary
// is read piece by piece and the tensor data is never loaded.
interface ByteSource {
  size: number;
  read(pos: number, n: number): Uint8Array;
}

function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (pos, n) => bytes.subarray(pos, pos + n) };
}

function fileSource(fd: number, size: number): ByteSource {
  const WINDOW = 1 << 20;
  let buf = new Uint8Array(0);
  let start = 0;
  return {
    size,
    read(pos, n) {
      if (pos >= start && pos + n <= start + buf.length) return buf.subarray(pos - start, pos - start + n);
      const len = Math.min(Math.max(n, WINDOW), size - pos);
      buf = new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const r = readSync(fd, buf, got, len - got, pos + got);
        if (r === 0) break;
        got += r;
      }
      buf = buf.subarray(0, got);
      start = pos;
      return buf.subarray(0, Math.min(n, got));
    },
  };
}

/** A label for an error message, built only when an error is thrown. */
type Label = string | (() => string);
const label = (w: Label) => (typeof w === 'string' ? w : w());

class Cursor {
  pos = 0;
  private readonly dec = new TextDecoder('utf-8', { fatal: true });
  private buf: ArrayBufferLike | null = null;
  private dv: DataView = new DataView(new ArrayBuffer(0));
  constructor(
    private readonly src: ByteSource,
    private readonly name: string,
  ) {}

  /** Advances past n bytes and returns where they start in this.dv. */
  private take(n: number, what: Label): number {
    if (this.pos + n > this.src.size) {
      throw new DataError(`${this.name}: truncated GGUF at offset ${this.pos}: ${label(what)} needs ${n} bytes, the file has ${this.src.size - this.pos} left (${this.src.size} bytes)`);
    }
    const b = this.src.read(this.pos, n);
    if (b.buffer !== this.buf) {
      this.buf = b.buffer;
      this.dv = new DataView(b.buffer);
    }
    this.pos += n;
    return b.byteOffset;
  }
  remaining(): number {
    return this.src.size - this.pos;
  }
  u32(what: Label): number {
    const o = this.take(4, what);
    return this.dv.getUint32(o, true);
  }
  u64(what: Label): number {
    const at = this.pos;
    const o = this.take(8, what);
    const lo = this.dv.getUint32(o, true);
    const hi = this.dv.getUint32(o + 4, true);
    if (hi >= 0x200000) throw new DataError(`${this.name}: ${label(what)} at offset ${at} is ${this.dv.getBigUint64(o, true)}, beyond any file size`);
    return hi * 2 ** 32 + lo;
  }
  scalar(t: GgufValueType, what: Label): number | bigint | boolean {
    const o = this.take(SCALAR_SIZE[t]!, what);
    const d = this.dv;
    switch (t) {
      case 'u8': return d.getUint8(o);
      case 'i8': return d.getInt8(o);
      case 'u16': return d.getUint16(o, true);
      case 'i16': return d.getInt16(o, true);
      case 'u32': return d.getUint32(o, true);
      case 'i32': return d.getInt32(o, true);
      case 'f32': return d.getFloat32(o, true);
      case 'f64': return d.getFloat64(o, true);
      case 'bool': return d.getUint8(o) !== 0;
      case 'u64': { const v = d.getBigUint64(o, true); return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
      case 'i64': { const v = d.getBigInt64(o, true); return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
      default: throw new Error(`not a scalar type ${t}`);
    }
  }
  string(what: Label): string {
    const at = this.pos;
    const n = this.u64(() => `${label(what)} (length)`);
    if (this.pos + n > this.src.size) {
      throw new DataError(`${this.name}: truncated GGUF at offset ${this.pos}: ${label(what)} (string of ${n} bytes, length at offset ${at}) needs ${n} bytes, the file has ${this.src.size - this.pos} left`);
    }
    const o = this.take(n, what);
    const bytes = new Uint8Array(this.buf!, o, n);
    // Short ASCII strings (most token texts) skip the decoder.
    if (n <= 32) {
      let ascii = true;
      for (let i = 0; i < n; i++) if (bytes[i]! >= 0x80) { ascii = false; break; }
      if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    }
    try {
      return this.dec.decode(bytes);
    } catch {
      throw new DataError(`${this.name}: ${label(what)} at offset ${at} is not valid UTF-8 (${n} bytes)`);
    }
  }
}

const SCALAR_SIZE: Partial<Record<GgufValueType, number>> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, u64: 8, i64: 8, f64: 8 };

function valueType(c: Cursor, name: string, what: string): GgufValueType {
  const at = c.pos;
  const t = c.u32(`${what} (type)`);
  const v = GGUF_VALUE_TYPES[t];
  if (v === undefined) throw new DataError(`${name}: ${what} at offset ${at} has value type ${t}; GGUF value types are 0..12`);
  return v;
}

function readValue(c: Cursor, name: string, t: GgufValueType, what: string, depth: number): { value: GgufValue; itemType?: GgufValueType } {
  if (t === 'string') return { value: c.string(what) };
  if (t !== 'array') return { value: c.scalar(t, what) };
  if (depth > 4) throw new DataError(`${name}: ${what} at offset ${c.pos} nests arrays deeper than 4 levels`);
  const it = valueType(c, name, `${what} (array item type)`);
  const at = c.pos;
  const n = c.u64(`${what} (array length)`);
  // Every item takes at least one byte (strings eight), so a count past the bytes left is corrupt.
  const minItem = it === 'string' || it === 'array' ? 8 : SCALAR_SIZE[it]!;
  if (n * minItem > c.remaining()) {
    throw new DataError(`${name}: truncated GGUF at offset ${at}: ${what} (array of ${n} ${it}) needs at least ${n * minItem} bytes, the file has ${c.remaining()} left`);
  }
  const out: GgufValue[] = new Array(n);
  if (it === 'string') {
    for (let i = 0; i < n; i++) out[i] = c.string(() => `${what}[${i}]`);
    return { value: out, itemType: it };
  }
  if (it !== 'array') {
    for (let i = 0; i < n; i++) out[i] = c.scalar(it, () => `${what}[${i}]`);
    return { value: out, itemType: it };
  }
  let inner: GgufValueType = it;
  for (let i = 0; i < n; i++) {
    const r = readValue(c, name, it, `${what}[${i}]`, depth + 1);
    out[i] = r.value;
    if (r.itemType) inner = r.itemType;
  }
  return { value: out, itemType: inner };
}

/**
 * Reads a GGUF file's header, metadata and tensor table (never its tensor data), checking every
 * length against the file size. Errors are one-line {@link DataError}s naming the file, the
 * offset and the rule: a file that is not GGUF names the magic it found, a truncated file says
 * what was being read, at which offset, and how many bytes it needed.
 *
 * @example
 * const g = readGguf('tiny-q8_0.gguf'); // writeTinyLlama's defaults
 * g.architecture;  // 'llama'
 * g.nVocab;        // 444
 * g.fileType;      // 'Q8_0'
 * g.bitsPerWeight; // 8.554…: 8.5 in the matrices, 32 in the norm vectors
 */
export function readGguf(path: string, opts: { name?: string } = {}): GgufInfo {
  const name = opts.name ?? path;
  const fd = openForRead(path, name);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new DataError(`${name}: not a GGUF file (it is a ${st.isDirectory() ? 'directory' : 'special file'})`);
    return parseGgufSource(fileSource(fd, st.size), name);
  } finally {
    closeSync(fd);
  }
}

function openForRead(path: string, name: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw openFailure(name, path, e);
  }
}

/**
 * {@link readGguf} over the bytes of a whole file in memory.
 *
 * @example
 * const g = parseGguf(readFileSync('tiny.gguf'), 'tiny.gguf');
 * g.tensors[0].name; // 'token_embd.weight'
 */
export function parseGguf(bytes: Uint8Array, name: string): GgufInfo {
  return parseGgufSource(bufferSource(bytes), name);
}

function describeMagic(b: Uint8Array): string {
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
  const printable = Array.from(b).every((x) => x >= 0x20 && x < 0x7f);
  return printable ? `${JSON.stringify(String.fromCharCode(...b))} (${hex})` : hex;
}

function parseGgufSource(src: ByteSource, name: string): GgufInfo {
  if (src.size < 4) throw new DataError(`${name}: not a GGUF file (${src.size} bytes; the magic "GGUF" needs 4)`);
  const magic = src.read(0, 4);
  if (!(magic[0] === 0x47 && magic[1] === 0x47 && magic[2] === 0x55 && magic[3] === 0x46)) {
    throw new DataError(`${name}: not a GGUF file (magic at offset 0 is ${describeMagic(magic)}, expected "GGUF")`);
  }
  const c = new Cursor(src, name);
  c.pos = 4;
  const version = c.u32('the version');
  if (version < 2 || version > 3) {
    const swapped = ((version & 0xff) << 24) | ((version >>> 8) & 0xff) << 16 | ((version >>> 16) & 0xff) << 8 | (version >>> 24);
    if (swapped >= 1 && swapped <= 3) throw new DataError(`${name}: big-endian GGUF (version ${swapped} at offset 4, bytes swapped) is not supported; convert it to little-endian`);
    throw new DataError(`${name}: GGUF version ${version} at offset 4 is not supported (2 or 3)`);
  }
  const nTensors = c.u64('the tensor count');
  const nKv = c.u64('the metadata count');
  if (nKv * 13 > src.size - c.pos) throw new DataError(`${name}: truncated GGUF at offset 16: ${nKv} metadata entries need at least ${nKv * 13} bytes, the file has ${src.size - c.pos} left`);
  if (nTensors * 24 > src.size - c.pos) throw new DataError(`${name}: truncated GGUF at offset 8: ${nTensors} tensor infos need at least ${nTensors * 24} bytes, the file has ${src.size - c.pos} left`);

  const metadata = new Map<string, GgufKv>();
  for (let i = 0; i < nKv; i++) {
    const at = c.pos;
    const key = c.string(`metadata key ${i}`);
    if (metadata.has(key)) throw new DataError(`${name}: metadata key ${quoteBounded(key)} at offset ${at} appears twice`);
    const type = valueType(c, name, `metadata ${quoteBounded(key)}`);
    const { value, itemType } = readValue(c, name, type, `metadata ${quoteBounded(key)}`, 0);
    metadata.set(key, itemType ? { key, type, itemType, value } : { key, type, value });
  }

  const alignKv = metadata.get('general.alignment');
  let alignment = 32;
  if (alignKv) {
    const a = alignKv.value;
    if (typeof a !== 'number' || !Number.isInteger(a) || a <= 0 || (a & (a - 1)) !== 0) {
      throw new DataError(`${name}: general.alignment is ${quoteBounded(String(a))}; it must be a power of two`);
    }
    alignment = a;
  }

  const tensors: GgufTensorInfo[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const at = c.pos;
    const tname = c.string(`tensor info ${i} (name)`);
    const what = `tensor ${quoteBounded(tname)}`;
    if (seen.has(tname)) throw new DataError(`${name}: ${what} at offset ${at} appears twice`);
    seen.add(tname);
    const nDimsAt = c.pos;
    const nDims = c.u32(`${what} (dimension count)`);
    if (nDims < 1 || nDims > 4) throw new DataError(`${name}: ${what} at offset ${nDimsAt} has ${nDims} dimensions; ggml allows 1..4`);
    const dims: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const n = c.u64(`${what} (dimension ${d})`);
      if (n === 0 && elements !== 0) elements = 0;
      dims.push(n);
      elements *= n;
    }
    if (!Number.isSafeInteger(elements)) throw new DataError(`${name}: ${what} has dimensions ${dims.join('×')}, too many elements`);
    const typeAt = c.pos;
    const type = c.u32(`${what} (type)`);
    const info = GGML_TYPES.get(type);
    if (!info) throw new DataError(`${name}: ${what} at offset ${typeAt} has ggml type ${type}, which this reader does not know`);
    if (dims[0]! % info.blockSize !== 0) {
      throw new DataError(`${name}: ${what} has rows of ${dims[0]} elements, not a multiple of the ${info.name} block size ${info.blockSize}`);
    }
    const offAt = c.pos;
    const rel = c.u64(`${what} (data offset)`);
    if (rel % alignment !== 0) throw new DataError(`${name}: ${what} at offset ${offAt} has data offset ${rel}, not a multiple of the alignment ${alignment}`);
    tensors.push({ name: tname, dims, type, typeName: info.name, elements, offset: rel, bytes: (elements / info.blockSize) * info.typeSize });
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  let tensorBytes = 0;
  let parameterCount = 0;
  const parametersByType: Record<string, number> = {};
  for (const t of tensors) {
    parametersByType[t.typeName] = (parametersByType[t.typeName] ?? 0) + t.elements;
    t.offset += dataOffset;
    if (t.offset + t.bytes > src.size) {
      throw new DataError(`${name}: truncated GGUF: tensor ${quoteBounded(t.name)} (${t.typeName} ${t.dims.join('×')}) needs bytes ${t.offset}..${t.offset + t.bytes}, the file has ${src.size}`);
    }
    tensorBytes += t.bytes;
    parameterCount += t.elements;
  }

  const str = (k: string): string | undefined => {
    const v = metadata.get(k)?.value;
    return typeof v === 'string' ? v : undefined;
  };
  const int = (k: string): number | undefined => {
    const v = metadata.get(k)?.value;
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new DataError(`${name}: metadata ${quoteBounded(k)} is ${quoteBounded(String(v))}; expected an integer`);
    return v;
  };
  const architecture = str('general.architecture');
  const tokenizerModel = str('tokenizer.ggml.model');
  const tokKv = metadata.get('tokenizer.ggml.tokens');
  let tokens: string[] = [];
  if (tokKv) {
    if (tokKv.type !== 'array' || tokKv.itemType !== 'string') throw new DataError(`${name}: metadata "tokenizer.ggml.tokens" is a ${tokKv.type}${tokKv.itemType ? ` of ${tokKv.itemType}` : ''}; expected an array of strings`);
    tokens = tokKv.value as string[];
  }
  const output = tensors.find((t) => t.name === 'output.weight') ?? tensors.find((t) => t.name === 'token_embd.weight');
  const nVocab = (architecture && int(`${architecture}.vocab_size`)) || tokens.length || (output?.dims[1] ?? 0);
  const spmLike = tokenizerModel === 'llama' || tokenizerModel === 'bert';
  const bosId = int('tokenizer.ggml.bos_token_id') ?? (tokenizerModel === 'llama' ? 1 : tokenizerModel === 'bert' ? 101 : undefined);
  const addBosKv = metadata.get('tokenizer.ggml.add_bos_token')?.value;
  const addBos = typeof addBosKv === 'boolean' ? addBosKv : spmLike;
  if (bosId !== undefined && tokens.length && (bosId < 0 || bosId >= tokens.length)) {
    throw new DataError(`${name}: tokenizer.ggml.bos_token_id is ${bosId}, outside the ${tokens.length} tokens`);
  }
  return {
    name,
    version,
    fileSize: src.size,
    alignment,
    dataOffset,
    metadata,
    tensors,
    architecture,
    tokenizerModel,
    tokens,
    nVocab,
    bosId,
    addBos,
    contextLength: architecture ? int(`${architecture}.context_length`) : undefined,
    parameterCount,
    tensorBytes,
    bitsPerWeight: parameterCount ? (tensorBytes * 8) / parameterCount : 0,
    tokenizerFingerprint: tokenizerFingerprint(tokens),
    fileType: FILE_TYPES[(metadata.get('general.file_type')?.value as number) ?? -1],
    parametersByType,
  };
}
