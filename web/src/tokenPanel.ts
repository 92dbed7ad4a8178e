import { axisLeft, scaleBand, scaleLinear, select, type ScaleBand, type ScaleLinear, type Selection } from 'd3';
import { fitTokenStudent, keptTokens, TOKEN_EXAMPLE, type TokenFitResult } from '../../src/fit/tokens.js';
import { formatNumber } from '../../src/report/format.js';
import { byId, COLORS, drawGrid, inUnit, units } from './state.js';

const W = 540;
const H = 300;
const M = { l: 46, r: 8, t: 26, b: 86 };
const MIN_P = 0.001;

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
type G = Selection<SVGGElement, unknown, null, undefined>;

/** A bar chart of P (wide, blue) with Q (narrow, red) in front; P's bars can be edited. */
class TokenChart {
  readonly svg: Svg;
  readonly x: ScaleBand<number>;
  readonly y: ScaleLinear<number, number>;
  private pBars: G;
  private qBars: G;
  private yAxis: G;
  private grid: G;
  constructor(host: HTMLElement, n: number, tokens: readonly string[], label: string) {
    this.x = scaleBand<number>()
      .domain(Array.from({ length: n }, (_, i) => i))
      .range([M.l, W - M.r])
      .padding(0.12);
    this.y = scaleLinear().domain([0, 0.4]).range([H - M.b, M.t]);
    this.svg = select(host).append('svg').attr('viewBox', `0 0 ${W} ${H}`).attr('aria-label', label);
    this.grid = this.svg.append('g').attr('class', 'grid');
    this.yAxis = this.svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.l},0)`);
    this.svg.append('text').attr('class', 'axis-label').attr('x', 4).attr('y', 4).attr('dominant-baseline', 'hanging').text('probability');
    this.pBars = this.svg.append('g');
    this.qBars = this.svg.append('g');
    const labels = this.svg.append('g').attr('class', 'axis');
    labels
      .selectAll('text')
      .data(tokens)
      .join('text')
      .attr('transform', (_, i) => `translate(${this.x(i)! + this.x.bandwidth() / 2},${H - M.b + 10}) rotate(-50)`)
      .attr('text-anchor', 'end')
      .attr('dominant-baseline', 'middle')
      .attr('class', 'token-label')
      .text((t) => t.trim());
    this.svg.append('line').attr('x1', M.l).attr('x2', W - M.r).attr('y1', H - M.b).attr('y2', H - M.b).attr('stroke', COLORS.text);
  }
  setYMax(m: number): void {
    this.y.domain([0, m]);
    this.yAxis.call(axisLeft(this.y).ticks(5, '.0%'));
    drawGrid(this.grid, this.y, M.l, W - M.r);
  }
  draw(p: readonly number[], q: ArrayLike<number>): void {
    const bw = this.x.bandwidth();
    this.pBars
      .selectAll<SVGRectElement, number>('rect')
      .data(p)
      .join('rect')
      .attr('x', (_, i) => this.x(i)!)
      .attr('width', bw)
      .attr('y', (d) => this.y(d))
      .attr('height', (d) => this.y(0) - this.y(d))
      .attr('fill', COLORS.p)
      .attr('fill-opacity', 0.35)
      .attr('stroke', COLORS.p)
      .attr('stroke-width', 1.2);
    this.qBars
      .selectAll<SVGRectElement, number>('rect')
      .data(Array.from(q))
      .join('rect')
      .attr('x', (_, i) => this.x(i)! + bw * 0.28)
      .attr('width', bw * 0.44)
      .attr('y', (d) => this.y(Math.min(d, this.y.domain()[1])))
      .attr('height', (d) => this.y(0) - this.y(Math.min(d, this.y.domain()[1])))
      .attr('fill', COLORS.q)
      .attr('fill-opacity', 0.9);
  }
  /** Makes P's bars editable: drag vertically, or focus (Tab) and use the arrow keys. */
  editable(tokens: readonly string[], get: () => number[], set: (i: number, v: number) => void, focusable = true): void {
    const bw = this.x.bandwidth();
    const hit = this.svg.append('g').attr('class', 'bar-handles');
    const sel = hit
      .selectAll<SVGRectElement, string>('rect')
      .data(tokens)
      .join('rect')
      .attr('x', (_, i) => this.x(i)!)
      .attr('width', bw)
      .attr('y', M.t)
      .attr('height', H - M.b - M.t)
      .attr('fill', 'transparent')
      .attr('class', 'bar-hit')
      .attr('tabindex', focusable ? 0 : -1)
      .attr('role', focusable ? 'slider' : null)
      .attr('aria-valuemin', 0)
      .attr('aria-valuemax', 100)
      .attr('aria-label', (t) => `P of "${t.trim()}" in percent`);
    const svgEl = this.svg.node()!;
    sel.each((_, i, nodes) => {
      const el = nodes[i]!;
      const toValue = (e: PointerEvent) => {
        const pt = svgEl.createSVGPoint();
        pt.x = e.clientX;
        pt.y = e.clientY;
        const loc = pt.matrixTransform(svgEl.getScreenCTM()!.inverse());
        return Math.max(MIN_P, Math.min(0.95, this.y.invert(loc.y)));
      };
      el.onpointerdown = (e: PointerEvent) => {
        el.setPointerCapture(e.pointerId);
        set(i, toValue(e));
        el.onpointermove = (m: PointerEvent) => set(i, toValue(m));
        el.onpointerup = () => (el.onpointermove = null);
      };
      el.onkeydown = (e: KeyboardEvent) => {
        const step = e.shiftKey ? 0.05 : 0.01;
        const v = get()[i]!;
        let nv: number | undefined;
        if (e.key === 'ArrowUp' || e.key === 'ArrowRight') nv = v + step;
        else if (e.key === 'ArrowDown' || e.key === 'ArrowLeft') nv = v - step;
        else if (e.key === 'PageUp') nv = v + 0.1;
        else if (e.key === 'PageDown') nv = v - 0.1;
        if (nv === undefined) return;
        e.preventDefault();
        set(i, Math.max(MIN_P, Math.min(0.95, nv)));
      };
    });
  }
  updateAria(p: readonly number[]): void {
    this.svg.selectAll<SVGRectElement, string>('.bar-hit').attr('aria-valuenow', (_, i) => Math.round(p[i]! * 1000) / 10).attr('aria-valuetext', (_, i) => `${(p[i]! * 100).toFixed(1)}%`);
  }
}

/** A reverse optimum named by the token it puts most mass on. */
function optimumName(q: ArrayLike<number>, tokens: readonly string[]): string {
  let best = 0;
  for (let i = 1; i < q.length; i++) if (q[i]! > q[best]!) best = i;
  const peak = q[best]!;
  return peak < 0.15 ? 'broad, over everything' : `on "${tokens[best]!.trim()}"`;
}

/** Panel 2: a teacher's next-token distribution and a restricted student fitted both ways. */
export function setupTokenPanel(): void {
  const tokens = TOKEN_EXAMPLE.tokens;
  const n = tokens.length;
  let p = [...TOKEN_EXAMPLE.p];
  let fit: TokenFitResult = fitTokenStudent(p);
  let shown = 0;
  byId('tokens-help').innerHTML =
    `A teacher's next-token distribution P after <q>${TOKEN_EXAMPLE.prompt}</q> (blue bars; drag a bar, or Tab to it and use the arrow keys, to edit P). ` +
    `The student is restricted: one smooth bump over the coffee ↔ tea axis (logits −(x − c)²/2w², a rank-2 softmax), so it cannot put a peak on both clusters. ` +
    `Red bars are its fit; a token P finds plausible (≥ 3%) counts as <em>kept</em> when Q gives it at least a quarter of P's probability.`;
  const fwdChart = new TokenChart(byId('tokens-forward'), n, tokens, 'teacher P and the forward-KL student');
  const revChart = new TokenChart(byId('tokens-reverse'), n, tokens, 'teacher P and the reverse-KL student');
  const optimaBox = byId<HTMLFieldSetElement>('tokens-optima');

  function set(i: number, v: number): void {
    // the edited token takes v; the others share 1 − v in their old proportions
    const rest = p.reduce((a, b, j) => (j === i ? a : a + b), 0);
    p = p.map((x, j) => (j === i ? v : Math.max(MIN_P, (x * (1 - v)) / rest)));
    const s = p.reduce((a, b) => a + b, 0);
    p = p.map((x) => x / s);
    refit();
  }
  let pending = false;
  function refit(): void {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      fit = fitTokenStudent(p);
      shown = 0;
      render();
    });
  }
  fwdChart.editable(tokens, () => p, set);
  // one set of keyboard stops is enough: the reverse chart's bars are for the mouse only
  revChart.editable(tokens, () => p, set, false);

  function render(): void {
    const u = units.get();
    const rq = fit.reverse.localOptima[shown]!;
    const yMax = Math.max(0.2, ...p, ...fit.forward.q, ...rq.q) * 1.1;
    const kf = keptTokens(p, fit.forward.q);
    const kr = keptTokens(p, rq.q);
    for (const [c, q] of [
      [fwdChart, fit.forward.q],
      [revChart, rq.q],
    ] as const) {
      c.setYMax(yMax);
      c.draw(p, q);
      c.updateAria(p);
    }
    optimaBox.innerHTML =
      '<legend>Reverse-KL optimum shown</legend>' +
      fit.reverse.localOptima
        .map(
          (o, i) =>
            `<label><input type="radio" name="tok-opt" value="${i}" ${i === shown ? 'checked' : ''}/> ${optimumName(o.q, tokens)}: KL(Q‖P) = <span data-kl="tokens-reverse-${i}" data-value="${inUnit(o.kl)}">${formatNumber(inUnit(o.kl), 4)}</span> ${u}${o.global ? ' ★ global' : ''}</label>`,
        )
        .join('');
    for (const r of optimaBox.querySelectorAll<HTMLInputElement>('input')) {
      r.addEventListener('change', () => {
        shown = Number(r.value);
        render();
        optimaBox.querySelector<HTMLInputElement>(`input[value="${shown}"]`)?.focus();
      });
    }
    const plausible = kf.filter((t) => t.plausible);
    const keptF = plausible.filter((t) => t.kept).length;
    const keptR = kr.filter((t) => t.plausible && t.kept).length;
    const junkF = kf.filter((t) => !t.plausible).reduce((a, t) => a + t.q, 0);
    const junkR = kr.filter((t) => !t.plausible).reduce((a, t) => a + t.q, 0);
    const dropped = kr.filter((t) => t.plausible && !t.kept).map((t) => tokens[t.index]!.trim());
    byId('tokens-summary').innerHTML =
      `<strong>Forward</strong> (KL(P‖Q) = <span data-kl="tokens-forward" data-value="${inUnit(fit.forward.kl)}">${formatNumber(inUnit(fit.forward.kl), 4)}</span> ${u}) keeps ${keptF} of the ${plausible.length} tokens P finds plausible (≥ 3%) and spends ${(100 * junkF).toFixed(0)}% of its mass on implausible ones. ` +
      `<strong>Reverse</strong> (KL(Q‖P) = ${formatNumber(inUnit(rq.kl), 4)} ${u}) keeps ${keptR} of ${plausible.length}, spends ${(100 * junkR).toFixed(0)}% on implausible ones` +
      (dropped.length ? ` and drops ${dropped.map((d) => `<q>${d}</q>`).join(', ')}.` : '.');
    const rows = tokens
      .map((t, i) => {
        const cls = kf[i]!.plausible ? '' : ' class="implausible"';
        const mark = (k: boolean, plaus: boolean) => (plaus ? (k ? '<span class="yes">✓ kept</span>' : '<span class="no">✗ dropped</span>') : k ? '' : '');
        return `<tr${cls}><th scope="row">${t.trim()}</th><td class="r">${(100 * p[i]!).toFixed(1)}%</td><td class="r">${(100 * fit.forward.q[i]!).toFixed(1)}%</td><td>${mark(kf[i]!.kept, kf[i]!.plausible)}</td><td class="r">${(100 * rq.q[i]!).toFixed(1)}%</td><td>${mark(kr[i]!.kept, kr[i]!.plausible)}</td></tr>`;
      })
      .join('');
    byId<HTMLTableElement>('tokens-table').innerHTML =
      '<thead><tr><th scope="col">token</th><th scope="col" class="r">P (teacher)</th><th scope="col" class="r">Q forward</th><th scope="col">forward keeps?</th><th scope="col" class="r">Q reverse</th><th scope="col">reverse keeps?</th></tr></thead>' +
      `<tbody>${rows}</tbody>`;
  }
  byId('tokens-reset').addEventListener('click', () => {
    p = [...TOKEN_EXAMPLE.p];
    fit = fitTokenStudent(p);
    shown = 0;
    render();
  });
  units.onChange(render);
  render();
}
