import { DataError } from '../errors.js';
import { numberToHalf } from './float16.js';
import { OutputGroup } from './output.js';
import { GGML_TYPE_IDS, Q8_0_BLOCK, GGUF_VALUE_TYPES, ggmlTensorBytes, type GgufKv, type GgufValue, type GgufValueType } from './gguf.js';

/** Tensor types the writer encodes from float values. */
export type GgufWritableType = 'F32' | 'F16' | 'Q8_0';

/** One tensor to write: ggml dimension order (dims[0] is the contiguous row), values row-major. */
export interface GgufTensorInput {
  name: string;
  dims: number[];
  type: GgufWritableType;
  data: ArrayLike<number>;
}

/** What {@link encodeGguf} writes: metadata entries in order, then tensors in order. */
export interface GgufModelInput {
  metadata: GgufKv[];
  tensors: GgufTensorInput[];
  /** Data alignment; written as `general.alignment` when not 32 (the format's default). */
  alignment?: number;
}

/**
 * Quantizes values to ggml's Q8_0 blocks as llama.cpp's reference quantizer does: per block of
 * 32, d = max|x| / 127 in float32, stored as f16, and q = round(x / d) (half away from zero),
 * computed as x × (1/d) in float32.
 *
 * @example
 * const q = quantizeQ8_0(new Float32Array(32).fill(0.5));
 * dequantizeQ8_0(q, 32)[0]; // 0.499969482421875: 127 × f16(0.5/127) (dequantizeQ8_0 is in ./gguf.ts)
 */
export function quantizeQ8_0(x: ArrayLike<number>): Uint8Array {
  if (x.length % Q8_0_BLOCK !== 0) throw new DataError(`Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${x.length}`);
  const nb = x.length / Q8_0_BLOCK;
  const out = new Uint8Array(nb * 34);
  const dv = new DataView(out.buffer);
  const f = Math.fround;
  for (let b = 0; b < nb; b++) {
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(f(x[b * Q8_0_BLOCK + j]!)));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    dv.setUint16(b * 34, numberToHalf(d), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const v = f(f(x[b * Q8_0_BLOCK + j]!) * id);
      // roundf: half away from zero
      const q = Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
      dv.setInt8(b * 34 + 2 + j, q);
    }
  }
  return out;
}

/** The bytes of one tensor's data in its type. */
export function encodeTensorData(t: GgufTensorInput): Uint8Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) throw new DataError(`tensor ${JSON.stringify(t.name)}: ${t.data.length} values for dimensions ${t.dims.join('×')} (${n})`);
  if (t.type === 'F32') {
    const a = Float32Array.from(t.data);
    return new Uint8Array(a.buffer);
  }
  if (t.type === 'F16') {
    const a = new Uint16Array(n);
    for (let i = 0; i < n; i++) a[i] = numberToHalf(t.data[i]!);
    return new Uint8Array(a.buffer);
  }
  if (t.dims[0]! % Q8_0_BLOCK !== 0) throw new DataError(`tensor ${JSON.stringify(t.name)}: Q8_0 rows need a multiple of ${Q8_0_BLOCK} values, got ${t.dims[0]}`);
  return quantizeQ8_0(t.data);
}

// Little-endian byte builder for the header section: one growing buffer, no per-value allocation.
const SIZES: Record<string, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, u64: 8, i64: 8, f64: 8 };
class Bytes {
  private buf = new Uint8Array(1 << 16);
  private dv = new DataView(this.buf.buffer);
  private readonly enc = new TextEncoder();
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  push(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  num(type: GgufValueType, v: number | bigint | boolean): void {
    const size = SIZES[type];
    if (size === undefined) throw new Error(`not a number type: ${type}`);
    this.reserve(size);
    const d = this.dv;
    const o = this.length;
    const n = typeof v === 'boolean' ? Number(v) : v;
    switch (type) {
      case 'u8': d.setUint8(o, Number(n)); break;
      case 'i8': d.setInt8(o, Number(n)); break;
      case 'u16': d.setUint16(o, Number(n), true); break;
      case 'i16': d.setInt16(o, Number(n), true); break;
      case 'u32': d.setUint32(o, Number(n), true); break;
      case 'i32': d.setInt32(o, Number(n), true); break;
      case 'f32': d.setFloat32(o, Number(n), true); break;
      case 'f64': d.setFloat64(o, Number(n), true); break;
      case 'bool': d.setUint8(o, n ? 1 : 0); break;
      case 'u64': d.setBigUint64(o, BigInt(n), true); break;
      case 'i64': d.setBigInt64(o, BigInt(n), true); break;
    }
    this.length += size;
  }
  str(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.reserve(8 + 3 * s.length);
    const { written } = this.enc.encodeInto(s, this.buf.subarray(this.length + 8));
    this.dv.setBigUint64(this.length, BigInt(written), true);
    this.length += 8 + written;
  }
  concat(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(w: Bytes, key: string, type: GgufValueType, itemType: GgufValueType | undefined, v: GgufValue): void {
  if (type === 'string') {
    if (typeof v !== 'string') throw new DataError(`metadata ${JSON.stringify(key)}: expected a string, got ${typeof v}`);
    w.str(v);
  } else if (type === 'array') {
    if (!Array.isArray(v)) throw new DataError(`metadata ${JSON.stringify(key)}: expected an array, got ${typeof v}`);
    const it = itemType;
    if (!it) throw new DataError(`metadata ${JSON.stringify(key)}: an array needs itemType`);
    // Nested arrays carry the innermost item type only; their items are arrays.
    const direct: GgufValueType = v.length && Array.isArray(v[0]) ? 'array' : it;
    w.num('u32', GGUF_VALUE_TYPES.indexOf(direct));
    w.num('u64', v.length);
    for (const x of v) writeValue(w, key, direct, it, x);
  } else {
    if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') throw new DataError(`metadata ${JSON.stringify(key)}: expected a ${type}, got ${typeof v}`);
    w.num(type, v);
  }
}

/**
 * Encodes a GGUF v3 file: magic, version, counts, metadata, tensor infos, padding to the
 * alignment, then each tensor's data at an aligned offset (gguf.h's layout).
 *
 * @example
 * const bytes = encodeGguf({
 *   metadata: [{ key: 'general.architecture', type: 'string', value: 'llama' }],
 *   tensors: [{ name: 'w', dims: [32, 2], type: 'Q8_0', data: new Float32Array(64) }],
 * });
 * parseGguf(bytes, 'w.gguf').tensors[0].typeName; // 'Q8_0'
 */
export function encodeGguf(model: GgufModelInput): Uint8Array {
  const alignment = model.alignment ?? 32;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) throw new DataError(`GGUF alignment must be a power of two, got ${alignment}`);
  const metadata = model.metadata.filter((m) => m.key !== 'general.alignment');
  if (alignment !== 32) metadata.unshift({ key: 'general.alignment', type: 'u32', value: alignment });
  const keys = new Set<string>();
  for (const m of metadata) {
    if (keys.has(m.key)) throw new DataError(`metadata ${JSON.stringify(m.key)} appears twice`);
    keys.add(m.key);
  }
  const data = model.tensors.map(encodeTensorData);
  const w = new Bytes();
  w.push(new TextEncoder().encode('GGUF'));
  w.num('u32', 3);
  w.num('u64', model.tensors.length);
  w.num('u64', metadata.length);
  for (const m of metadata) {
    w.str(m.key);
    w.num('u32', GGUF_VALUE_TYPES.indexOf(m.type));
    writeValue(w, m.key, m.type, m.itemType, m.value);
  }
  let offset = 0;
  const offsets: number[] = [];
  model.tensors.forEach((t, i) => {
    const id = GGML_TYPE_IDS[t.type]!;
    if (data[i]!.length !== ggmlTensorBytes(id, t.dims.reduce((a, b) => a * b, 1))) throw new Error(`tensor ${t.name}: size mismatch`);
    w.str(t.name);
    w.num('u32', t.dims.length);
    for (const d of t.dims) w.num('u64', d);
    w.num('u32', id);
    w.num('u64', offset);
    offsets.push(offset);
    offset += Math.ceil(data[i]!.length / alignment) * alignment;
  });
  const head = w.concat();
  const dataStart = Math.ceil(head.length / alignment) * alignment;
  const out = new Uint8Array(dataStart + offset);
  out.set(head, 0);
  data.forEach((d, i) => out.set(d, dataStart + offsets[i]!));
  return out;
}

/**
 * Writes {@link encodeGguf}'s bytes to `path` as an output of an {@link OutputGroup}: the run's
 * (the model appears with its other outputs at the group's commit) or one of its own (committed
 * at once), so a reader never sees a partial model.
 *
 * @example
 * writeGguf('/tmp/m.gguf', { metadata, tensors });
 */
export function writeGguf(path: string, model: GgufModelInput, opts: { out?: OutputGroup } = {}): { path: string; bytes: number } {
  const bytes = encodeGguf(model);
  const out = opts.out ?? new OutputGroup();
  try {
    out.write(path, bytes);
    if (!opts.out) out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
  return { path, bytes: bytes.length };
}
