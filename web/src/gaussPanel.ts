import { axisBottom, axisLeft, area, line, scaleLinear, select, type ScaleLinear, type Selection } from 'd3';
import { defaultPathStart, fitForward, fitReverse, GaussianDescent, type GaussianFit, type ReverseFit } from '../../src/fit/fit1d.js';
import { describeFit, fitStoryText } from '../../src/fit/describe.js';
import { mixturePdf, type GaussianComponent } from '../../src/fit/mixture.js';
import { placeLabels, type PlacedLabel } from '../../src/report/labelPlacement.js';
import { presetMixture } from '../../src/fit/presets.js';
import { formatFixed, formatNumber } from '../../src/report/format.js';
import { byId, COLORS, drawGrid, inUnit, prefersReducedMotion, units } from './state.js';

const W = 470;
const H = 270;
const M = { l: 44, r: 10, t: 24, b: 36 };
const X_DOMAIN: [number, number] = [-11, 11];
const N = 300;
const XS = Array.from({ length: N + 1 }, (_, i) => X_DOMAIN[0] + ((X_DOMAIN[1] - X_DOMAIN[0]) * i) / N);

function gauss(x: number, q: { mu: number; sigma: number }): number {
  const u = (x - q.mu) / q.sigma;
  return Math.exp(-0.5 * u * u) / (q.sigma * Math.sqrt(2 * Math.PI));
}

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
type Path = Selection<SVGPathElement, unknown, null, undefined>;
type G = Selection<SVGGElement, unknown, null, undefined>;

/** One density chart: P, the exact optima (dashed), the live Q, drag handles on P's modes. */
class DensityChart {
  readonly svg: Svg;
  readonly x: ScaleLinear<number, number>;
  readonly y: ScaleLinear<number, number>;
  private pArea: Path;
  private pLine: Path;
  private ghosts: G;
  private qArea: Path;
  private qLine: Path;
  private marks: G;
  private handles: G;
  private yAxis: G;
  private grid: G;
  constructor(host: HTMLElement, label: string) {
    this.x = scaleLinear().domain(X_DOMAIN).range([M.l, W - M.r]);
    this.y = scaleLinear().domain([0, 0.45]).range([H - M.b, M.t]);
    this.svg = select(host).append('svg').attr('viewBox', `0 0 ${W} ${H}`).attr('role', 'img').attr('aria-label', label);
    const clipId = `clip-${host.id}`;
    this.svg.append('clipPath').attr('id', clipId).append('rect').attr('x', M.l).attr('y', M.t - 4).attr('width', W - M.l - M.r).attr('height', H - M.t - M.b + 4);
    this.grid = this.svg.append('g').attr('class', 'grid');
    this.svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${H - M.b})`).call(axisBottom(this.x).ticks(9));
    this.yAxis = this.svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.l},0)`);
    this.svg.append('text').attr('class', 'axis-label').attr('x', (M.l + W - M.r) / 2).attr('y', H - 4).attr('text-anchor', 'middle').text('x');
    this.svg.append('text').attr('class', 'axis-label').attr('x', 4).attr('y', 4).attr('text-anchor', 'start').attr('dominant-baseline', 'hanging').text('density');
    const g = this.svg.append('g').attr('clip-path', `url(#${clipId})`);
    this.pArea = g.append('path').attr('fill', COLORS.p).attr('fill-opacity', 0.15);
    this.pLine = g.append('path').attr('fill', 'none').attr('stroke', COLORS.p).attr('stroke-width', 2.6);
    this.ghosts = g.append('g');
    this.qArea = g.append('path').attr('fill', COLORS.q).attr('fill-opacity', 0.1);
    this.qLine = g.append('path').attr('fill', 'none').attr('stroke', COLORS.q).attr('stroke-width', 2.6).attr('class', 'q-live');
    this.marks = this.svg.append('g');
    this.handles = this.svg.append('g');
  }
  setYMax(yMax: number): void {
    this.y.domain([0, yMax]);
    this.yAxis.call(axisLeft(this.y).ticks(5));
    drawGrid(this.grid, this.y, M.l, W - M.r);
  }
  private path(f: (x: number) => number): string {
    return line<number>()
      .x((x) => this.x(x))
      .y((x) => this.y(Math.min(f(x), this.y.domain()[1] * 1.5)))(XS)!;
  }
  private areaPath(f: (x: number) => number): string {
    return area<number>()
      .x((x) => this.x(x))
      .y0(this.y(0))
      .y1((x) => this.y(Math.min(f(x), this.y.domain()[1] * 1.5)))(XS)!;
  }
  drawP(f: (x: number) => number): void {
    this.pArea.attr('d', this.areaPath(f));
    this.pLine.attr('d', this.path(f));
  }
  drawQ(q: { mu: number; sigma: number }): void {
    const f = (x: number) => gauss(x, q);
    this.qArea.attr('d', this.areaPath(f));
    this.qLine.attr('d', this.path(f));
  }
  drawOptima(opts: { mu: number; sigma: number; label: string; best: boolean }[], pdf: (x: number) => number): void {
    this.ghosts
      .selectAll('path')
      .data(opts)
      .join('path')
      .attr('fill', 'none')
      .attr('stroke', COLORS.q)
      .attr('stroke-width', 1.3)
      .attr('stroke-dasharray', '5 4')
      .attr('stroke-opacity', (d) => (d.best ? 0.9 : 0.55))
      .attr('d', (d) => this.path((x) => gauss(x, d)));
    // each optimum is labelled near its (dashed) peak, at a spot no drawn curve crosses: the same
    // placement rule as the static figures
    const top = this.y.domain()[1];
    const curves = [pdf, ...opts.map((o) => (x: number) => gauss(x, o))].map((f) => XS.map((x) => ({ x, y: Math.min(f(x), top * 1.5) })));
    const frame = { x: X_DOMAIN, y: [0, top] as [number, number], left: M.l, right: W - M.r, top: M.t, bottom: H - M.b };
    const placed = placeLabels(
      opts.map((o) => ({ x: o.mu, y: Math.min(gauss(o.mu, o), top), text: o.label })),
      curves,
      frame,
    );
    const sel = this.marks
      .selectAll<SVGGElement, PlacedLabel>('g')
      .data(placed)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'opt-mark');
        g.append('line').attr('stroke', COLORS.q).attr('stroke-width', 0.8).attr('stroke-opacity', 0.7);
        g.append('text').attr('text-anchor', 'middle').attr('class', 'opt-label');
        return g;
      });
    sel
      .select('line')
      .attr('x1', (d) => this.x(d.x))
      .attr('y1', (d) => this.y(d.y))
      .attr('x2', (d) => this.x(d.lx))
      .attr('y2', (d) => this.y(d.ly))
      .attr('visibility', (d) => (d.leader ? 'visible' : 'hidden'));
    sel
      .select('text')
      .attr('x', (d) => this.x(d.lx))
      .attr('y', (d) => this.y(d.ly) - 2)
      .text((d) => d.text);
  }
  /** Circles on P's modes that can be dragged sideways; `onDrag(k, x)` moves mode k. */
  drawHandles(mix: readonly GaussianComponent[], pdf: (x: number) => number, onDrag: (k: number, x: number) => void): void {
    const sel = this.handles
      .selectAll<SVGCircleElement, GaussianComponent>('circle')
      .data(mix)
      .join('circle')
      .attr('class', 'handle')
      .attr('r', 7)
      .attr('fill', COLORS.p)
      .attr('stroke', 'white')
      .attr('stroke-width', 2)
      .attr('cx', (c) => this.x(c.mu))
      .attr('cy', (c) => this.y(Math.min(pdf(c.mu), this.y.domain()[1])));
    sel.each((_, k, nodes) => {
      const el = nodes[k]!;
      el.onpointerdown = (ev: PointerEvent) => {
        el.setPointerCapture(ev.pointerId);
        const svgEl = this.svg.node()!;
        const move = (e: PointerEvent) => {
          const pt = svgEl.createSVGPoint();
          pt.x = e.clientX;
          pt.y = e.clientY;
          const loc = pt.matrixTransform(svgEl.getScreenCTM()!.inverse());
          onDrag(k, this.x.invert(loc.x));
        };
        el.onpointermove = move;
        el.onpointerup = () => {
          el.onpointermove = null;
        };
      };
    });
  }
}

/** Panel 1: sliders for P, live Adam fits both ways, exact optima marked. */
export function setupGaussPanel(): void {
  const ids = ['mu1', 'sigma1', 'mu2', 'sigma2', 'w1'] as const;
  const inputs = Object.fromEntries(ids.map((id) => [id, byId<HTMLInputElement>(id)])) as Record<(typeof ids)[number], HTMLInputElement>;
  const outputs = Object.fromEntries(ids.map((id) => [id, byId<HTMLOutputElement>(`${id}-out`)])) as Record<(typeof ids)[number], HTMLOutputElement>;
  const fwdChart = new DensityChart(byId('gauss-forward'), 'P in blue and the forward-KL fit Q in red');
  const revChart = new DensityChart(byId('gauss-reverse'), 'P in blue and the reverse-KL fit Q in red');
  const status = byId('gauss-status');
  const pauseBtn = byId<HTMLButtonElement>('gauss-pause');

  const mixture = (): GaussianComponent[] => {
    const w1 = Number(inputs.w1.value);
    return [
      { weight: w1, mu: Number(inputs.mu1.value), sigma: Number(inputs.sigma1.value) },
      { weight: 1 - w1, mu: Number(inputs.mu2.value), sigma: Number(inputs.sigma2.value) },
    ];
  };
  let mix = mixture();
  const start = defaultPathStart(mix);
  const fwd = new GaussianDescent(mix, 'forward', start, 0.03);
  const rev = new GaussianDescent(mix, 'reverse', start, 0.03);
  let fOpt: GaussianFit = fitForward(mix);
  let rOpt: ReverseFit = fitReverse(mix);
  let paused = false;
  let running = false;
  let converged = { forward: false, reverse: false };
  let steps = 0;

  function syncOutputs(): void {
    outputs.mu1.value = formatFixed(Number(inputs.mu1.value), 1);
    outputs.mu2.value = formatFixed(Number(inputs.mu2.value), 1);
    outputs.sigma1.value = formatFixed(Number(inputs.sigma1.value), 2);
    outputs.sigma2.value = formatFixed(Number(inputs.sigma2.value), 2);
    outputs.w1.value = formatFixed(Number(inputs.w1.value), 2);
    inputs.w1.setAttribute('aria-valuetext', `w₁ ${formatFixed(Number(inputs.w1.value), 2)}, w₂ ${formatFixed(1 - Number(inputs.w1.value), 2)}`);
  }

  function yMaxFor(): number {
    const pdf = (x: number) => mixturePdf(mix, x);
    let m = 0;
    for (const x of XS) m = Math.max(m, pdf(x));
    m = Math.max(m, gauss(fOpt.mu, fOpt), ...rOpt.localOptima.map((o) => gauss(o.mu, o)));
    return Math.min(2.5, m * 1.12);
  }

  function drawStatic(): void {
    const pdf = (x: number) => mixturePdf(mix, x);
    const yMax = yMaxFor();
    for (const c of [fwdChart, revChart]) {
      c.setYMax(yMax);
      c.drawP(pdf);
      c.drawHandles(mix, pdf, onDrag);
    }
    fwdChart.drawOptima([{ mu: fOpt.mu, sigma: fOpt.sigma, label: 'optimum', best: true }], pdf);
    revChart.drawOptima(rOpt.localOptima.map((o, i) => ({ mu: o.mu, sigma: o.sigma, label: o.global ? `★ ${formatNumber(inUnit(o.kl), 3)}` : formatNumber(inUnit(o.kl), 3), best: o.global || i === 0 })), pdf);
    badges();
    readouts();
  }

  /** The badges say what the exact optima show, by the rule the CLI's table and figures use. */
  function badges(): void {
    const story = describeFit(mix, fOpt, rOpt);
    const words = fitStoryText(story);
    const cover = byId('gauss-forward-tag');
    const seek = byId('gauss-reverse-tag');
    cover.hidden = story.kind === 'agree';
    seek.hidden = story.kind === 'agree';
    cover.textContent = 'mass-covering';
    seek.textContent = story.kind === 'shifted' ? words.reverse.replace(/, (narrower|wider)$/, '') : story.kind === 'some-modes' ? `spans ${story.covered.length} of ${mix.length} modes` : 'mode-seeking';
    seek.title = words.sentence;
    byId('gauss-story').textContent = words.sentence;
  }

  /** Which exact reverse optimum the live fit ended at (the nearest in (μ, log σ)). */
  function reverseEnd(): ReverseFit['localOptima'][number] {
    const r = rev.state();
    let best = rOpt.localOptima[0]!;
    let d = Infinity;
    for (const o of rOpt.localOptima) {
      const e = Math.hypot((o.mu - r.mu) / o.sigma, Math.log(o.sigma / r.sigma));
      if (e < d) {
        d = e;
        best = o;
      }
    }
    return best;
  }

  function doneText(): string {
    const end = reverseEnd();
    const u = units.get();
    if (end.global) {
      // with tied global optima, the sentence names the one the live fit reached
      byId('gauss-story').textContent = fitStoryText(describeFit(mix, fOpt, end)).sentence;
      return `Both fits converged after ${steps} Adam steps; the reverse fit reached the global optimum.`;
    }
    return `Both fits converged after ${steps} Adam steps, but the reverse fit sits at a local optimum: KL(Q‖P) = ${formatNumber(inUnit(end.kl), 4)} ${u}, the global optimum has ${formatNumber(inUnit(rOpt.kl), 4)} ${u}. Press Random start to try another basin.`;
  }

  function readouts(): void {
    const u = units.get();
    const f = fwd.state();
    const r = rev.state();
    byId('gauss-forward-readout').innerHTML =
      `<dt>now</dt><dd>Q = N(${formatFixed(f.mu)}, ${formatFixed(f.sigma)}²), KL(P‖Q) = <span data-kl="forward-now" data-value="${inUnit(f.kl)}">${formatNumber(inUnit(f.kl), 5)}</span> ${u}</dd>` +
      `<dt>optimum</dt><dd>N(${formatFixed(fOpt.mu)}, ${formatFixed(fOpt.sigma)}²), KL(P‖Q) = <span data-kl="forward-opt" data-value="${inUnit(fOpt.kl)}">${formatNumber(inUnit(fOpt.kl), 6)}</span> ${u} <span class="muted">(exact: Q matches P's mean and variance)</span></dd>`;
    const list = rOpt.localOptima
      .map((o) => `<li>N(${formatFixed(o.mu)}, ${formatFixed(o.sigma)}²): <span data-kl="reverse-local" data-value="${inUnit(o.kl)}">${formatNumber(inUnit(o.kl), 6)}</span>${o.global ? ' <strong>★ global</strong>' : ' local'}</li>`)
      .join('');
    byId('gauss-reverse-readout').innerHTML =
      `<dt>now</dt><dd>Q = N(${formatFixed(r.mu)}, ${formatFixed(r.sigma)}²), KL(Q‖P) = <span data-kl="reverse-now" data-value="${inUnit(r.kl)}">${formatNumber(inUnit(r.kl), 5)}</span> ${u}</dd>` +
      `<dt>optima</dt><dd>best KL(Q‖P) = <span data-kl="reverse-opt" data-value="${inUnit(rOpt.kl)}">${formatNumber(inUnit(rOpt.kl), 6)}</span> ${u}<ul class="optima-list">${list}</ul></dd>`;
  }

  function frame(): void {
    if (paused) {
      running = false;
      return;
    }
    const per = prefersReducedMotion() ? 400 : 3;
    for (let i = 0; i < per; i++) {
      if (!converged.forward && fwd.step().gradNorm < 1e-6) converged.forward = true;
      if (!converged.reverse && rev.step().gradNorm < 1e-6) converged.reverse = true;
      steps++;
    }
    fwdChart.drawQ(fwd.state());
    revChart.drawQ(rev.state());
    readouts();
    const done = converged.forward && converged.reverse;
    status.textContent = done ? doneText() : `Optimising… step ${steps}`;
    // screen readers hear the outcome once, not every frame
    if (done) byId('gauss-announce').textContent = `Converged: KL(P‖Q) ${formatNumber(inUnit(fwd.state().kl), 4)}, KL(Q‖P) ${formatNumber(inUnit(rev.state().kl), 4)} ${units.get()}.`;
    if (done || steps > 6000) {
      running = false;
      if (!done) status.textContent = `Stopped after ${steps} steps (close to the optimum).`;
      return;
    }
    requestAnimationFrame(frame);
  }
  function run(): void {
    converged = { forward: false, reverse: false };
    if (!running && !paused) {
      running = true;
      requestAnimationFrame(frame);
    }
  }

  let pending = false;
  function onInput(): void {
    syncOutputs();
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      mix = mixture();
      fwd.mixture = mix;
      rev.mixture = mix;
      fOpt = fitForward(mix);
      rOpt = fitReverse(mix);
      steps = 0;
      drawStatic();
      fwdChart.drawQ(fwd.state());
      revChart.drawQ(rev.state());
      run();
    });
  }
  function onDrag(k: number, x: number): void {
    const inp = k === 0 ? inputs.mu1 : inputs.mu2;
    const v = Math.max(-6, Math.min(6, Math.round(x * 10) / 10));
    if (Number(inp.value) !== v) {
      inp.value = String(v);
      onInput();
    }
  }
  for (const id of ids) inputs[id].addEventListener('input', onInput);

  function restartQ(q: { mu: number; sigma: number }): void {
    fwd.restart(q);
    rev.restart(q);
    steps = 0;
    fwdChart.drawQ(q);
    revChart.drawQ(q);
    readouts();
    run();
  }
  function applyPreset(name: string): void {
    const p = presetMixture(name);
    inputs.mu1.value = String(p[0]!.mu);
    inputs.sigma1.value = String(p[0]!.sigma);
    inputs.mu2.value = String(p[1]!.mu);
    inputs.sigma2.value = String(p[1]!.sigma);
    inputs.w1.value = String(p[0]!.weight);
    syncOutputs();
    mix = mixture();
    fwd.mixture = mix;
    rev.mixture = mix;
    fOpt = fitForward(mix);
    rOpt = fitReverse(mix);
    drawStatic();
    restartQ(defaultPathStart(mix));
  }
  byId('gauss-reset').addEventListener('click', () => applyPreset('separated'));
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) b.addEventListener('click', () => applyPreset(b.dataset.preset!));
  byId('gauss-random').addEventListener('click', () => {
    const mu = -6 + 12 * Math.random();
    const sigma = Math.exp(Math.log(0.3) + Math.random() * Math.log(3 / 0.3));
    restartQ({ mu, sigma });
  });
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.setAttribute('aria-pressed', String(paused));
    pauseBtn.textContent = paused ? 'Play' : 'Pause';
    if (!paused) run();
    else status.textContent = `Paused at step ${steps}.`;
  });
  units.onChange(drawStatic);
  syncOutputs();
  drawStatic();
  fwdChart.drawQ(fwd.state());
  revChart.drawQ(rev.state());
  run();
}
