// Benchmark of `klscope compare` on two .npy logit files (the fused-kernel path).
// Usage: node bench/compare-logits.mjs [--rows 2000] [--vocab 32000] [--dir /tmp] [--reps 2]
// Writes two float32 [rows × vocab] files into a temporary directory (deleted afterwards), then
// runs klscope compare on 1 thread and on all cores, each in a child process (its own peak RSS),
// best of --reps runs. Prints a Markdown table.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy } from '../dist/io/npy.js';
import { seededRandom } from '../dist/random.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const T = Number(arg('rows', '2000'));
const V = Number(arg('vocab', '32000'));
const reps = Number(arg('reps', '2'));
const dir = mkdtempSync(path.join(arg('dir', '/tmp'), 'klscope-bench-logits-'));

function generate() {
  const rnd = seededRandom(5);
  const row = new Float32Array(V);
  const noise = new Float32Array(V);
  const fa = openSync(path.join(dir, 'base.npy'), 'w');
  const fb = openSync(path.join(dir, 'candidate.npy'), 'w');
  const head = encodeNpy(new Float32Array(0), [T, V]);
  writeSync(fa, head);
  writeSync(fb, head);
  for (let t = 0; t < T; t++) {
    // logistic logits (heavy tails, like a language model's), the candidate with small noise
    for (let i = 0; i < V; i++) {
      const u = rnd();
      row[i] = 3 * Math.log(u / (1 - u));
    }
    writeSync(fa, row);
    for (let i = 0; i < V; i++) noise[i] = row[i] + 0.3 * (rnd() - 0.5);
    writeSync(fb, noise);
  }
  closeSync(fa);
  closeSync(fb);
}

function runChild(threads) {
  const script = `
    import { compareFiles } from ${JSON.stringify(path.join(root, 'dist/compare/engine.js'))};
    import { closeWorkers } from ${JSON.stringify(path.join(root, 'dist/kernels/index.js'))};
    const t0 = performance.now();
    const run = await compareFiles({ base: ${JSON.stringify(path.join(dir, 'base.npy'))}, candidate: ${JSON.stringify(path.join(dir, 'candidate.npy'))}, threads: ${threads} });
    const sec = (performance.now() - t0) / 1000;
    await closeWorkers();
    const u = process.resourceUsage();
    console.log(JSON.stringify({ sec, cpu: (u.userCPUTime + u.systemCPUTime) / 1e6, maxRssMb: u.maxRSS / 1024, mean: run.result.kld.mean, note: run.result.notes.at(-1) }));
  `;
  const file = path.join(dir, 'child.mjs');
  writeFileSync(file, script);
  let best = null;
  for (let i = 0; i < reps; i++) {
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const j = JSON.parse(r.stdout.trim().split('\n').pop());
    if (!best || j.sec < best.sec) best = j;
  }
  return best;
}

try {
  generate();
  const bytes = statSync(path.join(dir, 'base.npy')).size + statSync(path.join(dir, 'candidate.npy')).size;
  const elements = T * V;
  spawnSync('cat', [path.join(dir, 'base.npy'), path.join(dir, 'candidate.npy')], { stdio: ['ignore', 'ignore', 'ignore'] });
  const one = runChild(1);
  const all = runChild(availableParallelism());
  const row = (name, r) =>
    `| ${name} | ${r.sec.toFixed(2)} s | ${r.cpu.toFixed(2)} s | ${(elements / r.sec / 1e6).toFixed(1)} M/s | ${(r.sec / (bytes / 1e9)).toFixed(2)} s/GB | ${r.maxRssMb.toFixed(0)} MB |`;
  console.log(
    [
      `Input: two float32 .npy logit files [${T} × ${V}], ${(bytes / 1e9).toFixed(2)} GB together, ${(elements / 1e6).toFixed(0)} M elements; load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')}.`,
      '',
      '| run | wall time | CPU time | elements/s (wall) | seconds per GB (wall) | peak RSS |',
      '|---|---|---|---|---|---|',
      row('klscope compare, 1 thread', one),
      row(`klscope compare, ${availableParallelism()} threads`, all),
      '',
      `Mean KL(base‖candidate) ${all.mean.toPrecision(8)}. ${all.note}`,
    ].join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
