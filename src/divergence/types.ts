/** A row of numbers: plain array or typed array (float32 input is accumulated in float64). */
export type Row = ArrayLike<number>;

export type { Matrix } from '../matrix.js';

import type { InputKind } from '../rows/values.js';
export type { InputKind };

/** Unit of the results: natural log (nats) or log base 2 (bits). */
export type Unit = 'nats' | 'bits';

/** Options shared by every measure. */
export interface MeasureOptions {
  /** How P and Q are given. Default 'probs'. */
  from?: InputKind;
  /** Default 'nats'. */
  unit?: Unit;
  /** Rescale rows that do not sum to 1 instead of refusing them. Default false. */
  normalize?: boolean;
  /** Relative tolerance on the row sum; default 1e-6 for float64 input, 1e-4 for float32. */
  tolerance?: number;
}
