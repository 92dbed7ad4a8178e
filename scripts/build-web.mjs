// Builds the interactive page (web/) into static files in web-dist/ with Vite, after checking
// its types. The page imports klscope's own src/divergence and src/fit, so the browser runs the
// same code as the CLI. Everything is bundled: the page needs no network.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = spawnSync('node', [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'web/tsconfig.json')], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) {
  process.stderr.write('klscope build-web: type errors in web/ (see above)\n');
  process.exit(1);
}
const { build } = await import('vite');
await build({
  root: path.join(root, 'web'),
  base: './',
  logLevel: 'warn',
  configFile: false,
  publicDir: false,
  build: {
    outDir: path.join(root, 'web-dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
});
process.stderr.write(`klscope build-web: wrote ${path.relative(root, path.join(root, 'web-dist'))}/\n`);
