import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseMixture } from '../fit/mixture.js';
import { DEFAULT_MIXTURE } from '../fit/mixture.js';
import { DEFAULT_MIXTURE_2D, parseMixture2d } from '../fit/fit2d.js';
import { fit2dCommand, fitCommand, parseStart, tourSection } from './fit.js';
import { repoRoot as root, runCli } from '../testing/cli.js';

const bin = path.join(root, 'bin/klscope.js');

const klscope = (args: string[], cwd = root) => runCli(args, { cwd });

describe('klscope fit', () => {
  test('--json: the issue\'s shape; forward is the closed form to 1e-6; both reverse optima for separated modes', () => {
    const r = klscope(['fit', '--json', '--mix', '0.4:-3:1,0.6:3:1.2']);
    assert.equal(r.code, 0, r.stderr);
    let j;
    try {
      j = JSON.parse(r.stdout);
    } catch (e) {
      assert.fail(`stdout is not one JSON document (${String(e)}): ${r.stdout.slice(0, 300)} | stderr: ${r.stderr.slice(0, 300)}`);
    }
    assert.deepEqual(Object.keys(j).filter((k) => k !== 'unit'), ['p', 'forward', 'reverse']);
    const mu = 0.4 * -3 + 0.6 * 3;
    const sigma = Math.sqrt(0.4 * (1 + 9) + 0.6 * (1.44 + 9) - mu * mu);
    assert.ok(Math.abs(j.forward.mu - mu) < 1e-6 && Math.abs(j.forward.sigma - sigma) < 1e-6, JSON.stringify(j.forward));
    assert.equal(j.forward.divergence, 'KL(P‖Q)');
    assert.equal(j.reverse.divergence, 'KL(Q‖P)');
    const modes = j.reverse.localOptima.filter((o: { sigma: number }) => o.sigma < 1.5);
    assert.equal(modes.length, 2, JSON.stringify(j.reverse.localOptima));
    assert.ok(modes.some((o: { mu: number }) => Math.abs(o.mu + 3) < 0.1) && modes.some((o: { mu: number }) => Math.abs(o.mu - 3) < 0.1));
    const g = j.reverse.localOptima.filter((o: { global: boolean }) => o.global);
    assert.equal(g.length, 1);
    assert.equal(g[0].kl, j.reverse.kl);
    for (const o of j.reverse.localOptima) assert.ok(o.kl >= j.reverse.kl);
  });
  test('the default preset shows the contrast: forward spreads, reverse sits on a mode', async () => {
    const j = JSON.parse((await fitCommand({ mix: DEFAULT_MIXTURE, unit: 'nats', json: true })).stdout);
    assert.ok(Math.abs(j.forward.sigma - Math.sqrt(10)) < 1e-6 && Math.abs(j.forward.mu) < 1e-12);
    assert.ok(Math.abs(Math.abs(j.reverse.mu) - 2.984306) < 1e-5 && j.reverse.sigma < 1.1);
  });
  test('table, --path, bits', async () => {
    const mix = parseMixture('0.5:-3:1,0.5:3:1');
    const out = (await fitCommand({ mix, unit: 'bits', path: true, steps: 200 })).stdout;
    assert.match(out, /KL \(bits\)/);
    assert.match(out, /forward\s+KL\(P‖Q\)\s+0\s+3\.16228\s+0\.666/);
    assert.match(out, /global optimum \(tied\)/);
    assert.match(out, /Adam path \(reverse\)/);
    const j = JSON.parse((await fitCommand({ mix, unit: 'nats', json: true, path: true, steps: 100 })).stdout);
    assert.equal(j.forward.path.at(-1).step, 100);
    assert.ok(j.forward.path[0].kl > j.forward.path.at(-1).kl);
  });
  test('--svg and --png write the figure; nothing is written when an argument is bad', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'klscope-fit-'));
    try {
      const svg = path.join(dir, 'f.svg');
      const png = path.join(dir, 'sub/f.png');
      const r = klscope(['fit', '--svg', svg, '--png', png]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(readFileSync(svg, 'utf8'), /^<svg /);
      assert.equal(readFileSync(png).subarray(1, 4).toString(), 'PNG');
      assert.match(r.stdout, /wrote .*f\.svg/);
      const bad = klscope(['fit', '--mix', '0.5:-3:1,0.6:3:1', '--svg', path.join(dir, 'bad.svg')]);
      assert.equal(bad.code, 2);
      assert.equal(bad.stdout, '');
      assert.match(bad.stderr, /^klscope fit: invalid --mix: weights sum to 1\.1, they must sum to 1/);
      assert.ok(!existsSync(path.join(dir, 'bad.svg')));
      assert.throws(() => parseStart('1:-2'), /invalid --start: expected "mu:sigma" with sigma > 0, got "1:-2"/);
      assert.deepEqual(parseStart('1:0.5'), { mu: 1, sigma: 0.5 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('--dim 2 --json and table', async () => {
    const j = JSON.parse((await fit2dCommand({ mix: parseMixture2d('0.5:-3:0:1:1,0.5:3:0:1:1'), unit: 'nats', json: true })).stdout);
    assert.equal(j.dim, 2);
    assert.ok(Math.abs(j.forward.cov[0][0] - 10) < 1e-9 && Math.abs(j.forward.cov[1][1] - 1) < 1e-9);
    assert.equal(j.reverse.localOptima.filter((o: { global: boolean }) => o.global).length, 2);
    const t = (await fit2dCommand({ mix: DEFAULT_MIXTURE_2D, unit: 'bits' })).stdout;
    assert.match(t, /KL \(bits\)/);
    assert.match(t, /forward\s+KL\(P‖Q\)\s+\(0, 0\)\s+\[\[7\.2500, 3\.7500\], \[3\.7500, 3\.2500\]\]/);
  });
  test('tourSection writes the figures to out/ and says how to open the page', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'klscope-tour-'));
    try {
      const text = await tourSection(path.join(dir, 'out'));
      for (const f of ['forward-kl', 'reverse-kl', 'forward-vs-reverse']) {
        assert.ok(existsSync(path.join(dir, 'out', `${f}.svg`)) && existsSync(path.join(dir, 'out', `${f}.png`)), f);
      }
      assert.match(text, /: klscope serve /);
      assert.doesNotMatch(text, /npx/, 'npx klscope goes to the registry outside the clone');
      assert.ok(text.includes(path.join(dir, 'out', 'forward-kl.svg')), 'figure paths are absolute');
      assert.match(text, /min KL\(Q‖P\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
