// The Kneser–Ney absolute discount, one rule for the character teacher (train/) and the n-gram
// estimates of text (text/).

/**
 * The absolute discount of Ney, Essen & Kneser (1994) from the count of types seen once (n₁)
 * and twice (n₂): D = n₁/(n₁ + 2n₂), kept in [0.1, 1] so that unseen n-grams always get mass
 * (D > 0) and no seen count is discounted below 0 (D ≤ 1); 0.5 when no type was seen once or
 * twice (nothing to estimate from).
 *
 * @example
 * absoluteDiscount(2, 1); // 0.5 = 2 / (2 + 2·1)
 * absoluteDiscount(3, 0); // 1: n₂ = 0 gives D = 1, the upper clamp
 * absoluteDiscount(0, 0); // 0.5
 */
export function absoluteDiscount(n1: number, n2: number): number {
  if (n1 + 2 * n2 === 0) return 0.5;
  return Math.min(1, Math.max(0.1, n1 / (n1 + 2 * n2)));
}
