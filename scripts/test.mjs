// Run the whole suite with node's test runner over the compiled tests (dist/**/*.test.js).
// Builds first when an output is missing or older than its sources (modification times only):
// TypeScript alone when only src/ changed, the whole build when the kernels or the web page did.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Newest modification time (ms) of the files under `rel` (a file or folder), skipping `skip`. */
function newest(rel, skip = new Set(['node_modules', 'build', 'dist'])) {
  const p = path.join(root, rel);
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const name of readdirSync(p)) if (!skip.has(name)) t = Math.max(t, newest(path.join(rel, name), skip));
  return t;
}
const mtime = (rel) => (existsSync(path.join(root, rel)) ? statSync(path.join(root, rel)).mtimeMs : -Infinity);

function run(args) {
  const b = spawnSync('node', args, { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const built = mtime('dist/index.js');
// The native addon is optional (its build step may fail soft), so only a built one can be stale.
const addon = 'build/Release/klscope_kernels.node';
const kernelsStale = newest('assembly') > mtime('build/kernels.wasm') || (existsSync(path.join(root, addon)) && newest('native') > mtime(addon));
const webStale = newest('web') > mtime('web-dist/index.html');
if (!existsSync(path.join(root, 'dist/cli/main.js')) || kernelsStale || webStale) {
  run([path.join(root, 'scripts/build.mjs')]);
} else if (Math.max(newest('src'), mtime('tsconfig.json')) > built) {
  process.stderr.write('klscope test: src/ is newer than dist/; compiling TypeScript first\n');
  run([path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
}
function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const filter = process.argv.slice(2);
let files = walk(path.join(root, 'dist'), []).sort();
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (!files.length) {
  // node --test with no files would run every test it can find
  process.stderr.write(`klscope test: no compiled test file matches ${filter.join(', ')}\n`);
  process.exit(1);
}
const r = spawnSync('node', ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, KLSCOPE_ROOT: root },
});
process.exit(r.status ?? 1);
