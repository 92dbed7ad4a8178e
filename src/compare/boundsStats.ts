import { DataError } from '../errors.js';
import { BOUND_MEASURES, type BoundMeasure } from './bounds.js';
import { ExactSum, type ExactSumJson } from './exactSum.js';
import { sortedQuantile } from './llamaStats.js';
import { QuantileSketch, type QuantileSketchJson } from './sketch.js';

/** The quantiles reported for both bounds, with their keys. */
export const BOUND_QUANTILES: ReadonlyArray<[key: string, f: number]> = [
  ['median', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
  ['p999', 0.999],
  ['max', 1],
];

/** Interval [lower, upper] of one aggregate; upper may be Infinity ("Infinity" in JSON). */
export type Interval = [lo: number, hi: number];

/** The certified aggregates of one measure: mean and quantiles as intervals. */
export type MeasureBounds = { mean: Interval } & Record<string, Interval>;

/** `bounds` in `klscope compare --json` with a reference base. */
export type ReferenceBoundsResult = Record<BoundMeasure, MeasureBounds>;

/** The mergeable part of a summary that carries bounds. */
export interface BoundsSummaryJson {
  version: 1;
  count: number;
  sums: Record<string, ExactSumJson>;
  sketches: Record<string, QuantileSketchJson>;
}

const SIDES = ['lo', 'hi'] as const;
const KEYS = BOUND_MEASURES.flatMap((m) => SIDES.map((s) => `${m}.${s}`));

/**
 * Streaming, mergeable aggregates of per-token bounds: exact sums of each lower and upper bound
 * (so the mean's interval is the mean of the per-token bounds, identical after a merge), and
 * quantiles of each bound (exact while the values fit, else from a sketch). If lo_i ≤ x_i ≤ hi_i
 * for every token, the j-th smallest lo is at most the j-th smallest x, which is at most the j-th
 * smallest hi: so the quantile intervals are certified too (exact quantiles; a sketch adds its
 * relative error).
 *
 * @example
 * const b = new BoundsAccumulator();
 * b.add(Float64Array.of(0.1, 0, 0, 0), Float64Array.of(0.2, Infinity, 0.1, 0.1));
 * b.result().kld.mean; // [0.1, 0.2]
 */
export class BoundsAccumulator {
  count = 0;
  readonly sums = new Map<string, ExactSum>();
  readonly sketches = new Map<string, QuantileSketch>();
  private retained: Map<string, number[]> | null = new Map();
  private readonly retainLimit: number;

  constructor(opts: { relativeAccuracy?: number; retainLimit?: number } = {}) {
    this.retainLimit = opts.retainLimit ?? 1 << 20;
    for (const k of KEYS) {
      this.sums.set(k, new ExactSum());
      this.sketches.set(k, new QuantileSketch(opts.relativeAccuracy ?? 0.005));
      this.retained!.set(k, []);
    }
  }

  /** Adds one token's bounds (order kld, reverseKld, js, tvd). */
  add(lo: ArrayLike<number>, hi: ArrayLike<number>): void {
    this.count++;
    if (this.retained && this.count > this.retainLimit) this.retained = null;
    for (let i = 0; i < 8; i++) {
      const key = KEYS[i]!; // KEYS runs kld.lo, kld.hi, reverseKld.lo, …
      const x = i & 1 ? hi[i >> 1]! : lo[i >> 1]!;
      this.sums.get(key)!.add(x);
      this.sketches.get(key)!.add(x);
      this.retained?.get(key)!.push(x);
    }
  }

  merge(o: BoundsAccumulator): void {
    this.count += o.count;
    for (const k of KEYS) {
      this.sums.get(k)!.merge(o.sums.get(k)!);
      this.sketches.get(k)!.merge(o.sketches.get(k)!);
    }
    this.retained = null;
  }

  /** Whether quantiles are exact. */
  get exactQuantiles(): boolean {
    return this.retained !== null;
  }

  toJSON(): BoundsSummaryJson {
    const sums: Record<string, ExactSumJson> = {};
    const sketches: Record<string, QuantileSketchJson> = {};
    for (const k of KEYS) {
      sums[k] = this.sums.get(k)!.toJSON();
      sketches[k] = this.sketches.get(k)!.toJSON();
    }
    return { version: 1, count: this.count, sums, sketches };
  }

  static fromJSON(j: BoundsSummaryJson, name = 'summary'): BoundsAccumulator {
    if (!j || j.version !== 1 || typeof j.count !== 'number') throw new DataError(`${name}: "bounds" is not a version-1 bounds summary`);
    const b = new BoundsAccumulator();
    b.retained = null;
    b.count = j.count;
    for (const k of KEYS) {
      if (!j.sums?.[k] || !j.sketches?.[k]) throw new DataError(`${name}: the bounds summary has no "${k}"`);
      b.sums.set(k, ExactSum.fromJSON(j.sums[k]));
      b.sketches.set(k, QuantileSketch.fromJSON(j.sketches[k]));
    }
    return b;
  }

  /** Mean and quantile intervals of each measure. */
  result(): ReferenceBoundsResult {
    if (this.count === 0) throw new DataError('no tokens to bound');
    const out = {} as ReferenceBoundsResult;
    for (const m of BOUND_MEASURES) {
      const side = (s: 'lo' | 'hi') => {
        const key = `${m}.${s}`;
        const sorted = this.retained ? Float64Array.from(this.retained.get(key)!).sort() : null;
        const q: Record<string, number> = { mean: this.sums.get(key)!.value() / this.count };
        for (const [name, f] of BOUND_QUANTILES) q[name] = sorted ? sortedQuantile(sorted, f) : this.sketches.get(key)!.quantile(f);
        return q;
      };
      const lo = side('lo');
      const hi = side('hi');
      const mb = { mean: [lo.mean!, hi.mean!] } as MeasureBounds;
      for (const [name] of BOUND_QUANTILES) mb[name] = [lo[name]!, hi[name]!];
      out[m] = mb;
    }
    return out;
  }
}
