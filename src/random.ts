/**
 * A small seeded pseudo-random generator (mulberry32): uniform numbers in [0, 1) that are the
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
