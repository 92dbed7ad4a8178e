import type { Measures } from '../divergence/measures.js';

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
  jsDivergence: { symbol: 'JS(P,Q)', name: 'Jensen–Shannon divergence (≤ ln 2)' },
  jsDistance: { symbol: '√JS(P,Q)', name: 'Jensen–Shannon distance' },
  tvd: { symbol: 'TV(P,Q)', name: 'total variation ½Σ|p−q| (no unit)' },
};
