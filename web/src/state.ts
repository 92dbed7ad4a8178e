import type { ScaleLinear, Selection } from 'd3';
import type { Unit } from '../../src/divergence/types.js';

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
  return unit === 'bits' ? nats / Math.LN2 : nats;
}

/** A number for people: 6 significant digits, "∞" for infinity, no "-0". */
export function fmt(x: number, digits = 6): string {
  if (x === Infinity) return '∞';
  if (Number.isNaN(x)) return '—';
  if (x === 0 || Math.abs(x) < 1e-12) return '0';
  const a = Math.abs(x);
  if (a < 1e-4) return x.toExponential(Math.max(1, digits - 3));
  return Number(x.toPrecision(digits)).toString();
}

/** Fixed decimals without "-0.00". */
export function fixed(x: number, d = 2): string {
  const s = x.toFixed(d);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

export function unitLabel(): string {
  return unit;
}

/** Colours shared with the static figures. */
export const COLORS = { p: '#1f5fa8', q: '#c8302c', qForward: '#c8302c', qReverse: '#c8302c', muted: '#5b6470', grid: '#e3e6ea', text: '#1d232b' };

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
