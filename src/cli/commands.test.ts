import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { COMMANDS, requestedCommand } from './commands.js';
import { buildProgram } from './main.js';
import { readFileSync } from 'node:fs';
import { repoRoot, runCli } from '../testing/cli.js';

test('the command table agrees with every command module: name, arguments, options, description', async () => {
  for (const entry of COMMANDS) {
    const program = new Command('klscope');
    const cmd = (await entry.load())(program);
    assert.equal(cmd.name(), entry.name);
    assert.equal(cmd.description(), entry.description, `description of ${entry.name}`);
    const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`)).join(' ');
    assert.equal(args, entry.args, `arguments of ${entry.name}`);
    assert.equal(cmd.options.length > 0, entry.options, `options of ${entry.name}`);
  }
});

test('help lists every command the same way whether its module is loaded or not', async () => {
  const all = (await buildProgram()).helpInformation();
  const listed = (await buildProgram(null)).helpInformation();
  assert.equal(listed, all);
  for (const entry of COMMANDS) assert.match(listed, new RegExp(`^  ${entry.name}\\b`, 'm'));
});

test('requestedCommand finds the command after options and after help', () => {
  assert.equal(requestedCommand(['node', 'klscope']), undefined);
  assert.equal(requestedCommand(['node', 'klscope', '--version']), undefined);
  assert.equal(requestedCommand(['node', 'klscope', 'kl', '--p', '0.5,0.5']), 'kl');
  assert.equal(requestedCommand(['node', 'klscope', 'help', 'compare']), 'compare');
  assert.equal(requestedCommand(['node', 'klscope', 'help']), undefined);
});

test('klscope help <command> and an unknown command behave as before', () => {
  const h = runCli(['help', 'kl']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--p <list>|--p/);
  const u = runCli(['nope']);
  assert.equal(u.code, 2);
  assert.match(u.stderr, /unknown command 'nope'/);
  assert.equal(u.stdout, '');
});

test('klscope --version and -V print the version of package.json, as commander does', () => {
  const { version } = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = runCli([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${version}\n`);
  }
  // with another argument the flag goes through commander as before
  assert.equal(runCli(['--version', '--help']).code, 0);
});
