/**
 * A count with its noun, singular for exactly one: "1 sequence", "2 sequences", "0 lines".
 * The plural defaults to the noun + "s".
 *
 * @example
 * counted(1, 'sequence'); // '1 sequence'
 * counted(3, 'replicate'); // '3 replicates'
 */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/**
 * A computed number for a message, to 12 significant digits with trailing zeros dropped, so a
 * float sum reads 1.05 rather than 1.0500000000000003 while a real deviation (1.000000001)
 * still shows.
 *
 * @example
 * shortNumber(0.1 + 0.2 + 0.75); // '1.05'
 */
export function shortNumber(x: number, digits = 12): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(digits)));
}
