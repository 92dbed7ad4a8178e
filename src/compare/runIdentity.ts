import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DataError } from '../errors.js';

/** What identifies one input of a comparison, independent of where the file lies. */
export interface InputIdentity {
  format: string;
  rows: number;
  vocab: number;
  nCtx?: number;
  nChunk?: number;
  dtype?: string;
  /** sha256 of the file's size, first and last 64 KiB: two copies of one file agree, different files almost never. */
  fingerprint: string;
}

/**
 * The identity of a comparison run, stored in every `--summary-out` shard: shards merge only
 * when their identities are equal (same inputs, sizes and token list), and their row ranges
 * must be disjoint.
 */
export interface RunIdentity {
  base: InputIdentity;
  candidate: InputIdentity;
  /** sha256 of the target token list (a .kld file's tokens or --tokens), null when there is none. */
  tokens: string | null;
  /** Rows of the whole run (all shards together). */
  rows: number;
}

const EDGE = 64 * 1024;

/**
 * A content fingerprint of a file from its size and its first and last 64 KiB (cheap on
 * multi-gigabyte inputs).
 *
 * @example
 * fileFingerprint('fp16.kld'); // '3f2a…' (64 hex digits)
 */
export function fileFingerprint(file: string): string {
  const h = createHash('sha256');
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    h.update(String(size));
    const buf = Buffer.alloc(Math.min(EDGE, size));
    h.update(buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)));
    if (size > EDGE) h.update(buf.subarray(0, readSync(fd, buf, 0, buf.length, Math.max(EDGE, size - EDGE))));
  } catch (e) {
    throw new DataError({ where: file, expected: 'a readable file', got: (e as NodeJS.ErrnoException).code ?? String(e) });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return h.digest('hex');
}

/** sha256 of a token list (int32, little-endian). */
export function hashTokens(ids: Int32Array): string {
  const le = new Int32Array(ids);
  return createHash('sha256').update(new Uint8Array(le.buffer, le.byteOffset, le.byteLength)).digest('hex');
}

/** Where two run identities differ ('' when they are equal). */
export function identityDifference(a: RunIdentity | null, b: RunIdentity | null): string {
  if (a === null || b === null) return a === b ? '' : 'one summary identifies its run and the other does not';
  for (const side of ['base', 'candidate'] as const) {
    const x = a[side] as unknown as Record<string, unknown>;
    const y = b[side] as unknown as Record<string, unknown>;
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (x[k] !== y[k]) return `the ${side} differs in ${k === 'fingerprint' ? 'content' : k} (${String(x[k]).slice(0, 16)} vs ${String(y[k]).slice(0, 16)})`;
    }
  }
  if (a.tokens !== b.tokens) return 'the token lists differ';
  if (a.rows !== b.rows) return `the runs have ${a.rows} and ${b.rows} rows`;
  return '';
}

/**
 * Checks that the row ranges of the shards of one run are disjoint and returns the gaps
 * (rows in no shard) as [start, end) ranges.
 *
 * @example
 * checkShardRanges([{ name: 'a.json', range: [0, 10] }, { name: 'b.json', range: [10, 20] }], 25); // [[20, 25]]
 */
export function checkShardRanges(shards: Array<{ name: string; range: [number, number] }>, total: number): Array<[number, number]> {
  const sorted = shards.slice().sort((a, b) => a.range[0] - b.range[0] || a.range[1] - b.range[1]);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1]!;
    const c = sorted[i]!;
    if (c.range[0] < p.range[1]) {
      const same = c.range[0] === p.range[0] && c.range[1] === p.range[1];
      throw new DataError(
        same
          ? `${c.name}: rows ${c.range[0]}:${c.range[1]} are already in ${p.name} (the same shard twice?); expected disjoint row ranges`
          : `${c.name}: rows ${c.range[0]}:${c.range[1]} overlap rows ${p.range[0]}:${p.range[1]} of ${p.name}; expected disjoint row ranges`,
      );
    }
  }
  const gaps: Array<[number, number]> = [];
  let at = 0;
  for (const s of sorted) {
    if (s.range[0] > at) gaps.push([at, s.range[0]]);
    at = Math.max(at, s.range[1]);
  }
  if (at < total) gaps.push([at, total]);
  return gaps;
}
