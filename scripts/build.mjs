// Build everything `npx klscope` needs: TypeScript, then each optional step in scripts/build-*.mjs.
// Steps run in a fixed order; a step may declare itself optional (native addon) and fail soft.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const steps = [
  // the kernels' result slots (assembly/slots.ts, native/slots.h) from the measure table
  { name: 'kernel slots', script: 'scripts/slots.mjs', optional: false },
  { name: 'wasm kernels', script: 'scripts/build-wasm.mjs', optional: false },
  { name: 'typescript', cmd: ['node', [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']], optional: false },
  { name: 'native addon', script: 'scripts/build-native.mjs', optional: true },
  { name: 'llama binding', script: 'scripts/build-llama.mjs', optional: true },
  { name: 'web page', script: 'scripts/build-web.mjs', optional: false },
];

for (const step of steps) {
  let cmd;
  if (step.script) {
    if (!existsSync(path.join(root, step.script))) continue;
    cmd = ['node', [path.join(root, step.script)]];
  } else cmd = step.cmd;
  const t0 = Date.now();
  const r = spawnSync(cmd[0], cmd[1], { cwd: root, stdio: 'inherit' });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    if (step.optional) {
      process.stderr.write(`klscope build: optional step "${step.name}" failed (${secs}s); continuing without it\n`);
      continue;
    }
    process.stderr.write(`klscope build: step "${step.name}" failed\n`);
    process.exit(r.status ?? 1);
  }
  process.stderr.write(`klscope build: ${step.name} ok (${secs}s)\n`);
}
