import { DataError } from '../errors.js';

/** Serialized {@link QuantileSketch}. */
export interface QuantileSketchJson {
  relativeAccuracy: number;
  count: number;
  zero: number;
  posInf: number;
  min: number | string;
  max: number | string;
  /** [bucket index, count] pairs for x > 0 and for x < 0 (index of |x|). */
  positive: [number, number][];
  negative: [number, number][];
}

/**
 * A mergeable quantile sketch with a relative-error guarantee (DDSketch-style log buckets):
 * a value x ≠ 0 goes to bucket i = ⌈log_γ |x|⌉ with γ = (1 + α)/(1 − α), so every value in a
 * bucket lies in (γ^(i−1), γ^i] and the bucket's representative 2γ^i/(γ + 1) is within a
 * relative error α of each of them. Zeros are exact, min and max are kept exactly, +∞ is
 * counted apart. Merging adds bucket counts, so a merged sketch equals the sketch of all values.
 *
 * Guarantee: for the k-th smallest value x_(k), `orderStatistic(k)` returns x̂ with
 * |x̂ − x_(k)| ≤ α·|x_(k)| (plus a few ulps from the logarithm) for normal doubles
 * (|x| > 1e-300; subnormals lack the digits for a relative bound). `quantile(f)` interpolates at
 * r = f·(N − 1) between two order statistics, so its error is at most
 * α·((1 − w)·|x_(⌊r⌋)| + w·|x_(⌊r⌋+1)|), w = r − ⌊r⌋: α times the magnitude of the exact value
 * when both neighbours have the same sign.
 *
 * @example
 * const s = new QuantileSketch(0.005);
 * for (let i = 1; i <= 1000; i++) s.add(i / 1000);
 * s.quantile(0.5); // within 0.5% of 0.5005
 */
export class QuantileSketch {
  readonly relativeAccuracy: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  private pos = new Map<number, number>();
  private neg = new Map<number, number>();
  private zero = 0;
  private posInf = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;

  constructor(relativeAccuracy = 0.005) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) throw new DataError(`invalid sketch accuracy ${relativeAccuracy}: expected 0 < α < 1`);
    this.relativeAccuracy = relativeAccuracy;
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
  }

  private index(a: number): number {
    return Math.ceil(Math.log(a) / this.logGamma);
  }

  /** Representative of bucket i: 2γ^i/(γ + 1), the point with equal relative error to both ends. */
  private value(i: number): number {
    return (2 * Math.exp(i * this.logGamma)) / (this.gamma + 1);
  }

  add(x: number): void {
    if (Number.isNaN(x)) throw new DataError('QuantileSketch: NaN cannot be ranked');
    this.count++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x === Infinity) {
      this.posInf++;
      return;
    }
    if (x === -Infinity) throw new DataError('QuantileSketch: -Infinity cannot be ranked');
    if (x === 0) {
      this.zero++;
      return;
    }
    const m = x > 0 ? this.pos : this.neg;
    const i = this.index(Math.abs(x));
    m.set(i, (m.get(i) ?? 0) + 1);
  }

  merge(other: QuantileSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new DataError(`cannot merge sketches with relative accuracy ${this.relativeAccuracy} and ${other.relativeAccuracy}`);
    }
    for (const [i, c] of other.pos) this.pos.set(i, (this.pos.get(i) ?? 0) + c);
    for (const [i, c] of other.neg) this.neg.set(i, (this.neg.get(i) ?? 0) + c);
    this.zero += other.zero;
    this.posInf += other.posInf;
    this.count += other.count;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** Buckets in increasing value order: [lower edge, upper edge, count] (for histograms). */
  buckets(): Array<{ lo: number; hi: number; count: number }> {
    const out: Array<{ lo: number; hi: number; count: number }> = [];
    const ni = [...this.neg.keys()].sort((a, b) => b - a);
    for (const i of ni) out.push({ lo: -Math.exp(i * this.logGamma), hi: -Math.exp((i - 1) * this.logGamma), count: this.neg.get(i)! });
    if (this.zero) out.push({ lo: 0, hi: 0, count: this.zero });
    const pi = [...this.pos.keys()].sort((a, b) => a - b);
    for (const i of pi) out.push({ lo: Math.exp((i - 1) * this.logGamma), hi: Math.exp(i * this.logGamma), count: this.pos.get(i)! });
    if (this.posInf) out.push({ lo: Infinity, hi: Infinity, count: this.posInf });
    return out;
  }

  /** Estimate of the k-th smallest value (k from 0); exact for the first and the last. */
  orderStatistic(k: number): number {
    if (this.count === 0) return NaN;
    if (k <= 0) return this.min;
    if (k >= this.count - 1) return this.max;
    let seen = 0;
    const clamp = (v: number) => Math.min(this.max, Math.max(this.min, v));
    const ni = [...this.neg.keys()].sort((a, b) => b - a);
    for (const i of ni) {
      seen += this.neg.get(i)!;
      if (k < seen) return clamp(-this.value(i));
    }
    seen += this.zero;
    if (k < seen) return 0;
    const pi = [...this.pos.keys()].sort((a, b) => a - b);
    for (const i of pi) {
      seen += this.pos.get(i)!;
      if (k < seen) return clamp(this.value(i));
    }
    return Infinity;
  }

  /** The f-quantile interpolated at f·(N − 1) between order statistics, like llama.cpp's. */
  quantile(f: number): number {
    if (this.count === 0) return NaN;
    if (f <= 0) return this.min;
    if (f >= 1) return this.max;
    const r = f * (this.count - 1);
    const lo = Math.floor(r);
    const w = r - lo;
    const a = this.orderStatistic(lo);
    if (w === 0) return a;
    const b = this.orderStatistic(lo + 1);
    if (a === Infinity || b === Infinity) return Infinity;
    return (1 - w) * a + w * b;
  }

  toJSON(): QuantileSketchJson {
    const pairs = (m: Map<number, number>) => [...m.entries()].sort((a, b) => a[0] - b[0]);
    const num = (x: number) => (Number.isFinite(x) ? x : String(x));
    return {
      relativeAccuracy: this.relativeAccuracy,
      count: this.count,
      zero: this.zero,
      posInf: this.posInf,
      min: num(this.min),
      max: num(this.max),
      positive: pairs(this.pos),
      negative: pairs(this.neg),
    };
  }

  static fromJSON(j: QuantileSketchJson): QuantileSketch {
    const s = new QuantileSketch(j.relativeAccuracy);
    for (const [i, c] of j.positive) s.pos.set(i, c);
    for (const [i, c] of j.negative) s.neg.set(i, c);
    s.zero = j.zero;
    s.posInf = j.posInf;
    s.count = j.count;
    s.min = Number(j.min);
    s.max = Number(j.max);
    return s;
  }
}
