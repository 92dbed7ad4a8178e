import { ArgumentError, quote } from '../errors.js';
import { parseMixture, type Mixture } from './mixture.js';

/**
 * Named mixtures P, shared by `klscope fit --preset` and the web page's preset buttons: the
 * default shows the contrast of the two directions, `close` shows its absence. `mix` is the
 * `w:mu:sigma,...` syntax of {@link parseMixture}.
 */
export const FIT_PRESETS: Readonly<Record<string, { mix: string; about: string }>> = {
  separated: { mix: '0.5:-3:1,0.5:3:1', about: 'modes 6σ apart (the explainer\'s picture): reverse KL locks onto one mode' },
  close: { mix: '0.5:-1:1,0.5:1:1', about: 'modes 2σ apart: P is unimodal, both directions centre Q' },
  uneven: { mix: '0.3:-2:0.5,0.7:2:1.5', about: 'a narrow minor mode and a wide major one' },
  three: { mix: '0.2:-4:0.3,0.5:0:1,0.3:5:2', about: 'three modes of different widths' },
};

/**
 * The mixture of a named preset ({@link FIT_PRESETS}).
 *
 * @example
 * presetMixture('separated')[1].mu; // 3
 */
export function presetMixture(name: string): Mixture {
  const p = FIT_PRESETS[name];
  if (!p) throw new ArgumentError({ where: 'preset', expected: `one of ${Object.keys(FIT_PRESETS).join(', ')}`, got: quote(name) });
  return parseMixture(p.mix);
}
