import type { CompareAccumulator, CompareResult } from '../compare/accumulator.js';
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { counted } from '../words.js';
import { formatNumber, formatPercent, sketchDigits } from './format.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CHART = { width: 760, height: 280, font: 'system-ui, sans-serif', forward: '#4c78a8', reverse: '#f58518' } as const;

function plotHtml(opts: Plot.PlotOptions): string {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const el = Plot.plot({
    document,
    width: CHART.width,
    height: CHART.height,
    marginLeft: 64,
    marginBottom: 44,
    style: { fontFamily: CHART.font, fontSize: '12px', background: '#fafafa', overflow: 'visible' },
    ...opts,
  }) as unknown as Element;
  return el.outerHTML;
}

/** Histogram of per-token KL(base‖candidate) on a log10 axis, from the sketch's buckets. */
function histogramSvg(acc: CompareAccumulator, bound: string): string {
  const buckets = acc.sketches.kld.buckets();
  let nonPos = 0;
  let inf = 0;
  const pos: Array<{ lo: number; hi: number; count: number }> = [];
  for (const b of buckets) {
    if (b.lo === Infinity) inf += b.count;
    else if (b.hi <= 0) nonPos += b.count;
    else pos.push(b);
  }
  if (pos.length === 0) return `<p>No positive KL values to plot (${counted(nonPos, 'token')} ≤ 0).</p>`;
  const lo = Math.floor(Math.log10(pos[0]!.lo));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(pos[pos.length - 1]!.hi)));
  const perDecade = 10;
  const nb = (hi - lo) * perDecade;
  const counts = new Array<number>(nb).fill(0);
  for (const b of pos) {
    const c = Math.log10(Math.sqrt(b.lo * b.hi));
    const k = Math.min(nb - 1, Math.max(0, Math.floor((c - lo) * perDecade)));
    counts[k]! += b.count;
  }
  const bars = counts.map((count, k) => ({ x1: 10 ** (lo + k / perDecade), x2: 10 ** (lo + (k + 1) / perDecade), count })).filter((b) => b.count > 0);
  const svg = plotHtml({
    x: { type: 'log', domain: [10 ** lo, 10 ** hi], label: `KL(base‖candidate)${bound} per token, nats (log scale)`, labelAnchor: 'center', labelArrow: 'none', tickFormat: (d: number) => (Number.isInteger(Math.log10(d)) ? `1e${Math.round(Math.log10(d))}` : '') },
    y: { label: 'tokens', labelArrow: 'none', grid: true, nice: true },
    marks: [
      Plot.rectY(bars, { x1: 'x1', x2: 'x2', y: 'count', fill: CHART.forward, insetLeft: 0.5, insetRight: 0.5, title: (d: { count: number }) => `${d.count} tokens` }),
      Plot.ruleY([0], { stroke: '#333' }),
    ],
  });
  const note = nonPos || inf ? `<p class="note">Not on the log axis: ${counted(nonPos, 'token')} with KL ≤ 0${inf ? `, ${inf} with KL = ∞` : ''}.</p>` : '';
  return svg + note;
}

/** Mean KL by position (both directions): lines with a dot on each bin, legend above the chart. */
function positionSvg(acc: CompareAccumulator, bound: string): string {
  const bins = [...acc.byPosition.entries()].sort((a, b) => a[0] - b[0]);
  if (bins.length === 0) return '<p>No positions.</p>';
  const w = acc.positionBinWidth;
  const fwd = `mean KL(base‖candidate)${bound}`;
  const rev = `mean KL(candidate‖base)${bound}`;
  const pts = bins.flatMap(([bin, [n, f, r]]) => [
    { x: bin * w, y: f / n, dir: fwd, n },
    { x: bin * w, y: r / n, dir: rev, n },
  ]).filter((p) => Number.isFinite(p.y));
  const ys = pts.map((p) => p.y);
  const negative = Math.min(0, ...ys) < 0;
  const one = bins.length === 1;
  const svg = plotHtml({
    x: { label: `position in the context window${w > 1 ? ` (bins of ${w}, each point at the bin start)` : ''}`, labelAnchor: 'center', labelArrow: 'none', ...(one ? { domain: [bins[0]![0] * w - w, bins[0]![0] * w + w] } : {}) },
    y: { label: 'nats', labelArrow: 'none', grid: true, nice: true, zero: true },
    color: { domain: [fwd, rev], range: [CHART.forward, CHART.reverse], legend: true },
    marks: [
      ...(negative ? [Plot.ruleY([0], { stroke: '#333', strokeWidth: 1.2 })] : [Plot.ruleY([0], { stroke: '#333' })]),
      Plot.line(pts, { x: 'x', y: 'y', stroke: 'dir', strokeWidth: 1.6 }),
      Plot.dot(pts, { x: 'x', y: 'y', fill: 'dir', r: bins.length > 80 ? 1.2 : 2.5, title: (d: { x: number; y: number; dir: string; n: number }) => `${d.dir} at ${d.x}: ${formatNumber(d.y, 4)} (${d.n} tokens)` }),
    ],
  });
  const note = one ? `<p class="note">All ${bins[0]![1][0]} positions fall in one bin of ${w}: the chart has one point per direction.</p>` : '';
  return svg + note;
}

/** Options of {@link renderCompareHtml}. */
export interface CompareHtmlOptions {
  title?: string;
  tokenText?: (id: number) => string | undefined;
}

/**
 * A self-contained HTML page (inline CSS and SVG, no scripts or network) with the summary, a
 * histogram of per-token KL(base‖candidate), mean KL by position, and the 50 worst positions.
 *
 * @example
 * writeFileSync('report.html', renderCompareHtml(run.result, run.accumulator));
 */
export function renderCompareHtml(result: CompareResult, acc: CompareAccumulator, opts: CompareHtmlOptions = {}): string {
  const f = (v: number | null | undefined, d = 6) => (v === null || v === undefined ? '—' : formatNumber(v, d));
  const pm = (a: number, b: number, d = 6) => `${f(a, d)} ± ${f(b, 3)}`;
  // top-k inputs give lower bounds: every divergence label then says "≥", as the terminal does
  const lower = result.estimator === 'topk-lower-bound';
  const sketch = result.quantiles.method === 'sketch';
  const qd = sketch ? sketchDigits(result.quantiles.relativeError) : 6;
  const ge = lower ? ' ≥' : '';
  const rows: Array<[string, string]> = [
    ['tokens', String(result.tokens)],
    [lower ? 'mean KL(base‖candidate) ≥ (a lower bound on llama.cpp\'s KLD)' : 'mean KL(base‖candidate) — llama.cpp\'s KLD', pm(result.kld.mean!, result.kld.stderr!)],
    [`median / 99% / max KL(base‖candidate)${ge}${sketch ? ' (sketch values)' : ''}`, `${f(result.kld.median, qd)} / ${f(result.kld.p99, qd)} / ${f(result.kld.max, qd)}`],
    [`mean KL(candidate‖base)${ge}`, pm(result.reverseKld.mean!, result.reverseKld.stderr!)],
    [`mean JS divergence${ge}`, pm(result.js.mean, result.js.stderr)],
    [`mean total variation${ge}`, pm(result.tvd.mean, result.tvd.stderr)],
    ['same top token', `${formatPercent(result.sameTop.p)} ± ${formatPercent(result.sameTop.stderr)}`],
  ];
  if (result.ppl) {
    rows.push(
      ['PPL(candidate)', pm(result.ppl.candidate, result.ppl.candidateStderr)],
      ['PPL(base)', pm(result.ppl.base, result.ppl.baseStderr)],
      ['ln(PPL(candidate)/PPL(base))', pm(result.ppl.lnRatio, result.ppl.lnRatioStderr)],
      ['Cor(ln PPL(candidate), ln PPL(base))', result.ppl.cor === null ? '—' : formatPercent(result.ppl.cor, 2)],
    );
  }
  if (result.deltaP) {
    rows.push(['mean Δp = p_candidate(tok) − p_base(tok)', `${formatPercent(result.deltaP.mean!)} ± ${formatPercent(result.deltaP.stderr!)}`], ['RMS Δp', `${formatPercent(result.deltaP.rms!)} ± ${formatPercent(result.deltaP.rmsStderr!)}`]);
  }
  const tt = opts.tokenText;
  const tok = (id: number) => (id < 0 ? '' : tt ? `${esc(JSON.stringify(tt(id) ?? ''))}` : String(id));
  const worst = acc.worst
    .map(
      (w, i) =>
        `<tr><td>${i + 1}</td><td>${w.row}</td><td>${w.position}</td><td>${tok(w.token)}</td><td>${f(w.kld)}</td><td>${f(w.reverseKld)}</td><td>${w.deltaP === null ? '—' : formatPercent(w.deltaP)}</td><td>${tok(w.topBase)}</td><td>${tok(w.topCandidate)}</td></tr>`,
    )
    .join('\n');
  const inputs = (acc.inputs as Array<Record<string, unknown>>).map((d) => `<li>${esc(String(d.role))}: <code>${esc(String(d.path))}</code> (${esc(String(d.format))})</li>`).join('');
  const q =
    (result.quantiles.method === 'exact' ? (lower ? 'exact quantiles of the per-token lower bounds' : 'exact quantiles') : `quantiles are sketch values with relative error ≤ ${result.quantiles.relativeError * 100}%${lower ? ', of the per-token lower bounds' : ''}, shown to the ${qd} significant digits they are good for`);
  const lead = lower
    ? 'P = base (reference), Q = candidate. Top-k inputs: every KL, JS and TV value below is a LOWER BOUND (≥) on the full-vocabulary value, not llama.cpp\'s KLD itself'
    : 'P = base (reference), Q = candidate. KL(base‖candidate) is llama.cpp\'s "KLD"; KL(candidate‖base) is the reverse direction';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(opts.title ?? 'klscope compare')}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:820px;color:#222}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}figure{margin:8px 0}figure>div{font-size:13px!important}.note{color:#666}
code{font-size:12px}
</style></head><body>
<h1>${esc(opts.title ?? 'klscope compare')}</h1>
<p>${esc(lead)}. All values in nats; ${q}.</p>
<ul>${inputs}</ul>
<h2>Summary</h2>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>Per-token KL(base‖candidate)${ge}</h2>
${histogramSvg(acc, ge)}
<h2>KL by position</h2>
${positionSvg(acc, ge)}
<h2>The ${acc.worst.length} worst positions (largest KL(base‖candidate))</h2>
<table><tr><th>#</th><th>row</th><th>position</th><th>token</th><th>KL(base‖cand)${ge}</th><th>KL(cand‖base)${ge}</th><th>Δp</th><th>top base</th><th>top candidate</th></tr>
${worst}
</table>
<h2>Notes</h2>
<ul>${result.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<p class="note">Written by klscope compare.</p>
</body></html>
`;
}
