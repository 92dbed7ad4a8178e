/** The minus sign of every table for people (U+2212), so "−0.13%" matches "−∞". */
export const MINUS = '−';

function signed(s: string): string {
  return s.startsWith('-') ? MINUS + s.slice(1) : s;
}

/**
 * Formats a measure for a table: exactly `digits` significant digits (trailing zeros kept, so a
 * column reads at one precision), an exponent for tiny or huge values, "∞" for infinity, the
 * minus sign U+2212, and no "−0".
 *
 * @example
 * formatNumber(0.025267153921570557); // '0.0252671539'
 * formatNumber(1.0862, 6); // '1.08620'
 * formatNumber(-0.5, 3); // '−0.500'
 */
export function formatNumber(x: number, digits = 9): string {
  if (x === Infinity) return '∞';
  if (x === -Infinity) return `${MINUS}∞`;
  if (Number.isNaN(x)) return 'NaN';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e9) return signed(x.toExponential(Math.max(1, digits - 4)));
  // integers as long as the precision: no decimals to pad
  if (a >= 10 ** (digits - 1)) return signed(String(Math.round(x)));
  const s = x.toPrecision(digits);
  return /^-0\.?0*$/.test(s) ? '0' : signed(s);
}

/**
 * Fixed decimals for labels and readouts (ASCII minus), without "-0.00".
 *
 * @example
 * formatFixed(-0.001, 2); // '0.00'
 * formatFixed(-1.256, 2); // '-1.26'
 */
export function formatFixed(x: number, decimals = 2): string {
  const s = x.toFixed(decimals);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** A percentage with `digits` decimals and the minus sign U+2212, e.g. 97.674%, −0.130%; never "−0.000%". */
export function formatPercent(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return formatNumber(x);
  const s = (100 * x).toFixed(digits);
  return `${/^-0\.?0*$/.test(s) ? s.slice(1) : signed(s)}%`;
}

/**
 * Significant digits a sketch quantile is good for: with relative error α the value is known to
 * about ±α, so digits beyond ⌊−log10 α⌋ + 1 are noise (α = 0.005 → 3 digits).
 *
 * @example
 * sketchDigits(0.005); // 3
 */
export function sketchDigits(relativeError: number): number {
  return Math.max(2, Math.min(9, Math.floor(-Math.log10(relativeError)) + 1));
}
