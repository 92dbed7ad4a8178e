// klscope/divergence: measures on rows and their gradients, units.
export type { Row, Matrix, InputKind, Unit, MeasureOptions } from './types.js';
export { relEntr } from '../rows/terms.js';
export { logSumExp, logSoftmax } from '../rows/logSumExp.js';
export { prepareRow } from './prepare.js';
export type { PreparedRow, PrepareOptions } from './prepare.js';
export { forwardKl, reverseKl, klDivergence } from './kl.js';
export { entropy, crossEntropy } from './entropy.js';
export { jsDivergence, jsDistance, generalizedJsd } from './jensenShannon.js';
export type { GeneralizedJsdOptions } from './jensenShannon.js';
export { totalVariation } from './totalVariation.js';
export { divergenceMeasures, divergenceRows, meanMeasures, MEASURE_KEYS } from './measures.js';
export type { Measures, RowMeasures, RowsResult, Rows } from './measures.js';
export { forwardKlGradient, reverseKlGradient, jsdGradient } from './gradients.js';
export type { GradientOptions } from './gradients.js';
export { toUnit, LN2 } from './units.js';
