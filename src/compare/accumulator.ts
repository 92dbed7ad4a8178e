import { DataError } from '../errors.js';
import { COMPARE_MEASURES, type CompareResultKey, type CompareRowKey, type CompareSumKey, type QuantileResultKey } from '../rows/measureTable.js';
import { BoundsAccumulator, type BoundsSummaryJson, type ReferenceBoundsResult } from './boundsStats.js';
import { ExactSum, type ExactSumJson } from './exactSum.js';
import { DELTA_P_QUANTILES, KLD_QUANTILES, meanAndUncertainty, meanCovariance, sortedQuantile } from './llamaStats.js';
import { QuantileSketch, type QuantileSketchJson } from './sketch.js';
import type { RunIdentity } from './runIdentity.js';
import { parseSummary, SKETCH_KEYS, SUM_KEYS, type SketchKey, type SumKey } from './summarySchema.js';

/**
 * Per-token results of a block of consecutive rows (struct of arrays): one Float64Array per
 * compare measure of the measure table (`forward` is KL(base‖candidate), llama.cpp's "KLD";
 * `reverse` is KL(candidate‖base); `js`; `tvd`), argmaxes, targets and positions.
 */
export type RowBlock = { [K in CompareRowKey]: Float64Array } & {
  n: number;
  /** Global index of the first row. */
  row0: number;
  argmaxBase: Int32Array;
  argmaxCand: Int32Array;
  /** Token each row predicts, −1 when unknown. */
  target: Int32Array;
  /** Position of that token in its context window (or sequence). */
  position: Int32Array;
  /** log p(target), log q(target); NaN without a target. */
  logpTarget: Float64Array;
  logqTarget: Float64Array;
  /** Per row: bit 1 when the base's target is stored at a .kld file's floor (code 0), bit 2 the candidate's. */
  floorTarget?: Uint8Array;
};

/** One of the worst positions (largest KL(base‖candidate)). */
export interface WorstPosition {
  row: number;
  position: number;
  token: number;
  kld: number;
  reverseKld: number;
  deltaP: number | null;
  topBase: number;
  topCandidate: number;
}

/** The compare measures with quantiles: their block field and JSON key (which names their sketch). */
const QUANTILE_MEASURES = COMPARE_MEASURES.filter((m) => m.quantiles).map((m) => [m.row, m.result as QuantileResultKey] as const);

/** Per compare measure: its block field and the keys of its sum and sum of squares. */
const MEASURE_SUMS = COMPARE_MEASURES.map((m) => [m.row, m.sum, `${m.sum}2` as CompareSumKey] as const);

/** The mergeable summary written by `--summary-out` and read by `klscope merge`. */
export interface CompareSummaryJson {
  format: 'klscope-compare-summary';
  version: 2;
  count: number;
  targetCount: number;
  sameTop: number;
  /** Targets read at a .kld file's floor (code 0) on each side: their log-probability is an upper bound. */
  floorTargets: { base: number; candidate: number };
  sums: Record<SumKey, ExactSumJson>;
  sketches: Record<SketchKey, QuantileSketchJson>;
  positionBinWidth: number;
  byPosition: Array<[bin: number, count: number, sumKld: number, sumReverseKld: number]>;
  /** How many worst positions are kept. */
  worstCount: number;
  estimator?: CompareEstimator;
  /** Certified per-token bounds (a .klref base). */
  bounds?: BoundsSummaryJson;
  worst: WorstPosition[];
  notes: string[];
  inputs: unknown[];
  /** What the shard belongs to (inputs, sizes, token-list hash); null when the accumulator was built without files. */
  run: RunIdentity | null;
  /** The [start, end) row ranges this summary covers. */
  rowRanges: Array<[number, number]>;
}

/** +∞ as the JSON string "Infinity" (JSON.stringify would write null). */
function jsonNumber(x: number): number | string {
  return Number.isFinite(x) ? x : x > 0 ? 'Infinity' : '-Infinity';
}

/** Options of {@link CompareAccumulator}. */
export interface AccumulatorOptions {
  /** Relative accuracy α of the quantile sketches (default 0.005 = 0.5%). */
  relativeAccuracy?: number;
  /** Keep up to this many per-token values for exact quantiles (default 2^21). */
  retainLimit?: number;
  /** Positions are grouped in bins of this width for "KL by position" (default 1). */
  positionBinWidth?: number;
  /** How many worst positions to keep (default 50). */
  worstCount?: number;
}

class Growable {
  data = new Float64Array(1024);
  n = 0;
  push(x: number): void {
    if (this.n === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.n++] = x;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.n).sort();
  }
}

/**
 * How the statistics were obtained: 'full' distributions; 'topk-lower-bound' for top-k lists
 * (KL, JS and TVD are lower bounds); 'reference-bounds' for a .klref base (per-token values are
 * point estimates, `bounds` holds certified intervals).
 */
export type CompareEstimator = 'full' | 'topk-lower-bound' | 'reference-bounds';

/** A compare measure's mean and its standard error, and its quantiles for those with quantiles (`kld`, `reverseKld`). */
export type MeasureResult = { mean: number; stderr: number } & Record<string, number>;

/** Statistics in the JSON contract of `klscope compare --json`: one entry per compare measure of the measure table, then the target statistics. */
export type CompareResult = {
  tokens: number;
  direction: 'KL(base‖candidate)';
  reverseDirection: 'KL(candidate‖base)';
} & { [K in CompareResultKey]: MeasureResult } & CompareTargetResult;

/** The part of {@link CompareResult} after the measures. */
export interface CompareTargetResult {
  sameTop: { p: number; stderr: number };
  deltaP: Record<string, number> | null;
  ppl: {
    base: number;
    baseStderr: number;
    candidate: number;
    candidateStderr: number;
    ratio: number;
    ratioStderr: number;
    lnRatio: number;
    lnRatioStderr: number;
    cor: number | null;
    diff: number;
    diffStderr: number;
    /** Targets stored at a .kld file's floor on each side: above 0, PPL on that side is a lower bound. */
    floorTargets: { base: number; candidate: number };
  } | null;
  quantiles: { method: 'exact' | 'sketch'; relativeError: number };
  /** 'full' distributions, or top-k lists coarsened into shared tokens + rest: then KL, JS and TVD are lower bounds. */
  estimator: CompareEstimator;
  /** With a .klref base: certified intervals of the mean and quantiles of each measure. */
  bounds?: ReferenceBoundsResult;
  notes: string[];
}

/**
 * Refuses to merge a summary with certified bounds (a .klref base) with one without: checked
 * before run identities, since it says more than "the base differs".
 *
 * @example
 * checkBoundsMergeable(a, b); // throws a DataError when only one of them has bounds
 */
export function checkBoundsMergeable(a: { bounds?: unknown }, b: { bounds?: unknown }): void {
  if (!a.bounds !== !b.bounds) throw new DataError('cannot merge a summary with certified bounds (a .klref base) and one without');
}

/**
 * Streaming, mergeable statistics of a comparison: exact sums (so merged means equal the
 * unsplit run bit for bit), DDSketch quantiles with relative error α, exact per-token values
 * while they fit (exact quantiles for the unsplit run), KL by position and the worst positions.
 *
 * @example
 * const acc = new CompareAccumulator();
 * acc.addBlock(block);
 * const result = acc.result();
 */
export class CompareAccumulator {
  count = 0;
  targetCount = 0;
  sameTop = 0;
  floorTargets = { base: 0, candidate: 0 };
  readonly sums = {} as Record<SumKey, ExactSum>;
  readonly sketches = {} as Record<SketchKey, QuantileSketch>;
  private retained: Record<SketchKey, Growable> | null;
  private readonly retainLimit: number;
  readonly positionBinWidth: number;
  readonly byPosition = new Map<number, [number, number, number]>();
  worst: WorstPosition[] = [];
  private readonly worstCount: number;
  private worstMin = -Infinity;
  notes: string[] = [];
  inputs: unknown[] = [];
  /** The run this accumulator belongs to (set by the comparison), checked by merge. */
  run: RunIdentity | null = null;
  /** The [start, end) row ranges added, for merge's overlap and gap checks. */
  rowRanges: Array<[number, number]> = [];
  /** Set to 'topk-lower-bound' for top-k JSONL inputs. */
  estimator: CompareEstimator = 'full';
  /** Per-token bounds of a .klref base, or null. */
  bounds: BoundsAccumulator | null = null;

  constructor(opts: AccumulatorOptions = {}) {
    for (const k of SUM_KEYS) this.sums[k] = new ExactSum();
    const a = opts.relativeAccuracy ?? 0.005;
    for (const k of SKETCH_KEYS) this.sketches[k] = new QuantileSketch(a);
    this.retainLimit = opts.retainLimit ?? 1 << 21;
    this.retained = Object.fromEntries(SKETCH_KEYS.map((k) => [k, new Growable()])) as Record<SketchKey, Growable>;
    this.positionBinWidth = opts.positionBinWidth ?? 1;
    this.worstCount = opts.worstCount ?? 50;
  }

  /** Adds the per-token results of a block of rows. */
  addBlock(b: RowBlock): void {
    const s = this.sums;
    for (let i = 0; i < b.n; i++) {
      const f = b.forward[i]!;
      const r = b.reverse[i]!;
      if (Number.isNaN(f) || Number.isNaN(r)) throw new DataError(`row ${b.row0 + i}: KL came out NaN (the input breaks a rule)`);
      this.count++;
      for (const [row, sum, sum2] of MEASURE_SUMS) {
        const x = b[row][i]!;
        s[sum].add(x);
        s[sum2].add(x * x);
      }
      if (b.argmaxBase[i] === b.argmaxCand[i]) this.sameTop++;
      for (const [row, k] of QUANTILE_MEASURES) this.sketches[k].add(b[row][i]!);
      let dp: number | null = null;
      const lp = b.logpTarget[i]!;
      const lq = b.logqTarget[i]!;
      if (!Number.isNaN(lp) && !Number.isNaN(lq)) {
        this.targetCount++;
        const fl = b.floorTarget?.[i] ?? 0;
        if (fl & 1) this.floorTargets.base++;
        if (fl & 2) this.floorTargets.candidate++;
        const nll = -lq;
        const nllBase = -lp;
        s.nll.add(nll);
        s.nll2.add(nll * nll);
        s.nllBase.add(nllBase);
        s.nllBase2.add(nllBase * nllBase);
        s.nllNllBase.add(nll * nllBase);
        dp = Math.exp(lq) - Math.exp(lp);
        const d2 = dp * dp;
        s.dp.add(dp);
        s.dp2.add(d2);
        s.dp4.add(d2 * d2);
        this.sketches.deltaP.add(dp);
      }
      if (this.retained) {
        if (this.count > this.retainLimit) this.retained = null;
        else {
          for (const [row, k] of QUANTILE_MEASURES) this.retained[k].push(b[row][i]!);
          if (dp !== null) this.retained.deltaP.push(dp);
        }
      }
      const bin = Math.floor(b.position[i]! / this.positionBinWidth);
      const e = this.byPosition.get(bin);
      if (e) {
        e[0]++;
        e[1] += f;
        e[2] += r;
      } else this.byPosition.set(bin, [1, f, r]);
      if (this.worst.length < this.worstCount || f >= this.worstMin) {
        this.worst.push({
          row: b.row0 + i,
          position: b.position[i]!,
          token: b.target[i]!,
          kld: f,
          reverseKld: r,
          deltaP: dp,
          topBase: b.argmaxBase[i]!,
          topCandidate: b.argmaxCand[i]!,
        });
        if (this.worst.length > 4 * this.worstCount) this.trimWorst();
      }
    }
  }

  private trimWorst(): void {
    // Largest KL first; ties by row so the list does not depend on how the rows were split.
    this.worst.sort((a, b) => b.kld - a.kld || a.row - b.row);
    if (this.worst.length > this.worstCount) this.worst.length = this.worstCount;
    this.worstMin = this.worst.length === this.worstCount ? this.worst[this.worstCount - 1]!.kld : -Infinity;
  }

  /** Adds another accumulator's statistics (exact sums, sketches, positions, worst list). */
  merge(o: CompareAccumulator): void {
    if (o.positionBinWidth !== this.positionBinWidth) {
      throw new DataError(`cannot merge summaries with position bins of width ${this.positionBinWidth} and ${o.positionBinWidth}`);
    }
    this.count += o.count;
    this.targetCount += o.targetCount;
    this.sameTop += o.sameTop;
    this.floorTargets.base += o.floorTargets.base;
    this.floorTargets.candidate += o.floorTargets.candidate;
    for (const k of SUM_KEYS) this.sums[k].merge(o.sums[k]);
    for (const k of SKETCH_KEYS) this.sketches[k].merge(o.sketches[k]);
    this.retained = null;
    for (const [bin, v] of o.byPosition) {
      const e = this.byPosition.get(bin);
      if (e) {
        e[0] += v[0];
        e[1] += v[1];
        e[2] += v[2];
      } else this.byPosition.set(bin, [...v]);
    }
    this.worst.push(...o.worst);
    this.trimWorst();
    if (o.estimator !== 'full') this.estimator = o.estimator;
    checkBoundsMergeable(this, o);
    if (this.bounds && o.bounds) this.bounds.merge(o.bounds);
    for (const n of o.notes) if (!this.notes.includes(n)) this.notes.push(n);
    this.inputs.push(...o.inputs);
    this.rowRanges.push(...o.rowRanges);
    this.run ??= o.run;
  }

  toSummary(): CompareSummaryJson {
    this.trimWorst();
    const sums = {} as Record<SumKey, ExactSumJson>;
    for (const k of SUM_KEYS) sums[k] = this.sums[k].toJSON();
    return {
      format: 'klscope-compare-summary',
      version: 2,
      count: this.count,
      targetCount: this.targetCount,
      sameTop: this.sameTop,
      floorTargets: { ...this.floorTargets },
      sums,
      sketches: Object.fromEntries(SKETCH_KEYS.map((k) => [k, this.sketches[k].toJSON()])) as Record<SketchKey, QuantileSketchJson>,
      positionBinWidth: this.positionBinWidth,
      byPosition: [...this.byPosition.entries()].sort((a, b) => a[0] - b[0]).map(([bin, v]) => [bin, v[0], jsonNumber(v[1]), jsonNumber(v[2])] as unknown as [number, number, number, number]),
      worstCount: this.worstCount,
      estimator: this.estimator,
      ...(this.bounds ? { bounds: this.bounds.toJSON() } : {}),
      worst: this.worst.map((w) => ({ ...w, kld: jsonNumber(w.kld), reverseKld: jsonNumber(w.reverseKld) }) as unknown as WorstPosition),
      notes: this.notes,
      inputs: this.inputs,
      run: this.run,
      rowRanges: this.rowRanges,
    };
  }

  /** Rebuilds an accumulator from a summary (quantiles then come from the sketches). */
  static fromSummary(raw: unknown, name = 'summary'): CompareAccumulator {
    if (!raw || typeof raw !== 'object' || (raw as { format?: unknown }).format !== 'klscope-compare-summary') {
      throw new DataError(`${name}: not a klscope compare summary (expected "format": "klscope-compare-summary")`);
    }
    const j = parseSummary(raw, name);
    const acc = new CompareAccumulator({ relativeAccuracy: j.sketches.kld.relativeAccuracy, positionBinWidth: j.positionBinWidth, worstCount: j.worstCount ?? 50 });
    acc.retained = null;
    acc.count = j.count;
    acc.targetCount = j.targetCount;
    acc.sameTop = j.sameTop;
    acc.floorTargets = { ...j.floorTargets };
    for (const k of SUM_KEYS) {
      if (!j.sums[k]) throw new DataError(`${name}: the summary has no sum "${k}"`);
      (acc.sums as Record<SumKey, ExactSum>)[k] = ExactSum.fromJSON(j.sums[k]);
    }
    for (const k of SKETCH_KEYS) {
      const sk = (j.sketches as Partial<Record<SketchKey, QuantileSketchJson>>)[k];
      if (!sk) throw new DataError(`${name}: the summary has no sketch "${k}"`);
      acc.sketches[k] = QuantileSketch.fromJSON(sk);
    }
    for (const [bin, n, a, b] of j.byPosition) acc.byPosition.set(bin, [n, Number(a), Number(b)]);
    acc.worst = j.worst.map((w) => ({ ...w, kld: Number(w.kld), reverseKld: Number(w.reverseKld) }));
    acc.estimator = j.estimator ?? 'full';
    if (j.bounds) acc.bounds = BoundsAccumulator.fromJSON(j.bounds, name);
    acc.notes = j.notes.slice();
    acc.inputs = j.inputs.slice();
    acc.run = j.run;
    acc.rowRanges = j.rowRanges.map(([a, b]) => [a, b]);
    return acc;
  }

  /** Whether quantiles will be exact (all per-token values kept). */
  get exactQuantiles(): boolean {
    return this.retained !== null;
  }

  /** The statistics, with llama.cpp's definitions. */
  result(): CompareResult {
    if (this.count === 0) throw new DataError('no tokens to compare');
    this.trimWorst();
    const N = this.count;
    const v = (k: SumKey) => this.sums[k].value();
    const exact = this.retained;
    const quantiles = (
      keys: ReadonlyArray<[string, number]>,
      sketch: QuantileSketch,
      values: Growable | undefined,
    ): Record<string, number> => {
      const sorted = values ? values.sorted() : null;
      const out: Record<string, number> = {};
      for (const [k, f] of keys) out[k] = sorted ? sortedQuantile(sorted, f) : sketch.quantile(f);
      return out;
    };
    const measures = {} as Record<CompareResultKey, MeasureResult>;
    for (const m of COMPARE_MEASURES) {
      const { mean, stderr } = meanAndUncertainty(v(m.sum), v(`${m.sum}2`), N);
      const k = m.result as QuantileResultKey;
      measures[m.result] = { mean, stderr, ...(m.quantiles ? quantiles(KLD_QUANTILES, this.sketches[k], exact?.[k]) : {}) } as MeasureResult;
    }
    const pTop = this.sameTop / N;
    const result: CompareResult = {
      tokens: N,
      direction: 'KL(base‖candidate)',
      reverseDirection: 'KL(candidate‖base)',
      ...measures,
      sameTop: { p: pTop, stderr: N > 1 ? Math.sqrt((pTop * (1 - pTop)) / (N - 1)) : 0 },
      deltaP: null,
      ppl: null,
      quantiles: { method: exact ? 'exact' : 'sketch', relativeError: exact ? 0 : this.sketches.kld.relativeAccuracy },
      estimator: this.estimator,
      ...(this.bounds ? { bounds: this.bounds.result() } : {}),
      notes: this.notes.slice(),
    };
    const T = this.targetCount;
    if (T > 0) {
      const dp = meanAndUncertainty(v('dp'), v('dp2'), T);
      const mse = meanAndUncertainty(v('dp2'), v('dp4'), T);
      const rms = Math.sqrt(mse.mean);
      result.deltaP = {
        mean: dp.mean,
        stderr: dp.stderr,
        rms,
        rmsStderr: rms > 0 ? (0.5 / rms) * mse.stderr : 0,
        ...quantiles(DELTA_P_QUANTILES, this.sketches.deltaP, exact?.deltaP),
      };
      const q = meanAndUncertainty(v('nll'), v('nll2'), T);
      const b = meanAndUncertainty(v('nllBase'), v('nllBase2'), T);
      const cov = meanCovariance(v('nll'), v('nllBase'), v('nllNllBase'), T);
      const lnRatio = q.mean - b.mean;
      const lnRatioStderr = Math.sqrt(Math.max(0, q.stderr * q.stderr + b.stderr * b.stderr - 2 * cov));
      const ppl = Math.exp(q.mean);
      const pplBase = Math.exp(b.mean);
      const pplStderr = ppl * q.stderr;
      const pplBaseStderr = pplBase * b.stderr;
      const cor = cov / (q.stderr * b.stderr);
      result.ppl = {
        base: pplBase,
        baseStderr: pplBaseStderr,
        candidate: ppl,
        candidateStderr: pplStderr,
        ratio: Math.exp(lnRatio),
        ratioStderr: Math.exp(lnRatio) * lnRatioStderr,
        lnRatio,
        lnRatioStderr,
        cor: Number.isFinite(cor) ? cor : null,
        diff: ppl - pplBase,
        diffStderr: Math.sqrt(Math.max(0, pplStderr * pplStderr + pplBaseStderr * pplBaseStderr - 2 * ppl * pplBase * cov)),
        floorTargets: { ...this.floorTargets },
      };
      const fb = this.floorTargets.base;
      const fc = this.floorTargets.candidate;
      if (fb > 0 || fc > 0) {
        const sides = [fc > 0 ? `${fc} for the candidate` : '', fb > 0 ? `${fb} for the base` : ''].filter(Boolean).join(', ');
        const ratio = fb > 0 && fc > 0 ? 'the ratio and difference are bounds in no definite direction' : fc > 0 ? 'the ratio and difference are lower bounds' : 'the ratio and difference are upper bounds';
        result.notes.push(
          `${sides} of ${T} target tokens are stored at the .kld floor (code 0, more than 16 nats below the row's best token) and read at the floor value, an upper bound on their log-probability: PPL on that side is a lower bound (≥), ${ratio} (json ppl.floorTargets).`,
        );
      }
      if (T < N) result.notes.push(`${N - T} of ${N} tokens had no target token: perplexity and Δp use the other ${T}.`);
    }
    // undefined statistics (the stderr of an infinite mean, ∞ − ∞) are null, never NaN
    for (const part of [...COMPARE_MEASURES.map((m) => result[m.result]), result.deltaP, result.ppl] as Array<Record<string, number | null> | null>) {
      if (part) for (const k of Object.keys(part)) if (Number.isNaN(part[k])) part[k] = null;
    }
    return result;
  }
}
