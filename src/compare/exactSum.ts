/**
 * An exact, order-independent running sum of doubles (Shewchuk's non-overlapping partials, as
 * in Python's math.fsum). The rounded value depends only on the exact sum, so a sum computed in
 * shards and merged is bit-identical to the sum over all values in one pass: this is what makes
 * `klscope merge` reproduce the unsplit means exactly. Infinities are counted apart.
 *
 * @example
 * const s = new ExactSum();
 * for (const x of [1e100, 1, -1e100]) s.add(x);
 * s.value(); // 1 (a plain += gives 0)
 */
export class ExactSum {
  private partials: number[] = [];
  private posInf = 0;
  private negInf = 0;
  private nan = 0;

  add(x: number): void {
    if (!Number.isFinite(x)) {
      if (x === Infinity) this.posInf++;
      else if (x === -Infinity) this.negInf++;
      else this.nan++;
      return;
    }
    const p = this.partials;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j]!;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      // hi + lo = x + y exactly (two-sum with |x| >= |y|)
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    p.length = i;
    p.push(x);
  }

  /** Adds every partial of another sum (exact). */
  merge(other: ExactSum): void {
    for (const x of other.partials) this.add(x);
    this.posInf += other.posInf;
    this.negInf += other.negInf;
    this.nan += other.nan;
  }

  /** The exact sum rounded once to the nearest double (ties to even). */
  value(): number {
    if (this.nan || (this.posInf && this.negInf)) return NaN;
    if (this.posInf) return Infinity;
    if (this.negInf) return -Infinity;
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n]!;
      hi = x + y;
      const yr = hi - x;
      lo = y - yr;
      if (lo !== 0) break;
    }
    // Round half-way cases correctly: the partials below may push the rounding the other way.
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      const yr = x - hi;
      if (y === yr) hi = x;
    }
    // An exact sum of 0 is +0 whatever the order: a lone −0 partial must not make merged and
    // unsplit runs differ in sign.
    return hi === 0 ? 0 : hi;
  }

  /** JSON form: the partials (doubles survive JSON exactly) and the infinity counts. */
  toJSON(): ExactSumJson {
    return { partials: this.partials.slice(), posInf: this.posInf, negInf: this.negInf, nan: this.nan };
  }

  static fromJSON(j: ExactSumJson): ExactSum {
    const s = new ExactSum();
    for (const x of j.partials) s.add(x);
    s.posInf = j.posInf;
    s.negInf = j.negInf;
    s.nan = j.nan ?? 0;
    return s;
  }
}

/** Serialized {@link ExactSum}. */
export interface ExactSumJson {
  partials: number[];
  posInf: number;
  negInf: number;
  nan?: number;
}
