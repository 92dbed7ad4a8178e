import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../testing/cli.js';
import { helpWidth, wrapCommand } from './run.js';

const COMMANDS = ['kl', 'tour', 'bench', 'compare', 'merge', 'distill', 'fit', 'serve', 'text', 'samples', 'estimate'];

describe('help and option errors', () => {
  test('no arguments: the overview on stdout, exit 0, nothing on stderr', () => {
    const r = runCli([]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Usage: klscope \[options\] \[command\]/);
    assert.match(r.stdout, /Commands:[\s\S]*compare/);
  });
  test('every --help fits 80 columns when stdout is not a terminal', () => {
    for (const c of ['', ...COMMANDS]) {
      const r = runCli(c ? [c, '--help'] : ['--help']);
      assert.equal(r.code, 0, `${c} --help: ${r.stderr}`);
      const long = r.stdout.split('\n').filter((l) => [...l].length > 80);
      assert.deepEqual(long, [], `klscope ${c} --help has lines over 80 columns`);
      // defaults are shown as numbers: (default: 20), not (default: "20")
      assert.doesNotMatch(r.stdout, /default: "-?\d+(\.\d+)?(e-?\d+)?"/, c);
    }
  });
  test('the help width follows the terminal, 80 without one', () => {
    assert.equal(helpWidth({ isTTY: false, columns: 200 }), 80);
    assert.equal(helpWidth({ isTTY: true, columns: 132 }), 132);
    assert.equal(helpWidth({ isTTY: true, columns: 20 }), 40);
  });
  test('long examples wrap with a shell continuation and keep every word', () => {
    const ex = 'klscope compare base.kld candidate_logits.npy --per-token tokens.parquet --report report.html';
    const lines = wrapCommand(ex, 60);
    assert.ok(lines.length > 1 && lines.every((l) => l.length <= 60), lines.join('\n'));
    assert.ok(lines.slice(0, -1).every((l) => l.endsWith(' \\')));
    assert.equal(lines.map((l) => l.replace(/^\s*\$?\s*/, '').replace(/ \\$/, '')).join(' '), ex);
    assert.deepEqual(wrapCommand('klscope a b  # a note'), ['  # a note', '  $ klscope a b']);
  });
  test('defaults are shown as numbers', () => {
    assert.match(runCli(['kl', '--help']).stdout, /\(default: 20\)/);
  });
  test('a mistyped option says "unknown option", not that --p is missing', () => {
    for (const args of [['kl', '-p', '0.5,0.5', '--q', '0.5,0.5'], ['kl', '--pp', '0.5,0.5', '--q', '0.5,0.5'], ['kl', '--pp', '1']]) {
      const r = runCli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /unknown option '-(p|-pp)'/, r.stderr);
      assert.doesNotMatch(r.stderr, /required option/);
    }
    const r = runCli(['kl', '--q', '0.5,0.5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^klscope kl: missing --p/);
  });
});
