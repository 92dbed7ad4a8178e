import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distillReport, parseDistillFlags } from './distill.js';
import { UsageError } from '../errors.js';
import type { DistillResult } from '../train/distill.js';
import { runCli } from '../testing/cli.js';

const run = (args: string[]) => runCli(['distill', ...args]);

test('flags: presets fill the gaps, given values win', () => {
  const q = parseDistillFlags({ quick: true, seed: '7', losses: 'rkl,fkl' });
  assert.equal(q.steps, 300);
  assert.equal(q.seed, 7);
  assert.deepEqual(q.losses, ['rkl', 'fkl']);
  const f = parseDistillFlags({ seed: '1', steps: '10', lr: '0.5', studentContext: '1' });
  assert.deepEqual([f.steps, f.batch, f.learningRate, f.studentContext, f.quick], [10, 1024, 0.5, 1, false]);
});

test('bad flags are usage errors naming the flag and the rule', () => {
  for (const [flags, msg] of [
    [{ losses: 'fkl,kl' }, /invalid --losses: "kl" is not one of fkl, rkl, jsd, ce, tvd/],
    [{ studentContext: '4' }, /invalid --student-context: expected 1, 2 or 3, got 4/],
    [{ order: '9' }, /invalid --order: expected an integer from 2 to 6, got 9/],
    [{ lr: '-1' }, /invalid --lr: expected a number > 0/],
    [{ steps: '0' }, /invalid --steps: expected an integer >= 1, got "0"/],
    [{ evalPositions: '1e8' }, /invalid --eval-positions: expected an integer from 1 to 1000000, got "1e8"/],
    [{ batch: '1e9' }, /invalid --batch: expected an integer from 1 to 65536/],
    [{ opdEstimator: 'k1-loss' }, /invalid --opd-estimator: "k1-loss" is not one of k1-reward, k2-loss, k3-loss/],
    [{ seed: 'x' }, /invalid --seed/],
    [{ order: '3', studentContext: '2' }, /invalid --student-context 2 with --order 3: the student must see fewer characters than the teacher's 2/],
  ] as const) {
    assert.throws(() => parseDistillFlags({ seed: '1', ...flags }), (e: unknown) => e instanceof UsageError && msg.test(e.message));
  }
});

test('the command exits 2 on a bad flag, with one line on stderr and nothing on stdout', () => {
  const r = run(['--losses', 'kl']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^klscope distill: invalid --losses/);
  assert.equal(r.stdout, '');
});

test('--json prints one document with the issue\'s keys; the table renders from it', () => {
  const r = run(['--quick', '--json', '--order', '3', '--student-context', '1', '--steps', '30', '--train-positions', '3000', '--eval-positions', '500', '--samples', '2', '--sample-length', '20', '--losses', 'fkl,rkl']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as DistillResult;
  assert.deepEqual(Object.keys(j), ['teacher', 'students', 'findings']);
  assert.deepEqual(j.students.map((s) => s.loss), ['fkl', 'rkl']);
  // The three yes/no findings the table prints are in the JSON too, with the same words.
  assert.equal(j.findings.length, 3);
  for (const x of j.findings) assert.deepEqual(Object.keys(x), ['claim', 'holds', 'detail']);
  assert.equal(j.teacher.order, 3);
  assert.equal(j.teacher.backend, 'wasm');
  const text = distillReport(j, { sampleLines: 1 });
  assert.match(text, /KL\(P‖Q\)/);
  assert.match(text, /student: rkl = reverse KL\(Q‖P\)/);
  assert.match(text, /exact min of KL\(P‖Q\)/);
  assert.equal(text.split('\n').filter((l) => l.startsWith('fkl ')).length, 1);
  for (const x of j.findings) assert.ok(text.includes(`${x.holds ? 'yes' : 'NO '}  ${x.claim}: ${x.detail}`), x.claim);
});

test('--eval-positions 1e8 is one usage line, not a memory blow-up; a diverging run says to lower --lr', () => {
  const big = run(['--quick', '--eval-positions', '1e8']);
  assert.equal(big.code, 2, big.stderr);
  assert.equal(big.stdout, '');
  assert.match(big.stderr, /^klscope distill: invalid --eval-positions: expected an integer from 1 to 1000000, got "1e8"\n$/);
  const r = run(['--quick', '--lr', '1e10', '--losses', 'rkl', '--order', '3', '--student-context', '1', '--steps', '30', '--train-positions', '2000', '--eval-positions', '500', '--samples', '2', '--sample-length', '20']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^klscope distill: training diverged: the rkl student's .*; lower --lr$/m);
  assert.doesNotMatch(r.stderr, /normalize/);
});
