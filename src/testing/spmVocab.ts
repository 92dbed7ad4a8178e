// A small SentencePiece-style (llama.cpp "llama" tokenizer) vocabulary learnt from a text, and an
// independent implementation of llama.cpp's SPM tokenization for checking the ids it produces.

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** The word-boundary mark SentencePiece writes for a space (U+2581). */
export const SPM_SPACE = '\u2581';

/** A SentencePiece vocabulary: texts, scores and types, with the ids of the special tokens. */
export interface SpmVocab {
  tokens: string[];
  scores: number[];
  types: number[];
  unkId: number;
  bosId: number;
  eosId: number;
  /** Id of the byte-fallback token `<0xXX>` for byte 0. Byte b is `byteBase + b`. */
  byteBase: number;
}

/**
 * Learns a vocabulary the way SentencePiece BPE would shape it: `<unk>`, `<s>`, `</s>`, the 256
 * byte-fallback tokens `<0x00>`…`<0xFF>`, every printable ASCII character and every character of
 * the text (spaces as ▁), then `merges` pieces made by repeatedly joining the most frequent
 * adjacent pair inside words. A merged piece's score is minus its rank, so llama.cpp's
 * highest-score-first merging replays the learnt order; every piece is the join of two pieces,
 * so each one is reachable.
 *
 * @example
 * const v = trainSpmVocab('the cat sat on the mat', { merges: 8 });
 * v.tokens.slice(0, 4); // ['<unk>', '<s>', '</s>', '<0x00>']
 */
export function trainSpmVocab(text: string, opts: { merges?: number } = {}): SpmVocab {
  const merges = opts.merges ?? 64;
  const tokens = ['<unk>', '<s>', '</s>'];
  const scores = [0, 0, 0];
  const types: number[] = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  const byteBase = tokens.length;
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    scores.push(0);
    types.push(TOKEN_TYPE.byte);
  }
  const escaped = text.replace(/ /g, SPM_SPACE);
  const chars = new Set<string>([SPM_SPACE]);
  for (let c = 0x21; c < 0x7f; c++) chars.add(String.fromCharCode(c));
  // Control characters (newline, tab) stay out: they go through the byte tokens, as in LLaMA's vocabulary.
  for (const ch of escaped) if (ch.codePointAt(0)! >= 0x20 && ch !== ' ') chars.add(ch);
  const have = new Set<string>();
  for (const ch of [...chars].sort()) {
    tokens.push(ch);
    scores.push(-1e6 - tokens.length);
    types.push(TOKEN_TYPE.normal);
    have.add(ch);
  }
  // Words: each starts at a ▁; pairs never join across one, as SentencePiece splits on whitespace.
  const words = new Map<string, number>();
  for (const w of (SPM_SPACE + escaped).split(/(?=\u2581)/u)) {
    for (const line of w.split(/[\u0000-\u001f]/u)) if (line) words.set(line, (words.get(line) ?? 0) + 1);
  }
  let segs = [...words].map(([w, n]) => ({ parts: [...w].filter((c) => have.has(c)), n }));
  for (let m = 0; m < merges; m++) {
    const pairs = new Map<string, number>();
    for (const { parts, n } of segs) {
      for (let i = 0; i + 1 < parts.length; i++) {
        const k = `${parts[i]}\u0000${parts[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + n);
      }
    }
    let best = '';
    let bestN = 0;
    for (const [k, n] of pairs) {
      const joined = k.replace('\u0000', '');
      if (have.has(joined)) continue;
      if (n > bestN || (n === bestN && k < best)) {
        best = k;
        bestN = n;
      }
    }
    if (bestN < 2) break;
    const [a, b] = best.split('\u0000') as [string, string];
    const joined = a + b;
    tokens.push(joined);
    scores.push(-m);
    types.push(TOKEN_TYPE.normal);
    have.add(joined);
    segs = segs.map(({ parts, n }) => {
      const out: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) {
          out.push(joined);
          i++;
        } else out.push(parts[i]!);
      }
      return { parts: out, n };
    });
  }
  return { tokens, scores, types, unkId: 0, bosId: 1, eosId: 2, byteBase };
}

/**
 * Tokenizes text as llama.cpp's SPM tokenizer does with parse_special off: a leading space is
 * added, spaces become ▁, the text is split into UTF-8 characters, and the adjacent pair whose
 * join is a token with the highest score is merged first (ties: leftmost), until no pair joins;
 * a character that is not a token falls back to its UTF-8 bytes as `<0xXX>` tokens.
 *
 * @example
 * const v = trainSpmVocab('hello hello', { merges: 10 });
 * spmTokenize(v, 'hello', { addBos: true }); // [1, id of '▁hello']
 */
export function spmTokenize(vocab: SpmVocab, text: string, opts: { addBos?: boolean; addSpacePrefix?: boolean } = {}): number[] {
  const ids = new Map<string, number>();
  // llama.cpp looks every text up among all tokens (the last of equal texts wins).
  vocab.tokens.forEach((t, i) => ids.set(t, i));
  const out: number[] = [];
  if (opts.addBos) out.push(vocab.bosId);
  if (text.length === 0) return out;
  const s = ((opts.addSpacePrefix ?? true) ? ' ' : '') + text;
  const sym = [...s.replace(/ /g, SPM_SPACE)];
  // Linked list of symbols; merging marks the right one dead.
  const alive = sym.map(() => true);
  const next = sym.map((_, i) => (i + 1 < sym.length ? i + 1 : -1));
  const prev = sym.map((_, i) => i - 1);
  const parts = sym.slice();
  for (;;) {
    let bestL = -1;
    let bestScore = -Infinity;
    for (let i = 0; i !== -1 && i < parts.length; i = next[i]!) {
      if (!alive[i]) continue;
      const j = next[i]!;
      if (j === -1) break;
      const id = ids.get(parts[i]! + parts[j]!);
      if (id === undefined) continue;
      if (vocab.scores[id]! > bestScore) {
        bestScore = vocab.scores[id]!;
        bestL = i;
      }
    }
    if (bestL < 0) break;
    const r = next[bestL]!;
    parts[bestL] = parts[bestL]! + parts[r]!;
    alive[r] = false;
    next[bestL] = next[r]!;
    if (next[r]! !== -1) prev[next[r]!] = bestL;
  }
  const enc = new TextEncoder();
  for (let i = 0; i !== -1; i = next[i]!) {
    const id = ids.get(parts[i]!);
    if (id !== undefined) out.push(id);
    else for (const b of enc.encode(parts[i]!)) out.push(vocab.byteBase + b);
  }
  return out;
}
