// The categorical draw lives with the shared PRNG; re-exported for the training code.
export { drawIndex } from '../random.js';
