import type { CompareAccumulator, CompareResult } from '../compare/accumulator.js';
import { formatNumber, formatPercent } from './format.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Histogram of per-token KL(base‖candidate) on a log10 axis, from the sketch's buckets. */
function histogramSvg(acc: CompareAccumulator): string {
  const buckets = acc.sketches.kld.buckets();
  let nonPos = 0;
  let inf = 0;
  const pos: Array<{ lo: number; hi: number; count: number }> = [];
  for (const b of buckets) {
    if (b.lo === Infinity) inf += b.count;
    else if (b.hi <= 0) nonPos += b.count;
    else pos.push(b);
  }
  const W = 720;
  const H = 260;
  const m = { l: 56, r: 16, t: 12, b: 40 };
  if (pos.length === 0) return `<p>No positive KL values to plot (${nonPos} tokens ≤ 0).</p>`;
  const lo = Math.floor(Math.log10(pos[0]!.lo));
  const hi = Math.ceil(Math.log10(pos[pos.length - 1]!.hi));
  const perDecade = 10;
  const nb = Math.max(1, (hi - lo) * perDecade);
  const counts = new Array<number>(nb).fill(0);
  for (const b of pos) {
    const c = Math.log10(Math.sqrt(b.lo * b.hi));
    const k = Math.min(nb - 1, Math.max(0, Math.floor((c - lo) * perDecade)));
    counts[k]! += b.count;
  }
  const maxC = Math.max(...counts);
  const x = (v: number) => m.l + ((v - lo) / (hi - lo)) * (W - m.l - m.r);
  const y = (c: number) => H - m.b - (c / maxC) * (H - m.t - m.b);
  const bars = counts
    .map((c, k) => {
      if (!c) return '';
      const x0 = x(lo + k / perDecade);
      const x1 = x(lo + (k + 1) / perDecade);
      return `<rect x="${x0.toFixed(1)}" y="${y(c).toFixed(1)}" width="${Math.max(1, x1 - x0 - 1).toFixed(1)}" height="${(H - m.b - y(c)).toFixed(1)}" fill="#4c78a8"><title>${c} tokens</title></rect>`;
    })
    .join('');
  const ticks = [];
  for (let d = lo; d <= hi; d++) ticks.push(`<line x1="${x(d)}" x2="${x(d)}" y1="${H - m.b}" y2="${H - m.b + 5}" stroke="#333"/><text x="${x(d)}" y="${H - m.b + 18}" text-anchor="middle">1e${d}</text>`);
  const note = nonPos || inf ? `<p class="note">Not on the log axis: ${nonPos} tokens with KL ≤ 0${inf ? `, ${inf} with KL = ∞` : ''}.</p>` : '';
  return (
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="histogram of per-token KL(base‖candidate)">` +
    `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/>${ticks.join('')}${bars}` +
    `<text x="${W / 2}" y="${H - 4}" text-anchor="middle">KL(base‖candidate) per token, nats (log scale)</text>` +
    `<text x="12" y="${H / 2}" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">tokens</text>` +
    `<text x="${m.l - 6}" y="${m.t + 10}" text-anchor="end">${maxC}</text></svg>${note}`
  );
}

/** Mean KL by position (both directions) as two polylines. */
function positionSvg(acc: CompareAccumulator): string {
  const pts = [...acc.byPosition.entries()].sort((a, b) => a[0] - b[0]).map(([bin, [n, f, r]]) => ({ x: bin * acc.positionBinWidth, f: f / n, r: r / n }));
  if (pts.length === 0) return '<p>No positions.</p>';
  const W = 720;
  const H = 260;
  const m = { l: 64, r: 16, t: 12, b: 40 };
  const x0 = pts[0]!.x;
  const x1 = Math.max(x0 + 1, pts[pts.length - 1]!.x);
  const finite = pts.flatMap((p) => [p.f, p.r]).filter(Number.isFinite);
  const yMax = Math.max(1e-12, ...finite);
  const yMin = Math.min(0, ...finite);
  const x = (v: number) => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r);
  const y = (v: number) => H - m.b - ((Math.min(v, yMax) - yMin) / (yMax - yMin)) * (H - m.t - m.b);
  const line = (k: 'f' | 'r', color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map((p) => `${x(p.x).toFixed(1)},${y(p[k]).toFixed(1)}`).join(' ')}"/>`;
  return (
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="mean KL by position">` +
    `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/>` +
    `${line('f', '#4c78a8')}${line('r', '#f58518')}` +
    `<text x="${m.l}" y="${H - m.b + 18}" text-anchor="middle">${x0}</text><text x="${W - m.r}" y="${H - m.b + 18}" text-anchor="end">${x1}</text>` +
    `<text x="${m.l - 6}" y="${m.t + 10}" text-anchor="end">${formatNumber(yMax, 3)}</text><text x="${m.l - 6}" y="${H - m.b}" text-anchor="end">${formatNumber(yMin, 3)}</text>` +
    `<text x="${W / 2}" y="${H - 4}" text-anchor="middle">position in the context window${acc.positionBinWidth > 1 ? ` (bins of ${acc.positionBinWidth})` : ''}</text>` +
    `<rect x="${W - 250}" y="${m.t}" width="10" height="10" fill="#4c78a8"/><text x="${W - 235}" y="${m.t + 9}">mean KL(base‖candidate)</text>` +
    `<rect x="${W - 250}" y="${m.t + 16}" width="10" height="10" fill="#f58518"/><text x="${W - 235}" y="${m.t + 25}">mean KL(candidate‖base)</text></svg>`
  );
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
  const rows: Array<[string, string]> = [
    ['tokens', String(result.tokens)],
    ['mean KL(base‖candidate) — llama.cpp\'s KLD', pm(result.kld.mean!, result.kld.stderr!)],
    ['median / 99% / max KL(base‖candidate)', `${f(result.kld.median)} / ${f(result.kld.p99)} / ${f(result.kld.max)}`],
    ['mean KL(candidate‖base)', pm(result.reverseKld.mean!, result.reverseKld.stderr!)],
    ['mean JS divergence', pm(result.js.mean, result.js.stderr)],
    ['mean total variation', pm(result.tvd.mean, result.tvd.stderr)],
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
  const q = result.quantiles.method === 'exact' ? 'exact quantiles' : `quantiles from a sketch with relative error ≤ ${result.quantiles.relativeError * 100}%`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(opts.title ?? 'klscope compare')}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:820px;color:#222}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}svg{font:11px system-ui,sans-serif;background:#fafafa}.note{color:#666}
code{font-size:12px}
</style></head><body>
<h1>${esc(opts.title ?? 'klscope compare')}</h1>
<p>P = base (reference), Q = candidate. KL(base‖candidate) is llama.cpp's "KLD"; KL(candidate‖base) is the reverse direction. All values in nats; ${q}.</p>
<ul>${inputs}</ul>
<h2>Summary</h2>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>Per-token KL(base‖candidate)</h2>
${histogramSvg(acc)}
<h2>KL by position</h2>
${positionSvg(acc)}
<h2>The ${acc.worst.length} worst positions (largest KL(base‖candidate))</h2>
<table><tr><th>#</th><th>row</th><th>position</th><th>token</th><th>KL(base‖cand)</th><th>KL(cand‖base)</th><th>Δp</th><th>top base</th><th>top candidate</th></tr>
${worst}
</table>
<h2>Notes</h2>
<ul>${result.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<p class="note">Written by klscope compare.</p>
</body></html>
`;
}
