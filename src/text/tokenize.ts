import { UsageError, quote } from '../errors.js';

/** Tokenizer names of `klscope text`. */
export type TokenizerName = 'char' | 'word' | 'bpe';

/** The tokenizer names, in the order help texts list them. */
export const TOKENIZERS: readonly TokenizerName[] = ['char', 'word', 'bpe'];

/** A tokenizer: text to tokens (strings; BPE token ids as decimal strings) and back for display. */
export interface Tokenizer {
  name: TokenizerName;
  tokenize(text: string): string[];
  /** How an n-gram (its tokens) is shown to people. */
  render(tokens: readonly string[]): string;
}

/** Options of {@link loadTokenizer}. */
export interface TokenizerOptions {
  /** Lower-case text before tokenizing (locale-independent). Default false. */
  lowercase?: boolean;
}

const WS = /\s+/gu;

/** Characters per piece of {@link segmentLinear}, and the look-ahead past it. */
const PIECE = 4096;
const MARGIN = 512;

/**
 * Segments `text` with `seg` in time linear in its length. Node 20's Intl.Segmenter is
 * superlinear in the length of one string (minutes for a few hundred kilobytes), so the text is
 * segmented in windows of about 4 KiB plus a look-ahead: of each window only the segments that
 * end inside it (never the one touching its artificial end) are kept, and the next window starts
 * at the last kept boundary. A boundary found with the look-ahead in view is a true boundary of
 * the whole text (the word and grapheme rules look only a few characters past a boundary, and a
 * window always starts at one), so the segments are exactly those of one call on the whole text.
 * A segment longer than a window makes the window grow until it fits.
 *
 * @example
 * [...segmentLinear(new Intl.Segmenter('en', { granularity: 'word' }), 'a b')]; // ['a', ' ', 'b']
 */
export function* segmentLinear(seg: Intl.Segmenter, text: string): Generator<string> {
  const n = text.length;
  let pos = 0;
  let piece = PIECE;
  while (pos < n) {
    const end = Math.min(n, pos + piece + MARGIN);
    const window = text.slice(pos, end);
    if (end === n) {
      for (const s of seg.segment(window)) yield s.segment;
      return;
    }
    let kept = 0;
    for (const s of seg.segment(window)) {
      const e = s.index + s.segment.length;
      if (e >= window.length || (kept > 0 && e > piece)) break;
      yield s.segment;
      kept = e;
    }
    if (kept === 0) {
      piece *= 2; // one segment spans the whole window: look further
      continue;
    }
    pos += kept;
    piece = PIECE;
  }
}

/**
 * Characters as user-perceived characters (grapheme clusters, so "é" written as e + accent or
 * an emoji with modifiers is one token). Runs of whitespace become a single space and the ends
 * are trimmed, so line wrapping does not change the distribution.
 */
function charTokenizer(lower: boolean): Tokenizer {
  const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return {
    name: 'char',
    tokenize(text) {
      const t = (lower ? text.toLowerCase() : text).replace(WS, ' ').trim();
      const out: string[] = [];
      for (const s of segmentLinear(seg, t)) out.push(s);
      return out;
    },
    render: (tokens) => tokens.join(''),
  };
}

/**
 * Words by Unicode word segmentation (Intl.Segmenter, UAX #29 plus ICU's dictionaries), so
 * Chinese and Japanese split into words rather than one token per line. Punctuation marks are
 * kept as tokens; whitespace is dropped.
 */
function wordTokenizer(lower: boolean): Tokenizer {
  const seg = new Intl.Segmenter(undefined, { granularity: 'word' });
  return {
    name: 'word',
    tokenize(text) {
      const t = lower ? text.toLowerCase() : text;
      const out: string[] = [];
      for (const s of segmentLinear(seg, t)) if (s.trim() !== '') out.push(s);
      return out;
    },
    render: (tokens) => tokens.join(' '),
  };
}

/**
 * GPT-2's byte-level BPE (the r50k_base encoding of the gpt-tokenizer package, loaded on first
 * use). Special-token strings in the text are encoded as ordinary text.
 */
async function bpeTokenizer(lower: boolean): Promise<Tokenizer> {
  const enc = await import('gpt-tokenizer/encoding/r50k_base');
  const opts = { disallowedSpecial: new Set<string>() };
  return {
    name: 'bpe',
    tokenize(text) {
      const t = lower ? text.toLowerCase() : text;
      return enc.encode(t, opts).map(String);
    },
    // Decode the n-gram as a whole: a single token may hold part of a multi-byte character.
    render: (tokens) => enc.decode(tokens.map(Number)),
  };
}

/**
 * Loads a tokenizer by name: `char` (grapheme clusters), `word` (Unicode word segmentation via
 * Intl.Segmenter) or `bpe` (GPT-2 byte-level BPE from gpt-tokenizer).
 *
 * @example
 * const tok = await loadTokenizer('word');
 * tok.tokenize('我们今天去北京。'); // ['我们', '今天', '去', '北京', '。']
 */
export async function loadTokenizer(name: TokenizerName, opts: TokenizerOptions = {}): Promise<Tokenizer> {
  const lower = Boolean(opts.lowercase);
  if (name === 'char') return charTokenizer(lower);
  if (name === 'word') return wordTokenizer(lower);
  if (name === 'bpe') return bpeTokenizer(lower);
  throw new UsageError(`invalid tokenizer ${quote(name)}: expected one of ${TOKENIZERS.join(', ')}`);
}
