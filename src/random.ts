/**
 * klscope's one seeded pseudo-random generator (mulberry32): uniform numbers in [0, 1) that are the
 * same for the same seed on every machine, so `klscope distill --seed N` repeats exactly.
 *
 * @example
 * const rnd = seededRandom(42);
 * rnd(); // 0.6011037519201636, the same on every run
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws an index from probabilities `p` (summing to 1) with a uniform number u in [0, 1): the
 * first index whose cumulative probability exceeds u.
 *
 * @example
 * drawIndex([0.2, 0.5, 0.3], 0.6); // 1
 */
export function drawIndex(p: ArrayLike<number>, u: number): number {
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i]!;
    if (u < acc) return i;
  }
  // Rounding can leave Σp a hair below 1: fall back to the last token with mass.
  for (let i = p.length - 1; i >= 0; i--) if (p[i]! > 0) return i;
  return p.length - 1;
}

/**
 * Two independent standard normal deviates from two uniforms by the Box–Muller transform:
 * r = √(−2 ln u), (r·cos 2πv, r·sin 2πv). `u` must be in (0, 1] (pass 1 − a draw in [0, 1)) so
 * the log is finite.
 *
 * @example
 * normalPair(1, 0.25)[0]; // 0: r = 0 when u = 1
 * normalPair(Math.exp(-0.5), 0)[0]; // 1 = √(−2 ln e^−½)·cos 0
 */
export function normalPair(u: number, v: number): [number, number] {
  const r = Math.sqrt(-2 * Math.log(u));
  return [r * Math.cos(2 * Math.PI * v), r * Math.sin(2 * Math.PI * v)];
}

/** A seeded pseudo-random source: uniform, integer, normal and categorical draws from one stream. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal N(0, 1): the two deviates of one {@link normalPair} in turn. */
  normal(): number;
  /** An index drawn from probabilities `p` (see {@link drawIndex}). */
  categorical(p: ArrayLike<number>): number;
}

/**
 * The seeded source of every random draw in klscope: {@link seededRandom}'s stream with integer,
 * normal (Box–Muller, the sine deviate kept for the next call) and categorical draws on top.
 * Not cryptographic; the same for the same seed on every machine.
 *
 * @example
 * const rng = createRng(42);
 * rng.next(); // 0.6011037519201636, seededRandom(42)'s first number
 * rng.categorical([0.2, 0.5, 0.3]); // an index in 0..2
 */
export function createRng(seed: number): Rng {
  const next = seededRandom(seed);
  let spare: number | null = null;
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    normal() {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      const [z, other] = normalPair(1 - next(), next());
      spare = other;
      return z;
    },
    categorical: (p: ArrayLike<number>) => drawIndex(p, next()),
  };
}
