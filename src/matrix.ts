/**
 * A row-major [rows × cols] matrix of float32 or float64 values: the shape every reader
 * produces and every batched measure consumes. It lives at the bottom of the module graph so
 * that io and divergence can both use it without importing each other.
 *
 * @example
 * const m: Matrix = { data: new Float64Array([0.5, 0.5, 0.9, 0.1]), rows: 2, cols: 2 };
 */
export interface Matrix {
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}
