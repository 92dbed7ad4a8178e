import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { expectPath } from './argCheck.js';
import { DataError, quote, showValue } from '../errors.js';
import { FloatRowFile, rowsCols, type FloatDtype } from './npyRows.js';
import { openInput } from './readFile.js';

/** One tensor entry of a safetensors header. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** A parsed safetensors header: tensors by name, and where the data section starts. */
export interface SafetensorsHeader {
  tensors: Record<string, SafetensorsEntry>;
  metadata?: Record<string, string>;
  dataOffset: number;
}

const ITEM: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 };

/**
 * Parses a safetensors header: u64 little-endian header length N, then N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`, then the data.
 *
 * @example
 * const h = parseSafetensorsHeader(firstBytes, 'model.safetensors', fileSize);
 * Object.keys(h.tensors); // ['logits']
 */
export function parseSafetensorsHeader(buf: Uint8Array, name: string, fileSize: number): SafetensorsHeader {
  if (buf.length < 8) throw new DataError(`${name}: not a safetensors file (${fileSize} bytes; the header length needs 8)`);
  const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
  if (n < 2 || 8 + n > fileSize) throw new DataError(`${name}: not a safetensors file (header length ${n} at offset 0 does not fit in ${fileSize} bytes)`);
  if (buf.length < 8 + n) throw new DataError(`${name}: safetensors header of ${n} bytes is longer than the ${buf.length - 8} bytes read`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n))) as Record<string, unknown>;
  } catch (e) {
    throw new DataError(`${name}: not a safetensors file (the header at offset 8 is not JSON: ${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DataError({ where: `${name}: safetensors header at offset 8`, expected: 'a JSON object of tensors', got: json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json });
  }
  const tensors: Record<string, SafetensorsEntry> = {};
  let metadata: Record<string, string> | undefined;
  const index = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  for (const [k, v] of Object.entries(json)) {
    if (k === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError({ where: `${name}: safetensors "__metadata__"`, expected: 'an object of strings', got: showValue(v) });
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as SafetensorsEntry;
    if (!e || typeof e !== 'object' || typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
      throw new DataError(`${name}: malformed safetensors entry ${quote(k)} (expected dtype, shape, data_offsets)`);
    }
    if (!e.shape.every(index)) throw new DataError({ where: `${name}: tensor ${quote(k)} shape`, expected: 'integers >= 0', got: showValue(e.shape) });
    const [b, end] = e.data_offsets as unknown[];
    // an end past the data section is a truncated file, reported when the tensor is opened
    if (e.data_offsets.length !== 2 || !index(b) || !index(end) || (end as number) < (b as number)) {
      throw new DataError({ where: `${name}: tensor ${quote(k)} data_offsets`, expected: 'integers [begin, end] with 0 <= begin <= end', got: showValue(e.data_offsets) });
    }
    tensors[k] = e;
  }
  return { tensors, metadata, dataOffset: 8 + n };
}

/**
 * Opens the named float tensor [T, V] (or [1, T, V]) of a .safetensors file for streaming row
 * reads. Without `tensor`, a file holding a single tensor uses it; otherwise the error lists the
 * names.
 *
 * @example
 * const f = openSafetensorsRows('run.safetensors', { tensor: 'logits' });
 * f.rows; // T
 */
export function openSafetensorsRows(path: string, opts: { tensor?: string; name?: string } = {}): FloatRowFile {
  expectPath(path, 'openSafetensorsRows(path: string, opts?: { tensor?, name? })', 'parseSafetensorsHeader(bytes)');
  const name = opts.name ?? path;
  let fd: number;
  fd = openInput(path, name);
  try {
    const size = fstatSync(fd).size;
    const lenBuf = new Uint8Array(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const n = size >= 8 ? Number(new DataView(lenBuf.buffer).getBigUint64(0, true)) : 0;
    const head = new Uint8Array(Math.min(size, 8 + Math.max(0, Math.min(n, 100_000_000))));
    readSync(fd, head, 0, head.length, 0);
    const h = parseSafetensorsHeader(head, name, size);
    const names = Object.keys(h.tensors);
    let key = opts.tensor;
    if (key === undefined) {
      if (names.length !== 1) throw new DataError(`${name}: holds ${names.length} tensors (${names.join(', ')}); choose one with the tensor option`);
      key = names[0]!;
    }
    const e = h.tensors[key];
    if (!e) throw new DataError(`${name}: no tensor named ${quote(key)} (it has ${names.map((s) => quote(s)).join(', ')})`);
    const dtype: FloatDtype | null = e.dtype === 'F32' ? 'f32' : e.dtype === 'F16' ? 'f16' : e.dtype === 'BF16' ? 'bf16' : e.dtype === 'F64' ? 'f64' : null;
    if (!dtype) throw new DataError(`${name}: tensor ${quote(key)} has dtype ${e.dtype}; logits must be F32, F16, BF16 or F64`);
    const { rows, cols } = rowsCols(e.shape, `${name}: tensor ${JSON.stringify(key)}`);
    const [b, end] = e.data_offsets;
    const need = rows * cols * ITEM[e.dtype]!;
    if (end - b !== need) throw new DataError(`${name}: tensor ${quote(key)} spans ${end - b} bytes, its shape [${e.shape.join(', ')}] of ${e.dtype} needs ${need}`);
    if (h.dataOffset + end > size) {
      throw new DataError(`${name}: truncated safetensors file: tensor ${quote(key)} ends at offset ${h.dataOffset + end}, the file has ${size} bytes`);
    }
    return new FloatRowFile({ path, name, fd, offset: h.dataOffset + b, rows, cols, dtype });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * Encodes tensors as a safetensors file (F32 from Float32Array, F64 from Float64Array, I32 from
 * Int32Array), for tests and examples.
 *
 * @example
 * writeFileSync('x.safetensors', encodeSafetensors({ logits: { data: new Float32Array(6), shape: [2, 3] } }));
 */
export function encodeSafetensors(tensors: Record<string, { data: Float32Array | Float64Array | Int32Array; shape: number[] }>): Uint8Array {
  const header: Record<string, SafetensorsEntry> = {};
  let off = 0;
  const parts: Uint8Array[] = [];
  for (const [k, t] of Object.entries(tensors)) {
    const dtype = t.data instanceof Float32Array ? 'F32' : t.data instanceof Float64Array ? 'F64' : 'I32';
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[k] = { dtype, shape: t.shape, data_offsets: [off, off + bytes.length] };
    parts.push(bytes);
    off += bytes.length;
  }
  let text = JSON.stringify(header);
  // pad the header with spaces to a multiple of 8 bytes, as the reference writer does
  while ((8 + new TextEncoder().encode(text).length) % 8) text += ' ';
  const hb = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
