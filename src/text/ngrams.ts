/** Separator between the tokens of an n-gram key: a control character no tokenizer emits. */
export const NGRAM_SEP = '\u001f';

/** Counts of the n-grams of one order in a corpus. */
export interface NgramCounts {
  /** The order n. */
  n: number;
  /** n-gram key (tokens joined by {@link NGRAM_SEP}) → count. */
  counts: Map<string, number>;
  /** Total number of n-gram occurrences. */
  total: number;
}

/**
 * Counts the n-grams of each order 1..n over tokenized documents. N-grams never cross a
 * document boundary, and no start/end padding is added, so a document shorter than n tokens
 * contributes no n-grams of order n. Returns one entry per order, index k − 1 for order k.
 *
 * @example
 * const [uni, bi] = countNgramOrders([['a', 'b', 'a']], 2);
 * bi.counts.get('a\u001fb'); // 1
 * uni.total; // 3
 */
export function countNgramOrders(docs: readonly (readonly string[])[], n: number): NgramCounts[] {
  const out: NgramCounts[] = [];
  for (let k = 1; k <= n; k++) out.push({ n: k, counts: new Map(), total: 0 });
  for (const doc of docs) {
    for (let i = 0; i < doc.length; i++) {
      let key = '';
      for (let k = 1; k <= n && i + k <= doc.length; k++) {
        key = k === 1 ? doc[i]! : key + NGRAM_SEP + doc[i + k - 1]!;
        const c = out[k - 1]!;
        c.counts.set(key, (c.counts.get(key) ?? 0) + 1);
        c.total++;
      }
    }
  }
  return out;
}

/**
 * Counts the n-grams of order n only.
 *
 * @example
 * countNgrams([['the', 'cat'], ['the', 'dog']], 1).counts.get('the'); // 2
 */
export function countNgrams(docs: readonly (readonly string[])[], n: number): NgramCounts {
  return countNgramOrders(docs, n)[n - 1]!;
}

/**
 * Splits an n-gram key into its tokens.
 *
 * @example
 * ngramTokens('a\u001fb'); // ['a', 'b']
 */
export function ngramTokens(key: string): string[] {
  return key.split(NGRAM_SEP);
}
