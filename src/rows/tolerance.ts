/**
 * The default tolerances of the row rules. A probability or log-probability row must sum to 1
 * within a relative tolerance: 1e-6 for float64 data, 1e-4 for float32 data (a float32 row of a
 * large vocabulary carries about 1e-7 rounding per value, which adds up). A log-probability a
 * hair above 0 is rounding, not a wrong input kind.
 */

/** Relative tolerance on the sum of a float64 row. */
export const SUM_TOLERANCE = 1e-6;

/** Relative tolerance on the sum of a float32 row (or of values printed with float32 precision). */
export const SUM_TOLERANCE_FLOAT32 = 1e-4;

/** How far above 0 a log-probability may lie and still be read as rounding of 0. */
export const LOGPROB_SLACK = 1e-6;

/** Options of {@link sumTolerance}. */
export interface ToleranceOptions {
  /** An explicit tolerance wins. */
  tolerance?: number;
  /** The row came from float32 data. */
  float32?: boolean;
}

/**
 * The relative tolerance on a row sum: the explicit one, else {@link SUM_TOLERANCE_FLOAT32} for
 * float32 data and {@link SUM_TOLERANCE} otherwise.
 *
 * @example
 * sumTolerance({ float32: true }); // 0.0001
 * sumTolerance({ tolerance: 0.01, float32: true }); // 0.01
 */
export function sumTolerance(o: ToleranceOptions): number {
  return o.tolerance ?? (o.float32 ? SUM_TOLERANCE_FLOAT32 : SUM_TOLERANCE);
}

/**
 * Whether the sum `s` of a row is 1 within the relative tolerance `tol`.
 *
 * @example
 * Number(sumsToOne(1 + 5e-7, 1e-6)); // 1 (true)
 */
export function sumsToOne(s: number, tol: number): boolean {
  return !(Math.abs(s - 1) > tol);
}

/**
 * Whether a row is float32 data, whose sum gets {@link SUM_TOLERANCE_FLOAT32}.
 *
 * @example
 * Number(isFloat32(new Float32Array(2))); // 1 (true)
 */
export function isFloat32(x: unknown): boolean {
  return x instanceof Float32Array;
}
