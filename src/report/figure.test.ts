import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseHTML } from 'linkedom';
import { descentPath, fitGaussian } from '../fit/fit1d.js';
import { DEFAULT_MIXTURE_2D, fit2d } from '../fit/fit2d.js';
import { DEFAULT_MIXTURE, parseMixture } from '../fit/mixture.js';
import { placeLabels, renderFitFigure } from './figure.js';
import { renderFit2dFigure } from './figure2d.js';
import { svgToPng } from './figurePng.js';

const root = process.env.KLSCOPE_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SNAP = path.join(root, 'src/report/__snapshots__');

/** The SVG with every decimal number rounded to 1 decimal, so the snapshot ignores last-digit noise. */
function rounded(svg: string): string {
  return svg.replace(/-?\d+\.\d+(e-?\d+)?/g, (m) => {
    const r = Number(m).toFixed(1);
    return r === '-0.0' ? '0.0' : r;
  });
}

/**
 * Compares with the committed snapshot (src/report/__snapshots__); UPDATE_SNAPSHOTS=1 rewrites
 * it. A missing snapshot fails: it must be committed.
 */
function matchSnapshot(name: string, svg: string): void {
  const file = path.join(SNAP, name);
  const got = rounded(svg);
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    mkdirSync(SNAP, { recursive: true });
    writeFileSync(file, got);
    return;
  }
  assert.ok(existsSync(file), `snapshot ${file} is missing (run the test with UPDATE_SNAPSHOTS=1 and commit it)`);
  const want = readFileSync(file, 'utf8');
  if (got !== want) {
    const a = got.split('\n');
    const b = want.split('\n');
    const i = a.findIndex((l, k) => l !== b[k]);
    assert.fail(`${name} differs from the snapshot at line ${i + 1}:\n  got:  ${a[i]?.slice(0, 200)}\n  want: ${b[i]?.slice(0, 200)}\n(UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change)`);
  }
}

function texts(svg: string): string[] {
  const { document } = parseHTML(`<!doctype html><html><body>${svg}</body></html>`);
  return Array.from(document.querySelectorAll('text'), (t) => t.textContent ?? '');
}

describe('the forward/reverse figure', () => {
  const fit = fitGaussian(DEFAULT_MIXTURE);
  const svg = renderFitFigure(DEFAULT_MIXTURE, fit);
  test('has both panels with the minimised KL of each direction in the titles', () => {
    const t = texts(svg);
    assert.ok(t.includes(`Forward: min KL(P‖Q) = ${fit.forward.kl.toFixed(3)} nats`), t.join(' | '));
    assert.ok(t.includes(`Reverse: min KL(Q‖P) = ${fit.reverse.kl.toFixed(3)} nats`));
    assert.ok(t.includes('P, the true distribution') && t.includes('Q, the best single Gaussian'));
    assert.ok(t.some((s) => s.startsWith('Q = N(0.00, 3.16²)')));
    // the other optima are labelled with their KL (the tie and the broad local one)
    assert.ok(t.includes('0.689 (tie)') && t.includes('0.841'));
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1040"/);
  });
  test('draws P blue and Q red', () => {
    assert.match(svg, /stroke="#1f5fa8"/);
    assert.match(svg, /stroke="#c8302c"/);
  });
  test('bits: the titles convert', () => {
    const t = texts(renderFitFigure(DEFAULT_MIXTURE, fit, { unit: 'bits', panels: ['forward'] }));
    assert.ok(t.includes(`Forward: min KL(P‖Q) = ${(fit.forward.kl / Math.LN2).toFixed(3)} bits`));
  });
  test('matches the snapshot (numbers rounded to 1 decimal)', () => {
    matchSnapshot('fit-default.svg', svg);
  });
  test('a close pair of modes: no mode-seeking, no dashed optima', () => {
    const m = parseMixture('0.5:-1:1,0.5:1:1');
    const s = renderFitFigure(m, fitGaussian(m));
    assert.ok(!/other optima/.test(s));
    matchSnapshot('fit-close.svg', s);
  });
  test('training paths: faint snapshots, a start label, the legend entry; the solid Q follows the path to its tied optimum', () => {
    const path = descentPath(DEFAULT_MIXTURE, { direction: 'reverse', start: { mu: -0.5, sigma: 0.4 }, steps: 300 });
    const s = renderFitFigure(DEFAULT_MIXTURE, fit, { panels: ['reverse'], paths: { reverse: path } });
    const t = texts(s);
    assert.ok(t.includes('start') && t.includes('Q during training (Adam), faint = early'));
    // the path ends on the left mode, so the solid Q is N(−2.98, 1.02²) and the right one is the dashed tie
    assert.ok(t.some((x) => x.startsWith('Q = N(-2.98, 1.02²)')), t.join(' | '));
    assert.ok(t.includes('0.689 (tie)'));
    assert.equal((s.match(/stroke-opacity="0\.15"/g) ?? []).length, 1, 'the earliest snapshot is the faintest');
  });
  test('PNG: a real PNG twice the SVG width', () => {
    const png = svgToPng(renderFitFigure(DEFAULT_MIXTURE, fit, { panels: ['reverse'] }));
    assert.deepEqual(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    assert.equal(view.getUint32(16), 1040);
    assert.ok(png.length > 20000, `suspiciously small PNG: ${png.length} bytes`);
  });
});

/** The y pixel of every vertex of every drawn line (Plot's line paths), per inner panel svg. */
function lineYs(svg: string): number[] {
  const ys: number[] = [];
  for (const m of svg.matchAll(/aria-label="line"[^>]*>([\s\S]*?)<\/g>/g)) {
    for (const d of m[1]!.matchAll(/ d="([^"]+)"/g)) for (const p of d[1]!.matchAll(/[ML]?(-?[\d.]+),(-?[\d.]+)/g)) ys.push(Number(p[2]));
  }
  return ys;
}

describe('figure layout: ranges and labels', () => {
  test('--path: the narrow start curve and every optimum lie inside the y range (nothing above the frame)', () => {
    const paths = {
      forward: descentPath(DEFAULT_MIXTURE, { direction: 'forward', steps: 300 }),
      reverse: descentPath(DEFAULT_MIXTURE, { direction: 'reverse', steps: 300 }),
    };
    const svg = renderFitFigure(DEFAULT_MIXTURE, fitGaussian(DEFAULT_MIXTURE), { paths });
    const ys = lineYs(svg);
    assert.ok(ys.length > 1000, `found ${ys.length} line vertices`);
    assert.ok(Math.min(...ys) >= 17.5, `a curve reaches y = ${Math.min(...ys)} px, above the plot's top margin`);
    assert.ok(texts(svg).includes('start'));
  });
  test('--preset three --panels reverse: the narrow local optimum is inside the range and keeps its KL label', () => {
    const m = parseMixture('0.2:-4:0.3,0.5:0:1,0.3:5:2');
    const fit = fitGaussian(m);
    const svg = renderFitFigure(m, fit, { panels: ['reverse'] });
    assert.ok(Math.min(...lineYs(svg)) >= 17.5);
    const local = fit.reverse.localOptima.find((o) => !o.global)!;
    assert.ok(texts(svg).includes(local.kl.toFixed(3)), texts(svg).join(' | '));
  });
  test('placeLabels puts a label where no curve crosses it, inside the frame', () => {
    const frame = { x: [-5, 5] as [number, number], y: [0, 1] as [number, number], left: 50, right: 550, top: 20, bottom: 320 };
    const xs = Array.from({ length: 201 }, (_, i) => -5 + i / 20);
    const bump = xs.map((x) => ({ x, y: 0.9 * Math.exp(-x * x) }));
    const wide = xs.map((x) => ({ x, y: 0.95 * Math.exp(-x * x / 20) }));
    const [l] = placeLabels([{ x: 0, y: 0.9, text: 'a long label here' }], [bump, wide], frame);
    const cx = 50 + ((l!.lx + 5) / 10) * 500;
    const by = 320 - l!.ly * 300;
    const w = 'a long label here'.length * 7.3 + 6;
    assert.ok(cx - w / 2 >= 50 && cx + w / 2 <= 550 && by - 14 >= 20 && by <= 320, JSON.stringify(l));
    for (const c of [bump, wide]) {
      for (const p of c) {
        const x = 50 + ((p.x + 5) / 10) * 500;
        const y = 320 - p.y * 300;
        assert.ok(!(x > cx - w / 2 && x < cx + w / 2 && y > by - 14 && y < by + 2), `curve point (${p.x}, ${p.y}) inside the label box`);
      }
    }
  });
  test('single-panel legend: one left-aligned column when a row does not fit', () => {
    const svg = renderFitFigure(DEFAULT_MIXTURE, fitGaussian(DEFAULT_MIXTURE), { panels: ['reverse'] });
    const xs = [...svg.matchAll(/<line x1="([\d.]+)" x2="[\d.]+" y1="(\d+)"/g)].map((m) => Number(m[1]));
    assert.ok(xs.length >= 3);
    assert.equal(new Set(xs).size, 1, `legend swatches start at ${xs.join(', ')}`);
  });
});

describe('the 2-D figure', () => {
  test("P's modes stay visible: P's outline is drawn after Q's, and each mode is marked", () => {
    const svg = renderFit2dFigure(DEFAULT_MIXTURE_2D, fit2d(DEFAULT_MIXTURE_2D));
    const reverse = svg.slice(svg.lastIndexOf('<svg x='));
    const lastRed = reverse.lastIndexOf('stroke="#c8302c"');
    const lastBlue = reverse.lastIndexOf('stroke="#1f5fa8"');
    assert.ok(lastBlue > lastRed, 'the P outline must come after the Q contours');
    assert.equal((reverse.match(/P's mode/g) ?? []).length, DEFAULT_MIXTURE_2D.length);
  });

  test('contours of P and Q in two panels, KL values in the titles; snapshot', () => {
    const r = fit2d(DEFAULT_MIXTURE_2D);
    const svg = renderFit2dFigure(DEFAULT_MIXTURE_2D, r);
    const t = texts(svg);
    assert.ok(t.includes(`Forward: min KL(P‖Q) = ${r.forward.kl.toFixed(3)} nats`));
    assert.ok(t.some((s) => s.startsWith(`Reverse: min KL(Q‖P) = ${r.reverse.kl.toFixed(3)} nats`)));
    assert.ok((svg.match(/aria-label="contour"/g) ?? []).length >= 4);
    matchSnapshot('fit2d-default.svg', svg);
  });
});
