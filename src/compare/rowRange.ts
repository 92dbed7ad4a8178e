// Row ranges (`--rows start:end`) as the user wrote them, shared by the compare pipelines.

/**
 * A row range as the user wrote it: an open end stays empty.
 *
 * @example
 * formatRowRange([300, Number.MAX_SAFE_INTEGER]); // '300:'
 */
export function formatRowRange([start, end]: readonly [number, number]): string {
  return `${start}:${end === Number.MAX_SAFE_INTEGER ? '' : end}`;
}
