import type { KernelBackend } from './backend.js';
import { referenceRange } from './reference.js';

/** The plain TypeScript float64 reference as a backend: takes every input. */
export const jsBackend: KernelBackend = {
  name: 'js',
  supports: () => true,
  run: referenceRange,
};
