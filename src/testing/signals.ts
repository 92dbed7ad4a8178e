// Test helper: a writer in a child process, killed by a signal while its output is half written.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tempName } from '../io/output.js';

/**
 * Runs `script` (an ES module that starts writing `target` and then prints one line and waits) in
 * a child process, checks that at least `minBytes` reached the temporary file, kills the child
 * with SIGTERM and then (in a second child) SIGINT, and checks that each ends by that signal and
 * leaves neither `target` nor a temporary file. `script` receives the target as `TARGET`.
 *
 * @example
 * await killMidWrite((t) => `const w = new KldWriter(${JSON.stringify(t)}, …); …`, (s) => `/tmp/sig-${s}.kld`, 4096);
 */
export async function killMidWrite(script: (target: string) => string, targetFor: (signal: NodeJS.Signals) => string, minBytes: number): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const target = targetFor(signal);
    const code = `${script(target)}\nprocess.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const tmp = tempName(target, child.pid);
    const size = statSync(tmp).size;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    child.kill(signal);
    assert.ok(size >= minBytes, `the rows so far are in the temporary file (${size} bytes, expected ${minBytes} or more)`);
    assert.equal(await exited, signal);
    assert.ok(!existsSync(tmp), `${signal} left the temporary file`);
    assert.ok(!existsSync(target), `${signal} left a partial file`);
  }
}
