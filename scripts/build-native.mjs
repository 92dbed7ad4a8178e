// Builds the optional native kernel addon (build/Release/klscope_kernels.node) with node-gyp.
// binding.gyp lives in native/, not at the package root: npm would otherwise run its own
// `node-gyp rebuild` on install and fail the whole install where no C++ toolchain exists.
// Optional: on any failure this exits non-zero and scripts/build.mjs continues without it; the
// kernels then fall back to WebAssembly. KLSCOPE_NATIVE=0 skips the build (to test the fallback).
// `--arch-flags` prints the CPU flags binding.gyp passes to the compiler (it builds on the
// installing machine, so -march=native is right; AVX-512 machines get 512-bit vectors).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installAddon } from './install-addon.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function archFlags() {
  if (process.env.KLSCOPE_NATIVE_FLAGS !== undefined) return process.env.KLSCOPE_NATIVE_FLAGS;
  if (process.platform === 'win32') return '';
  const flags = [];
  if (process.arch === 'x64' || process.arch === 'arm64') flags.push('-march=native');
  try {
    const cpu = readFileSync('/proc/cpuinfo', 'utf8');
    if (/\bavx512f\b/.test(cpu)) flags.push('-mprefer-vector-width=512');
  } catch {
    // not Linux: the compiler's default vector width
  }
  return flags.join(' ');
}

if (process.argv.includes('--arch-flags')) {
  process.stdout.write(archFlags() + '\n');
  process.exit(0);
}

if (process.env.KLSCOPE_NATIVE === '0') {
  process.stderr.write('klscope build-native: skipped (KLSCOPE_NATIVE=0)\n');
  process.exit(1);
}

// node-gyp: a devDependency if present, else the copy bundled with npm.
const candidates = [
  path.join(root, 'node_modules/node-gyp/bin/node-gyp.js'),
  path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
];
if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'));
const gyp = candidates.find((c) => existsSync(c));
if (!gyp) {
  process.stderr.write('klscope build-native: node-gyp not found; the kernels will use WebAssembly\n');
  process.exit(1);
}
// Headers of the running node, so nothing is downloaded.
const nodedir = path.resolve(path.dirname(process.execPath), '..');
const args = existsSync(path.join(nodedir, 'include/node/node_api.h')) ? [`--nodedir=${nodedir}`] : [];
const native = path.join(root, 'native');
for (const step of ['configure', 'build']) {
  const r = spawnSync(process.execPath, [gyp, step, ...args, '--loglevel=warn'], { cwd: native, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`klscope build-native: node-gyp ${step} failed; the kernels will use WebAssembly\n`);
    process.exit(1);
  }
}
installAddon(path.join(native, 'build/Release/klscope_kernels.node'), path.join(root, 'build/Release/klscope_kernels.node'));

