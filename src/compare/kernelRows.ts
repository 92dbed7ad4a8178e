import { DataError } from '../errors.js';
import type { BatchInput, BatchStats, StatF64Key } from '../kernels/types.js';
import { COMPARE_MEASURES } from '../rows/measureTable.js';
import type { RowBlock } from './accumulator.js';
import { createRowBlock } from './rowStats.js';
import { scanError, scanRow, type RowRule } from '../rows/scan.js';
import { sumTolerance } from '../rows/tolerance.js';

/** Where a kernel block sits in the run, and what its two sides are called in errors. */
export interface KernelBlockPlace {
  /** Row index of the block's first row in the run. */
  r0: number;
  /** Position of a row in its chunk; row + 1 when omitted. */
  positionOf?: (row: number) => number;
  /** The files (or models) of the base and the candidate, named by a bad-value error; default 'base', 'candidate'. */
  names?: readonly [string, string];
}

/**
 * The per-token block of a logit pair the fused kernel ran on: KL both ways, JS, TVD, argmaxes
 * and, with targets, their log-probabilities. A row the kernel flagged becomes a DataError
 * naming the side's file, the row and column of its first bad value.
 *
 * @example
 * const s = await batchStats(input);
 * const block = kernelBlock(input, s, { r0: 0, names: ['p.npy', 'q.npy'] }); // block.forward[k] = KL(base‖candidate) of row k
 */
export function kernelBlock(input: BatchInput, s: BatchStats, place: KernelBlockPlace): RowBlock {
  const { r0, positionOf, names = ['base', 'candidate'] } = place;
  const n = input.rows;
  for (let i = 0; i < n; i++) {
    if (s.invalid[i]) throw invalidRow(input, names, r0 + i, i);
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
function invalidRow(input: BatchInput, names: readonly [string, string], row: number, i: number): DataError {
  const cols = input.cols;
  const rule: RowRule = { from: input.from, normalize: input.normalize, tolerance: sumTolerance({ tolerance: input.tolerance, float32: input.p instanceof Float32Array }) };
  for (const [name, x] of [[names[0], input.p], [names[1], input.q]] as const) {
    const e = scanError(scanRow(x, i * cols, cols, rule), rule, { name, row }, cols);
    if (e) return e;
  }
  return new DataError(`row ${row}: the kernel refused it (no NaN or Infinity found; please report this)`);
}
