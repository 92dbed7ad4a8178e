import type { Measures } from '../divergence/measures.js';
import type { Unit } from '../divergence/types.js';
import { MEASURE_TABLE, SPEC } from '../rows/measureTable.js';

/**
 * How each measure is labelled for people, the direction always written out; shared by the CLI
 * tables and the web page (from the measure table).
 *
 * @example
 * MEASURE_LABELS.forward.symbol; // 'KL(P‖Q)'
 */
export const MEASURE_LABELS = Object.fromEntries(MEASURE_TABLE.map((m) => [m.key, { symbol: m.symbol, name: m.name }])) as Record<keyof Measures, { symbol: string; name: string }>;

/**
 * A measure's name for a table in one unit: the JS bound reads "≤ ln 2" in nats and "≤ 1" in
 * bits (in a table with both units, {@link MEASURE_LABELS} gives both).
 *
 * @example
 * measureName('jsDivergence', 'bits'); // 'Jensen–Shannon divergence (≤ 1 bit)'
 */
export function measureName(key: keyof Measures, unit: Unit): string {
  return SPEC[key].unitNames?.[unit] ?? SPEC[key].name;
}
