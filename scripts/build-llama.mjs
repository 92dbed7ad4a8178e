// Builds the optional live-model binding (build/Release/klscope_llama.node): a small addon over
// llama.cpp's C API that returns the logits of a whole chunk as one Float32Array. It compiles
// against llama.h from node-llama-cpp's own llama.cpp source (a git bundle, read with `git`)
// and links the prebuilt libllama that node-llama-cpp ships for this platform, so nothing is
// downloaded and the results are those of the same llama.cpp build.
// Optional: on any failure this exits non-zero and scripts/build.mjs continues without it;
// `klscope compare` on GGUF models then uses node-llama-cpp's public API (much slower).
// KLSCOPE_LLAMA=0 skips the build (to test the fallback).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fail = (why) => {
  process.stderr.write(`klscope build-llama: ${why}; GGUF models will use node-llama-cpp's public API\n`);
  process.exit(1);
};
if (process.env.KLSCOPE_LLAMA === '0') {
  process.stderr.write('klscope build-llama: skipped (KLSCOPE_LLAMA=0)\n');
  process.exit(1);
}
const plat = `${process.platform}-${process.arch}`;
const bundle = path.join(root, 'node_modules/node-llama-cpp/llama/gitRelease.bundle');
const libdir = path.join(root, `node_modules/@node-llama-cpp/${plat}/bins/${plat}`);
if (!existsSync(bundle)) fail('node-llama-cpp is not installed');
if (!existsSync(libdir)) fail(`no prebuilt llama.cpp for ${plat} (@node-llama-cpp/${plat})`);
const libs = readdirSync(libdir);
const lib = (re) => libs.find((f) => re.test(f));
const wanted = [lib(/^libllama(\.v[\d.]+)?\.so$/), lib(/^libggml(\.v[\d.]+)?\.so$/), lib(/^libggml-base\.so$/)];
if (wanted.some((f) => !f)) fail(`libllama/libggml not found in ${libdir}`);

// The headers of the very release the libraries were built from.
const include = path.join(root, 'native-llama/build/include');
mkdirSync(include, { recursive: true });
const git = mkdtempSync(path.join(tmpdir(), 'klscope-llama-src-'));
try {
  const run = (args) => spawnSync('git', args, { cwd: git, encoding: 'buffer', maxBuffer: 1 << 26 });
  if (run(['init', '-q']).status !== 0) fail('git is not available');
  if (run(['fetch', '-q', bundle, 'HEAD']).status !== 0) fail('cannot read the llama.cpp bundle');
  const list = run(['ls-tree', '--name-only', 'FETCH_HEAD', 'ggml/include/']).stdout.toString().split('\n').filter((f) => f.endsWith('.h'));
  for (const f of ['include/llama.h', ...list]) {
    const r = run(['show', `FETCH_HEAD:${f}`]);
    if (r.status !== 0) fail(`cannot extract ${f}`);
    writeFileSync(path.join(include, path.basename(f)), r.stdout);
  }
} finally {
  rmSync(git, { recursive: true, force: true });
}

const candidates = [
  path.join(root, 'node_modules/node-gyp/bin/node-gyp.js'),
  path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
];
if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'));
const gyp = candidates.find((c) => existsSync(c));
if (!gyp) fail('node-gyp not found');
const nodedir = path.resolve(path.dirname(process.execPath), '..');
const args = existsSync(path.join(nodedir, 'include/node/node_api.h')) ? [`--nodedir=${nodedir}`] : [];
const dir = path.join(root, 'native-llama');
const env = { ...process.env, KLSCOPE_LLAMA_INCLUDE: include, KLSCOPE_LLAMA_LIBDIR: libdir, KLSCOPE_LLAMA_LIBS: wanted.map((f) => `-l:${f}`).join(' ') };
for (const step of ['configure', 'build']) {
  const r = spawnSync(process.execPath, [gyp, step, ...args, '--loglevel=warn'], { cwd: dir, stdio: 'inherit', env });
  if (r.status !== 0) fail(`node-gyp ${step} failed`);
}
mkdirSync(path.join(root, 'build/Release'), { recursive: true });
copyFileSync(path.join(dir, 'build/Release/klscope_llama.node'), path.join(root, 'build/Release/klscope_llama.node'));
