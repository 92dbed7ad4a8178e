import type { Measures } from '../divergence/measures.js';
import type { Unit } from '../divergence/types.js';

/**
 * How each measure is labelled for people, the direction always written out; shared by the CLI
 * tables and the web page.
 *
 * @example
 * MEASURE_LABELS.forward.symbol; // 'KL(P‖Q)'
 */
export const MEASURE_LABELS: Record<keyof Measures, { symbol: string; name: string }> = {
  forward: { symbol: 'KL(P‖Q)', name: 'forward KL, P = reference' },
  reverse: { symbol: 'KL(Q‖P)', name: 'reverse KL' },
  entropyP: { symbol: 'H(P)', name: 'entropy of P' },
  entropyQ: { symbol: 'H(Q)', name: 'entropy of Q' },
  crossEntropyPQ: { symbol: 'H(P,Q)', name: 'cross-entropy = H(P) + KL(P‖Q)' },
  crossEntropyQP: { symbol: 'H(Q,P)', name: 'cross-entropy = H(Q) + KL(Q‖P)' },
  jsDivergence: { symbol: 'JS(P,Q)', name: 'Jensen–Shannon divergence (≤ ln 2 nats = 1 bit)' },
  jsDistance: { symbol: '√JS(P,Q)', name: 'Jensen–Shannon distance' },
  tvd: { symbol: 'TV(P,Q)', name: 'total variation ½Σ|p−q| (no unit)' },
};

/**
 * A measure's name for a table in one unit: the JS bound reads "≤ ln 2" in nats and "≤ 1" in
 * bits (in a table with both units, {@link MEASURE_LABELS} gives both).
 *
 * @example
 * measureName('jsDivergence', 'bits'); // 'Jensen–Shannon divergence (≤ 1 bit)'
 */
export function measureName(key: keyof Measures, unit: Unit): string {
  if (key === 'jsDivergence') return `Jensen–Shannon divergence (≤ ${unit === 'bits' ? '1 bit' : 'ln 2 nats'})`;
  if (key === 'jsDistance') return `Jensen–Shannon distance (≤ ${unit === 'bits' ? '1' : '√ln 2'})`;
  return MEASURE_LABELS[key].name;
}
