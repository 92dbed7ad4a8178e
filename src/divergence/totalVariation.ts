import { preparePair } from './kl.js';
import type { PreparedRow } from './prepare.js';
import type { MeasureOptions, Row } from './types.js';
import { tvFromSum } from '../rows/terms.js';

/** ½ Σ |a − b| over prepared rows, at most 1. */
export function totalVariationPrepared(a: PreparedRow, b: PreparedRow): number {
  let s = 0;
  for (let i = 0; i < a.p.length; i++) s += Math.abs(a.p[i]! - b.p[i]!);
  return tvFromSum(s);
}

/**
 * Total variation distance ½ Σ |p − q| ∈ [0, 1]: the largest difference in probability the two
 * distributions give any event. It has no unit (the `unit` option does not apply).
 *
 * @example
 * totalVariation([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]); // 0.1
 */
export function totalVariation(p: Row, q: Row, opts: MeasureOptions = {}): number {
  const [a, b] = preparePair(p, q, opts);
  return totalVariationPrepared(a, b);
}
