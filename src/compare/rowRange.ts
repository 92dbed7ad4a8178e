// Row ranges (the rowRange option, START:END) as the user wrote them, shared by the compare pipelines.
import { ArgumentError } from '../errors.js';

/**
 * A row range as the user wrote it: an open end stays empty.
 *
 * @example
 * formatRowRange([300, Number.MAX_SAFE_INTEGER]); // '300:'
 */
export function formatRowRange([start, end]: readonly [number, number]): string {
  return `${start}:${end === Number.MAX_SAFE_INTEGER ? '' : end}`;
}

/**
 * The rows `[start, end)` a run covers: `range` (default every row) with its end cut to the
 * `total` rows the inputs have; an empty result is an {@link ArgumentError} on the rowRange option.
 *
 * @example
 * rowsInRange([2, Number.MAX_SAFE_INTEGER], 10); // [2, 10]
 * rowsInRange(undefined, 10); // [0, 10]
 */
export function rowsInRange(range: readonly [number, number] | undefined, total: number): [number, number] {
  const [start, endRaw] = range ?? [0, total];
  const end = Math.min(endRaw, total);
  if (start >= end) throw new ArgumentError({ where: 'rowRange', expected: `a range that is not empty in the inputs' ${total} rows`, got: JSON.stringify(formatRowRange([start, endRaw])) });
  return [start, end];
}
