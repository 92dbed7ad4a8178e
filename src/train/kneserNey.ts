import { DataError } from '../errors.js';
import { absoluteDiscount } from '../discount.js';

/** One order of the model: a row of V counts per context seen, with totals and type counts. */
interface OrderTable {
  /** Context key (base-V digits, oldest character most significant) → row index. */
  index: Map<number, number>;
  /** [rows × V] counts: raw counts at the top order, continuation counts below. */
  counts: Float64Array;
  /** Σ_w counts per row. */
  total: Float64Array;
  /** Number of w with a non-zero count per row: N1+(h•). */
  types: Float64Array;
  rows: number;
  /** Absolute discount D = n1 / (n1 + 2·n2) of this order (see absoluteDiscount). */
  discount: number;
}

/** Options of {@link KneserNeyModel.fit}. */
export interface KneserNeyOptions {
  /** n: the model predicts a character from the previous n − 1. 2 … 6. Default 6. */
  order?: number;
  /** Alphabet size V (codes are 0 … V − 1). Default 32. */
  vocab?: number;
}

/**
 * An interpolated Kneser–Ney character n-gram model (Chen & Goodman's interpolated form with one
 * absolute discount per order, D = n1/(n1 + 2·n2)). The top order uses raw counts c(h·w); each
 * lower order uses continuation counts N1+(•h·w), the number of distinct characters seen before
 * h·w; the unigram level is interpolated with the uniform distribution, so every character has
 * probability > 0 and log-probabilities are finite.
 *
 *   P_k(w | h) = max(c_k(h·w) − D_k, 0) / c_k(h·) + D_k · N1+(h•) / c_k(h·) · P_{k−1}(w | h′)
 *
 * (h′ = h without its oldest character; a context never seen falls through to P_{k−1}).
 *
 * @example
 * const m = KneserNeyModel.fit(encodeText('the cat sat on the mat. '), { order: 3 });
 * m.distribution(encodeText('th')); // Float64Array of 32 probabilities, 'e' most likely
 */
export class KneserNeyModel {
  readonly order: number;
  readonly vocab: number;
  /** tables[j] holds contexts of length j (j = 0 … order − 1); tables[order−1] is the top order. */
  private readonly tables: OrderTable[];

  private constructor(order: number, vocab: number, tables: OrderTable[]) {
    this.order = order;
    this.vocab = vocab;
    this.tables = tables;
  }

  /** Counts the n-grams of `text` (codes 0 … V − 1) and sets the discounts. */
  static fit(text: Uint8Array, opts: KneserNeyOptions = {}): KneserNeyModel {
    const n = opts.order ?? 6;
    const V = opts.vocab ?? 32;
    // Keys pack up to n − 1 base-V digits; they must stay small integers for fast Map lookups.
    if (!Number.isInteger(n) || n < 2 || Math.pow(V, n - 1) * V > 2 ** 31) {
      throw new DataError(`invalid order ${n}: expected an integer >= 2 with vocab^order <= 2^31 (vocab ${V})`);
    }
    if (text.length < n) throw new DataError(`invalid text: ${text.length} characters, need at least the order ${n}`);
    for (let i = 0; i < text.length; i++) {
      if (text[i]! >= V) throw new DataError(`invalid text[${i}]: code ${text[i]} is outside the vocabulary 0 … ${V - 1}`);
    }
    const tables: OrderTable[] = new Array(n);
    // Top order: raw counts of every (n−1)-character context followed by w.
    const top = newTable(V);
    const mod = Math.pow(V, n - 1);
    let key = 0;
    for (let i = 0; i < n - 1; i++) key = key * V + text[i]!;
    for (let i = n - 1; i < text.length; i++) {
      addCount(top, key, text[i]!, 1, V);
      key = (key * V + text[i]!) % mod;
    }
    tables[n - 1] = top;
    // Lower orders: each distinct (j+1)-gram x·h·w of the order above adds 1 to the
    // continuation count of h·w (h of length j − 1 … here j), i.e. N1+(•h w).
    for (let j = n - 2; j >= 0; j--) {
      const above = tables[j + 1]!;
      const t = newTable(V);
      const m = Math.pow(V, j);
      for (const [k, row] of above.index) {
        const suffix = j === 0 ? 0 : k % m;
        const base = row * V;
        for (let w = 0; w < V; w++) if (above.counts[base + w]! > 0) addCount(t, suffix, w, 1, V);
      }
      tables[j] = t;
    }
    for (const t of tables) finish(t, V);
    return new KneserNeyModel(n, V, tables);
  }

  /** The discounts D_1 … D_n (index 0 is the unigram level). */
  get discounts(): number[] {
    return this.tables.map((t) => t.discount);
  }

  /** Number of distinct contexts stored per order (index j: contexts of length j). */
  get contextCounts(): number[] {
    return this.tables.map((t) => t.rows);
  }

  /**
   * Next-character distribution after `context` (only its last order − 1 codes are used; a
   * shorter context uses the orders it can). Writes into `out` if given.
   */
  distribution(context: ArrayLike<number>, out: Float64Array = new Float64Array(this.vocab)): Float64Array {
    const V = this.vocab;
    out.fill(1 / V);
    const len = Math.min(context.length, this.order - 1);
    let key = 0;
    let mult = 1;
    for (let j = 0; j <= len; j++) {
      // key = the last j characters of the context (oldest most significant).
      if (j > 0) {
        key += context[context.length - j]! * mult;
        mult *= V;
      }
      const t = this.tables[j]!;
      const row = t.index.get(key);
      if (row === undefined) break; // a longer context containing an unseen one is unseen too
      const tot = t.total[row]!;
      const D = t.discount;
      const back = (D * t.types[row]!) / tot;
      const base = row * V;
      for (let w = 0; w < V; w++) {
        const c = t.counts[base + w]!;
        out[w] = (c > D ? c - D : 0) / tot + back * out[w]!;
      }
    }
    return out;
  }

  /**
   * Next-character distributions at positions `positions` of `text` (each predicting
   * text[pos] from the characters before it), as a row-major [positions × V] Float64Array of
   * log-probabilities.
   */
  logProbsAt(text: Uint8Array, positions: ArrayLike<number>): Float64Array {
    const V = this.vocab;
    const out = new Float64Array(positions.length * V);
    const row = new Float64Array(V);
    for (let i = 0; i < positions.length; i++) {
      const pos = positions[i]!;
      this.distribution(text.subarray(Math.max(0, pos - this.order + 1), pos), row);
      for (let w = 0; w < V; w++) out[i * V + w] = Math.log(row[w]!);
    }
    return out;
  }
}

function newTable(V: number): OrderTable {
  return { index: new Map(), counts: new Float64Array(1024 * V), total: new Float64Array(0), types: new Float64Array(0), rows: 0, discount: 0 };
}

function addCount(t: OrderTable, key: number, w: number, by: number, V: number): void {
  let row = t.index.get(key);
  if (row === undefined) {
    row = t.rows++;
    t.index.set(key, row);
    if (t.rows * V > t.counts.length) {
      const grown = new Float64Array(t.counts.length * 2);
      grown.set(t.counts);
      t.counts = grown;
    }
  }
  t.counts[row * V + w]! += by;
}

function finish(t: OrderTable, V: number): void {
  t.total = new Float64Array(t.rows);
  t.types = new Float64Array(t.rows);
  let n1 = 0;
  let n2 = 0;
  for (let r = 0; r < t.rows; r++) {
    let s = 0;
    let k = 0;
    for (let w = 0; w < V; w++) {
      const c = t.counts[r * V + w]!;
      s += c;
      if (c > 0) k++;
      if (c === 1) n1++;
      else if (c === 2) n2++;
    }
    t.total[r] = s;
    t.types[r] = k;
  }
  t.discount = absoluteDiscount(n1, n2);
}
