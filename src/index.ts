// klscope's public API: named exports only, one line per module. Each area owns its block.

// errors
export { KlscopeError, UsageError, DataError } from './errors.js';

// divergence: measures on rows and their gradients
export type { Row, Matrix, InputKind, Unit, MeasureOptions } from './divergence/types.js';
export { relEntr } from './divergence/relEntr.js';
export { logSumExp, logSoftmax, prepareRow } from './divergence/prepare.js';
export type { PreparedRow, PrepareOptions } from './divergence/prepare.js';
export { forwardKl, reverseKl, klDivergence } from './divergence/kl.js';
export { entropy, crossEntropy } from './divergence/entropy.js';
export { jsDivergence, jsDistance, generalizedJsd } from './divergence/jensenShannon.js';
export type { GeneralizedJsdOptions } from './divergence/jensenShannon.js';
export { totalVariation } from './divergence/totalVariation.js';
export { divergenceMeasures, divergenceRows, meanMeasures, MEASURE_KEYS } from './divergence/measures.js';
export type { Measures, RowMeasures, RowsResult, Rows } from './divergence/measures.js';
export { forwardKlGradient, reverseKlGradient, jsdGradient } from './divergence/gradients.js';
export type { GradientOptions } from './divergence/gradients.js';
export { toUnit, LN2 } from './divergence/units.js';

// io: readers and writers
export { readNpy, parseNpy, encodeNpy, parseNpyHeader } from './io/npy.js';
export type { NpyArray, NpyHeader } from './io/npy.js';
export { readMatrixArg } from './io/matrixArg.js';

// kernels (issue 3)
export { batchStats, batchStatsSync, availableBackends, closeWorkers, referenceBatchStats, createBatchStats } from './kernels/index.js';
export type { BackendName, BatchInput, BatchStats, BatchStatsOptions } from './kernels/index.js';

// compare (issue 4)

// train (issue 5)

// fit (issue 6)

// text (issue 7)
