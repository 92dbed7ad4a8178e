import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { Unit } from '../divergence/types.js';
import { toUnit } from '../divergence/units.js';
import type { FitResult, GaussianFit } from '../fit/fit1d.js';
import { describeFit, fitStoryText } from '../fit/describe.js';
import { mixturePdf, type Mixture } from '../fit/mixture.js';
import { placeLabels, type FigureLabel, type PlotFrame } from './labelPlacement.js';
import { FIGURE_COLORS } from './colors.js';
import { formatFixed } from './format.js';

export { placeLabels, type FigureLabel, type PlacedLabel, type PlotFrame } from './labelPlacement.js';

export { FIGURE_COLORS } from './colors.js';

/** Fonts that exist on a stock Debian (DejaVu, Liberation), macOS and Windows, then generic. */
export const FIGURE_FONT = "'DejaVu Sans', 'Liberation Sans', Helvetica, Arial, sans-serif";

/** Which panels a figure has. */
export type FitPanel = 'forward' | 'reverse';

/** Options of {@link renderFitFigure}. */
export interface FitFigureOptions {
  /** Panels left to right. Default both: forward, reverse. */
  panels?: FitPanel[];
  /** Unit of the KL values printed on the figure. Default 'nats'. */
  unit?: Unit;
  /** Overall width in px (the height follows). Default 520 per panel. */
  width?: number;
  /** Headline above the panels; default says what the figure shows. */
  title?: string;
  /** Training paths (e.g. from descentPath) to draw as faint snapshots of Q, early = faintest. */
  paths?: Partial<Record<FitPanel, readonly { mu: number; sigma: number }[]>>;
}

/** Up to `n` snapshots of a path, spaced so early fast moves and the end are both visible. */
function snapshots<T>(path: readonly T[], n = 6): T[] {
  if (path.length <= n) return [...path];
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    // quadratic spacing in the index: optimisers move fastest at the start
    const t = i / (n - 1);
    out.push(path[Math.min(path.length - 1, Math.round(t * t * (path.length - 1)))]!);
  }
  return out;
}

/** Rounds for labels: 3 or 2 decimals, no "-0". */
const r3 = (x: number) => formatFixed(x, 3);
const r2 = (x: number) => formatFixed(x, 2);

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The x range that shows P and every fitted Q: 4σ beyond the outermost component, 3.5σ beyond a fit.
 *
 * @example
 * figureRange(DEFAULT_MIXTURE, []); // [-7, 7]
 */
export function figureRange(mix: Mixture, fits: readonly { mu: number; sigma: number }[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of mix) {
    lo = Math.min(lo, c.mu - 4 * c.sigma);
    hi = Math.max(hi, c.mu + 4 * c.sigma);
  }
  for (const q of fits) {
    lo = Math.min(lo, q.mu - 3.5 * q.sigma);
    hi = Math.max(hi, q.mu + 3.5 * q.sigma);
  }
  return [lo, hi];
}

function gaussPdf(x: number, q: { mu: number; sigma: number }): number {
  const u = (x - q.mu) / q.sigma;
  return Math.exp(-0.5 * u * u) / (q.sigma * Math.sqrt(2 * Math.PI));
}

interface PanelSpec {
  kind: FitPanel;
  fit: GaussianFit;
  others: GaussianFit[];
  path: { mu: number; sigma: number }[];
}

const MARGIN = { left: 52, right: 16, top: 18, bottom: 42 };

function curve(xs: number[], f: (x: number) => number): { x: number; y: number }[] {
  return xs.map((x) => ({ x, y: f(x) }));
}

function panelSvg(document: Document, mix: Mixture, spec: PanelSpec, domain: [number, number], yMax: number, size: { width: number; height: number }, unit: Unit): string {
  const n = 400;
  const xs = Array.from({ length: n + 1 }, (_, i) => domain[0] + ((domain[1] - domain[0]) * i) / n);
  const pData = curve(xs, (x) => mixturePdf(mix, x));
  const qData = curve(xs, (x) => gaussPdf(x, spec.fit));
  const drawn: { x: number; y: number }[][] = [pData, qData];
  const marks: Plot.Markish[] = [
    Plot.gridY({ stroke: FIGURE_COLORS.grid, strokeOpacity: 1 }),
    Plot.areaY(pData, { x: 'x', y: 'y', fill: FIGURE_COLORS.p, fillOpacity: 0.16 }),
    Plot.line(pData, { x: 'x', y: 'y', stroke: FIGURE_COLORS.p, strokeWidth: 2.6 }),
  ];
  spec.path.forEach((q, i) => {
    const pd = curve(xs, (x) => gaussPdf(x, q));
    drawn.push(pd);
    marks.push(Plot.line(pd, { x: 'x', y: 'y', stroke: FIGURE_COLORS.q, strokeWidth: 1.1, strokeOpacity: 0.15 + (0.45 * i) / Math.max(1, spec.path.length - 1) }));
  });
  const labels: FigureLabel[] = [];
  if (spec.path.length > 0) {
    const q0 = spec.path[0]!;
    labels.push({ x: q0.mu, y: gaussPdf(q0.mu, q0), text: 'start' });
  }
  for (const o of spec.others) {
    const od = curve(xs, (x) => gaussPdf(x, o));
    drawn.push(od);
    marks.push(Plot.line(od, { x: 'x', y: 'y', stroke: FIGURE_COLORS.q, strokeWidth: 1.4, strokeDasharray: '5,4', strokeOpacity: 0.75 }));
    labels.push({ x: o.mu, y: gaussPdf(o.mu, o), text: `${r3(toUnit(o.kl, unit))}${o.kl - spec.fit.kl <= 1e-9 * Math.max(1, spec.fit.kl) ? ' (tie)' : ''}` });
  }
  if (spec.kind === 'reverse' && spec.others.length > 0) labels.push({ x: spec.fit.mu, y: gaussPdf(spec.fit.mu, spec.fit), text: r3(toUnit(spec.fit.kl, unit)) });
  // the forward fit's tell-tale: its peak sits where P has little mass
  const qTop = gaussPdf(spec.fit.mu, spec.fit);
  if (spec.kind === 'forward' && mixturePdf(mix, spec.fit.mu) < 0.3 * qTop) labels.push({ x: spec.fit.mu, y: qTop, text: 'Q peaks where P has little mass' });
  const rule = [
    { x: spec.fit.mu, y: 0 },
    { x: spec.fit.mu, y: qTop },
  ];
  drawn.push(rule);
  const frame: PlotFrame = { x: domain, y: [0, yMax], left: MARGIN.left, right: size.width - MARGIN.right, top: MARGIN.top, bottom: size.height - MARGIN.bottom };
  const placed = placeLabels(labels, drawn, frame);
  marks.push(
    Plot.areaY(qData, { x: 'x', y: 'y', fill: FIGURE_COLORS.q, fillOpacity: 0.1 }),
    Plot.line(qData, { x: 'x', y: 'y', stroke: FIGURE_COLORS.q, strokeWidth: 2.6 }),
    Plot.ruleX([spec.fit.mu], { stroke: FIGURE_COLORS.q, strokeWidth: 1, strokeDasharray: '2,3', y1: 0, y2: qTop }),
    Plot.ruleY([0], { stroke: FIGURE_COLORS.text, strokeWidth: 1 }),
    Plot.link(
      placed.filter((p) => p.leader),
      { x1: 'x', y1: 'y', x2: 'lx', y2: 'ly', stroke: FIGURE_COLORS.q, strokeWidth: 0.8, strokeOpacity: 0.7 },
    ),
    Plot.text(placed, { x: 'lx', y: 'ly', text: 'text', lineAnchor: 'bottom', fill: FIGURE_COLORS.q, fontSize: 12, fontWeight: 600, stroke: 'white', strokeWidth: 3, paintOrder: 'stroke' }),
  );
  const svg = Plot.plot({
    document,
    width: size.width,
    height: size.height,
    marginLeft: MARGIN.left,
    marginRight: MARGIN.right,
    marginTop: MARGIN.top,
    marginBottom: MARGIN.bottom,
    style: { fontFamily: FIGURE_FONT, fontSize: '13px', color: FIGURE_COLORS.text, background: 'white' },
    x: { domain, label: 'x', labelAnchor: 'center', labelArrow: 'none', nice: false },
    y: { domain: [0, yMax], label: 'density', labelArrow: 'none', ticks: 5 },
    marks,
  }) as unknown as Element;
  return svg.outerHTML;
}

/** The headline numbers of one panel; the words come from {@link describeFit}, as in the terminal. */
function panelTitle(kind: FitPanel, fit: GaussianFit, unit: Unit, words: ReturnType<typeof fitStoryText>): { head: string; sub: string } {
  const u = unit === 'bits' ? 'bits' : 'nats';
  const q = `Q = N(${r2(fit.mu)}, ${r2(fit.sigma)}²)`;
  if (kind === 'forward') return { head: `Forward: min KL(P‖Q) = ${r3(toUnit(fit.kl, unit))} ${u}`, sub: `${q}: ${words.forward}` };
  return { head: `Reverse: min KL(Q‖P) = ${r3(toUnit(fit.kl, unit))} ${u}`, sub: `${q}: ${words.reverse}` };
}

/**
 * Whether the reverse fit is mode-seeking here, by the rule of {@link describeFit}.
 *
 * @example
 * isModeSeeking(DEFAULT_MIXTURE, fitGaussian(DEFAULT_MIXTURE)); // true
 */
export function isModeSeeking(mix: Mixture, fit: FitResult): boolean {
  return fitStoryText(describeFit(mix, fit.forward, fit.reverse)).modeSeeking;
}

/** The largest density of any drawn curve over the domain, so nothing is cut at the top. */
function curvesMax(mix: Mixture, qs: readonly { mu: number; sigma: number }[], domain: [number, number]): number {
  let m = 0;
  for (let i = 0; i <= 400; i++) m = Math.max(m, mixturePdf(mix, domain[0] + ((domain[1] - domain[0]) * i) / 400));
  for (const q of qs) if (q.mu >= domain[0] && q.mu <= domain[1]) m = Math.max(m, gaussPdf(q.mu, q));
  return m;
}

/**
 * The explainer's two pictures as one SVG: P (blue) and the best Gaussian Q (red) under forward
 * KL(P‖Q) (left) and reverse KL(Q‖P) (right), with the minimised KL in each panel's title and the
 * other local optima of the reverse fit dashed. Rendered with Observable Plot on a linkedom DOM,
 * so it needs no browser. Returns a standalone SVG document string.
 *
 * @example
 * const svg = renderFitFigure(DEFAULT_MIXTURE, fitGaussian(DEFAULT_MIXTURE));
 * writeFileSync('fit.svg', svg);
 */
export function renderFitFigure(mix: Mixture, fit: FitResult, opts: FitFigureOptions = {}): string {
  const panels = opts.panels ?? ['forward', 'reverse'];
  const unit = opts.unit ?? 'nats';
  const panelW = Math.round((opts.width ?? 520 * panels.length) / panels.length);
  const panelH = Math.round(panelW * 0.62);
  const width = panelW * panels.length;
  // with a reverse path that ends on one of several tied global optima, draw that one solid
  let rev: GaussianFit = fit.reverse;
  const rEnd = opts.paths?.reverse?.at(-1);
  if (rEnd) {
    const hit = fit.reverse.localOptima.find((o) => o.global && Math.abs(o.mu - rEnd.mu) < 0.05 * o.sigma && Math.abs(Math.log(o.sigma / rEnd.sigma)) < 0.05);
    if (hit) rev = hit;
  }
  const specs: PanelSpec[] = panels.map((kind) =>
    kind === 'forward'
      ? { kind, fit: fit.forward, others: [], path: snapshots(opts.paths?.forward ?? []) }
      : {
          kind,
          fit: rev,
          others: fit.reverse.localOptima.filter((o) => !(o.mu === rev.mu && o.sigma === rev.sigma)),
          path: snapshots(opts.paths?.reverse ?? []),
        },
  );
  const allFits = specs.flatMap((s) => [s.fit, ...s.others]);
  const domain = figureRange(mix, [...allFits, ...specs.flatMap((s) => s.path)]);
  // one y scale for every panel so the panels compare at a glance; it holds every drawn curve
  // (P, each fit, the other optima, each training snapshot), with headroom for the labels
  const yMax = 1.12 * curvesMax(mix, specs.flatMap((s) => [s.fit, ...s.others, ...s.path]), domain);
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  // legend: swatch line + label, centred
  const items: { label: string; color: string; dash?: string }[] = [
    { label: 'P, the true distribution', color: FIGURE_COLORS.p },
    { label: 'Q, the best single Gaussian', color: FIGURE_COLORS.q },
  ];
  if (specs.some((s) => s.others.length > 0)) items.push({ label: 'other optima of KL(Q‖P), labelled with their KL', color: FIGURE_COLORS.q, dash: '5,4' });
  if (specs.some((s) => s.path.length > 0)) items.push({ label: 'Q during training (Adam), faint = early', color: '#e3a3a1' });
  // legend: one centred row when it fits, else a left-aligned column centred as a block
  const itemW = items.map((it) => 38 + it.label.length * 7.4 + 24);
  const oneRow = itemW.reduce((a, b) => a + b, 0) <= width - 40;
  const rows: number[][] = oneRow ? [items.map((_, i) => i)] : items.map((_, i) => [i]);
  const headH = 74;
  const legendH = 8 + 22 * rows.length;
  const titleH = 44;
  const height = headH + legendH + titleH + panelH + 8;
  const words = fitStoryText(describeFit(mix, fit.forward, rev));
  const title =
    opts.title ??
    (panels.length === 2
      ? `One Gaussian Q fitted to a mixture P: ${words.headline}`
      : panels[0] === 'forward'
        ? words.modeSeeking
          ? 'Forward KL(P‖Q): Q stretches over all of P'
          : "Forward KL(P‖Q): Q matches P's mean and variance"
        : words.reverseTitle);
  const pDesc = `P = ${mix.map((c) => `${c.weight}·N(${c.mu}, ${c.sigma}²)`).join(' + ')}`;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${esc(FIGURE_FONT)}" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="30" text-anchor="middle" font-size="19" font-weight="bold" fill="${FIGURE_COLORS.text}">${esc(title)}</text>`,
    `<text x="${width / 2}" y="56" text-anchor="middle" font-size="14" fill="${FIGURE_COLORS.muted}">${esc(pDesc)}</text>`,
  );
  const blockW = oneRow ? itemW.reduce((a, b) => a + b, 0) : Math.max(...itemW);
  rows.forEach((row, r) => {
    let lx = (width - blockW) / 2;
    const ly = headH + 12 + r * 22;
    for (const i of row) {
      const it = items[i]!;
      parts.push(
        `<line x1="${lx.toFixed(1)}" x2="${(lx + 30).toFixed(1)}" y1="${ly}" y2="${ly}" stroke="${it.color}" stroke-width="${it.dash ? 1.6 : 3}"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/>`,
        `<text x="${(lx + 38).toFixed(1)}" y="${ly + 4.5}" font-size="13" fill="${FIGURE_COLORS.text}">${esc(it.label)}</text>`,
      );
      lx += itemW[i]!;
    }
  });
  specs.forEach((s, i) => {
    const x0 = i * panelW;
    const t = panelTitle(s.kind, s.fit, unit, words);
    const y0 = headH + legendH;
    parts.push(
      `<text x="${x0 + 52}" y="${y0 + 16}" font-size="15" font-weight="bold" fill="${FIGURE_COLORS.text}">${esc(t.head)}</text>`,
      `<text x="${x0 + 52}" y="${y0 + 35}" font-size="13" fill="${FIGURE_COLORS.muted}">${esc(t.sub)}</text>`,
    );
    const inner = panelSvg(document, mix, s, domain, yMax, { width: panelW, height: panelH }, unit);
    parts.push(inner.replace(/^<svg /, `<svg x="${x0}" y="${y0 + titleH}" `));
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
