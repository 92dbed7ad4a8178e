// The regime table: every data set of `klscope bench` (synthetic broad rows and the LM-like
// regimes) for 'kl' and 'all', native and wasm, against numpy on the very same rows, in one run.
// Usage: node bench/regimes.mjs [--vocab 128256] [--rows 256] [--threads 2] [--rounds 3]
//                               [--regime synthetic,lm-1e-3,lm-1e-2,lm-1e-1] [--json out.json]
// Each round measures, back to back: native and wasm (median of 5 timed runs after a warm-up)
// for both measure sets, then numpy (bench/numpy_baseline.py --input, median of 5) on the rows
// written to a temporary file. Ratios are taken within a round, then the median over rounds.
// numpy needs python3 with numpy; run with OPENBLAS_* unset as bench/README.md says.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_REGIMES, benchLogits } from '../dist/kernels/bench.js';
import { availableBackends, batchStats, closeWorkers } from '../dist/kernels/index.js';
import { compareStats } from '../dist/kernels/accuracy.js';
import { referenceBatchStats } from '../dist/kernels/reference.js';
import { nativeFloors, nativeSimd } from '../dist/kernels/nativeBackend.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const V = Number(arg('vocab', '128256'));
const T = Number(arg('rows', '256'));
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '3'));
const regimes = arg('regime', BENCH_REGIMES.join(',')).split(',');
const backends = availableBackends().filter((b) => b !== 'js');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
};
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function timeKernel(input, backend) {
  await batchStats(input, { backend, threads });
  const times = [];
  let last;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    last = await batchStats(input, { backend, threads });
    times.push(performance.now() - t0);
  }
  return { melem: (T * V) / median(times) / 1e3, stats: last };
}

const dir = mkdtempSync(path.join(tmpdir(), 'klscope-regimes-'));
const report = { vocab: V, rows: T, threads, rounds, nativeSimd: nativeSimd(), regimes: [] };
try {
  for (const regime of regimes) {
    const { p, q } = benchLogits(regime, T, V);
    const file = path.join(dir, `${regime}.f32`);
    writeFileSync(file, Buffer.concat([Buffer.from(p.buffer), Buffer.from(q.buffer)]));
    const entry = { regime, loadBefore: load(), rounds: [], maxRelErr: {} };
    // the machine's floors on these very rows (P, T·V float32), measured once
    if (!report.floors) report.floors = nativeFloors(p, threads, 5);
    // accuracy of each backend and measure set against the float64 reference (the first 32 rows)
    const n = Math.min(32, T);
    const sub = { p: p.subarray(0, n * V), q: q.subarray(0, n * V), rows: n, cols: V, from: 'logits' };
    for (const measures of ['kl', 'all']) {
      const ref = referenceBatchStats({ ...sub, measures });
      for (const backend of backends) {
        const got = await batchStats({ ...sub, measures }, { backend, threads });
        const c = compareStats(ref, got);
        entry.maxRelErr[`${backend}/${measures}`] = { maxRelErr: c.maxRelErr, maxAbsErrSmall: c.maxAbsErrSmall, mismatches: c.mismatches.length };
      }
    }
    for (let r = 0; r < rounds; r++) {
      const round = { load: load() };
      for (const measures of ['kl', 'all']) {
        for (const backend of backends) round[`${backend}/${measures}`] = (await timeKernel({ p, q, rows: T, cols: V, from: 'logits', measures }, backend)).melem;
      }
      const py = spawnSync('python3', [path.join(root, 'bench/numpy_baseline.py'), '--input', file, '--rows', String(T), '--vocab', String(V), '--regime', regime], {
        encoding: 'utf8',
        env: { ...process.env, OPENBLAS_CORETYPE: undefined, OPENBLAS_L2_SIZE: undefined },
      });
      if (py.status !== 0) throw new Error(`numpy_baseline.py failed: ${py.stderr}`);
      const res = JSON.parse(py.stdout).results;
      round.numpyTuned = res.find((x) => x.backend === 'numpy-tuned').melemPerSec;
      round.numpyTypical = res.find((x) => x.backend === 'numpy-typical').melemPerSec;
      round.numpyMaxRelErr = Math.max(...res.map((x) => x.maxRelErr));
      round.numpyBest = Math.max(round.numpyTuned, round.numpyTypical);
      entry.rounds.push(round);
      process.stderr.write(`${regime} round ${r + 1}/${rounds} (load ${round.load})\n`);
    }
    entry.loadAfter = load();
    entry.median = {};
    for (const k of Object.keys(entry.rounds[0]).filter((k) => k.includes('/'))) {
      entry.median[k] = { melemPerSec: median(entry.rounds.map((x) => x[k])), vsNumpy: median(entry.rounds.map((x) => x[k] / x.numpyBest)) };
    }
    entry.median.numpyBest = median(entry.rounds.map((x) => x.numpyBest));
    entry.median.numpyMaxRelErr = Math.max(...entry.rounds.map((x) => x.numpyMaxRelErr));
    report.regimes.push(entry);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await closeWorkers();
}

const lines = [
  `V = ${V}, T = ${T}, ${threads} threads, native ${report.nativeSimd || 'absent'}; median of ${rounds} rounds; ratio = Melem/s / numpy's best of the same round`,
  '',
  '| data | load (1 min) | numpy best | ' + backends.flatMap((b) => [`${b} kl`, `${b} all`]).join(' | ') + ' |',
  '|---|---|---|' + backends.flatMap(() => ['---', '---']).join('|') + '|',
];
for (const e of report.regimes) {
  const cells = backends.flatMap((b) => ['kl', 'all'].map((m) => {
    const x = e.median[`${b}/${m}`];
    return `${x.melemPerSec.toFixed(0)} (${x.vsNumpy.toFixed(1)}×)`;
  }));
  lines.push(`| ${e.regime} | ${e.loadBefore.split(' ')[0]}–${e.loadAfter.split(' ')[0]} | ${e.median.numpyBest.toFixed(0)} | ${cells.join(' | ')} |`);
}
const fl = report.floors;
if (fl) {
  // kl path: every row pair comes from memory once (the next pair is prefetched while one
  // computes; both passes then read it from cache), 8 B per element pair; one exp per pair on
  // near vectors (Q's weights derived from P's: every LM-like regime), two on broad rows
  // (the two-exp form: most synthetic rows)
  lines.push(
    '',
    `floors (${threads} threads, native ${report.nativeSimd} vectors, best of 5): plain read of the rows ${fl.readGBs.toFixed(1)} GB/s; ` +
      `vector exp ${fl.expRegMexps.toFixed(0)} Mexp/s in registers, ${fl.expRowsMexps.toFixed(0)} Mexp/s fed from the rows`,
    `  as Melem/s of the kl path (one read of 8 B per element pair from memory; 1 exp per pair, 2 on broad rows): read floor ${(fl.readGBs * 1e3 / 8).toFixed(0)}, ` +
      `exp floor ${fl.expRowsMexps.toFixed(0)} (broad rows ${(fl.expRowsMexps / 2).toFixed(0)})`,
  );
  for (const e of report.regimes) {
    const kl = e.median['native/kl']?.melemPerSec;
    const exps = e.regime === 'synthetic' ? 2 : 1;
    if (kl) lines.push(`  ${e.regime}: native kl ${kl.toFixed(0)} Melem/s = ${((kl * 8) / (fl.readGBs * 1e3) * 100).toFixed(0)} % of the read floor, ${((kl * exps) / fl.expRowsMexps * 100).toFixed(0)} % of the exp floor (${exps} exp per pair)`);
  }
}
lines.push('', 'max relative error against the float64 reference (values ≥ 1e-4; first 32 rows):');
for (const e of report.regimes) {
  lines.push(`  ${e.regime}: ` + Object.entries(e.maxRelErr).map(([k, v]) => `${k} ${v.maxRelErr.toExponential(1)}${v.mismatches ? ` (${v.mismatches} outside the rule)` : ''}`).join(', ') + `; numpy ${e.median.numpyMaxRelErr.toExponential(1)}`);
}
const out = arg('json', '');
if (out) writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
process.stdout.write(lines.join('\n') + '\n');
