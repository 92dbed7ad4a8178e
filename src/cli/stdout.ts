// Standard output guard, kept apart from run.ts so that `klscope --version` loads no command code.
import { removeAllTemps } from '../io/output.js';

let stdoutGuarded = false;

/**
 * Standard output that is closed early (`klscope … | head -1`: EPIPE) ends the run quietly with
 * exit 0, like Unix tools; one that cannot be written (`> /dev/full`) gives one line on stderr
 * and exit 1. Temporary files are removed either way.
 */
export function guardStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    removeAllTemps();
    if (e.code === 'EPIPE') process.exit(0);
    process.stderr.write(`klscope: cannot write to standard output: ${e.code === 'ENOSPC' ? 'no space left on the device' : e.message} (${e.code ?? 'error'})\n`);
    process.exit(1);
  });
}
