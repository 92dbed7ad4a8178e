import { ArgumentError, UsageError, quote } from '../errors.js';
import { NGRAM_SEP, type NgramCounts } from './ngrams.js';
import { absoluteDiscount } from '../discount.js';

/**
 * How the n-gram distributions are estimated from counts:
 * - `exact`: relative frequencies c/N (an n-gram one corpus lacks has probability 0);
 * - `add`: add-α, (c + α)/(N + α·|U|) over the union vocabulary U of both corpora;
 * - `kneser-ney`: interpolated Kneser–Ney on the joint n-gram distribution (see {@link kneserNey}).
 */
export type Smoothing = { kind: 'exact' } | { kind: 'add'; alpha: number } | { kind: 'kneser-ney' };

/**
 * Parses the `--smoothing` value: `0` (exact), a positive number α (add-α) or `kn` /
 * `kneser-ney`.
 *
 * @example
 * parseSmoothing('0.5'); // { kind: 'add', alpha: 0.5 }
 */
export function parseSmoothing(value: string): Smoothing {
  const v = value.trim().toLowerCase();
  if (v === 'kn' || v === 'kneser-ney') return { kind: 'kneser-ney' };
  const a = Number(v);
  if (v === '' || !Number.isFinite(a) || a < 0) {
    throw new UsageError({ where: 'smoothing', expected: '0 (exact), a number α > 0 (add-α) or "kn" (Kneser–Ney)', got: quote(value) });
  }
  return a === 0 ? { kind: 'exact' } : { kind: 'add', alpha: a };
}

/**
 * The smoothing as it appears in JSON: 0, α, or "kneser-ney".
 *
 * @example
 * smoothingLabel({ kind: 'add', alpha: 0.5 }); // 0.5
 */
export function smoothingLabel(s: Smoothing): number | 'kneser-ney' {
  return s.kind === 'exact' ? 0 : s.kind === 'add' ? s.alpha : 'kneser-ney';
}

/**
 * Sorted union of the keys of several count maps.
 *
 * @example
 * unionKeys(new Map([['b', 1]]), new Map([['a', 2], ['b', 3]])); // ['a', 'b']
 */
export function unionKeys(...maps: ReadonlyMap<string, number>[]): string[] {
  const s = new Set<string>();
  for (const m of maps) for (const k of m.keys()) s.add(k);
  return [...s].sort();
}

/**
 * Relative frequencies (α = 0) or add-α estimates over the union vocabulary `keys`:
 * p(g) = (c(g) + α) / (N + α·|U|).
 *
 * @example
 * addAlpha(new Map([['a', 3], ['b', 1]]), ['a', 'b', 'c'], 1); // [4/7, 2/7, 1/7]
 */
export function addAlpha(counts: ReadonlyMap<string, number>, keys: readonly string[], alpha: number): Float64Array {
  let total = 0;
  for (const c of counts.values()) total += c;
  const denom = total + alpha * keys.length;
  const p = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) p[i] = ((counts.get(keys[i]!) ?? 0) + alpha) / denom;
  return p;
}

/**
 * The absolute discount of n-gram counts: {@link absoluteDiscount} of the numbers of types seen
 * once and twice.
 *
 * @example
 * neyDiscount([1, 1, 2, 5]); // 2 / (2 + 2·1) = 0.5
 */
export function neyDiscount(counts: Iterable<number>): number {
  let n1 = 0;
  let n2 = 0;
  for (const c of counts) {
    if (c === 1) n1++;
    else if (c === 2) n2++;
  }
  return absoluteDiscount(n1, n2);
}

/** Kneser–Ney estimate of one corpus and the discounts used at each order. */
export interface KneserNeyResult {
  /** Probability of each n-gram of `unions[n − 1]`, in that order; positive, sums to 1. */
  p: Float64Array;
  /** Discount D_k per order k = 1..n. */
  discounts: number[];
}

/**
 * Interpolated Kneser–Ney smoothing of a corpus's joint n-gram distribution over a union
 * vocabulary (the n-gram types seen in either corpus), order by order. With counts c_k at order
 * k (raw counts at the top order n, continuation counts N₁₊(• g) = the number of distinct
 * (k+1)-gram types ending in g below it), N_k = Σ c_k and T_k = the number of g with c_k > 0:
 *
 *   p_k(g) = max(c_k(g) − D_k, 0)/N_k + (D_k·T_k/N_k) · b_k(g),
 *   b_1(g) = 1/|U_1|,   b_k(g) = p_{k−1}(suffix(g)) / Σ_{g′ ∈ U_k} p_{k−1}(suffix(g′)),
 *
 * where suffix(g) drops the first token. The discounted mass D_k·T_k/N_k is spread over every
 * n-gram of the union in proportion to how freely its suffix continues (the Kneser–Ney idea), so
 * an n-gram one corpus never produced gets a small positive probability and both KL directions
 * stay finite. p_n sums to 1 over U_n exactly (up to rounding) because every count is ≥ 1 ≥ D.
 *
 * @example
 * const orders = countNgramOrders([['a', 'b', 'a', 'b']], 1);
 * kneserNey(orders, [['a', 'b', 'c']]).p; // mass moved from a and b to the unseen c
 */
export function kneserNey(orders: readonly NgramCounts[], unions: readonly (readonly string[])[]): KneserNeyResult {
  const n = orders.length;
  if (unions.length !== n) throw new ArgumentError(`kneserNey: ${n} orders of counts but ${unions.length} union vocabularies`);
  // Counts per order: raw at the top, continuation counts below.
  const counts: Map<string, number>[] = [];
  for (let k = 1; k <= n; k++) {
    if (k === n) {
      counts.push(orders[k - 1]!.counts);
      continue;
    }
    const cont = new Map<string, number>();
    for (const key of orders[k]!.counts.keys()) {
      const suffix = key.slice(key.indexOf(NGRAM_SEP) + 1);
      cont.set(suffix, (cont.get(suffix) ?? 0) + 1);
    }
    counts.push(cont);
  }
  const discounts: number[] = [];
  let prev: Map<string, number> | null = null;
  let p = new Float64Array(0);
  for (let k = 1; k <= n; k++) {
    const keys = unions[k - 1]!;
    const c = counts[k - 1]!;
    let total = 0;
    let types = 0;
    for (const v of c.values()) {
      total += v;
      if (v > 0) types++;
    }
    const d = neyDiscount(c.values());
    discounts.push(d);
    const b = new Float64Array(keys.length);
    if (k === 1) b.fill(1 / keys.length);
    else {
      let s = 0;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const w = prev!.get(key.slice(key.indexOf(NGRAM_SEP) + 1));
        if (w === undefined) throw new ArgumentError(`kneserNey: the suffix of ${quote(key)} is missing from the order-${k - 1} union`);
        b[i] = w;
        s += w;
      }
      for (let i = 0; i < b.length; i++) b[i]! /= s;
    }
    const lambda = (d * types) / total;
    p = new Float64Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      p[i] = Math.max((c.get(keys[i]!) ?? 0) - d, 0) / total + lambda * b[i]!;
    }
    if (k < n) {
      prev = new Map();
      for (let i = 0; i < keys.length; i++) prev.set(keys[i]!, p[i]!);
    }
  }
  return { p, discounts };
}
