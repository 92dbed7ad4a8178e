import * as v from 'valibot';
import { DataError, showValue } from '../errors.js';
import type { CompareSummaryJson } from './accumulator.js';
import { COMPARE_MEASURES, type CompareSumKey, type QuantileResultKey } from '../rows/measureTable.js';

/** Sums of the target statistics (negative log-likelihoods and Δp). */
const TARGET_SUM_KEYS = ['nll', 'nll2', 'nllBase', 'nllBase2', 'nllNllBase', 'dp', 'dp2', 'dp4'] as const;
/** A key of the summary's exact sums. */
export type SumKey = CompareSumKey | (typeof TARGET_SUM_KEYS)[number];
/** The exact sums: each compare measure's sum and sum of squares (measure table order), then the target sums. */
export const SUM_KEYS: readonly SumKey[] = [...COMPARE_MEASURES.flatMap((m) => [m.sum, `${m.sum}2` as const]), ...TARGET_SUM_KEYS];
/** A quantile sketch: one per compare measure with quantiles (named by its JSON key), then Δp. */
export type SketchKey = QuantileResultKey | 'deltaP';
export const SKETCH_KEYS: readonly SketchKey[] = [...COMPARE_MEASURES.filter((m) => m.quantiles).map((m) => m.result as QuantileResultKey), 'deltaP'];

const count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const finite = v.pipe(v.number(), v.finite());
/** A sketch's min/max: a finite number, or "Infinity"/"-Infinity" as the JSON writer spells them. */
const extreme = v.union([finite, v.picklist(['Infinity', '-Infinity'])]);

const exactSum = v.strictObject({
  partials: v.array(finite),
  posInf: count,
  negInf: count,
  nan: v.optional(count),
});

const sketch = v.strictObject({
  relativeAccuracy: v.pipe(v.number(), v.gtValue(0), v.ltValue(0.5)),
  count,
  zero: count,
  posInf: count,
  min: extreme,
  max: extreme,
  positive: v.array(v.tuple([v.pipe(v.number(), v.safeInteger()), v.pipe(count, v.minValue(1))])),
  negative: v.array(v.tuple([v.pipe(v.number(), v.safeInteger()), v.pipe(count, v.minValue(1))])),
});

const inputIdentity = v.strictObject({
  format: v.string(),
  rows: count,
  vocab: count,
  nCtx: v.optional(count),
  nChunk: v.optional(count),
  dtype: v.optional(v.string()),
  fingerprint: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
});

const worst = v.strictObject({
  row: count,
  position: count,
  token: v.pipe(v.number(), v.safeInteger(), v.minValue(-1)),
  kld: v.union([finite, v.literal('Infinity')]),
  reverseKld: v.union([finite, v.literal('Infinity')]),
  deltaP: v.nullable(v.pipe(v.number(), v.minValue(-1), v.maxValue(1))),
  topBase: v.pipe(v.number(), v.safeInteger(), v.minValue(-1)),
  topCandidate: v.pipe(v.number(), v.safeInteger(), v.minValue(-1)),
});


/** The schema of a `klscope compare --summary-out` file (version 2). */
export const SummarySchema = v.strictObject({
  format: v.literal('klscope-compare-summary'),
  version: v.literal(2),
  count: v.pipe(count, v.minValue(1)),
  targetCount: count,
  sameTop: count,
  floorTargets: v.strictObject({ base: count, candidate: count }),
  sums: v.strictObject(Object.fromEntries(SUM_KEYS.map((k) => [k, exactSum])) as Record<SumKey, typeof exactSum>),
  sketches: v.strictObject(Object.fromEntries(SKETCH_KEYS.map((k) => [k, sketch])) as Record<SketchKey, typeof sketch>),
  positionBinWidth: v.pipe(count, v.minValue(1)),
  byPosition: v.array(v.tuple([count, v.pipe(count, v.minValue(1)), v.union([finite, v.literal('Infinity')]), v.union([finite, v.literal('Infinity')])])),
  worstCount: v.pipe(count, v.minValue(1), v.maxValue(100000)),
  estimator: v.picklist(['full', 'topk-lower-bound', 'reference-bounds']),
  bounds: v.optional(v.strictObject({ version: v.literal(1), count: v.pipe(count, v.minValue(1)), sums: v.record(v.string(), exactSum), sketches: v.record(v.string(), sketch) })),
  worst: v.array(worst),
  notes: v.array(v.pipe(v.string(), v.maxLength(10000))),
  inputs: v.array(v.record(v.string(), v.unknown())),
  run: v.nullable(v.strictObject({ base: inputIdentity, candidate: inputIdentity, tokens: v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/))), rows: count })),
  rowRanges: v.array(v.tuple([count, count])),
});

function pathOf(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((p) => p.key);
  return keys.length ? keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('') : 'the document';
}

function fail(name: string, where: string, expected: string, got: string): never {
  throw new DataError({ where: `${name}: ${where}`, expected, got });
}

/**
 * Validates a parsed summary: the schema (every field, its type and range), then the invariants
 * the numbers must keep (same-top and target counts within the token count, sketch and position
 * counts that add up, finite sums, row ranges inside the run). Errors name the file and the field.
 *
 * @example
 * const s = parseSummary(JSON.parse(text), 'part0.json');
 */
export function parseSummary(json: unknown, name: string): CompareSummaryJson {
  if (json && typeof json === 'object' && (json as { format?: unknown }).format === 'klscope-compare-summary' && (json as { version?: unknown }).version !== 2) {
    fail(name, 'version', 'summary version 2 (re-run klscope compare with the summaryOut option)', showValue((json as { version?: unknown }).version).slice(0, 20));
  }
  const r = v.safeParse(SummarySchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    if (issue.received === 'undefined') fail(name, pathOf(issue), 'a required field', 'nothing (it is missing)');
    const got = issue.received.length > 60 ? issue.received.slice(0, 60) + '…' : issue.received;
    fail(name, pathOf(issue), issue.expected ?? 'a valid value', got);
  }
  const s = r.output;
  if (s.targetCount > s.count) fail(name, 'targetCount', `at most count (${s.count})`, String(s.targetCount));
  if (s.sameTop > s.count) fail(name, 'sameTop', `at most count (${s.count})`, String(s.sameTop));
  for (const side of ['base', 'candidate'] as const) {
    if (s.floorTargets[side] > s.targetCount) fail(name, `floorTargets.${side}`, `at most targetCount (${s.targetCount})`, String(s.floorTargets[side]));
  }
  for (const k of SKETCH_KEYS) {
    const want = k === 'deltaP' ? s.targetCount : s.count;
    const sk = s.sketches[k];
    let n = sk.zero + sk.posInf;
    for (const [, c] of sk.positive) n += c;
    for (const [, c] of sk.negative) n += c;
    if (sk.count !== want || n !== want) fail(name, `sketches.${k}.count`, `${want} values (${k === 'deltaP' ? 'targetCount' : 'count'}) in its buckets`, `count ${sk.count}, buckets ${n}`);
    if (sk.relativeAccuracy !== s.sketches[SKETCH_KEYS[0]!].relativeAccuracy) fail(name, `sketches.${k}.relativeAccuracy`, 'the same accuracy in every sketch', String(sk.relativeAccuracy));
  }
  let inBins = 0;
  for (const b of s.byPosition) inBins += b[1];
  if (inBins !== s.count) fail(name, 'byPosition', `counts that add up to count (${s.count})`, String(inBins));
  if (s.worst.length > s.worstCount) fail(name, 'worst', `at most worstCount (${s.worstCount}) entries`, String(s.worst.length));
  for (const k of SUM_KEYS) {
    const sum = s.sums[k];
    if ((sum.nan ?? 0) > 0) fail(name, `sums.${k}.nan`, '0 (no NaN in a sum)', String(sum.nan));
    let total = 0;
    for (const x of sum.partials) total += x;
    if (!Number.isFinite(total)) fail(name, `sums.${k}.partials`, 'partials with a finite sum', 'an overflowing sum');
    if (k.endsWith('2') || k === 'dp4') {
      if (total < 0 || sum.negInf > 0) fail(name, `sums.${k}`, 'a sum of squares >= 0', String(total));
    }
  }
  let rows = 0;
  for (const [a, b] of s.rowRanges) {
    if (!(a < b)) fail(name, 'rowRanges', 'ranges [start, end) with start < end', `[${a}, ${b}]`);
    if (s.run && b > s.run.rows) fail(name, 'rowRanges', `ranges inside the run's ${s.run.rows} rows`, `[${a}, ${b}]`);
    rows += b - a;
  }
  if (s.rowRanges.length && s.estimator === 'full' && rows !== s.count) fail(name, 'rowRanges', `ranges covering count (${s.count}) rows`, `${rows} rows`);
  if (s.estimator === 'reference-bounds' && !s.bounds) fail(name, 'bounds', 'certified bounds for a reference-bounds summary', 'none');
  if (s.bounds && s.bounds.count !== s.count) fail(name, 'bounds.count', `the summary's count (${s.count})`, String(s.bounds.count));
  return s as unknown as CompareSummaryJson;
}
