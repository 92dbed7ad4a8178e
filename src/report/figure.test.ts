import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseHTML } from 'linkedom';
import { descentPath, fitGaussian } from '../fit/fit1d.js';
import { DEFAULT_MIXTURE_2D, fit2d } from '../fit/fit2d.js';
import { DEFAULT_MIXTURE, parseMixture } from '../fit/mixture.js';
import { renderFitFigure } from './figure.js';
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

describe('the 2-D figure', () => {
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
