import type { Matrix } from '../divergence/types.js';
import type { Rng } from '../random.js';

/**
 * n samples of N(mean, L·Lᵀ) in d dimensions (L lower-triangular, row-major d × d), for tests
 * and examples.
 *
 * @example
 * gaussianSamples(createRng(1), { n: 100, mean: [0, 0], chol: [1, 0, 0, 1] });
 */
export function gaussianSamples(rng: Rng, opts: { n: number; mean: number[]; chol: number[] }): Matrix {
  const d = opts.mean.length;
  const data = new Float64Array(opts.n * d);
  const z = new Float64Array(d);
  for (let i = 0; i < opts.n; i++) {
    for (let j = 0; j < d; j++) z[j] = rng.normal();
    for (let j = 0; j < d; j++) {
      let s = opts.mean[j]!;
      for (let c = 0; c <= j; c++) s += opts.chol[j * d + c]! * z[c]!;
      data[i * d + j] = s;
    }
  }
  return { data, rows: opts.n, cols: d };
}
