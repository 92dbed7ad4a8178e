import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { expectPath } from './argCheck.js';
import { DataError } from '../errors.js';
import { parseNpyHeader, type NpyHeader } from './npy.js';
import { halfToNumber } from './float16.js';
import { openFailure, openInput } from './readFile.js';

/** A float dtype a row reader can widen: float16, bfloat16, float32, float64. */
export type FloatDtype = 'f16' | 'bf16' | 'f32' | 'f64';

/**
 * Random access to the rows of a 2-D (or [1, T, V]) float array stored contiguously in a file,
 * converted to float32 or float64 on read: the common part of the .npy and .safetensors readers.
 * Only a row buffer is held in memory.
 */
export class FloatRowFile {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly dtype: FloatDtype;
  private readonly fd: number;
  private readonly offset: number;
  private readonly item: number;
  private scratch = new Uint8Array(0);

  constructor(opts: { path: string; name: string; fd?: number; offset: number; rows: number; cols: number; dtype: FloatDtype }) {
    this.name = opts.name;
    this.rows = opts.rows;
    this.cols = opts.cols;
    this.dtype = opts.dtype;
    this.offset = opts.offset;
    this.item = opts.dtype === 'f64' ? 8 : opts.dtype === 'f32' ? 4 : 2;
    this.fd = opts.fd ?? openFile(opts.path, opts.name);
  }

  /** Reads rows [r0, r0 + n) into `out` (n·cols values). */
  read(r0: number, n: number, out: Float32Array | Float64Array): void {
    const bytes = n * this.cols * this.item;
    if (this.scratch.length < bytes) this.scratch = new Uint8Array(bytes);
    const buf = this.scratch.subarray(0, bytes);
    let done = 0;
    const pos = this.offset + r0 * this.cols * this.item;
    while (done < bytes) {
      const k = readSync(this.fd, buf, done, bytes - done, pos + done);
      if (k === 0) throw new DataError(`${this.name}: unexpected end of file at offset ${pos + done} (needed ${bytes - done} more bytes)`);
      done += k;
    }
    const count = n * this.cols;
    const ab = buf.buffer;
    const off = buf.byteOffset; // 0: scratch is its own buffer
    switch (this.dtype) {
      case 'f32':
        out.set(new Float32Array(ab, off, count));
        break;
      case 'f64':
        out.set(new Float64Array(ab, off, count));
        break;
      case 'f16': {
        const h = new Uint16Array(ab, off, count);
        for (let i = 0; i < count; i++) out[i] = halfToNumber(h[i]!);
        break;
      }
      case 'bf16': {
        // bfloat16 is the top half of a float32
        const h = new Uint16Array(ab, off, count);
        const u = new Uint32Array(1);
        const f = new Float32Array(u.buffer);
        for (let i = 0; i < count; i++) {
          u[0] = h[i]! << 16;
          out[i] = f[0]!;
        }
        break;
      }
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

function openFile(path: string, name: string): number {
  return openInput(path, name);
}

/** Rows × columns of a [T, V] or [1, T, V] shape, or an error naming the shape. */
export function rowsCols(shape: number[], name: string): { rows: number; cols: number } {
  const s = shape.length === 3 && shape[0] === 1 ? shape.slice(1) : shape;
  if (s.length !== 2 || s[0]! < 1 || s[1]! < 1) {
    throw new DataError(`${name}: expected logits of shape [T, V] (or [1, T, V]), got [${shape.join(', ')}]`);
  }
  return { rows: s[0]!, cols: s[1]! };
}

/**
 * Opens a .npy float array [T, V] for streaming row reads (the whole file is never loaded).
 * Truncated files are reported with the expected and actual sizes.
 *
 * @example
 * const f = openNpyRows('logits.npy');
 * const row = new Float32Array(f.cols);
 * f.read(0, 1, row);
 */
export function openNpyRows(path: string, name = path): FloatRowFile {
  expectPath(path, 'openNpyRows(path: string, name?: string)', 'parseNpy(bytes, name)');
  const fd = openFile(path, name);
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 65536));
    readSync(fd, head, 0, head.length, 0);
    const h: NpyHeader = parseNpyHeader(head, name);
    const dtype: FloatDtype | null = h.dtype === '<f2' ? 'f16' : h.dtype === '<f4' ? 'f32' : h.dtype === '<f8' ? 'f64' : null;
    if (!dtype) throw new DataError(`${name}: logits must be float16, float32 or float64, got dtype ${h.dtype}`);
    const { rows, cols } = rowsCols(h.shape, name);
    const need = h.dataOffset + h.count * h.itemSize;
    if (size < need) {
      throw new DataError(`${name}: truncated .npy data: shape [${h.shape.join(', ')}] of ${h.dtype} needs ${need} bytes, the file has ${size}`);
    }
    if (size > need) throw new DataError(`${name}: .npy file has ${size - need} bytes after the data (expected size ${need}, got ${size})`);
    return new FloatRowFile({ path, name, fd, offset: h.dataOffset, rows, cols, dtype });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
