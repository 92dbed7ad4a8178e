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
 * spmTokenize(v, 'hello', { addBos: true }).map((id) => v.tokens[id]); // ['<s>', '▁hello']
 */
export function spmTokenize(vocab: SpmVocab, text: string, opts: { addBos?: boolean; addSpacePrefix?: boolean } = {}): number[] {
  const ids = textIds(vocab);
  const out: number[] = [];
  if (opts.addBos) out.push(vocab.bosId);
  if (text.length === 0) return out;
  const s = ((opts.addSpacePrefix ?? true) ? ' ' : '') + text;
  const parts = [...s.replace(/ /g, SPM_SPACE)];
  // Symbols in a linked list; a merge grows the left one and empties the right one. Candidate
  // pairs wait in a max-heap by (score, then leftmost); a popped pair whose sides changed is stale.
  const n = parts.length;
  const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const heap: { left: number; right: number; score: number; text: string }[] = [];
  const before = (x: (typeof heap)[number], y: (typeof heap)[number]) => x.score > y.score || (x.score === y.score && x.left < y.left);
  const push = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const joined = parts[left]! + parts[right]!;
    const id = ids.get(joined);
    if (id === undefined) return;
    const item = { left, right, score: vocab.scores[id]!, text: joined };
    heap.push(item);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!before(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (let i = 1; i < n; i++) push(i - 1, i);
  while (heap.length) {
    const b = pop();
    if (parts[b.left] === '' || parts[b.right] === '' || parts[b.left]! + parts[b.right]! !== b.text) continue;
    parts[b.left] = b.text;
    parts[b.right] = '';
    next[b.left] = next[b.right]!;
    if (next[b.right]! >= 0) prev[next[b.right]!] = b.left;
    push(prev[b.left]!, b.left);
    push(b.left, next[b.left]!);
  }
  const enc = new TextEncoder();
  for (let i = 0; i !== -1; i = next[i]!) {
    const id = ids.get(parts[i]!);
    if (id !== undefined) out.push(id);
    else for (const byte of enc.encode(parts[i]!)) out.push(vocab.byteBase + byte);
  }
  return out;
}

const ID_CACHE = new WeakMap<SpmVocab, Map<string, number>>();

/** Text → id over all tokens, as llama.cpp looks pieces up (the last of equal texts wins). */
function textIds(vocab: SpmVocab): Map<string, number> {
  let m = ID_CACHE.get(vocab);
  if (!m) {
    m = new Map();
    vocab.tokens.forEach((t, i) => m!.set(t, i));
    ID_CACHE.set(vocab, m);
  }
  return m;
}
