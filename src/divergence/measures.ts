import { DataError } from '../errors.js';
import { entropyPrepared, crossEntropyPrepared } from './entropy.js';
import { generalizedJsdPrepared } from './jensenShannon.js';
import { klPrepared, preparePair } from './kl.js';
import { assertSameLength, prepareRow, type PreparedRow } from './prepare.js';
import { totalVariationPrepared } from './totalVariation.js';
import type { Matrix, MeasureOptions, Row } from './types.js';
import { MEASURE_KEYS, measureInUnit, type MeasureKey } from '../rows/measureTable.js';

/**
 * The measures `klscope kl` reports for a (P, Q) pair, P = reference, Q = model: one number per
 * row of the measure table (src/rows/measureTable.ts), which gives each one's symbol and unit.
 */
export type Measures = { [K in MeasureKey]: number };

export { MEASURE_KEYS };

/**
 * Every measure in the unit from the measures' values in nats (a 'sqrt' measure such as the JS
 * distance is taken from the measure it is the root of; `nats` need not give it).
 *
 * @example
 * const m = measuresFromNats((k) => (k === 'tvd' ? 0.1 : Math.LN2), 'bits');
 * m.forward; // 1
 */
export function measuresFromNats(nats: (k: MeasureKey) => number, unit: MeasureOptions['unit'] = 'nats'): Measures {
  const out = {} as Measures;
  for (const k of MEASURE_KEYS) out[k] = measureInUnit(k, nats, unit);
  return out;
}

/** Measures of one row, with the columns that made a divergence infinite (-1 when finite). */
export interface RowMeasures extends Measures {
  infiniteAt: { forward: number; reverse: number };
}

/** Every measure of a prepared pair, in the requested unit. */
export function measuresPrepared(a: PreparedRow, b: PreparedRow, unit: MeasureOptions['unit'] = 'nats'): RowMeasures {
  const f = klPrepared(a, b);
  const r = klPrepared(b, a);
  const js = generalizedJsdPrepared(a, b, 0.5);
  const hp = entropyPrepared(a);
  const hq = entropyPrepared(b);
  const nats: Record<Exclude<MeasureKey, 'jsDistance'>, number> = {
    forward: f.value,
    reverse: r.value,
    entropyP: hp,
    entropyQ: hq,
    crossEntropyPQ: crossEntropyPrepared(a, b).value,
    crossEntropyQP: crossEntropyPrepared(b, a).value,
    jsDivergence: js,
    tvd: totalVariationPrepared(a, b),
  };
  return {
    ...measuresFromNats((k) => nats[k as keyof typeof nats], unit),
    infiniteAt: { forward: f.infiniteAt, reverse: r.infiniteAt },
  };
}

/**
 * All measures for one (P, Q) row pair: KL both ways, both entropies, both cross-entropies,
 * JS divergence and distance, total variation. `infiniteAt` names the first column where
 * p > 0 and q = 0 (forward) or q > 0 and p = 0 (reverse).
 *
 * @example
 * const m = divergenceMeasures([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]);
 * m.forward; // 0.025267153921570557 = KL(P‖Q)
 * m.reverse; // 0.025815408455028527 = KL(Q‖P)
 */
export function divergenceMeasures(p: Row, q: Row, opts: MeasureOptions = {}): RowMeasures {
  const [a, b] = preparePair(p, q, opts);
  return measuresPrepared(a, b, opts.unit);
}

/** Rows of a matrix or of an array of rows, uniformly. */
export type Rows = Matrix | readonly Row[];

/** Number of rows and a view of row `i`. */
export function rowCount(m: Rows): number {
  return 'data' in m ? m.rows : m.length;
}

export function rowAt(m: Rows, i: number): Row {
  if ('data' in m) return m.data.subarray(i * m.cols, (i + 1) * m.cols);
  return m[i]!;
}

function isFloat32(m: Rows, i: number): boolean {
  return 'data' in m ? m.data instanceof Float32Array : m[i] instanceof Float32Array;
}

/** Result of {@link divergenceRows}: one entry per row and the mean over rows. */
export interface RowsResult {
  rows: RowMeasures[];
  mean: Measures;
}

/**
 * Measures for each row of a [T × V] pair of matrices (or arrays of rows), and their mean over
 * rows. A single row broadcasts against many (one P against T rows of Q, or the other way).
 *
 * @example
 * const r = divergenceRows([[0.5, 0.5], [0.9, 0.1]], [[0.9, 0.1], [0.5, 0.5]]);
 * r.rows.length; // 2
 * r.mean.forward; // mean of KL(P_t‖Q_t) over t
 */
export function divergenceRows(p: Rows, q: Rows, opts: MeasureOptions = {}): RowsResult {
  const np = rowCount(p);
  const nq = rowCount(q);
  if (np === 0 || nq === 0) throw new DataError(`invalid ${np === 0 ? 'p' : 'q'}: no rows`);
  if (np !== nq && np !== 1 && nq !== 1) {
    throw new DataError(`shape mismatch: p has ${np} rows, q has ${nq} (they must match, or one side must be a single row)`);
  }
  const n = Math.max(np, nq);
  const rows: RowMeasures[] = [];
  const base = { from: opts.from, normalize: opts.normalize, tolerance: opts.tolerance };
  let pa: PreparedRow | undefined;
  let qa: PreparedRow | undefined;
  for (let t = 0; t < n; t++) {
    const ip = np === 1 ? 0 : t;
    const iq = nq === 1 ? 0 : t;
    const pr = rowAt(p, ip);
    const qr = rowAt(q, iq);
    assertSameLength(pr, qr, t);
    const rowOf = (count: number, i: number) => (count === 1 && n > 1 ? 0 : i);
    if (!(np === 1 && pa)) pa = prepareRow(pr, { ...base, name: 'p', row: rowOf(np, ip), float32: isFloat32(p, ip) });
    if (!(nq === 1 && qa)) qa = prepareRow(qr, { ...base, name: 'q', row: rowOf(nq, iq), float32: isFloat32(q, iq) });
    rows.push(measuresPrepared(pa, qa, opts.unit));
  }
  return { rows, mean: meanMeasures(rows) };
}

/**
 * Mean of each measure over rows (an infinite row makes the mean infinite); the JS distance
 * mean is the mean of the per-row distances.
 */
export function meanMeasures(rows: readonly Measures[]): Measures {
  const out = {} as Measures;
  for (const k of MEASURE_KEYS) {
    let s = 0;
    for (const r of rows) s += r[k];
    out[k] = s / rows.length;
  }
  return out;
}
