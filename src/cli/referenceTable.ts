import type { CompareResult } from '../compare/accumulator.js';
import { BOUND_MEASURES } from '../compare/bounds.js';
import { BOUND_QUANTILES } from '../compare/boundsStats.js';
import { formatNumber, formatPercent } from '../report/format.js';
import { renderTable } from '../report/table.js';
import { cliText } from './run.js';

const LABELS: Record<(typeof BOUND_MEASURES)[number], string> = {
  kld: 'KL(base‖candidate)',
  reverseKld: 'KL(candidate‖base)',
  js: 'JS(base, candidate)',
  tvd: 'TVD ½Σ|p−q|',
};

/**
 * The people-readable report of a comparison against a .klref reference: for each measure the
 * certified interval of the mean and of its quantiles beside the point estimate.
 *
 * @example
 * process.stdout.write(referenceTable(run.result, 'klscope compare: base = ref.klref, candidate = q4.kld'));
 */
export function referenceTable(result: CompareResult, title: string): string {
  const b = result.bounds;
  if (!b) throw new Error('referenceTable needs a result with bounds');
  const f = (x: number) => formatNumber(x, 6);
  const iv = ([lo, hi]: [number, number]) => `[${f(lo)}, ${f(hi)}]`;
  const est = (m: string, k: string): string => {
    const src = m === 'kld' ? result.kld : m === 'reverseKld' ? result.reverseKld : null;
    const v = src ? src[k] : k === 'mean' ? (result as unknown as Record<string, { mean: number }>)[m]!.mean : undefined;
    return v === undefined ? '—' : f(v);
  };
  const rows: string[][] = [];
  for (const m of BOUND_MEASURES) {
    rows.push([`Mean ${LABELS[m]}`, est(m, 'mean'), iv(b[m].mean), `bounds.${m}.mean`]);
    for (const [k] of BOUND_QUANTILES) {
      if (m !== 'kld' && m !== 'reverseKld' && k !== 'max') continue;
      rows.push([`  ${k === 'max' ? 'maximum' : k}`, est(m, k === 'max' ? 'max' : k), iv(b[m][k]!), `bounds.${m}.${k}`]);
    }
  }
  const q = result.quantiles.method === 'exact' ? 'exact quantiles' : `quantiles from sketches, relative error ≤ ${result.quantiles.relativeError * 100}%`;
  const parts = [
    `${title}\n${result.tokens} tokens; P = base (a .klref reference), Q = candidate; nats; ${q}\n`,
    renderTable(['measure', 'estimate', 'certified interval [lower, upper]', 'json key'], rows, { align: ['left', 'right', 'right', 'left'] }),
  ];
  const other: string[][] = [['Same top p', `${formatPercent(result.sameTop.p)} ± ${formatPercent(result.sameTop.stderr)}`, 'sameTop.p']];
  if (result.ppl) other.push(['Mean PPL(Q)/PPL(base)', `${f(result.ppl.ratio)} ± ${formatNumber(result.ppl.ratioStderr, 3)}`, 'ppl.ratio']);
  if (result.deltaP) other.push(['RMS Δp', `${formatPercent(result.deltaP.rms!)} ± ${formatPercent(result.deltaP.rmsStderr!)}`, 'deltaP.rms']);
  parts.push(renderTable(['other statistics (estimates)', 'value', 'json key'], other, { align: ['left', 'right', 'left'], notes: result.notes.map((n) => `• ${cliText(n)}`) }));
  return parts.join('\n');
}
