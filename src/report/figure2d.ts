import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { Unit } from '../divergence/types.js';
import { toUnit } from '../divergence/units.js';
import { mixture2dLogPdf, type Fit2dResult, type Gaussian2dFit, type Mixture2d } from '../fit/fit2d.js';
import { FIGURE_COLORS, FIGURE_FONT } from './figure.js';

/** Options of {@link renderFit2dFigure}. */
export interface Fit2dFigureOptions {
  unit?: Unit;
  /** Width of one panel in px. Default 460. */
  panelWidth?: number;
}

function gauss2dPdf(q: Gaussian2dFit, x: number, y: number): number {
  const [[a, b], [, d]] = q.cov;
  const det = a * d - b * b;
  const dx = x - q.mean[0];
  const dy = y - q.mean[1];
  const m = (d * dx * dx - 2 * b * dx * dy + a * dy * dy) / det;
  return Math.exp(-0.5 * m) / (2 * Math.PI * Math.sqrt(det));
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const LEVELS = [0.05, 0.25, 0.5, 0.75, 0.95];

/**
 * The 2-D picture: contours of P (blue) and of the fitted Q (red) at 5%, 25%, 50%, 75% and 95%
 * of each density's peak, forward fit left, reverse fit right (other reverse optima dashed).
 *
 * @example
 * writeFileSync('fit2d.svg', renderFit2dFigure(DEFAULT_MIXTURE_2D, fit2d(DEFAULT_MIXTURE_2D)));
 */
export function renderFit2dFigure(mix: Mixture2d, fit: Fit2dResult, opts: Fit2dFigureOptions = {}): string {
  const unit = opts.unit ?? 'nats';
  const pw = opts.panelWidth ?? 460;
  const fits = [fit.forward, ...fit.reverse.localOptima];
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const c of mix) {
    x0 = Math.min(x0, c.mean[0] - 3.5 * c.sd[0]);
    x1 = Math.max(x1, c.mean[0] + 3.5 * c.sd[0]);
    y0 = Math.min(y0, c.mean[1] - 3.5 * c.sd[1]);
    y1 = Math.max(y1, c.mean[1] + 3.5 * c.sd[1]);
  }
  for (const q of fits) {
    const sx = Math.sqrt(q.cov[0][0]);
    const sy = Math.sqrt(q.cov[1][1]);
    x0 = Math.min(x0, q.mean[0] - 2.6 * sx);
    x1 = Math.max(x1, q.mean[0] + 2.6 * sx);
    y0 = Math.min(y0, q.mean[1] - 2.6 * sy);
    y1 = Math.max(y1, q.mean[1] + 2.6 * sy);
  }
  // equal scales on both axes so circles look round
  const span = Math.max(x1 - x0, y1 - y0);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const xd: [number, number] = [cx - span / 2, cx + span / 2];
  const yd: [number, number] = [cy - span / 2, cy + span / 2];
  const pFn = (x: number, y: number) => Math.exp(mixture2dLogPdf(mix, x, y));
  let pMax = 0;
  for (let i = 0; i <= 120; i++) for (let j = 0; j <= 120; j++) pMax = Math.max(pMax, pFn(xd[0] + (span * i) / 120, yd[0] + (span * j) / 120));
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const panel = (main: Gaussian2dFit, others: Gaussian2dFit[]): string => {
    const contour = (fn: (x: number, y: number) => number, peak: number, stroke: string, o: { dash?: string; width?: number; fill?: string } = {}) =>
      Plot.contour({
        x1: xd[0],
        x2: xd[1],
        y1: yd[0],
        y2: yd[1],
        value: fn,
        thresholds: LEVELS.map((l) => l * peak),
        fill: o.fill ?? 'none',
        ...(o.fill ? { fillOpacity: 0.09 } : {}),
        stroke,
        strokeWidth: o.width ?? 1.8,
        ...(o.dash ? { strokeDasharray: o.dash } : {}),
      });
    const qPeak = (q: Gaussian2dFit) => gauss2dPdf(q, q.mean[0], q.mean[1]);
    // P is shaded (bands darken toward each mode) and its outline is drawn on top of Q's as a
    // blue dash, so a mode that Q sits on stays visible under Q's contours
    const marks: Plot.Markish[] = [
      Plot.frame({ stroke: FIGURE_COLORS.grid }),
      contour((x, y) => pFn(x, y), pMax, 'none', { fill: FIGURE_COLORS.p }),
      ...others.map((o) => contour((x, y) => gauss2dPdf(o, x, y), qPeak(o), FIGURE_COLORS.q, { dash: '4,4', width: 1.1 })),
      contour((x, y) => gauss2dPdf(main, x, y), qPeak(main), FIGURE_COLORS.q, { width: 2.2 }),
      contour((x, y) => pFn(x, y), pMax, FIGURE_COLORS.p, { width: 1.6, dash: '7,5' }),
      Plot.dot(mix.map((c) => ({ x: c.mean[0], y: c.mean[1] })), { x: 'x', y: 'y', fill: FIGURE_COLORS.p, stroke: 'white', strokeWidth: 1.5, r: 5 }),
      Plot.dot([{ x: main.mean[0], y: main.mean[1] }], { x: 'x', y: 'y', fill: FIGURE_COLORS.q, stroke: 'white', strokeWidth: 1, r: 5, symbol: 'cross' }),
      Plot.text(mix.map((c) => ({ x: c.mean[0], y: c.mean[1] - 0.9 * c.sd[1] })), { x: 'x', y: 'y', text: () => "P's mode", fill: FIGURE_COLORS.p, fontWeight: 600, fontSize: 12, stroke: 'white', strokeWidth: 3, paintOrder: 'stroke' }),
    ];
    const svg = Plot.plot({
      document,
      width: pw,
      height: pw,
      marginLeft: 44,
      marginBottom: 40,
      marginTop: 10,
      marginRight: 12,
      style: { fontFamily: FIGURE_FONT, fontSize: '13px', color: FIGURE_COLORS.text, background: 'white' },
      x: { domain: xd, label: 'x₁', labelAnchor: 'center', labelArrow: 'none' },
      y: { domain: yd, label: 'x₂', labelArrow: 'none' },
      marks,
    }) as unknown as Element;
    return svg.outerHTML;
  };
  const u = unit === 'bits' ? 'bits' : 'nats';
  const f3 = (x: number) => toUnit(x, unit).toFixed(3);
  const width = 2 * pw;
  const head = 96;
  const height = head + 44 + pw;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${esc(FIGURE_FONT)}" role="img" aria-label="2-D forward and reverse KL fits">`,
    `<title>One 2-D Gaussian Q fitted to a 2-D mixture P, forward and reverse KL</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="30" text-anchor="middle" font-size="19" font-weight="bold" fill="${FIGURE_COLORS.text}">In 2-D: forward KL covers both modes, reverse KL picks one</text>`,
    `<text x="${width / 2}" y="56" text-anchor="middle" font-size="13" fill="${FIGURE_COLORS.muted}">contours at 5, 25, 50, 75, 95% of each peak · blue, shaded: P (mixture) · red: Q (one Gaussian) · thin red dashes: other optima of KL(Q‖P)</text>`,
  ];
  const titles = [
    `Forward: min KL(P‖Q) = ${f3(fit.forward.kl)} ${u}`,
    `Reverse: min KL(Q‖P) = ${f3(fit.reverse.kl)} ${u}${fit.reverse.localOptima.length > 1 ? ` (${fit.reverse.localOptima.length} optima)` : ''}`,
  ];
  const bodies = [
    panel(fit.forward, []),
    panel(
      fit.reverse,
      fit.reverse.localOptima.filter((o) => o.mean !== fit.reverse.mean),
    ),
  ];
  bodies.forEach((b, i) => {
    parts.push(`<text x="${i * pw + 44}" y="${head + 20}" font-size="15" font-weight="bold" fill="${FIGURE_COLORS.text}">${esc(titles[i]!)}</text>`);
    parts.push(b.replace(/^<svg /, `<svg x="${i * pw}" y="${head + 36}" `));
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
