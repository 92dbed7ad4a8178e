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
