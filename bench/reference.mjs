// Benchmark of compact references (.klref) against llama.cpp's .kld base files.
// Usage: node bench/reference.mjs [--vocab 128256] [--chunks 3] [--rows 48] [--dir /tmp] [--reps 2] [--keep]
// 1. Size: a .kld base (n_ctx 512, --chunks chunks, Zipf-shaped rows with entropy 1–4 nats) and its
//    references at k = 16, 64, 256: bytes per scored token and the ratio.
// 2. Interval width: --rows in-memory Zipf rows (entropy uniform in 1–4 nats) and candidates with
//    Gaussian logit noise tuned to KL ≈ 1e-3, 1e-2, 1e-1; the certified interval of the mean
//    KL(base‖candidate) for k = 16 … 16384, and the smallest k where it is below 1 % of the mean.
// 3. Speed: compare REF.klref CANDIDATE.kld against compare BASE.kld CANDIDATE.kld (same candidate),
//    in this process, at 1 thread and at the default thread count, best of --reps runs taken in
//    turns, tokens/s and the ratios.
// Prints Markdown. Everything is generated; nothing is downloaded.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { KldWriter } from '../dist/io/kld.js';
import { SummarizeScratch, roundKlrefRow, summarizeLogRow } from '../dist/io/klref.js';
import { BoundsScratch, exactMeasures, rowBounds } from '../dist/compare/bounds.js';
import { compareFiles } from '../dist/compare/engine.js';
import { compareReference } from '../dist/compare/referenceCompare.js';
import { openFileReferenceSource, writeReference } from '../dist/compare/referenceSource.js';
import { seededRandom } from '../dist/random.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const V = Number(arg('vocab', '128256'));
const nCtx = 512;
const nChunk = Number(arg('chunks', '3'));
const widthRows = Number(arg('rows', '48'));
const reps = Number(arg('reps', '2'));
const dir = mkdtempSync(path.join(arg('dir', '/tmp'), 'klscope-bench-ref-'));
const rnd = seededRandom(12);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

/** Entropy (nats) of softmax(−s·ln(1 + i)). */
function zipfEntropy(s, n) {
  let z = 0;
  let e = 0;
  for (let i = 0; i < n; i++) {
    const l = -s * Math.log(1 + i);
    const p = Math.exp(l);
    z += p;
    e += p * l;
  }
  return Math.log(z) - e / z;
}

/** The Zipf exponent whose row has entropy h: interpolated in a table of entropy against s. */
const S_GRID = Array.from({ length: 160 }, (_, i) => 0.8 + i * 0.025);
const H_GRID = S_GRID.map((s) => zipfEntropy(s, V)); // falls as s grows
function exponentFor(h) {
  for (let i = 1; i < S_GRID.length; i++) {
    if (H_GRID[i] <= h) {
      const w = (H_GRID[i - 1] - h) / (H_GRID[i - 1] - H_GRID[i]);
      return S_GRID[i - 1] + w * (S_GRID[i] - S_GRID[i - 1]);
    }
  }
  return S_GRID.at(-1);
}

/** A Zipf-shaped logit row with entropy ≈ h: the ranks shuffled over the ids, a little jitter. */
function zipfRow(h, out, perm) {
  const s = exponentFor(h);
  for (let i = V - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (let i = 0; i < V; i++) out[perm[i]] = -s * Math.log(1 + i) + 0.05 * gauss();
}

function logSoftmax(x) {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
  let z = 0;
  for (let i = 0; i < x.length; i++) z += Math.exp(x[i] - m);
  const l = m + Math.log(z);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] - l;
  return out;
}

const fmt = (x, d = 4) => (x === Infinity ? '∞' : Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : Number(x.toPrecision(d)).toString());
console.log(`# klscope reference benchmark\n\nV = ${V}, n_ctx ${nCtx}; ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, load ${loadavg()[0].toFixed(2)}; ${new Date().toISOString()}\n`);

// ---- 1. size (and the files for 3)
const perm = Int32Array.from({ length: V }, (_, i) => i);
const tokens = Array.from({ length: nCtx * nChunk }, () => Math.floor(rnd() * V));
const basePath = path.join(dir, 'base.kld');
const candPath = path.join(dir, 'candidate.kld');
{
  const a = new KldWriter(basePath, { nCtx, nVocab: V, nChunk, tokens });
  const b = new KldWriter(candPath, { nCtx, nVocab: V, nChunk, tokens });
  const la = new Float32Array(V);
  const lb = new Float32Array(V);
  const sigma = Math.sqrt(2 * 1e-2); // candidate at KL ≈ 1e-2
  for (let r = 0; r < a.header.rows; r++) {
    zipfRow(1 + 3 * rnd(), la, perm);
    for (let i = 0; i < V; i++) lb[i] = la[i] + sigma * gauss();
    a.writeLogits(la);
    b.writeLogits(lb);
  }
  a.close();
  b.close();
}
const rows = nChunk * (nCtx - 1 - nCtx / 2);
const kldSize = statSync(basePath).size;
const sizeRows = [];
const refs = {};
for (const k of [16, 64, 256]) {
  const ref = path.join(dir, `base-k${k}.klref`);
  const t0 = performance.now();
  const w = await writeReference(openFileReferenceSource(basePath), ref, { topK: k });
  const secs = (performance.now() - t0) / 1000;
  refs[k] = ref;
  sizeRows.push(`| ${k} | ${fmt(kldSize / rows, 6)} | ${fmt(w.bytes / rows, 5)} | ${fmt(kldSize / w.bytes, 4)}× | ${fmt(rows / secs, 3)} |`);
}
console.log(`## Size (${nChunk} chunks of ${nCtx}: ${rows} scored tokens; .kld ${kldSize} bytes)\n`);
console.log('| k | .kld bytes/token | .klref bytes/token | .kld / .klref | klscope reference rows/s |\n|---|---|---|---|---|');
console.log(sizeRows.join('\n') + '\n');

// ---- 2. interval width of the mean KL(base‖candidate)
const KS = [16, 64, 256, 1024, 4096, 16384, 32768, 65536];
const TARGETS = [1e-3, 1e-2, 1e-1];
{
  const bases = [];
  const la = new Float64Array(V);
  for (let r = 0; r < widthRows; r++) {
    zipfRow(1 + (3 * (r + 0.5)) / widthRows, la, perm);
    bases.push(logSoftmax(la));
  }
  const cands = TARGETS.map((t) => {
    const sigma = Math.sqrt(2 * t);
    return bases.map((lp) => {
      const x = new Float64Array(V);
      for (let i = 0; i < V; i++) x[i] = lp[i] + sigma * gauss();
      return logSoftmax(x);
    });
  });
  const candQ = cands.map((cs) => cs.map((lq) => lq.map(Math.exp)));
  const exact = cands.map((cs) => cs.map((lq, r) => exactMeasures(bases[r], lq)));
  const scratch = new SummarizeScratch(V);
  const bs = new BoundsScratch(V);
  const out = { lo: new Float64Array(4), hi: new Float64Array(4), est: new Float64Array(4), argmaxCand: 0 };
  const table = TARGETS.map(() => []);
  let boundsTime = 0;
  let boundsCalls = 0;
  for (const k of KS) {
    const refRows = bases.map((lp) => {
      const row = { logTail: 0, logTailAll: 0, floor: 0, logpTarget: NaN, nWindow: k, logp: new Float64Array(k), ids: new Int32Array(k) };
      summarizeLogRow(lp, k, row, scratch);
      roundKlrefRow(row);
      return row;
    });
    TARGETS.forEach((_, c) => {
      let lo = 0;
      let hi = 0;
      let est = 0;
      let ex = 0;
      let mass = 0;
      for (let r = 0; r < widthRows; r++) {
        const t0 = performance.now();
        rowBounds(refRows[r], { logq: cands[c][r], q: candQ[c][r], window: -Infinity }, { nVocab: V, view: 'logits' }, bs, out);
        boundsTime += performance.now() - t0;
        boundsCalls++;
        lo += out.lo[0];
        hi += out.hi[0];
        est += out.est[0];
        ex += exact[c][r][0];
        mass += Math.exp(refRows[r].logTail);
      }
      table[c].push({ k, lo: lo / widthRows, hi: hi / widthRows, est: est / widthRows, exact: ex / widthRows, tail: mass / widthRows });
    });
  }
  console.log(`## Width of the certified interval of mean KL(base‖candidate) (${widthRows} Zipf rows, entropy 1–4 nats, V = ${V})\n`);
  console.log('| candidate | exact mean KL | k | mean tail mass | interval [lo, hi] | width / mean | estimate |\n|---|---|---|---|---|---|---|');
  TARGETS.forEach((t, c) => {
    for (const e of table[c]) {
      const w = (e.hi - e.lo) / e.exact;
      console.log(`| KL ≈ ${t} | ${fmt(e.exact)} | ${e.k} | ${fmt(e.tail, 3)} | [${fmt(e.lo)}, ${fmt(e.hi)}] | ${(100 * w).toPrecision(3)} % | ${fmt(e.est)} |`);
    }
  });
  console.log('');
  TARGETS.forEach((t, c) => {
    const ok = table[c].find((e) => (e.hi - e.lo) / e.exact < 0.01);
    console.log(`- KL ≈ ${t}: ${ok ? `width below 1 % of the mean from k = ${ok.k}` : `width still ${(100 * ((table[c].at(-1).hi - table[c].at(-1).lo) / table[c].at(-1).exact)).toPrecision(3)} % at k = ${KS.at(-1)}`}`);
  });
  console.log('');
}

// ---- 3. speed: compare against the reference vs against the .kld it came from, at equal threads.
// compare REF.klref CANDIDATE.kld at 1 thread runs every row on this thread; at the default
// thread count the code passes run natively on a second thread, a block ahead of the TypeScript
// that finishes the bounds (see referenceCompare.ts, pipelined). The configurations take
// turns within each repetition (best of --reps), so a change in the machine's load hits all alike.
{
  const configs = [
    ['kld1', () => compareFiles({ base: basePath, candidate: candPath, threads: 1 })],
    ['kldAll', () => compareFiles({ base: basePath, candidate: candPath })],
    ...[16, 64, 256].flatMap((k) => [
      [`ref${k}`, () => compareReference({ reference: refs[k], candidate: candPath, threads: 1 })],
      [`ref${k}All`, () => compareReference({ reference: refs[k], candidate: candPath })],
    ]),
  ];
  const best = new Map(configs.map(([name]) => [name, Infinity]));
  const last = new Map();
  for (let i = 0; i < reps; i++) {
    for (const [name, f] of configs) {
      const t0 = performance.now();
      last.set(name, await f());
      best.set(name, Math.min(best.get(name), (performance.now() - t0) / 1000));
    }
  }
  const tk1 = best.get('kld1');
  const tkA = best.get('kldAll');
  const lines = [
    `| base.kld, 1 thread | ${fmt(tk1, 3)} | ${fmt(rows / tk1, 4)} | 1 | ${fmt(tkA / tk1, 3)} | KL ${fmt(last.get('kld1').result.kld.mean)} |`,
    `| base.kld, default threads (${cpus().length} cores) | ${fmt(tkA, 3)} | ${fmt(rows / tkA, 4)} | ${fmt(tk1 / tkA, 3)} | 1 | |`,
  ];
  for (const k of [16, 64, 256]) {
    for (const [name, label] of [[`ref${k}`, '1 thread'], [`ref${k}All`, 'default threads']]) {
      const tr = best.get(name);
      const b = last.get(name).result.bounds.kld.mean;
      lines.push(`| base-k${k}.klref, ${label} | ${fmt(tr, 3)} | ${fmt(rows / tr, 4)} | ${fmt(tk1 / tr, 3)} | ${fmt(tkA / tr, 3)} | KL ∈ [${fmt(b[0])}, ${fmt(b[1])}] |`);
    }
  }
  console.log(`## Speed: compare against the reference vs against the .kld (candidate.kld at KL ≈ 1e-2, ${rows} tokens, best of ${reps}, load ${loadavg()[0].toFixed(2)} after)\n`);
  console.log('| base | seconds | tokens/s | speed vs .kld, 1 thread | speed vs .kld, default threads | mean KL(base‖candidate) |\n|---|---|---|---|---|---|');
  console.log(lines.join('\n') + '\n');
}
if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
else console.log(`files kept in ${dir}`);
