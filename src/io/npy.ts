import { readInput } from './readFile.js';
import { expectBytes, expectPath } from './argCheck.js';
import { DataError, quote } from '../errors.js';
import { float16ToFloat32 } from './float16.js';

/** dtypes klscope reads from .npy files (little-endian). */
export type NpyDtype = '<f2' | '<f4' | '<f8' | '<i4' | '<i8' | '<u2' | '|u1';

/** The parsed header of a .npy file. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset where the data begins. */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
  /** Number of elements (product of the shape). */
  count: number;
}

/** A .npy array in memory; float16 is widened to float32, int64 narrowed to float64 values. */
export interface NpyArray {
  header: NpyHeader;
  data: Float32Array | Float64Array | Int32Array | Uint16Array | Uint8Array;
  shape: number[];
}

const ITEM: Record<NpyDtype, number> = { '<f2': 2, '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8, '<u2': 2, '|u1': 1 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Parses the header of a .npy file from its first bytes (64 KiB is plenty), so large files can
 * be streamed row by row after it. Errors name the file and the byte offset.
 *
 * @example
 * const h = parseNpyHeader(readFileSync('logits.npy'), 'logits.npy');
 * h.shape; // [256, 32000]
 */
export function parseNpyHeader(buf: Uint8Array, name: string): NpyHeader {
  expectBytes(buf, 'parseNpyHeader(bytes: Uint8Array, name: string)', 'readNpy(path)');
  if (buf.length < 10) throw new DataError(`${name}: not a .npy file (${buf.length} bytes; a header needs at least 10)`);
  for (let i = 0; i < 6; i++) {
    if (buf[i] !== MAGIC[i]) throw new DataError(`${name}: not a .npy file (byte ${i} is 0x${buf[i]!.toString(16)}; expected the magic "\\x93NUMPY")`);
  }
  const major = buf[6]!;
  let headerLen: number;
  let start: number;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new DataError(`${name}: truncated .npy header at offset ${buf.length} (expected 12 bytes)`);
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else throw new DataError(`${name}: unsupported .npy version ${major}.${buf[7]} at offset 6 (expected 1, 2 or 3)`);
  if (buf.length < start + headerLen) {
    throw new DataError(`${name}: truncated .npy header: it declares ${headerLen} bytes from offset ${start}, the file has ${buf.length - start}`);
  }
  const text = new TextDecoder('latin1').decode(buf.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(`${name}: malformed .npy header at offset ${start}: ${quote(text.trim())}`);
  }
  const dtype = (descr === '<f2' || descr === '<f4' || descr === '<f8' || descr === '<i4' || descr === '<i8' || descr === '<u2' || descr === '|u1'
    ? descr
    : descr === '|b1' || descr === '<u1' ? '|u1' : null) as NpyDtype | null;
  if (!dtype) {
    throw new DataError(`${name}: unsupported dtype ${quote(descr)} (expected little-endian float16/float32/float64 '<f2'/'<f4'/'<f8', or int32/int64 '<i4'/'<i8')`);
  }
  if (fortran === 'True') throw new DataError(`${name}: fortran_order arrays are not supported (save with np.ascontiguousarray)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(v) || v < 0) throw new DataError(`${name}: malformed .npy shape (${shapeText})`);
      return v;
    });
  const count = shape.reduce((a, b) => a * b, 1);
  return { dtype, shape, dataOffset: start + headerLen, itemSize: ITEM[dtype], count };
}

/**
 * Parses a whole .npy file held in memory. A short data section is reported with the expected
 * and actual sizes.
 *
 * @example
 * const { data, shape } = parseNpy(readFileSync('p.npy'), 'p.npy');
 */
export function parseNpy(buf: Uint8Array, name: string): NpyArray {
  expectBytes(buf, 'parseNpy(bytes: Uint8Array, name: string)', 'readNpy(path)');
  const header = parseNpyHeader(buf, name);
  const need = header.count * header.itemSize;
  const have = buf.length - header.dataOffset;
  if (have < need) {
    throw new DataError(
      `${name}: truncated .npy data: shape [${header.shape.join(', ')}] of ${header.dtype} needs ${need} bytes from offset ${header.dataOffset} (file size ${header.dataOffset + need}), the file has ${have} (size ${buf.length})`,
    );
  }
  if (have > need) {
    throw new DataError(`${name}: .npy file has ${have - need} bytes after the data (expected size ${header.dataOffset + need}, got ${buf.length})`);
  }
  // Copy into a fresh aligned buffer: the data offset need not be a multiple of the item size,
  // and a Node Buffer may be a view into a shared pool (Buffer#slice does not copy).
  const bytes = new Uint8Array(need);
  bytes.set(buf.subarray(header.dataOffset, header.dataOffset + need));
  const ab = bytes.buffer;
  let data: NpyArray['data'];
  switch (header.dtype) {
    case '<f2':
      data = float16ToFloat32(new Uint16Array(ab, 0, header.count));
      break;
    case '<f4':
      data = new Float32Array(ab, 0, header.count);
      break;
    case '<f8':
      data = new Float64Array(ab, 0, header.count);
      break;
    case '<i4':
      data = new Int32Array(ab, 0, header.count);
      break;
    case '<i8': {
      const big = new BigInt64Array(ab, 0, header.count);
      const out = new Float64Array(header.count);
      for (let i = 0; i < big.length; i++) out[i] = Number(big[i]!);
      data = out;
      break;
    }
    case '<u2':
      data = new Uint16Array(ab, 0, header.count);
      break;
    case '|u1':
      data = new Uint8Array(ab, 0, header.count);
      break;
  }
  return { header, data, shape: header.shape };
}

/**
 * Reads a .npy file from disk.
 *
 * @example
 * const { data, shape } = readNpy('logits.npy');
 */
export function readNpy(path: string, name = path): NpyArray {
  expectPath(path, 'readNpy(path: string, name?: string)', 'parseNpy(bytes, name)');
  return parseNpy(readInput(path, name), name);
}

/**
 * Encodes a typed array as a version-1 .npy file (float32 '<f4', float64 '<f8', int32 '<i4').
 *
 * @example
 * writeFileSync('p.npy', encodeNpy(new Float64Array([0.5, 0.5]), [1, 2]));
 */
export function encodeNpy(data: Float32Array | Float64Array | Int32Array | Uint16Array, shape: number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : data instanceof Int32Array ? '<i4' : '<f2';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad with spaces so that magic + length + header + '\n' is a multiple of 64 bytes.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
