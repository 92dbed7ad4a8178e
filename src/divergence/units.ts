import type { Unit } from './types.js';

/** ln 2: one bit is ln 2 nats. */
export const LN2 = Math.LN2;

/**
 * Converts a value in nats to the requested unit (bits = nats / ln 2).
 *
 * @example
 * toUnit(Math.LN2, 'bits'); // 1
 */
export function toUnit(nats: number, unit: Unit = 'nats'): number {
  return unit === 'bits' ? nats / LN2 : nats;
}
