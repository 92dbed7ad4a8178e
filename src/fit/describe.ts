import type { GaussianFit } from './fit1d.js';
import type { GaussianComponent, Mixture } from './mixture.js';

/**
 * What the reverse fit did relative to the forward one, read off the fitted numbers:
 * - `agree`: both fits give nearly the same Q (means within 0.1σ_forward, widths within 10%);
 * - `one-mode`: the reverse Q sits on a single component (one mean within 2σ_Q of μ_Q);
 * - `some-modes`: it spans several components but leaves at least one out;
 * - `shifted`: it spans every component but leans toward one side, or is clearly narrower.
 */
export type FitStoryKind = 'agree' | 'one-mode' | 'some-modes' | 'shifted';

/** The verdict of {@link describeFit}: the kind and the components it is about. */
export interface FitStory {
  kind: FitStoryKind;
  /** Components whose mean lies within 2σ of the reverse fit's mean. */
  covered: GaussianComponent[];
  /** Components the reverse fit leaves out. */
  missed: GaussianComponent[];
  /** For `shifted`: the heaviest component on the side the reverse mean moved to. */
  toward?: GaussianComponent;
  /** σ_reverse / σ_forward. */
  widthRatio: number;
  /** (μ_reverse − μ_forward) / σ_forward. */
  shift: number;
}

/** Reverse means within this many forward σ, and widths within this ratio, count as agreeing. */
const AGREE_SHIFT = 0.1;
const AGREE_WIDTH = 0.9;
/** A component counts as covered when its mean is within this many σ_Q of μ_Q. */
const COVER_SIGMAS = 2;

/**
 * Classifies a forward/reverse pair of Gaussian fits to a mixture, from the numbers only. The
 * terminal notes, the figure captions and the web page's badges all use this one rule.
 *
 * @example
 * describeFit(DEFAULT_MIXTURE, fitForward(DEFAULT_MIXTURE), fitReverse(DEFAULT_MIXTURE)).kind; // 'one-mode'
 */
export function describeFit(mix: Mixture, forward: GaussianFit, reverse: GaussianFit): FitStory {
  const shift = (reverse.mu - forward.mu) / forward.sigma;
  const widthRatio = reverse.sigma / forward.sigma;
  const covered = mix.filter((c) => Math.abs(c.mu - reverse.mu) <= COVER_SIGMAS * reverse.sigma);
  const missed = mix.filter((c) => !covered.includes(c));
  if (Math.abs(shift) <= AGREE_SHIFT && widthRatio >= AGREE_WIDTH) return { kind: 'agree', covered, missed, widthRatio, shift };
  if (covered.length === 1 && mix.length > 1) return { kind: 'one-mode', covered, missed, widthRatio, shift };
  if (missed.length > 0 && covered.length > 0) return { kind: 'some-modes', covered, missed, widthRatio, shift };
  const side = mix.filter((c) => (shift >= 0 ? c.mu >= forward.mu : c.mu <= forward.mu));
  const toward = [...(side.length ? side : mix)].sort((a, b) => b.weight - a.weight)[0];
  return { kind: 'shifted', covered, missed, toward, widthRatio, shift };
}

function at(c: GaussianComponent): string {
  return String(Number(c.mu.toPrecision(3)));
}

function list(cs: readonly GaussianComponent[]): string {
  const xs = cs.map(at);
  return xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`;
}

/**
 * The words of a {@link FitStory}: a headline for a two-panel figure, a short phrase for each
 * panel, and a sentence for the terminal. One source, so the captions never contradict the table.
 *
 * @example
 * fitStoryText(describeFit(mix, fwd, rev)).reverse; // 'mode-seeking: locks onto the mode at 3'
 */
export function fitStoryText(s: FitStory): { headline: string; forward: string; reverse: string; reverseTitle: string; sentence: string; modeSeeking: boolean } {
  switch (s.kind) {
    case 'agree':
      return {
        headline: 'both directions give nearly the same Q',
        forward: "matches P's mean and variance",
        reverse: 'agrees with the forward fit: nothing to seek',
        reverseTitle: 'Reverse KL(Q‖P): Q agrees with the forward fit',
        sentence: 'Both directions give nearly the same Q: P has no separate modes for reverse KL to seek.',
        modeSeeking: false,
      };
    case 'one-mode':
      return {
        headline: 'forward KL covers every mode, reverse KL locks onto one',
        forward: 'mass-covering: spreads over every mode',
        reverse: `mode-seeking: locks onto the mode at ${at(s.covered[0]!)}`,
        reverseTitle: 'Reverse KL(Q‖P): Q settles on one mode of P',
        sentence: `Forward KL covers every mode; reverse KL seeks a mode: it locks onto the mode at ${at(s.covered[0]!)}.`,
        modeSeeking: true,
      };
    case 'some-modes':
      return {
        headline: `forward KL covers every mode, reverse KL spans ${s.covered.length} of ${s.covered.length + s.missed.length}`,
        forward: 'mass-covering: spreads over every mode',
        reverse: `spans the modes at ${list(s.covered)}, leaves out ${list(s.missed)}`,
        reverseTitle: `Reverse KL(Q‖P): Q spans ${s.covered.length} of P's ${s.covered.length + s.missed.length} modes`,
        sentence: `Forward KL covers every mode; reverse KL spans the modes at ${list(s.covered)} and leaves out the one${s.missed.length > 1 ? 's' : ''} at ${list(s.missed)}.`,
        modeSeeking: true,
      };
    case 'shifted': {
      const t = s.toward ? ` toward the mode at ${at(s.toward)}` : '';
      return {
        headline: `forward KL stays central, reverse KL leans${t}`,
        forward: "mass-covering: matches P's mean and variance",
        reverse: `leans${t}, ${s.widthRatio < 1 ? 'narrower' : 'wider'}`,
        reverseTitle: `Reverse KL(Q‖P): Q leans${t}`,
        sentence: `Forward KL stays on P's mean; reverse KL moves ${Math.abs(s.shift).toFixed(2)} forward σ${t} and is ${Math.round(100 * Math.abs(1 - s.widthRatio))}% ${s.widthRatio < 1 ? 'narrower' : 'wider'}, without leaving any mode out.`,
        modeSeeking: s.widthRatio < AGREE_WIDTH || Math.abs(s.shift) > AGREE_SHIFT,
      };
    }
  }
}
