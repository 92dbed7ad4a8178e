import { UsageError } from '../errors.js';

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
      for (const s of seg.segment(t)) out.push(s.segment);
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
      for (const s of seg.segment(t)) if (s.segment.trim() !== '') out.push(s.segment);
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
  throw new UsageError(`invalid tokenizer ${JSON.stringify(name)}: expected one of ${TOKENIZERS.join(', ')}`);
}
