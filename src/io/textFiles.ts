import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../errors.js';
import { checkRegularFile, openFailure, readError, readInput } from './readFile.js';

/**
 * Byte offset of the first byte that does not start or continue a valid UTF-8 sequence
 * (overlong forms, surrogates and code points above U+10FFFF count as invalid, as in the
 * WHATWG decoder), or -1 when the whole buffer is valid UTF-8.
 *
 * @example
 * firstInvalidUtf8(new Uint8Array([0x68, 0x69, 0xff])); // 2
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i; // truncated sequence at the end
      const [l, h] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c < l || c > h) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Decodes bytes as UTF-8 text, refusing binary data (a NUL byte) and invalid UTF-8 with the
 * byte offset of the first bad byte. A leading byte-order mark is dropped.
 *
 * @example
 * decodeUtf8Strict(new TextEncoder().encode('héllo'), 'a.txt'); // 'héllo'
 */
export function decodeUtf8Strict(bytes: Uint8Array, name: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new DataError(`${name}: binary file (NUL byte at byte offset ${nul}); expected UTF-8 text`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const show = Array.from(bytes.subarray(at, at + 4), (x) => '0x' + x.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`${name}: not valid UTF-8 at byte offset ${at} (bytes ${show}); expected UTF-8 text`);
  }
}

/** One document of a corpus and where it came from (file, and line when read per line). */
export interface CorpusDocument {
  text: string;
  source: string;
  /** 1-based line number with `lines`, otherwise undefined. */
  line?: number;
}

/** Options of {@link readCorpus}. */
export interface ReadCorpusOptions {
  /** Name used in errors, e.g. 'GENERATED'. */
  name: string;
  /** One document per line instead of one per file. Blank lines are skipped. */
  lines?: boolean;
  /** Keep blank lines as (empty) documents, so that line numbers stay aligned (for pairs). */
  keepBlankLines?: boolean;
}

/**
 * The .txt files under `dir`, sorted. Symbolic links are followed once per real folder (a
 * link loop is visited once); a dangling link, a FIFO, a socket or a device named *.txt is a
 * {@link DataError} naming it (a FIFO would block the read forever).
 */
function listTxt(dir: string, name: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (d: string) => {
    let real: string;
    let names: string[];
    try {
      real = realpathSync(d);
      names = readdirSync(d).sort();
    } catch (e) {
      throw readError(`${name} (${d})`, e);
    }
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of names) {
      const p = path.join(d, entry);
      let s;
      try {
        s = statSync(p);
      } catch (e) {
        if (!entry.toLowerCase().endsWith('.txt')) continue;
        const dangling = lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink();
        throw new DataError({ where: `${name} (${p})`, expected: 'a readable .txt file', got: dangling ? 'a dangling symbolic link' : `${(e as NodeJS.ErrnoException).code ?? 'an error'}` });
      }
      if (s.isDirectory()) walk(p);
      else if (entry.toLowerCase().endsWith('.txt')) {
        checkRegularFile(p, `${name} (${p})`);
        out.push(p);
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * Reads a text corpus: a file (one document, or one per line with `lines`) or a folder of .txt
 * files (searched recursively, in sorted order). Every file must be UTF-8 text. An empty corpus
 * (no files, or only whitespace) is an error.
 *
 * @example
 * const docs = readCorpus('data/text/reference.txt', { name: 'REFERENCE', lines: true });
 */
export function readCorpus(target: string, opts: ReadCorpusOptions): CorpusDocument[] {
  let st;
  try {
    st = statSync(target);
  } catch (e) {
    throw openFailure(opts.name, target, e);
  }
  const files = st.isDirectory() ? listTxt(target, opts.name) : [target];
  if (files.length === 0) throw new DataError(`${opts.name} (${target}): empty corpus: the folder has no .txt files`);
  const docs: CorpusDocument[] = [];
  for (const f of files) {
    const bytes = readInput(f, `${opts.name} (${f})`);
    const text = decodeUtf8Strict(bytes, `${opts.name} (${f})`);
    if (opts.lines) {
      const lines = text.split(/\r?\n/);
      // A final newline does not start another line.
      if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
      lines.forEach((l, i) => {
        if (l.trim() !== '' || opts.keepBlankLines) docs.push({ text: l, source: f, line: i + 1 });
      });
    } else if (text.trim() !== '') docs.push({ text, source: f });
  }
  if (!docs.some((d) => d.text.trim() !== '')) {
    throw new DataError(`${opts.name} (${target}): empty corpus: no text in ${files.length} file${files.length === 1 ? '' : 's'}`);
  }
  return docs;
}
