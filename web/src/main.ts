import { setupGaussPanel } from './gaussPanel.js';
import { setupMeasuresPanel } from './measuresPanel.js';
import { setupTokenPanel } from './tokenPanel.js';
import { units } from './state.js';
import type { Unit } from '../../src/divergence/types.js';

for (const r of document.querySelectorAll<HTMLInputElement>('input[name="unit"]')) {
  r.addEventListener('change', () => {
    if (r.checked) units.set(r.value as Unit);
  });
}
setupMeasuresPanel();
setupTokenPanel();
setupGaussPanel();
document.body.dataset.ready = 'true';
