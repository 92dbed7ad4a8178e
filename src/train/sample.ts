import { klDivergence } from '../divergence/kl.js';
import { drawIndex } from '../random.js';

/** Something that gives a next-token distribution after a context of codes. */
export type NextToken = (context: Uint8Array) => Float64Array;

/**
 * Samples `length` tokens after `prefix` (ancestral sampling at temperature 1), returning only
 * the generated codes. `rnd` is a seeded uniform generator.
 *
 * @example
 * const codes = sampleText(next, { prefix: encodeText('the '), length: 80, rnd: seededRandom(1) });
 */
export function sampleText(next: NextToken, opts: { prefix: Uint8Array; length: number; rnd: () => number }): Uint8Array {
  const all = new Uint8Array(opts.prefix.length + opts.length);
  all.set(opts.prefix);
  for (let j = 0; j < opts.length; j++) {
    const at = opts.prefix.length + j;
    all[at] = drawIndex(next(all.subarray(0, at)), opts.rnd());
  }
  return all.subarray(opts.prefix.length);
}

/**
 * Mean negative log-likelihood (nats per token) of `sample` following `prefix` under a model:
 * −(1/L)·Σ_j log p(sample_j | prefix, sample_<j). With the teacher as the model this is the
 * "precision" of a student's samples: low when the student writes what the teacher finds likely.
 *
 * @example
 * sampleNll(teacherNext, encodeText('the '), encodeText('cat')); // nats per character
 */
export function sampleNll(next: NextToken, prefix: Uint8Array, sample: Uint8Array): number {
  const all = new Uint8Array(prefix.length + sample.length);
  all.set(prefix);
  all.set(sample, prefix.length);
  let s = 0;
  for (let j = 0; j < sample.length; j++) {
    const at = prefix.length + j;
    s -= Math.log(next(all.subarray(0, at))[all[at]!]!);
  }
  return s / sample.length;
}

/**
 * Mean exact KL(model‖teacher) per token along a sample: at each position j of `sample` (after
 * `prefix`), KL between the model's and the teacher's full next-token distributions. With the
 * model's own samples this is the reverse KL where the model actually goes, which is what
 * on-policy training minimizes (held-out positions weight contexts as the data does instead).
 *
 * @example
 * sampleReverseKl(studentNext, teacherNext, encodeText('the '), encodeText('cat')); // nats per character
 */
export function sampleReverseKl(model: NextToken, teacher: NextToken, prefix: Uint8Array, sample: Uint8Array): number {
  const all = new Uint8Array(prefix.length + sample.length);
  all.set(prefix);
  all.set(sample, prefix.length);
  let s = 0;
  for (let j = 0; j < sample.length; j++) {
    const ctx = all.subarray(0, prefix.length + j);
    s += klDivergence(model(ctx), teacher(ctx));
  }
  return s / sample.length;
}

/**
 * distinct-n: the number of distinct token n-grams divided by the number of token n-grams, over
 * a set of samples (Li et al., 2016), with n-grams taken inside each sample. The tokens of the
 * distillation experiment are characters, so a sample is a string and its n-grams are character
 * n-grams. 1 = no n-gram repeats; lower values mean more repetitive (less diverse) samples.
 * Returns 0 when there is no n-gram at all. Compare values only between sample sets of the
 * same size: longer samples repeat more.
 *
 * @example
 * distinctN(['abab'], 2); // bigrams ab, ba, ab: 2 distinct of 3
 */
export function distinctN(samples: readonly string[], n: number): number {
  const seen = new Set<string>();
  let total = 0;
  for (const t of samples) {
    const chars = [...t];
    for (let i = 0; i + n <= chars.length; i++) {
      seen.add(chars.slice(i, i + n).join(''));
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}
