import { counted } from '../words.js';
import { ArgumentError, DataError } from '../errors.js';
import { generalizedJsdPrepared } from '../divergence/jensenShannon.js';
import type { PreparedRow } from '../divergence/prepare.js';
import { relEntr } from '../rows/terms.js';
import { clampNonNegative } from '../rows/terms.js';
import { countNgramOrders, ngramTokens, type NgramCounts } from './ngrams.js';
import { addAlpha, kneserNey, smoothingLabel, unionKeys, type Smoothing } from './smoothing.js';

/** One n-gram's share of a KL sum: p·log(p/q) with P the first distribution of that direction. */
export interface NgramContribution {
  /** The n-gram as people read it (tokens joined by the tokenizer's rule). */
  ngram: string;
  /** Its term p·log(p/q) in nats; +Infinity where q = 0. */
  contribution: number;
  /** Probability under the reference distribution (after smoothing). */
  pReference: number;
  /** Probability under the generated distribution (after smoothing). */
  pGenerated: number;
  countReference: number;
  countGenerated: number;
}

/** Divergences between the n-gram distributions of a generated and a reference corpus. */
export interface TextDivergence {
  n: number;
  tokenizer: string;
  smoothing: number | 'kneser-ney';
  /** KL(reference‖generated): P = the reference. */
  forward: number;
  /** KL(generated‖reference). */
  reverse: number;
  jsDivergence: number;
  jsDistance: number;
  /** Distinct n-gram types. */
  vocabulary: { generated: number; reference: number; union: number };
  /** Largest terms of KL(reference‖generated): what the reference says that the generated text under-produces or never produces. */
  topForward: NgramContribution[];
  /** Largest terms of KL(generated‖reference): what the generated text overuses or invents. */
  topReverse: NgramContribution[];
  /** n-gram occurrences in each corpus. */
  ngrams: { generated: number; reference: number };
  /** n-gram types of the generated text that the reference lacks (they make exact KL(generated‖reference) infinite), with the most frequent few. */
  onlyInGenerated: { count: number; examples: string[] };
  /** n-gram types of the reference that the generated text never produces (they make exact KL(reference‖generated) infinite). */
  onlyInReference: { count: number; examples: string[] };
}

/** Options of {@link textDivergence}. */
export interface TextDivergenceOptions {
  /** n-gram order, 1..5. */
  n: number;
  smoothing: Smoothing;
  /** How many top n-grams per direction (default 10). */
  top?: number;
  /** Name of the tokenizer, for the result. */
  tokenizer?: string;
  /** How n-gram tokens are shown (default: joined by a space). */
  render?: (tokens: readonly string[]) => string;
}

function prepared(p: Float64Array): PreparedRow {
  const lp = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) lp[i] = Math.log(p[i]!);
  return { p, lp, logDomain: false };
}

/**
 * Distributions of both corpora over the union of their n-gram types, after smoothing.
 *
 * @example
 * const { keys, generated, reference } = ngramDistributions(countNgramOrders([['a', 'b']], 1), countNgramOrders([['a']], 1), { kind: 'exact' });
 * // keys ['a', 'b'], generated [0.5, 0.5], reference [1, 0]
 */
export function ngramDistributions(gen: readonly NgramCounts[], ref: readonly NgramCounts[], smoothing: Smoothing): { keys: string[]; generated: Float64Array; reference: Float64Array } {
  const n = gen.length;
  const keys = unionKeys(gen[n - 1]!.counts, ref[n - 1]!.counts);
  if (smoothing.kind === 'kneser-ney') {
    const unions = gen.map((g, k) => (k === n - 1 ? keys : unionKeys(g.counts, ref[k]!.counts)));
    return { keys, generated: kneserNey(gen, unions).p, reference: kneserNey(ref, unions).p };
  }
  const alpha = smoothing.kind === 'add' ? smoothing.alpha : 0;
  return { keys, generated: addAlpha(gen[n - 1]!.counts, keys, alpha), reference: addAlpha(ref[n - 1]!.counts, keys, alpha) };
}

function longest(docs: readonly (readonly string[])[]): number {
  let m = 0;
  for (const d of docs) m = Math.max(m, d.length);
  return m;
}

/**
 * Compares the n-gram distributions of a reference corpus and a generated corpus (documents
 * already tokenized; the reference first, as everywhere in klscope): KL(reference‖generated) as `forward` (P = the reference), KL(generated‖
 * reference) as `reverse`, the JS divergence and distance, and the n-grams that contribute most
 * to each direction. With exact estimates (smoothing 0) a direction is +Infinity when its first
 * distribution has an n-gram the second lacks; those n-grams lead its top list.
 *
 * @example
 * const r = textDivergence([['a', 'b', 'a']], [['a', 'b', 'b']], { n: 1, smoothing: { kind: 'exact' } });
 * r.forward; // KL(reference‖generated) = (2/3)·ln 2 + (1/3)·ln(1/2) = ln(2)/3
 */
export function textDivergence(reference: readonly (readonly string[])[], generated: readonly (readonly string[])[], opts: TextDivergenceOptions): TextDivergence {
  const { n } = opts;
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`invalid n: expected an integer >= 1, got ${n}`);
  const gen = countNgramOrders(generated, n);
  const ref = countNgramOrders(reference, n);
  for (const [name, c, docs] of [['generated', gen, generated], ['reference', ref, reference]] as const) {
    if (c[n - 1]!.total === 0) {
      const tokens = c[0]!.total;
      throw new DataError(
        tokens === 0
          ? `${name} corpus: no tokens (empty corpus)`
          : `${name} corpus: n = ${n} is larger than every document (the longest has ${longest(docs)} tokens), so there are no ${n}-grams`,
      );
    }
  }
  const { keys, generated: q, reference: p } = ngramDistributions(gen, ref, opts.smoothing);
  const gc = gen[n - 1]!.counts;
  const rc = ref[n - 1]!.counts;
  const fTerms = new Float64Array(keys.length);
  const rTerms = new Float64Array(keys.length);
  let f = 0;
  let r = 0;
  for (let i = 0; i < keys.length; i++) {
    fTerms[i] = relEntr(p[i]!, q[i]!);
    rTerms[i] = relEntr(q[i]!, p[i]!);
    f += fTerms[i]!;
    r += rTerms[i]!;
  }
  const js = generalizedJsdPrepared(prepared(p), prepared(q), 0.5);
  const render = opts.render ?? ((t: readonly string[]) => t.join(' '));
  const top = opts.top ?? 10;
  const pick = (terms: Float64Array, mass: Float64Array): NgramContribution[] => {
    const idx = Array.from(keys.keys()).filter((i) => terms[i]! > 0);
    // Infinite terms first, the more frequent first among them; then by size.
    idx.sort((a, b) => terms[b]! - terms[a]! || mass[b]! - mass[a]! || (keys[a]! < keys[b]! ? -1 : 1));
    return idx.slice(0, top).map((i) => ({
      ngram: render(ngramTokens(keys[i]!)),
      contribution: terms[i]!,
      pReference: p[i]!,
      pGenerated: q[i]!,
      countReference: rc.get(keys[i]!) ?? 0,
      countGenerated: gc.get(keys[i]!) ?? 0,
    }));
  };
  // n-grams one side lacks, the most frequent first (ties in key order).
  const only = (mine: Map<string, number>, other: Map<string, number>) => {
    const ks = keys.filter((k) => !other.has(k));
    const examples = [...ks].sort((a, b) => mine.get(b)! - mine.get(a)! || (a < b ? -1 : 1)).slice(0, 5).map((k) => render(ngramTokens(k)));
    return { count: ks.length, examples };
  };
  return {
    n,
    tokenizer: opts.tokenizer ?? 'custom',
    smoothing: smoothingLabel(opts.smoothing),
    forward: clampNonNegative(f),
    reverse: clampNonNegative(r),
    jsDivergence: js,
    jsDistance: Math.sqrt(js),
    vocabulary: { generated: gc.size, reference: rc.size, union: keys.length },
    topForward: pick(fTerms, p),
    topReverse: pick(rTerms, q),
    ngrams: { generated: gen[n - 1]!.total, reference: ref[n - 1]!.total },
    onlyInGenerated: only(gc, rc),
    onlyInReference: only(rc, gc),
  };
}

/** Per-line divergences of line-aligned hypothesis/reference files (machine translation). */
export interface PairsDivergence {
  /** Aligned line pairs in the files. */
  lines: number;
  /** Pairs compared (both sides have at least n tokens). */
  used: number;
  /** Pairs skipped because a side has fewer than n tokens (1-based line numbers, first 20). */
  skipped: { count: number; examples: number[] };
  /** Mean over the used lines of each per-line value (+Infinity if any line is infinite). */
  mean: { forward: number; reverse: number; jsDivergence: number; jsDistance: number };
  /** Lines whose KL is infinite in each direction (exact estimates only). */
  infiniteLines: { forward: number; reverse: number };
  perLine: Array<{ line: number; forward: number; reverse: number; jsDivergence: number }>;
}

/**
 * Line-by-line comparison of a reference file with its line-aligned hypothesis (generated) file:
 * the n-gram KL of each line pair (with the same smoothing) and their mean. The corpus-level
 * value over all lines comes from {@link textDivergence}.
 *
 * @example
 * const r = textPairs([['a', 'c']], [['a', 'b']], { n: 1, smoothing: { kind: 'add', alpha: 0.5 } });
 * r.mean.forward; // KL(reference line‖hypothesis line), averaged over lines
 */
export function textPairs(references: readonly (readonly string[])[], hypotheses: readonly (readonly string[])[], opts: TextDivergenceOptions & { lineNumbers?: readonly number[] }): PairsDivergence {
  if (hypotheses.length !== references.length) {
    throw new DataError(`pairs: the reference file has ${counted(references.length, 'line')}, the generated file ${hypotheses.length}; they must be line-aligned`);
  }
  const perLine: PairsDivergence['perLine'] = [];
  const skipped: number[] = [];
  const sums = { forward: 0, reverse: 0, jsDivergence: 0, jsDistance: 0 };
  const infiniteLines = { forward: 0, reverse: 0 };
  for (let i = 0; i < hypotheses.length; i++) {
    const line = opts.lineNumbers?.[i] ?? i + 1;
    if (hypotheses[i]!.length < opts.n || references[i]!.length < opts.n) {
      skipped.push(line);
      continue;
    }
    const r = textDivergence([references[i]!], [hypotheses[i]!], { ...opts, top: 0 });
    perLine.push({ line, forward: r.forward, reverse: r.reverse, jsDivergence: r.jsDivergence });
    sums.forward += r.forward;
    sums.reverse += r.reverse;
    sums.jsDivergence += r.jsDivergence;
    sums.jsDistance += r.jsDistance;
    if (r.forward === Infinity) infiniteLines.forward++;
    if (r.reverse === Infinity) infiniteLines.reverse++;
  }
  const used = perLine.length;
  if (used === 0) {
    throw new DataError(`pairs: n = ${opts.n} is larger than every line pair (each of the ${hypotheses.length} pairs has a side with fewer than ${opts.n} tokens)`);
  }
  return {
    lines: hypotheses.length,
    used,
    skipped: { count: skipped.length, examples: skipped.slice(0, 20) },
    mean: { forward: sums.forward / used, reverse: sums.reverse / used, jsDivergence: sums.jsDivergence / used, jsDistance: sums.jsDistance / used },
    infiniteLines,
    perLine,
  };
}
