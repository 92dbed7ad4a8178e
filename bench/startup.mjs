// Start-up time of klscope's entry points: median wall time of N cold node processes each, and
// (with --modules) the list of modules each one loads, to show which dependencies it pulls in.
//
//   node bench/startup.mjs            # timings, N = 10, plus a bare `node -e 0` baseline
//   node bench/startup.mjs --runs 20  # more processes per case
//   node bench/startup.mjs --modules  # module counts and any heavy dependency each case loads
//   node bench/startup.mjs --json     # one JSON document
//   node bench/startup.mjs --root DIR # time another checkout (built), e.g. before a change
import { spawnSync } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argvRoot = process.argv.indexOf('--root');
const root = argvRoot > 0 ? path.resolve(process.argv[argvRoot + 1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/klscope.js');
const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 10;
const json = args.includes('--json');
const modules = args.includes('--modules');

/** The cases: label, node arguments, target in ms (none for the baseline). */
const CASES = [
  { label: 'node -e 0 (baseline)', argv: ['-e', '0'] },
  {
    label: "import { forwardKl } from 'klscope' + one call",
    argv: ['--input-type=module', '-e', "import { forwardKl } from 'klscope'; if (!(forwardKl([0.5, 0.5], [0.4, 0.6]) > 0)) process.exit(1);"],
    target: 100,
  },
  { label: 'klscope --version', argv: [bin, '--version'], target: 150 },
  { label: 'klscope kl --p 0.5,0.5 --q 0.4,0.6', argv: [bin, 'kl', '--p', '0.5,0.5', '--q', '0.4,0.6'], target: 300 },
  { label: 'klscope --help', argv: [bin, '--help'] },
];

/** Packages that must not load at start-up: their names as they appear in a module URL. */
const HEAVY = ['@tensorflow/', '@observablehq/plot', 'linkedom', '@resvg/', 'hyparquet-writer', 'd3-', 'node-llama-cpp'];

function runOnce(argv, extra = []) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...extra, ...argv], { cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stderr: r.stderr };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const loadBefore = loadavg();
const results = [];
if (modules) {
  // A resolve hook (bench/startupHook.mjs) prints every module URL the process loads to stderr.
  const hook = new URL('./startupHook.mjs', import.meta.url).href;
  for (const c of CASES) {
    const { stderr } = runOnce(c.argv, ['--import', hook]);
    const urls = [...new Set(stderr.split('\n').filter((l) => l.startsWith('klscope-module ')).map((l) => l.slice(15)))];
    const own = urls.filter((u) => u.startsWith(pathToFileURL(path.join(root, 'dist')).href)).length;
    const deps = [...new Set(urls.filter((u) => u.includes('/node_modules/')).map((u) => u.split('/node_modules/').pop().split('/').slice(0, 1)[0].startsWith('@') ? u.split('/node_modules/').pop().split('/').slice(0, 2).join('/') : u.split('/node_modules/').pop().split('/')[0]))];
    const heavy = urls.filter((u) => HEAVY.some((h) => u.includes(`/node_modules/${h}`)));
    results.push({ case: c.label, modules: urls.length, klscopeModules: own, packages: deps, heavy: heavy.length });
  }
} else {
  const times = CASES.map(() => []);
  runOnce(CASES[0].argv); // warm the file cache once, then alternate the cases
  for (let i = 0; i < runs; i++) CASES.forEach((c, j) => times[j].push(runOnce(c.argv).ms));
  CASES.forEach((c, j) => {
    const med = median(times[j]);
    results.push({ case: c.label, medianMs: +med.toFixed(1), minMs: +Math.min(...times[j]).toFixed(1), overBaselineMs: +(med - median(times[0])).toFixed(1), targetMs: c.target ?? null, meets: c.target ? med <= c.target : null });
  });
}
const report = { root, runs: modules ? 1 : runs, node: process.version, cpus: cpus().length, loadavgBefore: loadBefore.map((x) => +x.toFixed(2)), loadavgAfter: loadavg().map((x) => +x.toFixed(2)), results };
if (json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
else {
  console.log(`node ${report.node}, ${report.cpus} cpus, load average before ${report.loadavgBefore.join(' ')}, after ${report.loadavgAfter.join(' ')}`);
  if (modules) {
    console.log('| case | modules loaded | klscope modules | packages | heavy modules |\n|---|---|---|---|---|');
    for (const r of results) console.log(`| ${r.case} | ${r.modules} | ${r.klscopeModules} | ${r.packages.join(', ') || '—'} | ${r.heavy} |`);
  } else {
    console.log(`median of ${runs} cold processes per case\n| case | median ms | min ms | median − baseline ms | target ms |\n|---|---|---|---|---|`);
    for (const r of results) console.log(`| ${r.case} | ${r.medianMs} | ${r.minMs} | ${r.overBaselineMs} | ${r.targetMs === null ? '—' : `≤ ${r.targetMs} ${r.meets ? '(met)' : '(missed)'}`} |`);
  }
}
