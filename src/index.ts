// klscope's root entry: the divergence measures, errors and seeded randomness. It loads no
// heavy dependency; every area has its own entry (klscope/io, /divergence, /kernels,
// /compare, /train, /fit, /text, /report), and only /train and /report load TensorFlow.js,
// Observable Plot, linkedom or resvg.
export { KlscopeError, ArgumentError, UsageError, DataError } from './errors.js';
export { seededRandom, drawIndex, createRng, normalPair } from './random.js';
export type { Rng } from './random.js';
export * from './divergence/index.js';
