import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../testing/cli.js';

test('klscope bench --json: one document with the results of every backend', () => {
  const r = runCli(['bench', '--json', '--vocab', '2000', '--rows', '4', '--repeat', '1', '--threads', '2', '--regime', 'synthetic,lm-1e-2']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const names = new Set(doc.results.map((x: { backend: string }) => x.backend));
  assert.ok(names.has('js') && names.has('wasm'));
  assert.deepEqual([...new Set(doc.results.map((x: { threads: number }) => x.threads))], [1, 2]);
  assert.deepEqual(Object.keys(doc.results[0]), ['regime', 'backend', 'threads', 'vocab', 'rows', 'melemPerSec', 'maxRelErr']);
  assert.deepEqual([...new Set(doc.results.map((x: { regime: string }) => x.regime))], ['synthetic', 'lm-1e-2']);
});

test('klscope bench: a table for people, and usage errors', () => {
  const r = runCli(['bench', '--vocab', '2000', '--rows', '4', '--repeat', '1', '--threads', '1', '--backend', 'wasm,js', '--regime', 'lm-1e-3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Melem\/s/);
  assert.match(r.stdout, /wasm \(simd128\)/);
  assert.match(r.stdout, /single row pair, vocab 128256/);
  const bad = runCli(['bench', '--backend', 'cuda']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid --backend: "cuda"/);
  assert.equal(bad.stdout, '');
  const reg = runCli(['bench', '--regime', 'zipf']);
  assert.equal(reg.code, 2);
  assert.match(reg.stderr, /invalid --regime: "zipf"/);
  assert.equal(reg.stdout, '');
});
