// End-to-end test of the interactive page in real headless Chromium (Debian's `chromium`,
// driven by playwright-core): `klscope serve` on a free port, slider moves, displayed values
// checked against the library computed here in Node, a screenshot saved to test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { divergenceMeasures, MEASURE_KEYS } from '../divergence/measures.js';
import { fitForward, fitReverse } from '../fit/fit1d.js';
import { startServer, webDistDir } from './serve.js';

const root = process.env.KLSCOPE_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.KLSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

function ensureBuilt(): void {
  if (existsSync(path.join(webDistDir(), 'index.html'))) return;
  const r = spawnSync('node', [path.join(root, 'scripts/build-web.mjs')], { cwd: root, stdio: 'inherit' });
  assert.equal(r.status, 0, 'building the web page (scripts/build-web.mjs) failed');
}

/** Starts `klscope serve --port 0` and resolves with the URL it prints. */
function serveCli(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('node', [path.join(root, 'bin/klscope.js'), 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`klscope serve printed no URL in 60 s; stdout ${out}, stderr ${err}`)), 60000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[0], child });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`klscope serve exited with ${code}: ${err}`));
    });
  });
}

/** A GET with the path sent exactly as written (fetch would normalise it). */
function rawGet(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: p, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function close(a: number, b: number, rel = 1e-12): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

test('startServer serves the page, 404s unknown files and refuses paths outside its root', async () => {
  ensureBuilt();
  const s = await startServer({ port: 0 });
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(s.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /Forward KL\(P‖Q\) vs reverse KL\(Q‖P\)/);
    // every script and stylesheet is local: no CDN
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) assert.ok(!/^(https?:)?\/\//.test(m[1]!), `external reference ${m[1]}`);
    assert.equal((await fetch(s.url + 'nope.js')).status, 404);
    // ../ in any spelling stays inside the root: web-dist has no package.json, so 404
    for (const bad of ['%2e%2e/package.json', '%2e%2e%2f%2e%2e%2fpackage.json', '..%5c..%5cpackage.json']) {
      const r = await rawGet(s.port, '/' + bad);
      assert.ok(r.status === 404 || r.status === 403, `${bad}: status ${r.status}`);
      assert.ok(!r.body.includes('"name": "klscope"'), `${bad} served a file outside web-dist`);
    }
    assert.equal((await fetch(s.url, { method: 'POST' })).status, 405);
  } finally {
    await s.close();
  }
});

test('the page in headless Chromium: sliders move, displayed KL values match the library', { timeout: 240000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    // CI installs Chromium (.ci/run), so there a missing browser is a failure, never a skip
    if (process.env.CI === 'true') assert.fail(`Chromium not found at ${CHROMIUM} although CI=true: .ci/run should have installed Debian's chromium package`);
    t.skip(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium; .ci/run does) or set KLSCOPE_CHROMIUM`);
    return;
  }
  ensureBuilt();
  const { chromium } = await import('playwright-core');
  const { url, child } = await serveCli();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 120000 });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const external: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname === '127.0.0.1' || u.protocol === 'data:') return route.continue();
      external.push(u.href);
      return route.abort();
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(url, { timeout: 60000 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });

    const measures = async () =>
      page.$$eval('td[data-measure]', (tds) => Object.fromEntries(tds.map((td) => [(td as HTMLElement).dataset.measure!, { value: (td as HTMLElement).dataset.value!, text: td.textContent! }])));
    const inputs = async (k: 'p' | 'q') => Promise.all([0, 1, 2].map(async (i) => Number(await page.inputValue(`#${k}${i}-num`))));

    // panel 3 starts at the explainer's example, computed by the library in the browser
    const before = await measures();
    const ref = divergenceMeasures([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]);
    assert.ok(close(Number(before.forward!.value), 0.025267153921570557), `KL(P‖Q) shown ${before.forward!.value}`);
    for (const k of MEASURE_KEYS) assert.ok(close(Number(before[k]!.value), ref[k]), `${k}: page ${before[k]!.value}, library ${ref[k]}`);

    // move the q(A) slider with the keyboard: 5 steps of 0.01 to the right
    await page.focus('#q0');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => (document.querySelector('#q0-num') as HTMLInputElement).value === '0.45');
    const after = await measures();
    assert.notEqual(after.forward!.value, before.forward!.value, 'KL(P‖Q) did not change when the slider moved');
    assert.notEqual(after.reverse!.value, before.reverse!.value, 'KL(Q‖P) did not change when the slider moved');
    const p = await inputs('p');
    const q = await inputs('q');
    assert.deepEqual(q, [0.45, 0.4, 0.2]);
    const lib = divergenceMeasures(p, q, { normalize: true });
    for (const k of MEASURE_KEYS) {
      assert.ok(close(Number(after[k]!.value), lib[k]), `${k}: page ${after[k]!.value}, library ${lib[k]}`);
      // the text shown agrees with the value to its 10 significant digits
      assert.ok(close(Number(after[k]!.text), lib[k], 1e-9), `${k}: shown ${after[k]!.text}, library ${lib[k]}`);
    }

    // bits: the same library values divided by ln 2
    await page.check('input[name="unit"][value="bits"]');
    const bits = await measures();
    assert.ok(close(Number(bits.forward!.value), lib.forward / Math.LN2), `bits: ${bits.forward!.value}`);
    await page.check('input[name="unit"][value="nats"]');

    // breaking a rule shows the library's own error line, and no numbers
    await page.uncheck('#measures-normalize');
    await page.waitForFunction(() => /sum to/.test(document.querySelector('#measures-error')!.textContent ?? ''));
    const msg = await page.textContent('#measures-error');
    assert.match(msg ?? '', /invalid q: values sum to 1\.05/);
    await page.check('#measures-normalize');

    // panel 1: move P's right mode from 3 to 2 and compare the exact optima with the library
    const optBefore = await page.getAttribute('[data-kl="forward-opt"]', 'data-value');
    await page.focus('#mu2');
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => (document.querySelector('#mu2') as HTMLInputElement).value === '2');
    await page.waitForFunction((old) => document.querySelector('[data-kl="forward-opt"]')?.getAttribute('data-value') !== old, optBefore);
    const mix = [
      { weight: 0.5, mu: -3, sigma: 1 },
      { weight: 0.5, mu: 2, sigma: 1 },
    ];
    // the key presses are batched into animation frames: wait for the frame that saw μ₂ = 2
    await page.waitForFunction((want) => Math.abs(Number(document.querySelector('[data-kl="forward-opt"]')?.getAttribute('data-value')) - want) < 1e-6, fitForward(mix).kl, { timeout: 30000 });
    const fOpt = Number(await page.getAttribute('[data-kl="forward-opt"]', 'data-value'));
    const rOpt = Number(await page.getAttribute('[data-kl="reverse-opt"]', 'data-value'));
    assert.ok(close(fOpt, fitForward(mix).kl, 1e-9), `forward optimum: page ${fOpt}, library ${fitForward(mix).kl}`);
    assert.ok(close(rOpt, fitReverse(mix).kl, 1e-9), `reverse optimum: page ${rOpt}, library ${fitReverse(mix).kl}`);
    // the live reverse fit converges to one of the reported optima
    await page.waitForFunction(() => /converged/.test(document.querySelector('#gauss-status')?.textContent ?? ''), undefined, { timeout: 60000 });
    const live = Number(await page.getAttribute('[data-kl="reverse-now"]', 'data-value'));
    const locals = (await page.$$eval('[data-kl="reverse-local"]', (els) => els.map((e) => Number(e.getAttribute('data-value'))))) as number[];
    assert.ok(locals.some((v) => Math.abs(v - live) < 1e-6), `live KL(Q‖P) ${live} is none of the optima ${locals}`);

    // panel 2: a teacher bar edited with the keyboard refits both students
    const tokBefore = await page.getAttribute('[data-kl="tokens-forward"]', 'data-value');
    await page.focus('#tokens-forward .bar-hit');
    await page.keyboard.press('Shift+ArrowUp');
    await page.waitForFunction((old) => document.querySelector('[data-kl="tokens-forward"]')?.getAttribute('data-value') !== old, tokBefore);

    const dir = path.join(root, 'test-results');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, 'klscope-serve.png'), fullPage: true });
    assert.deepEqual(external, [], 'the page asked for something off this machine');
    assert.deepEqual(errors, [], 'errors in the browser console');
  } finally {
    await browser.close();
    child.kill('SIGTERM');
  }
});

test('the page at 420 px wide: no horizontal overflow; badges, convergence text and labels follow the fits', { timeout: 240000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') assert.fail(`Chromium not found at ${CHROMIUM} although CI=true`);
    t.skip(`Chromium not found at ${CHROMIUM}`);
    return;
  }
  ensureBuilt();
  const { chromium } = await import('playwright-core');
  const { url, child } = await serveCli();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 120000 });
  try {
    const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    await page.goto(url, { timeout: 60000 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
    await page.waitForFunction(() => /converged/.test(document.querySelector('#gauss-status')?.textContent ?? ''), undefined, { timeout: 60000 });
    const overflow = await page.evaluate(() => {
      const w = document.documentElement.clientWidth;
      const wide = Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > w + 0.5 && !e.closest('.table-wrap')).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
      return { scroll: document.documentElement.scrollWidth, w, wide: wide.slice(0, 5) };
    });
    assert.ok(overflow.scroll <= overflow.w, `page is ${overflow.scroll} px wide in a ${overflow.w} px window: ${overflow.wide.join(', ')}`);
    assert.deepEqual(overflow.wide, []);

    // the star labels of the reverse chart: no point of P or of an optimum's curve inside their box
    const crossings = await page.evaluate(() => {
      const svg = document.querySelector('#gauss-reverse svg')!;
      const boxes = Array.from(svg.querySelectorAll('.opt-label')).map((t) => t.getBoundingClientRect());
      const paths = Array.from(svg.querySelectorAll('g[clip-path] > path:not(.q-live), g[clip-path] > g > path')).filter((p) => p.getAttribute('fill') === 'none') as SVGPathElement[];
      const hits: string[] = [];
      for (const p of paths) {
        const len = p.getTotalLength();
        const m = p.getScreenCTM()!;
        for (let i = 0; i <= 600; i++) {
          const q = p.getPointAtLength((len * i) / 600).matrixTransform(m);
          for (const b of boxes) if (q.x > b.left && q.x < b.right && q.y > b.top && q.y < b.bottom) hits.push(`${Math.round(q.x)},${Math.round(q.y)}`);
        }
      }
      return { labels: boxes.length, paths: paths.length, hits: hits.slice(0, 5) };
    });
    assert.ok(crossings.labels >= 3 && crossings.paths >= 4, JSON.stringify(crossings));
    assert.deepEqual(crossings.hits, [], 'a curve runs through an optimum label');

    // modes 2σ apart: both fits agree, so neither badge is shown
    assert.ok(await page.isVisible('#gauss-reverse-tag'));
    await page.click('[data-preset="close"]');
    await page.waitForFunction(() => (document.querySelector('#gauss-reverse-tag') as HTMLElement).hidden);
    assert.equal(await page.isVisible('#gauss-forward-tag'), false);
    assert.match((await page.textContent('#gauss-story')) ?? '', /nearly the same Q/);

    // a wide start at μ = 0 ends at the broad local optimum of the 6σ preset: the status says so
    await page.click('[data-preset="separated"]');
    await page.evaluate(() => {
      let k = 0;
      Math.random = () => (k++ % 2 === 0 ? 0.5 : 0.999);
    });
    await page.click('#gauss-random');
    await page.waitForFunction(() => /converged/.test(document.querySelector('#gauss-status')?.textContent ?? ''), undefined, { timeout: 60000 });
    assert.match((await page.textContent('#gauss-status')) ?? '', /the reverse fit sits at a local optimum: KL\(Q‖P\) = 0\.8406 nats, the global optimum has 0\.6888 nats/);

    const dir = path.join(root, 'test-results');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, 'klscope-serve-420.png'), fullPage: true });
  } finally {
    await browser.close();
    child.kill('SIGTERM');
  }
});
