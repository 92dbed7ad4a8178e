import { LOGPROB_SLACK } from './tolerance.js';

/** How the numbers of a row are to be read. */
export type InputKind = 'probs' | 'logprobs' | 'logits';

/** The value rule of each input kind, as the "expected …" of an error. */
export const VALUE_RULE: Readonly<Record<InputKind, string>> = {
  probs: 'a finite number >= 0',
  logprobs: 'a log-probability <= 0 (or -Infinity)',
  logits: 'a finite logit (or -Infinity for a masked token)',
};

/**
 * A probability: finite and >= 0 (NaN, negative numbers and +Infinity are refused).
 *
 * @example
 * Number(isProbability(0) && !isProbability(-0.1) && !isProbability(Infinity)); // 1 (true)
 */
export function isProbability(v: number): boolean {
  return v >= 0 && v !== Infinity;
}

/**
 * A log-probability: at most 0 (up to {@link LOGPROB_SLACK} of rounding above it), −Infinity
 * allowed (p = 0); NaN refused.
 *
 * @example
 * Number(isLogProbability(-Infinity) && isLogProbability(5e-7) && !isLogProbability(0.01)); // 1 (true)
 */
export function isLogProbability(v: number): boolean {
  return v <= LOGPROB_SLACK;
}

/**
 * A logit: finite, or −Infinity for a masked token; NaN and +Infinity refused.
 *
 * @example
 * Number(isLogit(-Infinity) && !isLogit(Infinity) && !isLogit(NaN)); // 1 (true)
 */
export function isLogit(v: number): boolean {
  return v === v && v !== Infinity;
}

/**
 * Whether `v` obeys the value rule of `from`.
 *
 * @example
 * Number(isValidValue('logprobs', 0.5)); // 0 (false)
 */
export function isValidValue(from: InputKind, v: number): boolean {
  return from === 'probs' ? isProbability(v) : from === 'logprobs' ? isLogProbability(v) : isLogit(v);
}

/**
 * A valid log-probability with its rounding above 0 taken off: min(v, 0).
 *
 * @example
 * clampLogProbability(5e-7); // 0
 */
export function clampLogProbability(v: number): number {
  return Math.min(v, 0);
}
