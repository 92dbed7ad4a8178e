import type { Command } from 'commander';
import { OutputGroup } from '../io/output.js';
import path from 'node:path';
import type { Unit } from '../divergence/types.js';
import { toUnit } from '../divergence/units.js';
import { UsageError, quote } from '../errors.js';
import { descentPath, fitGaussian, type FitResult, type PathPoint } from '../fit/fit1d.js';
import { fit2d, parseMixture2d, DEFAULT_MIXTURE_2D, type Fit2dResult, type Mixture2d } from '../fit/fit2d.js';
import { describeFit, fitStoryText } from '../fit/describe.js';
import { DEFAULT_MIXTURE, formatMixture, parseMixture, type Gaussian1d, type Mixture } from '../fit/mixture.js';
import { FIT_PRESETS, presetMixture } from '../fit/presets.js';
import type { FitPanel } from '../report/figure.js';
import { formatNumber } from '../report/format.js';
import { toJson } from '../report/json.js';
import { renderTable } from '../report/table.js';
import { action, choiceOption, intOption, boundedInt, numberOption, withExamples } from './run.js';

/** Options of {@link fitCommand}, the parsed flags. */
export interface FitCommandOptions {
  mix: Mixture;
  unit: Unit;
  json?: boolean;
  svg?: string;
  png?: string;
  panels?: FitPanel[];
  /** Include Adam paths of both directions from this start (or the default start). */
  path?: boolean;
  start?: Gaussian1d;
  steps?: number;
  learningRate?: number;
}

/**
 * The figure modules (Observable Plot, linkedom, resvg) load only when a figure is asked for,
 * so every other command starts without them.
 */
async function figures() {
  const [{ renderFitFigure }, { renderFit2dFigure }, { svgToPng }] = await Promise.all([import('../report/figure.js'), import('../report/figure2d.js'), import('../report/figurePng.js')]);
  return { renderFitFigure, renderFit2dFigure, svgToPng };
}

/** Writes the files of one run as one atomic group (all or none; folders created for the tour). */
export function writeAll(files: Array<{ file: string; data: string | Uint8Array }>, opts: { mkdir?: boolean } = {}): void {
  const out = new OutputGroup();
  try {
    for (const f of files) out.reserve(f.file, opts);
    for (const f of files) out.write(f.file, f.data);
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

function inUnit(f: { mu: number; sigma: number; kl: number }, unit: Unit) {
  return { mu: f.mu, sigma: f.sigma, kl: toUnit(f.kl, unit) };
}

/** The JSON document of `klscope fit --json` (1-D). */
export function fitJson(r: FitResult, unit: Unit, paths?: { forward: PathPoint[]; reverse: PathPoint[] }): Record<string, unknown> {
  const pathOut = (ps: PathPoint[]) => ps.map((p) => ({ step: p.step, ...inUnit(p, unit) }));
  return {
    unit,
    p: r.p,
    forward: {
      divergence: 'KL(P‖Q)',
      ...inUnit(r.forward, unit),
      method: 'moment matching (exact)',
      ...(paths ? { path: pathOut(paths.forward) } : {}),
    },
    reverse: {
      divergence: 'KL(Q‖P)',
      ...inUnit(r.reverse, unit),
      method: 'Newton on (mu, log sigma) from several starts, trapezoid quadrature',
      localOptima: r.reverse.localOptima.map((o) => ({ ...inUnit(o, unit), global: o.global, starts: o.starts, hessianEigenvalues: o.hessianEigenvalues })),
      ...(paths ? { path: pathOut(paths.reverse) } : {}),
    },
  };
}

function describeMixture(mix: Mixture): string {
  return mix.map((c) => `${c.weight}·N(${c.mu}, ${c.sigma}²)`).join(' + ');
}

/** The people's table of `klscope fit` (1-D). */
export function fitTable(r: FitResult, mix: Mixture, unit: Unit, paths?: { forward: PathPoint[]; reverse: PathPoint[] }): string {
  const rows: string[][] = [];
  const n = (x: number) => formatNumber(Math.abs(x) < 1e-12 ? 0 : x, 6);
  rows.push(['forward', 'KL(P‖Q)', n(r.forward.mu), n(r.forward.sigma), n(toUnit(r.forward.kl, unit)), 'the optimum: moment matching (exact)']);
  const ties = r.reverse.localOptima.filter((o) => o.global).length;
  for (const o of r.reverse.localOptima) {
    rows.push(['reverse', 'KL(Q‖P)', n(o.mu), n(o.sigma), n(toUnit(o.kl, unit)), o.global ? (ties > 1 ? 'global optimum (tied)' : 'global optimum') : 'local optimum']);
  }
  const notes: string[] = [];
  if (r.reverse.localOptima.length > 1) {
    notes.push(`Reverse KL has ${r.reverse.localOptima.length} local optima: started elsewhere, training settles on a different one.`);
  }
  notes.push(fitStoryText(describeFit(mix, r.forward, r.reverse)).sentence);
  if (paths) {
    for (const d of ['forward', 'reverse'] as const) {
      const p = paths[d];
      const a = p[0]!;
      const b = p[p.length - 1]!;
      notes.push(`Adam path (${d}): N(${n(a.mu)}, ${n(a.sigma)}²) → N(${n(b.mu)}, ${n(b.sigma)}²) in ${b.step} steps, ${d === 'forward' ? 'KL(P‖Q)' : 'KL(Q‖P)'} ${n(toUnit(a.kl, unit))} → ${n(toUnit(b.kl, unit))}.`);
    }
  }
  return renderTable(['fit', 'minimises', 'μ', 'σ', `KL (${unit})`, 'note'], rows, {
    title: `klscope fit: P = ${describeMixture(mix)} (mean ${n(r.p.mean)}, sd ${n(r.p.sigma)}); Q = one Gaussian N(μ, σ²)`,
    notes,
    align: ['left', 'left', 'right', 'right', 'right', 'left'],
  });
}

/** Output of a fit command: what to print and the files to write, built before anything is written. */
export interface FitOutput {
  stdout: string;
  files: { file: string; data: string | Uint8Array }[];
}

/** Runs the 1-D fit and builds its outputs (stdout text and files) without writing them. */
export async function fitCommand(o: FitCommandOptions): Promise<FitOutput> {
  const r = fitGaussian(o.mix);
  const paths = o.path
    ? {
        forward: descentPath(o.mix, { direction: 'forward', start: o.start, steps: o.steps, learningRate: o.learningRate, every: 10 }),
        reverse: descentPath(o.mix, { direction: 'reverse', start: o.start, steps: o.steps, learningRate: o.learningRate, every: 10 }),
      }
    : undefined;
  const files: { file: string; data: string | Uint8Array }[] = [];
  if (o.svg || o.png) {
    const { renderFitFigure, svgToPng } = await figures();
    const svg = renderFitFigure(o.mix, r, { unit: o.unit, panels: o.panels, paths: paths ? { forward: paths.forward, reverse: paths.reverse } : undefined });
    if (o.svg) files.push({ file: o.svg, data: svg });
    if (o.png) files.push({ file: o.png, data: svgToPng(svg) });
  }
  let stdout = o.json ? toJson(fitJson(r, o.unit, paths)) + '\n' : fitTable(r, o.mix, o.unit, paths);
  if (!o.json) for (const f of files) stdout += `wrote ${f.file}\n`;
  return { stdout, files };
}

/** JSON of the 2-D fit. */
export function fit2dJson(r: Fit2dResult, unit: Unit): Record<string, unknown> {
  const g = (f: { mean: [number, number]; cov: [[number, number], [number, number]]; kl: number }) => ({ mean: f.mean, cov: f.cov, kl: toUnit(f.kl, unit) });
  return {
    unit,
    dim: 2,
    p: r.p,
    forward: { divergence: 'KL(P‖Q)', ...g(r.forward), method: 'moment matching (exact)' },
    reverse: {
      divergence: 'KL(Q‖P)',
      ...g(r.reverse),
      method: 'Newton on (mean, Cholesky log-diagonal, off-diagonal) from several starts, tensor trapezoid quadrature',
      localOptima: r.reverse.localOptima.map((o) => ({ ...g(o), global: o.global, starts: o.starts })),
    },
  };
}

/** Runs the 2-D fit and builds its outputs without writing them. */
export async function fit2dCommand(o: { mix: Mixture2d; unit: Unit; json?: boolean; svg?: string; png?: string }): Promise<FitOutput> {
  const r = fit2d(o.mix);
  const files: FitOutput['files'] = [];
  if (o.svg || o.png) {
    const { renderFit2dFigure, svgToPng } = await figures();
    const svg = renderFit2dFigure(o.mix, r, { unit: o.unit });
    if (o.svg) files.push({ file: o.svg, data: svg });
    if (o.png) files.push({ file: o.png, data: svgToPng(svg) });
  }
  if (o.json) return { stdout: toJson(fit2dJson(r, o.unit)) + '\n', files };
  const n = (x: number) => formatNumber(Math.abs(x) < 1e-12 ? 0 : x, 5);
  const row = (name: string, div: string, f: Fit2dResult['forward'], note: string) => [
    name,
    div,
    `(${n(f.mean[0])}, ${n(f.mean[1])})`,
    `[[${n(f.cov[0][0])}, ${n(f.cov[0][1])}], [${n(f.cov[1][0])}, ${n(f.cov[1][1])}]]`,
    n(toUnit(f.kl, o.unit)),
    note,
  ];
  const rows = [row('forward', 'KL(P‖Q)', r.forward, 'moment matching (exact)')];
  for (const lo of r.reverse.localOptima) rows.push(row('reverse', 'KL(Q‖P)', lo, lo.global ? 'global optimum' : 'local optimum'));
  let out = renderTable(['fit', 'minimises', 'mean', 'covariance', `KL (${o.unit})`, 'note'], rows, {
    title: 'klscope fit --dim 2: P = a 2-D mixture, Q = one 2-D Gaussian N(mean, covariance)',
    align: ['left', 'left', 'right', 'right', 'right', 'left'],
  });
  for (const f of files) out += `wrote ${f.file}\n`;
  return { stdout: out, files };
}

/** Parses `--start mu:sigma`. */
export function parseStart(s: string): Gaussian1d {
  const f = s.split(':').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (f.length !== 2 || !Number.isFinite(f[0]) || !(f[1]! > 0) || !Number.isFinite(f[1])) {
    throw new UsageError(`invalid --start: expected "mu:sigma" with sigma > 0, got ${quote(s)}`);
  }
  return { mu: f[0]!, sigma: f[1]! };
}

export function registerFit(program: Command): Command {
  const cmd = program
    .command('fit')
    .description('Fit one Gaussian Q to a mixture of Gaussians P both ways: forward KL(P‖Q) (exact, moment matching) and reverse KL(Q‖P) (every local optimum). Draws the figure.')
    .option('--mix <components>', 'P as "w:mu:sigma,..." (weights sum to 1); 2-D: "w:mx:my:sx:sy,..."')
    .addOption(choiceOption('--preset <name>', 'a named P instead of --mix', Object.keys(FIT_PRESETS), undefined))
    .addOption(choiceOption('--dim <d>', 'dimension of P and Q', ['1', '2'], '1'))
    .addOption(choiceOption('--unit <unit>', 'unit of the KL values', ['nats', 'bits'], 'nats'))
    .option('--json', 'print one JSON document: {"p", "forward": {mu, sigma, kl}, "reverse": {mu, sigma, kl, localOptima}}')
    .option('--svg <file>', 'write the two-panel figure (forward | reverse) as SVG')
    .option('--png <file>', 'write the same figure as PNG (rendered without a browser)')
    .option('--panels <list>', 'panels of the 1-D figure: forward,reverse | forward | reverse', 'forward,reverse')
    .option('--path', 'also run Adam on (mu, log sigma) in both directions; report the path and draw it in the figure')
    .option('--start <mu:sigma>', 'start of the --path runs (default: off-centre and narrow)')
    .option('--steps <n>', 'Adam steps of --path', '300')
    .option('--lr <rate>', 'Adam learning rate of --path', '0.05')
    .action(
      action('fit', async (o: Record<string, string | boolean | undefined>) => {
        if (o.mix !== undefined && o.preset !== undefined) throw new UsageError('give either --mix or --preset, not both');
        const unit = o.unit as Unit;
        const dim = Number(o.dim);
        if (dim === 2) {
          if (o.preset !== undefined) throw new UsageError('--preset is for --dim 1; give --mix "w:mx:my:sx:sy,..." for 2-D');
          const mix2 = o.mix !== undefined ? parseMixture2d(String(o.mix), '--mix') : DEFAULT_MIXTURE_2D;
          const res = await fit2dCommand({ mix: mix2, unit, json: Boolean(o.json), svg: o.svg === undefined ? undefined : String(o.svg), png: o.png === undefined ? undefined : String(o.png) });
          writeAll(res.files, { mkdir: true });
          process.stdout.write(res.stdout);
          return;
        }
        const mix = o.preset !== undefined ? presetMixture(String(o.preset)) : o.mix !== undefined ? parseMixture(String(o.mix), '--mix') : DEFAULT_MIXTURE;
        const panels = String(o.panels)
          .split(',')
          .map((s) => s.trim());
        for (const p of panels) if (p !== 'forward' && p !== 'reverse') throw new UsageError(`invalid --panels: expected forward and/or reverse, got ${quote(p)}`);
        const res = await fitCommand({
          mix,
          unit,
          json: Boolean(o.json),
          svg: o.svg === undefined ? undefined : String(o.svg),
          png: o.png === undefined ? undefined : String(o.png),
          panels: panels as FitPanel[],
          path: Boolean(o.path),
          start: o.start === undefined ? undefined : parseStart(String(o.start)),
          steps: boundedInt(String(o.steps), '--steps', 1, 100000),
          learningRate: (() => {
            const v = numberOption(String(o.lr), '--lr');
            if (!(v > 0)) throw new UsageError(`invalid --lr: expected a number > 0, got ${quote(o.lr)}`);
            return v;
          })(),
        });
        writeAll(res.files, { mkdir: true });
        process.stdout.write(res.stdout);
      }),
    );
  return withExamples(cmd, [
    'klscope fit',
    'klscope fit --json',
    'klscope fit --mix "0.5:-3:1,0.5:3:1" --svg fit.svg --png fit.png',
    'klscope fit --preset close',
    'klscope fit --path --start 1:0.5 --steps 500',
    'klscope fit --dim 2 --png fit2d.png',
  ]);
}

/**
 * The tour's part: writes the explainer's two figures (forward, reverse) and the side-by-side
 * figure to out/ as SVG and PNG, and says how to open the interactive page.
 */
export async function tourSection(outDir = 'out'): Promise<string> {
  const r = fitGaussian(DEFAULT_MIXTURE);
  const { renderFitFigure, svgToPng } = await figures();
  const written: string[] = [];
  const files: Array<{ file: string; data: string | Uint8Array }> = [];
  const figs: { name: string; panels: FitPanel[] }[] = [
    { name: 'forward-kl', panels: ['forward'] },
    { name: 'reverse-kl', panels: ['reverse'] },
    { name: 'forward-vs-reverse', panels: ['forward', 'reverse'] },
  ];
  for (const f of figs) {
    const svg = renderFitFigure(DEFAULT_MIXTURE, r, { panels: f.panels });
    const svgFile = path.join(outDir, `${f.name}.svg`);
    const pngFile = path.join(outDir, `${f.name}.png`);
    files.push({ file: svgFile, data: svg }, { file: pngFile, data: svgToPng(svg) });
    written.push(path.resolve(svgFile), path.resolve(pngFile));
  }
  writeAll(files, { mkdir: true });
  const n = (x: number) => formatNumber(Math.abs(x) < 1e-12 ? 0 : x, 5);
  const lines = [
    `Pictures: one Gaussian Q fitted to P = ${describeMixture(DEFAULT_MIXTURE)} (klscope fit).`,
    `   forward, min KL(P‖Q): Q = N(${n(r.forward.mu)}, ${n(r.forward.sigma)}²), KL = ${n(r.forward.kl)} nats: ${fitStoryText(describeFit(DEFAULT_MIXTURE, r.forward, r.reverse)).forward}.`,
    `   reverse, min KL(Q‖P): Q = N(${n(r.reverse.mu)}, ${n(r.reverse.sigma)}²), KL = ${n(r.reverse.kl)} nats: ${fitStoryText(describeFit(DEFAULT_MIXTURE, r.forward, r.reverse)).reverse}` +
      ` (${r.reverse.localOptima.length} local optima: ${r.reverse.localOptima.map((o) => `μ = ${n(o.mu)}`).join(', ')}).`,
    `   Figures written: ${written.join(', ')}`,
    `   Interactive page (sliders, token view, every measure): klscope serve   then open the URL it prints.`,
    `   (${formatMixture(DEFAULT_MIXTURE)} is the default --mix; try: klscope fit --preset close)`,
  ];
  return lines.join('\n') + '\n';
}
