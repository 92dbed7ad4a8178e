/**
 * Formats a measure for a table: up to `digits` significant digits, exponent for tiny values,
 * "∞" for infinity.
 *
 * @example
 * formatNumber(0.025267153921570557); // '0.0252671539'
 */
export function formatNumber(x: number, digits = 9): string {
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '−∞';
  if (Number.isNaN(x)) return 'NaN';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e9) return x.toExponential(Math.max(1, digits - 4));
  return Number(x.toPrecision(digits)).toString();
}

/** A percentage with `digits` decimals, e.g. 97.674%. */
export function formatPercent(x: number, digits = 3): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : formatNumber(x);
}
