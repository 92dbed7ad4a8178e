import { setupGaussPanel } from './gaussPanel.js';
import { setupMeasuresPanel } from './measuresPanel.js';
import { setupTokenPanel } from './tokenPanel.js';
import { units } from './state.js';
import type { Unit } from '../../src/divergence/types.js';
import { FIGURE_COLORS } from '../../src/report/colors.js';

// The page's CSS colours are the figures' colours.
for (const [k, v] of Object.entries({ p: FIGURE_COLORS.p, q: FIGURE_COLORS.q, text: FIGURE_COLORS.text, muted: FIGURE_COLORS.muted })) document.documentElement.style.setProperty(`--${k}`, v);

for (const r of document.querySelectorAll<HTMLInputElement>('input[name="unit"]')) {
  r.addEventListener('change', () => {
    if (r.checked) units.set(r.value as Unit);
  });
}
setupMeasuresPanel();
setupTokenPanel();
setupGaussPanel();
document.body.dataset.ready = 'true';
