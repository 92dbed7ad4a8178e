import { DataError } from '../errors.js';
import type { BatchInput, BatchStats, StatF64Key } from '../kernels/types.js';
import { COMPARE_MEASURES } from '../rows/measureTable.js';
import type { RowBlock } from './accumulator.js';
import { createRowBlock } from './rowStats.js';
import { scanError, scanRow, type RowRule } from '../rows/scan.js';
import { sumTolerance } from '../rows/tolerance.js';

/**
 * The per-token block of a logit pair the fused kernel ran on: KL both ways, JS, TVD, argmaxes
 * and, with targets, their log-probabilities. Positions are `positionOf(row)` when given, else
 * row + 1. A row the kernel flagged becomes a DataError naming its first bad value.
 *
 * @example
 * const s = await batchStats(input);
 * const block = kernelBlock(input, s, 0); // block.forward[k] = KL(base‖candidate) of row k
 */
export function kernelBlock(input: BatchInput, s: BatchStats, r0: number, positionOf?: (row: number) => number): RowBlock {
  const n = input.rows;
  for (let i = 0; i < n; i++) {
    if (s.invalid[i]) throw invalidRow(input, r0 + i, i, input.cols);
  }
  const b = createRowBlock(n, r0);
  for (const m of COMPARE_MEASURES) b[m.row].set(s[m.key as StatF64Key]);
  b.argmaxBase.set(s.argmaxP);
  b.argmaxCand.set(s.argmaxQ);
  for (let i = 0; i < n; i++) b.position[i] = positionOf ? positionOf(r0 + i) : r0 + i + 1;
  if (input.targets) {
    b.target.set(input.targets.subarray(0, n));
    b.logpTarget.set(s.logpTarget);
    b.logqTarget.set(s.logqTarget);
  }
  return b;
}

/** Names the first bad value of a row the kernel flagged, by the shared row rules. */
function invalidRow(input: BatchInput, row: number, i: number, cols: number): DataError {
  const rule: RowRule = { from: input.from, normalize: input.normalize, tolerance: sumTolerance({ tolerance: input.tolerance, float32: input.p instanceof Float32Array }) };
  for (const [name, x] of [['base', input.p], ['candidate', input.q]] as const) {
    const e = scanError(scanRow(x, i * cols, cols, rule), rule, { name, row }, cols);
    if (e) return e;
  }
  return new DataError(`row ${row}: the kernel refused it (no NaN or Infinity found; please report this)`);
}
