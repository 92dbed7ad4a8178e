import type { ScaleLinear, Selection } from 'd3';
import type { Unit } from '../../src/divergence/types.js';
import { toUnit } from '../../src/divergence/units.js';
import { FIGURE_COLORS } from '../../src/report/colors.js';

type Listener = () => void;
const listeners: Listener[] = [];
let unit: Unit = 'nats';

/** The page-wide unit (nats or bits) and its change listeners. */
export const units = {
  get(): Unit {
    return unit;
  },
  set(u: Unit): void {
    unit = u;
    for (const l of listeners) l();
  },
  onChange(l: Listener): void {
    listeners.push(l);
  },
};

/** nats → the current unit. */
export function inUnit(nats: number): number {
  return toUnit(nats, unit);
}

/** The static figures' colours; both fits of Q are Q's red. */
export const COLORS = { ...FIGURE_COLORS, qForward: FIGURE_COLORS.q, qReverse: FIGURE_COLORS.q };

export function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** Element by id, or an error naming it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

/** Horizontal grid lines at the y scale's ticks, from x1 to x2 (shared by the panels' charts). */
export function drawGrid(grid: Selection<SVGGElement, unknown, null, undefined>, y: ScaleLinear<number, number>, x1: number, x2: number): void {
  grid
    .selectAll('line')
    .data(y.ticks(5))
    .join('line')
    .attr('x1', x1)
    .attr('x2', x2)
    .attr('y1', (d) => y(d))
    .attr('y2', (d) => y(d))
    .attr('stroke', COLORS.grid);
}
