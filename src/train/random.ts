
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
