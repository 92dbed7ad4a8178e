import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../testing/cli.js';

test('--json prints the documented keys, and rows for every estimator and placement', () => {
  const r = runCli(['gradients', '--vocab', '5', '--samples', '2000', '--seed', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['vocab', 'samples', 'kl', 'rows']);
  assert.deepEqual(Object.keys(j.kl), ['reverse', 'forward']);
  assert.equal(j.rows.length, 8);
  for (const row of j.rows) {
    assert.deepEqual(Object.keys(row), ['estimator', 'placement', 'valueBias', 'gradBias', 'cosineReverse', 'cosineForward', 'expectedGradientOf', 'mc']);
    assert.deepEqual(Object.keys(row.mc), ['value', 'valueStderr', 'gradBias', 'gradVariance']);
  }
  const of = Object.fromEntries(j.rows.map((x: { estimator: string; placement: string; expectedGradientOf: string }) => [`${x.estimator} ${x.placement}`, x.expectedGradientOf]));
  assert.deepEqual(of, {
    'k1 reward': 'KL(q‖p)',
    'k1 loss': '0',
    'k2 reward': 'other',
    'k2 loss': 'KL(q‖p)',
    'k3 reward': 'other',
    'k3 loss': 'KL(p‖q)',
    'k3+ reward': 'other',
    'k3+ loss': 'KL(q‖p)',
  });
  assert.equal(j.rows[1].cosineReverse, null);
});

test('the table gives each row its plain-language line; given p and q are used as given', () => {
  const r = runCli(['gradients', '--p', '0.75,0.25', '--q', '0.5,0.5', '--samples', '100']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /over 2 tokens/);
  assert.match(r.stdout, /KL\(q‖p\) = 0\.143841/); // ½ log(4/3)
  assert.match(r.stdout, /^k1 +reward .*correct on-policy$/m);
  assert.match(r.stdout, /^k1 +loss .*no gradient in expectation$/m);
  assert.match(r.stdout, /^k3 +loss .*KL\(p‖q\) .*descends the forward KL$/m);
  const off = runCli(['gradients', '--behaviour', 'uniform', '--samples', '100']);
  assert.equal(off.code, 0, off.stderr);
  assert.match(off.stdout, /^k1 +reward .*correct off-policy \(importance-weighted\)$/m);
});

test('bad arguments: one line on stderr, exit 2 (usage) or 1 (data), nothing on stdout', () => {
  for (const [args, code, msg] of [
    [['--vocab', '1'], 2, /invalid --vocab: expected an integer >= 2/],
    [['--vocab', '1e9'], 2, /invalid --vocab: expected an integer from 2 to 1000000/],
    [['--samples', '1e8'], 2, /invalid --samples/],
    [['--clip', '2'], 2, /--clip: .*needs --behaviour/],
    [['--behaviour', 'uniform', '--clip', '-1'], 2, /invalid --clip: expected a number > 0/],
    [['--p', '1,0', '--q', '0.5,0.5'], 1, /invalid p\[1\]: expected a probability > 0/],
    [['--p', '0.5,0.5', '--q', '0.2,0.3,0.5'], 1, /shape mismatch/],
    [['--p', '0.5,0.5;0.5,0.5'], 1, /expected one distribution/],
  ] as const) {
    const r = runCli(['gradients', ...args]);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, msg);
  }
});
