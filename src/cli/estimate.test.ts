import { describe, test } from 'node:test';
import { commandCli, repoRoot } from '../testing/cli.js';
import { tempFiles } from '../testing/tempFiles.js';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runEstimate, estimateTable } from './estimate.js';

const { dir, file } = tempFiles('estimatecli');

/** `klscope estimate ...` through the real CLI entry point. */
const cli = commandCli('estimate');

describe('klscope estimate', () => {
  test('--json shape; per-token means by hand on a two-sequence file', async () => {
    // Tokens: log r = logp − logq = (−0.5, 0.25) and (0.1).
    const f = file('r.jsonl', '{"logp": [-1.5, -0.75], "logq": [-1, -1]}\n{"logp": [-2], "logq": [-2.1]}\n');
    const { code, out } = await cli([f, '--json']);
    assert.equal(code, 0);
    const j = JSON.parse(out);
    assert.deepEqual([j.tokens, j.sequences, j.direction], [3, 2, 'KL(q‖p)']);
    const lr = [-0.5, 0.25, 0.1];
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
    assert.ok(Math.abs(j.k1.mean - mean(lr.map((x) => -x))) < 1e-12);
    assert.ok(Math.abs(j.k2.mean - mean(lr.map((x) => 0.5 * x * x))) < 1e-12);
    assert.ok(Math.abs(j.k3.mean - mean(lr.map((x) => Math.exp(x) - 1 - x))) < 1e-12);
    const k1s = [-(-0.5 + 0.25), -0.1];
    assert.ok(Math.abs(j.perSequence.k1.mean - mean(k1s)) < 1e-12);
    const sd = Math.sqrt(lr.map((x) => -x).reduce((s, x) => s + (x - mean(lr.map((y) => -y))) ** 2, 0) / 2);
    assert.ok(Math.abs(j.k1.stderr - sd / Math.sqrt(3)) < 1e-12);
    for (const k of ['k1', 'k2', 'k3']) assert.deepEqual(Object.keys(j[k]).slice(0, 2), ['mean', 'stderr']);
  });
  test('bundled rollouts: k1 and k3 within 4 standard errors of the exact KL(q‖p) = 0.0081778', async () => {
    // data/samples/README.md: q = (.30,.25,.20,.12,.08,.05), p = (.25,.25,.22,.13,.10,.05).
    const q = [0.3, 0.25, 0.2, 0.12, 0.08, 0.05];
    const p = [0.25, 0.25, 0.22, 0.13, 0.1, 0.05];
    const kl = q.reduce((s, x, i) => s + x * Math.log(x / p[i]!), 0);
    const r = await runEstimate(path.join(repoRoot, 'data/samples/rollouts.jsonl'));
    for (const e of ['k1', 'k3'] as const) assert.ok(Math.abs(r[e].mean - kl) < 4 * r[e].stderr!, `${e} ${r[e].mean} vs ${kl}`);
    const t = estimateTable(r, 'rollouts.jsonl');
    assert.match(t, /q = the sampling policy \(logq\), p = the reference \(logp\)/);
    assert.match(t, /k2 − k3 per token/);
    assert.match(t, /GRPO/);
  });
  test('bad input names the line (exit 1); empty files; --help', async () => {
    let r = await cli([file('bad.jsonl', '{"logp": [-1], "logq": [-1]}\n{"logp": [-1, NaN], "logq": [-1, -1]}\n')]);
    assert.deepEqual([r.code, r.out], [1, '']);
    assert.match(r.err, /bad\.jsonl line 2: malformed JSON/);
    r = await cli([file('len.jsonl', '{"logp": [-1, -2], "logq": [-1]}\n')]);
    assert.match(r.err, /line 1: logp has 2 values, logq has 1/);
    r = await cli([file('empty.jsonl', '\n\n')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /no sequences/);
    r = await cli([path.join(dir, 'missing.jsonl')]);
    assert.equal(r.code, 1);
    const h = await cli(['--help']);
    assert.match(h.out, /Examples:\n\s+\$ klscope estimate/);
  });
});
