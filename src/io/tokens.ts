import { readFileSync } from 'node:fs';
import { expectPath } from './argCheck.js';
import { DataError, quote } from '../errors.js';
import { parseNpy } from './npy.js';
import { readInput } from './readFile.js';

/**
 * Reads a list of token ids: a .npy of int32/int64 (any shape, flattened), a .json array (or
 * `{"tokens": [...]}`), or text with ids separated by whitespace or commas. Every id must be an
 * integer >= 0; the error names the index and the value.
 *
 * @example
 * readTokenIds('tokens.json'); // Int32Array [1, 15043, 3186, ...]
 */
export function readTokenIds(path: string, name = path): Int32Array {
  expectPath(path, 'readTokenIds(path: string, name?: string)');
  let buf: Buffer;
  buf = readInput(path, name);
  let values: ArrayLike<number>;
  if (path.toLowerCase().endsWith('.npy')) {
    const a = parseNpy(buf, name);
    if (a.header.dtype !== '<i4' && a.header.dtype !== '<i8' && a.header.dtype !== '<u2') {
      throw new DataError(`${name}: token ids must be int32 or int64, got dtype ${a.header.dtype}`);
    }
    values = a.data;
  } else {
    const text = buf.toString('utf8').trim();
    if (text.startsWith('[') || text.startsWith('{')) {
      let j: unknown;
      try {
        j = JSON.parse(text);
      } catch (e) {
        throw new DataError(`${name}: not valid JSON (${(e as Error).message})`);
      }
      const arr = Array.isArray(j) ? j : (j as { tokens?: unknown }).tokens;
      if (!Array.isArray(arr)) throw new DataError(`${name}: expected a JSON array of token ids or {"tokens": [...]}`);
      values = arr.map((v, i) => {
        if (typeof v !== 'number') throw new DataError(`${name}: token ${i} is ${quote(v)}, expected an integer >= 0`);
        return v;
      });
    } else {
      values = text.length ? text.split(/[\s,]+/).map(Number) : [];
    }
  }
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new DataError(`${name}: token ${i} is ${String(v)}, expected an integer >= 0`);
    out[i] = v;
  }
  return out;
}
