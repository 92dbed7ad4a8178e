// Test helper: run the built CLI as a user would, capturing stdout, stderr and the exit code.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (dist/testing/cli.js → ../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Result of {@link runCli}. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `klscope ...args` through bin/klscope.js in a child process.
 *
 * @example
 * const r = runCli(['kl', '--p', '0.5,0.5', '--q', '0.9,0.1', '--json']);
 */
export function runCli(args: string[], opts: { cwd?: string; input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin/klscope.js'), ...args], {
    cwd: opts.cwd ?? repoRoot,
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Result of a command runner from {@link commandCli}. */
export interface CommandResult {
  code: number;
  out: string;
  err: string;
}

/**
 * A runner of one command through the real CLI entry point (in the repository root), for a
 * command's test file: `cli(args)` runs `klscope COMMAND ...args`.
 *
 * @example
 * const cli = commandCli('text');
 * const { code, out } = cli(['r.txt', 'g.txt', '--json']);
 */
export function commandCli(command: string): (args: string[]) => CommandResult {
  return (args) => {
    const r = runCli([command, ...args]);
    return { code: r.code, out: r.stdout, err: r.stderr };
  };
}
