import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { KldFile } from '../io/kld.js';
import { openNpyRows, type FloatRowFile } from '../io/npyRows.js';
import { openSafetensorsRows } from '../io/safetensors.js';

/** Input formats of `klscope compare`. */
export type CompareFormat = 'kld' | 'npy' | 'safetensors' | 'jsonl';

/** How to open one side again (also in a worker thread). */
export interface SourceSpec {
  path: string;
  /** Name used in messages (the argument or the path). */
  name: string;
  format: Exclude<CompareFormat, 'jsonl'>;
  /** Tensor name in a .safetensors file. */
  tensor?: string;
}

/**
 * Detects an input's format from its extension, falling back to its first bytes
 * ("_logits_" → kld, "\x93NUMPY" → npy, "{" → jsonl, else a safetensors length prefix).
 *
 * @example
 * detectFormat('base.kld'); // 'kld'
 */
export function detectFormat(file: string, explicit?: string): CompareFormat {
  if (explicit && explicit !== 'auto') {
    if (explicit === 'kld' || explicit === 'npy' || explicit === 'safetensors' || explicit === 'jsonl') return explicit;
    throw new UsageError(`invalid --format ${JSON.stringify(explicit)}: expected auto, kld, npy, safetensors or jsonl`);
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.kld') return 'kld';
  if (ext === '.npy') return 'npy';
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new DataError(`${file}: cannot open file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const head = new Uint8Array(8);
  const n = readSync(fd, head, 0, 8, 0);
  closeSync(fd);
  const text = new TextDecoder('latin1').decode(head.subarray(0, n));
  if (text === '_logits_') return 'kld';
  if (head[0] === 0x93 && text.slice(1, 6) === 'NUMPY') return 'npy';
  if (text.trimStart().startsWith('{')) return 'jsonl';
  if (n === 8) return 'safetensors';
  throw new DataError(`${file}: cannot tell the format (${n} bytes; use --format kld|npy|safetensors|jsonl)`);
}

/** One opened side: a .kld file (quantized log-probabilities) or a float logit array. */
export type OpenedSource =
  | { spec: SourceSpec; kind: 'kld'; kld: KldFile; rows: number; cols: number; close(): void }
  | { spec: SourceSpec; kind: 'float'; floats: FloatRowFile; rows: number; cols: number; close(): void };

/**
 * Opens one side for random row access.
 *
 * @example
 * const s = openSource({ path: 'base.kld', name: 'base', format: 'kld' });
 * s.rows; // scored tokens
 */
export function openSource(spec: SourceSpec): OpenedSource {
  if (spec.format === 'kld') {
    const kld = new KldFile(spec.path, spec.name);
    return { spec, kind: 'kld', kld, rows: kld.header.rows, cols: kld.header.nVocab, close: () => kld.close() };
  }
  const floats = spec.format === 'npy' ? openNpyRows(spec.path, spec.name) : openSafetensorsRows(spec.path, { tensor: spec.tensor, name: spec.name });
  return { spec, kind: 'float', floats, rows: floats.rows, cols: floats.cols, close: () => floats.close() };
}
