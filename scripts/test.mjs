// Run the whole suite with node's test runner over the compiled tests (dist/**/*.test.js).
// Builds first if dist/ is missing, so `npm test` works right after `npm ci` or on its own.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(path.join(root, 'dist/cli/main.js'))) {
  const b = spawnSync('node', [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
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
const r = spawnSync('node', ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, KLSCOPE_ROOT: root },
});
process.exit(r.status ?? 1);
