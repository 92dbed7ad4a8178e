/** A label to place near an anchor point (data coordinates), clear of the drawn curves. */
export interface FigureLabel {
  x: number;
  y: number;
  text: string;
}

/** A placed label: the text's centre-bottom in data coordinates, and whether it needs a leader line. */
export interface PlacedLabel extends FigureLabel {
  lx: number;
  ly: number;
  leader: boolean;
}

/** The pixel frame of a plot: domains and the inner rectangle they map to. */
export interface PlotFrame {
  x: [number, number];
  y: [number, number];
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const LABEL_CHAR_W = 7.3;
const LABEL_H = 14;

/**
 * Places each label near its anchor where its box crosses no curve and no earlier label: tries
 * positions above the anchor, then sideways, then anywhere in the frame, and keeps the one with
 * the fewest crossings (then the nearest). Curves are polylines in data coordinates.
 *
 * @example
 * placeLabels([{ x: 0, y: 0.3, text: 'peak' }], [[{ x: -1, y: 0 }, { x: 0, y: 0.3 }, { x: 1, y: 0 }]], frame);
 */
export function placeLabels(labels: readonly FigureLabel[], curves: readonly (readonly { x: number; y: number }[])[], f: PlotFrame): PlacedLabel[] {
  const px = (x: number) => f.left + ((x - f.x[0]) / (f.x[1] - f.x[0])) * (f.right - f.left);
  const py = (y: number) => f.bottom - ((y - f.y[0]) / (f.y[1] - f.y[0])) * (f.bottom - f.top);
  const segs: [number, number, number, number][] = [];
  for (const c of curves) {
    for (let i = 1; i < c.length; i++) {
      const a = c[i - 1]!;
      const b = c[i]!;
      segs.push([px(a.x), Math.min(f.bottom, Math.max(f.top - 50, py(a.y))), px(b.x), Math.min(f.bottom, Math.max(f.top - 50, py(b.y)))]);
    }
  }
  const boxes: [number, number, number, number][] = [];
  const hits = (x0: number, y0: number, x1: number, y1: number) => {
    let n = 0;
    for (const [ax, ay, bx, by] of segs) {
      if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1) continue;
      // the part of the segment inside [x0, x1] spans this y range (segments are short)
      const t0 = bx === ax ? 0 : Math.max(0, Math.min(1, (x0 - ax) / (bx - ax)));
      const t1 = bx === ax ? 1 : Math.max(0, Math.min(1, (x1 - ax) / (bx - ax)));
      const ya = ay + (by - ay) * t0;
      const yb = ay + (by - ay) * t1;
      if (Math.max(ya, yb) >= y0 && Math.min(ya, yb) <= y1) n++;
    }
    for (const [bx0, by0, bx1, by1] of boxes) if (bx0 < x1 && bx1 > x0 && by0 < y1 && by1 > y0) n += 100;
    return n;
  };
  const out: PlacedLabel[] = [];
  for (const l of labels) {
    const w = l.text.length * LABEL_CHAR_W + 6;
    const ax = px(l.x);
    const ay = Math.max(f.top, py(l.y));
    let best: { cx: number; by: number; cost: number } | null = null;
    const tryAt = (cx: number, by: number) => {
      cx = Math.min(f.right - w / 2, Math.max(f.left + w / 2, cx));
      by = Math.min(f.bottom - 4, Math.max(f.top + LABEL_H, by));
      const cost = 1000 * hits(cx - w / 2, by - LABEL_H, cx + w / 2, by + 2) + Math.hypot(cx - ax, by - (ay - 8));
      if (!best || cost < best.cost) best = { cx, by, cost };
    };
    for (let k = 0; k < 12; k++) for (const dx of [0, -0.6, 0.6, -1.2, 1.2]) tryAt(ax + dx * w, ay - 8 - 16 * k);
    // a clear spot near the anchor is good enough; only search the whole frame otherwise
    if ((best as { cost: number } | null)!.cost >= 1000)
      for (let gy = f.top + LABEL_H; gy <= f.bottom - 4; gy += 12) for (let gx = f.left + w / 2; gx <= f.right - w / 2; gx += 12) tryAt(gx, gy);
    const b = best!;
    boxes.push([b.cx - w / 2, b.by - LABEL_H, b.cx + w / 2, b.by + 2]);
    const ix = (p: number) => f.x[0] + ((p - f.left) / (f.right - f.left)) * (f.x[1] - f.x[0]);
    const iy = (p: number) => f.y[0] + ((f.bottom - p) / (f.bottom - f.top)) * (f.y[1] - f.y[0]);
    out.push({ ...l, lx: ix(b.cx), ly: iy(b.by), leader: Math.hypot(b.cx - ax, b.by - (ay - 8)) > 28 });
  }
  return out;
}
