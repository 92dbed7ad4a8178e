// The quantization ladder: one base model, several candidates, one column (or point) each.
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { CompareResult } from '../compare/accumulator.js';
import { FIGURE_COLORS, FIGURE_FONT } from './figure.js';
import { formatNumber, formatPercent } from './format.js';
import { renderTable } from './table.js';

/** One rung of the ladder: a candidate model and its comparison with the base. */
export interface LadderEntry {
  /** Short name (the file name). */
  label: string;
  path: string;
  fileSize: number;
  bitsPerWeight: number;
  result: CompareResult;
}

const MB = 1024 * 1024;

function sizeText(bytes: number): string {
  return bytes >= 1024 * MB ? `${formatNumber(bytes / (1024 * MB), 3)} GiB` : `${formatNumber(bytes / MB, 3)} MiB`;
}

/**
 * The ladder as a table for people: a column per candidate with mean KL both ways ± stderr,
 * p99, p99.9 and max of KL(base‖candidate), same top, RMS Δp, PPL ratio, file size and bits
 * per weight.
 *
 * @example
 * process.stdout.write(ladderTable(entries, 'klscope compare: base = f16.gguf'));
 */
export function ladderTable(entries: LadderEntry[], title: string): string {
  const f = (x: number | null | undefined, d = 6) => (x === null || x === undefined ? '—' : formatNumber(x, d));
  const col = (g: (e: LadderEntry) => string) => entries.map(g);
  const rows: string[][] = [
    ['mean KL(base‖candidate) (llama.cpp KLD)', ...col((e) => `${f(e.result.kld.mean)} ± ${f(e.result.kld.stderr, 2)}`)],
    ['mean KL(candidate‖base)', ...col((e) => `${f(e.result.reverseKld.mean)} ± ${f(e.result.reverseKld.stderr, 2)}`)],
    ['99.0% KL(base‖candidate)', ...col((e) => f(e.result.kld.p99))],
    ['99.9% KL(base‖candidate)', ...col((e) => f(e.result.kld.p999))],
    ['max KL(base‖candidate)', ...col((e) => f(e.result.kld.max))],
    ['same top p', ...col((e) => formatPercent(e.result.sameTop.p))],
    ['RMS Δp', ...col((e) => (e.result.deltaP?.rms == null ? '—' : formatPercent(e.result.deltaP.rms)))],
    ['PPL(candidate)/PPL(base)', ...col((e) => (e.result.ppl ? `${f(e.result.ppl.ratio, 5)} ± ${f(e.result.ppl.ratioStderr, 2)}` : '—'))],
    ['file size', ...col((e) => sizeText(e.fileSize))],
    ['bits per weight', ...col((e) => formatNumber(e.bitsPerWeight, 4))],
  ];
  const tokens = entries[0]?.result.tokens ?? 0;
  return (
    `${title}\n${tokens} tokens per candidate; P = base (reference), Q = each candidate; nats\n\n` +
    renderTable(['', ...entries.map((e) => e.label)], rows, { align: ['left', ...entries.map(() => 'right' as const)] })
  );
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/**
 * The ladder chart: mean and 99.9% KL(base‖candidate) against model size, one point per
 * candidate (log scale for KL), rendered with Observable Plot into a standalone SVG string.
 *
 * @example
 * const svg = ladderChart(entries);
 */
export function ladderChart(entries: LadderEntry[], opts: { width?: number } = {}): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const pts = entries.flatMap((e) => [
    { size: e.fileSize / MB, kl: e.result.kld.mean ?? NaN, stat: 'mean', label: e.label },
    { size: e.fileSize / MB, kl: e.result.kld.p999 ?? NaN, stat: '99.9%', label: e.label },
  ]);
  // a KL of exactly 0 (identical models) has no place on a log axis: draw it at the smallest positive value
  const positive = pts.map((p) => p.kl).filter((k) => k > 0);
  const floor = positive.length ? Math.min(...positive) / 2 : 1e-6;
  for (const p of pts) if (!(p.kl > 0)) p.kl = floor;
  const color = { mean: FIGURE_COLORS.p, '99.9%': FIGURE_COLORS.q } as Record<string, string>;
  const svg = Plot.plot({
    document: document as unknown as Document,
    width: opts.width ?? 640,
    height: 360,
    marginLeft: 64,
    marginRight: 24,
    style: { fontFamily: FIGURE_FONT, fontSize: '13px', color: FIGURE_COLORS.text, background: 'white' },
    x: { label: 'model file size (MiB)', labelArrow: 'none', grid: true },
    y: { type: 'log', label: 'KL(base‖candidate), nats', labelArrow: 'none', grid: true },
    marks: [
      Plot.line(pts, { x: 'size', y: 'kl', z: 'stat', stroke: (d: { stat: string }) => color[d.stat], sort: 'size', strokeOpacity: 0.5 }),
      Plot.dot(pts, { x: 'size', y: 'kl', fill: (d: { stat: string }) => color[d.stat], r: 4, title: (d: { label: string; stat: string; kl: number }) => `${d.label}: ${d.stat} ${d.kl}` }),
      Plot.text(
        pts.filter((p) => p.stat === 'mean'),
        { x: 'size', y: 'kl', text: 'label', dy: 14, fill: FIGURE_COLORS.muted, fontSize: 11 },
      ),
      Plot.text([{ t: '● mean  ', c: FIGURE_COLORS.p }, { t: '● 99.9%', c: FIGURE_COLORS.q }], { frameAnchor: 'top-right', text: 't', fill: 'c', dy: (_: unknown, i: number) => i * 16 } as never),
    ],
  }) as unknown as Element;
  return svg.outerHTML;
}

/**
 * A self-contained HTML page of the ladder: the chart and the table.
 *
 * @example
 * writeFileSync('ladder.html', renderLadderHtml(entries, { title: 'f16 vs its quantizations' }));
 */
export function renderLadderHtml(entries: LadderEntry[], opts: { title: string; notes?: string[] }): string {
  const table = ladderTable(entries, opts.title);
  const notes = (opts.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(opts.title)}</title>
<style>body{font-family:${FIGURE_FONT};color:${FIGURE_COLORS.text};max-width:980px;margin:2em auto;padding:0 1em}pre{font-size:12px;overflow-x:auto}</style>
</head><body>
<h1>${esc(opts.title)}</h1>
<p>Mean and 99.9% quantile of KL(base‖candidate) against model size: one point per candidate.</p>
${ladderChart(entries)}
<h2>Statistics</h2>
<pre>${esc(table)}</pre>
${notes ? `<ul>${notes}</ul>` : ''}
</body></html>
`;
}
