import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { KldFile } from '../io/kld.js';
import { openNpyRows } from '../io/npyRows.js';
import { openSafetensorsRows } from '../io/safetensors.js';
import { jsonlLines, parseTopkLine } from '../io/topkJsonl.js';
import type { FloatRows, OpenedSource, RowTokens, SideOptions, SourceCommon, SourceSpec } from './types.js';
import { openInput } from '../io/readFile.js';

export type { OpenedSource, SourceSpec } from './types.js';

/**
 * The formats compare reads: extensions, how the first bytes identify them, and how to open a
 * side. A new file format of an existing kind (say float logits in another container) is one
 * entry here. GGUF models are opened by the live pipeline (they need the text and its chunks).
 */
interface FormatEntry {
  format: string;
  extensions: string[];
  /** Recognises the first 8 bytes (fewer for a tiny file). */
  magic(head: Uint8Array, text: string): boolean;
  /** A magic test that accepts almost anything: tried after every other format's. */
  fallback?: boolean;
  open?(spec: SourceSpec): OpenedSource;
}

const FORMATS = [
  {
    format: 'kld',
    extensions: ['.kld'],
    magic: (_, text) => text === '_logits_',
    open(spec) {
      const kld = new KldFile(spec.path, spec.name);
      const h = kld.header;
      return {
        spec,
        kind: 'kld',
        kld,
        rows: h.rows,
        cols: h.nVocab,
        tokens: { nCtx: h.nCtx, targetOf: (r) => kld.targetOf(r), positionOf: (r) => kld.positionOf(r) },
        describe: () => ({ path: spec.path, format: 'kld', rows: h.rows, vocab: h.nVocab, nCtx: h.nCtx, nChunk: h.nChunk }),
        close: () => kld.close(),
      };
    },
  },
  { format: 'gguf', extensions: ['.gguf'], magic: (_, text) => text.startsWith('GGUF') },
  { format: 'npy', extensions: ['.npy'], magic: (head, text) => head[0] === 0x93 && text.slice(1, 6) === 'NUMPY', open: (spec) => floatSource(spec) },
  // a safetensors file starts with a little-endian header length, no magic: tried after the others
  { format: 'safetensors', extensions: ['.safetensors'], magic: (head) => head.length === 8, fallback: true, open: (spec) => floatSource(spec) },
  {
    format: 'jsonl',
    extensions: ['.jsonl', '.ndjson'],
    magic: (_, text) => text.trimStart().startsWith('{'),
    open(spec) {
      let bytes = 0;
      return {
        spec,
        kind: 'topk',
        rows: NaN,
        cols: 0,
        async *positions() {
          for await (const { text, line } of jsonlLines(spec.path, spec.path)) {
            bytes += text.length;
            yield parseTopkLine(text, spec.path, line);
          }
        },
        bytesRead: () => bytes,
        describe: () => ({ path: spec.path, format: 'jsonl' }),
        close: () => {},
      };
    },
  },
] as const satisfies readonly FormatEntry[];

/** Input formats of `klscope compare`: one entry each in the format list of src/compare/sources.ts. */
export type CompareFormat = (typeof FORMATS)[number]['format'];

/** The format names, in the order of the list (the CLI's choices). */
export const COMPARE_FORMATS: readonly CompareFormat[] = FORMATS.map((f) => f.format);
const NAMES = COMPARE_FORMATS;
/** Formats in the order their first bytes are tested. */
const BY_MAGIC: readonly FormatEntry[] = [...FORMATS.filter((f: FormatEntry) => !f.fallback), ...FORMATS.filter((f: FormatEntry) => f.fallback)];

function floatSource(spec: SourceSpec): OpenedSource {
  const floats = spec.format === 'npy' ? openNpyRows(spec.path, spec.name) : openSafetensorsRows(spec.path, { tensor: spec.tensor, name: spec.name });
  return floatRowsSource(spec, floats, { close: () => floats.close() });
}

/**
 * A 'float' source over any {@link FloatRows} (a file of logits, a live model): its JSON
 * description is the path, format, shape and dtype plus `extra`.
 *
 * @example
 * const src = floatRowsSource(spec, openNpyRows('c.npy', 'candidate'));
 * src.describe(); // { path, format: 'npy', rows, vocab, dtype: 'f32' }
 */
export function floatRowsSource<F extends FloatRows>(
  spec: SourceSpec,
  floats: F,
  o: { tokens?: RowTokens; extra?: () => Record<string, unknown>; close?: () => void } = {},
): SourceCommon & { kind: 'float'; floats: F } {
  return {
    spec,
    kind: 'float',
    floats,
    rows: floats.rows,
    cols: floats.cols,
    tokens: o.tokens,
    describe: () => ({ path: spec.path, format: spec.format, rows: floats.rows, vocab: floats.cols, dtype: floats.dtype, ...o.extra?.() }),
    close: o.close ?? (() => {}),
  };
}

/**
 * Detects an input's format from its extension, falling back to its first bytes
 * ("_logits_" → kld, "GGUF" → gguf, "\x93NUMPY" → npy, "{" → jsonl, else a safetensors length prefix).
 *
 * @example
 * detectFormat('base.kld'); // 'kld'
 */
export function detectFormat(file: string, explicit?: string): CompareFormat {
  if (explicit && explicit !== 'auto') {
    if ((NAMES as string[]).includes(explicit)) return explicit as CompareFormat;
    throw new UsageError({ where: 'format', expected: `auto, ${NAMES.slice(0, -1).join(', ')} or ${NAMES.at(-1)}`, got: JSON.stringify(explicit) });
  }
  const ext = path.extname(file).toLowerCase();
  const byExt = (FORMATS as readonly FormatEntry[]).find((f) => f.extensions.includes(ext));
  if (byExt) return byExt.format as CompareFormat;
  let fd: number;
  fd = openInput(file);
  const head = new Uint8Array(8);
  const n = readSync(fd, head, 0, 8, 0);
  closeSync(fd);
  const text = new TextDecoder('latin1').decode(head.subarray(0, n));
  const byMagic = BY_MAGIC.find((f) => f.magic(head.subarray(0, n), text));
  if (byMagic) return byMagic.format as CompareFormat;
  throw new DataError(`${file}: cannot tell the format (${n} bytes; name it with the format option: ${NAMES.join('|')})`);
}

/**
 * One side's spec from what the caller gave (a path or `{ path, format, tensor }`) and the
 * defaults for both sides.
 *
 * @example
 * sideSpec({ path: 'b.safetensors', tensor: 'logits' }, 'base'); // { path, name: 'base', format: 'safetensors', tensor: 'logits' }
 */
export function sideSpec(side: string | SideOptions, name: string, defaults: { format?: string; tensor?: string } = {}): SourceSpec {
  const o = typeof side === 'string' ? { path: side } : side;
  return { path: o.path, name, format: detectFormat(o.path, o.format ?? defaults.format), tensor: o.tensor ?? defaults.tensor };
}

/**
 * Opens one side of a file format (every format but GGUF, which the live pipeline opens).
 *
 * @example
 * const s = openSource({ path: 'base.kld', name: 'base', format: 'kld' });
 * s.rows; // scored tokens
 */
export function openSource(spec: SourceSpec): OpenedSource {
  const f = (FORMATS as readonly FormatEntry[]).find((x) => x.format === spec.format);
  if (!f?.open) throw new UsageError(`${spec.path}: a ${spec.format} input is a model, compared on a text: give the text option`);
  const src = f.open(spec);
  if (Number.isFinite(src.cols)) checkColumns(spec, src.cols, () => src.close());
  return src;
}

/** The largest vocabulary a comparison takes: 2^24 columns (real vocabularies are below 2^18); a row must fit in memory many times over. */
export const MAX_COLUMNS = 2 ** 24;

function checkColumns(spec: SourceSpec, cols: number, close: () => void): void {
  if (cols <= MAX_COLUMNS) return;
  close();
  throw new DataError({ where: `${spec.name} (${spec.path})`, expected: `a vocabulary of at most ${MAX_COLUMNS} columns`, got: `${cols}` });
}
