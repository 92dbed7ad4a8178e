import { ArgumentError } from '../errors.js';

/**
 * A short description of any value for an argument error: its type and size, never its contents
 * (a megabyte Buffer reads as "a Buffer of 1048576 bytes").
 *
 * @example
 * describeValue(Buffer.alloc(3)); // 'a Buffer of 3 bytes'
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return v.length > 60 ? `a string of ${v.length} characters` : `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (typeof Buffer !== 'undefined' && Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${(v as unknown as { length?: number }).length ?? v.byteLength} elements`;
  if (v instanceof ArrayBuffer) return `an ArrayBuffer of ${v.byteLength} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length} items`;
  if (typeof v === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(v).slice(8, -1)})`;
}

/**
 * Throws an {@link ArgumentError} naming the call's signature unless `value` is a non-empty string (a path).
 *
 * @example
 * expectPath(buf, 'readNpy(path: string, name?: string)', 'parseNpy(bytes, name)'); // ArgumentError
 */
export function expectPath(value: unknown, signature: string, instead?: string): asserts value is string {
  if (typeof value === 'string' && value.length > 0) return;
  throw new ArgumentError({ where: signature, expected: 'a file path string', got: `${describeValue(value)}${instead && typeof value === 'object' && value !== null ? `; for bytes in memory use ${instead}` : ''}` });
}

/**
 * Throws an {@link ArgumentError} naming the call's signature unless `value` is a Uint8Array (Buffer included).
 *
 * @example
 * expectBytes('x.npy', 'parseNpy(bytes: Uint8Array, name: string)', 'readNpy(path)'); // ArgumentError
 */
export function expectBytes(value: unknown, signature: string, instead?: string): asserts value is Uint8Array {
  if (value instanceof Uint8Array) return;
  throw new ArgumentError({ where: signature, expected: 'bytes in a Uint8Array or Buffer', got: `${describeValue(value)}${instead && typeof value === 'string' ? `; to read a file use ${instead}` : ''}` });
}
