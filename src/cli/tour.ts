import type { Command } from 'commander';
import { divergenceMeasures } from '../divergence/measures.js';
import { formatNumber } from '../report/format.js';
import { renderTable } from '../report/table.js';
import { MEASURE_LABELS } from '../report/labels.js';
import { action, withExamples } from './run.js';
import { tourSection as fitTour } from './fit.js';
import { tourSection as textTour } from './text.js';
import { tourSection as distillTour } from './distill.js';
import { tourSection as compareTour } from './compare.js';
import { tourSection as benchTour } from './bench.js';
import { gradientsTourSection } from './gradients.js';

/** The tour's first part: the explainer's example computed both ways, with the identity checked. */
export function exampleSection(): string {
  const P = [0.5, 0.3, 0.2];
  const Q = [0.4, 0.4, 0.2];
  const m = divergenceMeasures(P, Q);
  const bits = divergenceMeasures(P, Q, { unit: 'bits' });
  const lines: string[] = [];
  lines.push('The explainer\'s example: P = (0.5, 0.3, 0.2) is the truth, Q = (0.4, 0.4, 0.2) the model.');
  lines.push('');
  const keys = ['forward', 'reverse', 'entropyP', 'entropyQ', 'crossEntropyPQ', 'crossEntropyQP', 'jsDivergence', 'tvd'] as const;
  lines.push(
    renderTable(
      ['measure', 'meaning', 'nats', 'bits'],
      keys.map((k) => [MEASURE_LABELS[k].symbol, MEASURE_LABELS[k].name, formatNumber(m[k], 10), k === 'tvd' ? '' : formatNumber(bits[k], 10)]),
      { align: ['left', 'left', 'right', 'right'] },
    ),
  );
  const gap = m.crossEntropyPQ - (m.entropyP + m.forward);
  lines.push(`   Identity H(P,Q) = H(P) + KL(P‖Q): ${formatNumber(m.crossEntropyPQ, 12)} = ${formatNumber(m.entropyP, 12)} + ${formatNumber(m.forward, 12)} (difference ${gap.toExponential(1)})`);
  lines.push(`   KL is not symmetric: KL(P‖Q) = ${formatNumber(m.forward, 6)} but KL(Q‖P) = ${formatNumber(m.reverse, 6)}.`);
  lines.push('   (The explainer prints KL(P‖Q) ≈ 0.0204; the exact value is 0.0252671539 nats = 0.0364527977 bits.)');
  return lines.join('\n') + '\n';
}

/** Sections of the tour, in order; each returns its text, printed at once. */
export const tourSections: Array<{ title: string; run: () => Promise<string> | string }> = [
  { title: 'measures', run: exampleSection },
  { title: 'pictures', run: () => fitTour() },
  { title: 'kernels', run: benchTour },
  { title: 'model comparison', run: compareTour },
  { title: 'distillation', run: distillTour },
  { title: 'text and samples', run: textTour },
  { title: 'estimator gradients', run: gradientsTourSection },
];

export function registerTour(program: Command): Command {
  const cmd = program
    .command('tour')
    .description('The main job (npm start): a short tour of klscope on bundled data.')
    .action(
      action('tour', async () => {
        // printed at the end, so a section that fails (out/ not writable) leaves stdout empty
        let text = 'klscope tour: forward KL(P‖Q) and reverse KL(Q‖P), P = reference, Q = model\n\n';
        for (const s of tourSections) text += (await s.run()) + '\n';
        process.stdout.write(text);
      }),
    );
  return withExamples(cmd, ['klscope tour', 'npm start']);
}
