import { Command, CommanderError, Option } from 'commander';
import { READ_REASONS } from '../io/readFile.js';
import { DataError, KlscopeError, UsageError, isAllocationFailure, quote } from '../errors.js';

/**
 * Runs a command's action: a {@link KlscopeError} becomes one line on stderr and its exit code
 * (2 usage, 1 data); anything else is an internal error (exit 1). Output is written by the
 * action only after all work succeeded, so a failure leaves stdout empty.
 */
export function action<A extends unknown[]>(name: string, fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (raw) {
      const e = asKlscopeError(raw);
      if (e) {
        process.stderr.write(`klscope ${name}: ${cliMessage(e)}\n`);
        process.exitCode = e.exitCode;
        return;
      }
      throw raw;
    }
  };
}

/**
 * The command-line flag of each option name that library messages use. The library names an
 * option as its API does (`rowRange`, `learningRate`), as the `where` a message starts with or
 * as "the NAME option" inside it; {@link cliMessage} shows the flag instead.
 */
export const OPTION_FLAGS: Readonly<Record<string, string>> = {
  rowRange: '--rows',
  tokens: '--tokens',
  format: '--format',
  tensor: '--tensor',
  smoothing: '--smoothing',
  pairs: '--pairs',
  learningRate: '--lr',
  preset: '--preset',
  ctx: '--ctx',
  chunks: '--chunks',
  text: '--text',
  score: '--score',
  saveBase: '--save-base',
  perToken: '--per-token',
  summaryOut: '--summary-out',
};

/**
 * A library error's message as the CLI prints it, with the flags of the options it names.
 *
 * @example
 * cliMessage(new UsageError({ where: 'rowRange', expected: 'START:END', got: '"x"' })); // '--rows: expected START:END, got "x"'
 * cliMessage(new DataError('training diverged; lower the learningRate option')); // 'training diverged; lower --lr'
 */
export function cliMessage(e: KlscopeError): string {
  return cliText(e.message);
}

/**
 * Library text (an error message, a result's note) with the flags of the options it names.
 *
 * @example
 * cliText('pass the tokens option to check'); // 'pass --tokens to check'
 */
export function cliText(text: string): string {
  let m = text;
  for (const [name, flag] of Object.entries(OPTION_FLAGS)) {
    if (m.startsWith(name) && /^(:| \()/.test(m.slice(name.length))) m = flag + m.slice(name.length);
    m = m.replaceAll(`the ${name} option`, flag);
  }
  return m;
}

/**
 * The error the CLI reports for `e`: a {@link KlscopeError} as it is; a file-system error
 * (a path that does not exist, is a folder, a symlink loop) as a {@link DataError} naming the
 * path; a failed allocation (an input or argument asking for more memory than exists) as a
 * {@link DataError}. Anything else is a bug and stays an internal error.
 */
export function asKlscopeError(e: unknown): KlscopeError | undefined {
  if (e instanceof KlscopeError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  const net = err as (NodeJS.ErrnoException & { hostname?: string; address?: string; port?: number }) | undefined;
  if (net && (net.syscall === 'getaddrinfo' || net.syscall === 'listen' || net.syscall === 'bind')) {
    const where = net.syscall === 'getaddrinfo' ? `host ${quote(net.hostname ?? '')}` : `address ${net.address ?? ''}${net.port !== undefined ? `:${net.port}` : ''}`;
    const reason = net.code === 'ENOTFOUND' || net.code === 'EAI_AGAIN' ? 'a name that does not resolve' : net.code === 'EADDRNOTAVAIL' ? 'an address not on this machine' : net.code === 'EADDRINUSE' ? 'a port already in use' : net.code === 'EACCES' ? 'a port this user may not open' : 'an error';
    return new UsageError({ where, expected: 'an address of this machine and a free port to listen on', got: `${reason} (${net.code})` });
  }
  if (err && typeof err.code === 'string' && (READ_REASONS[err.code] || typeof err.syscall === 'string')) {
    const where = err.path ? quote(err.path) : (err.syscall ?? 'file');
    return new DataError({ where: `cannot read ${where}`, expected: 'a readable file', got: `${READ_REASONS[err.code] ?? err.code} (${err.code})` });
  }
  if (isAllocationFailure(e)) return new DataError({ where: 'input', expected: 'sizes that fit in memory', got: `a size beyond what this process can allocate (${(e as Error).message})` });
  return undefined;
}

export { guardStdout } from './stdout.js';

/**
 * Breaks a shell command into lines of at most `width` columns, continued with " \\" (so every
 * line still pastes into a shell); a `# comment` goes on its own line above the command.
 *
 * @example
 * wrapCommand('klscope compare a.kld b.kld --report r.html', 30); // ['  $ klscope compare a.kld \\', '      b.kld --report r.html']
 */
export function wrapCommand(example: string, width = 80): string[] {
  const hash = example.indexOf('  # ');
  const comment = hash >= 0 ? example.slice(hash).trim() : '';
  const cmd = hash >= 0 ? example.slice(0, hash).trimEnd() : example;
  const out: string[] = comment ? [`  ${comment}`] : [];
  let line = '  $';
  for (const word of cmd.split(' ')) {
    if (line.length + 1 + word.length > width - 2 && line.trim() !== '$') {
      out.push(line + ' \\');
      line = '     ';
    }
    line += ' ' + word;
  }
  out.push(line);
  return out;
}

/** Help width: the terminal's columns on a TTY, else 80 (pipes, files, CI logs). */
export function helpWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns ? Math.max(40, stream.columns) : 80;
}

/** Adds the "Examples:" block that every command's --help shows, wrapped to the help width. */
export function withExamples(cmd: Command, examples: string[]): Command {
  return cmd.addHelpText('after', '\nExamples:\n' + examples.flatMap((e) => wrapCommand(e, helpWidth())).join('\n') + '\n');
}

/** Parses a positive integer option, as a usage error when it is not one. */
export function intOption(value: string, name: string, min = 1): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`invalid ${name}: expected an integer >= ${min}, got ${quote(value)}`);
  return v;
}

/** Parses an integer option in [min, max]: a usage error naming the bound otherwise. */
export function boundedInt(value: string, name: string, min: number, max: number): number {
  const v = intOption(value, name, min);
  if (v > max) throw new UsageError({ where: `invalid ${name}`, expected: `an integer in [${min}, ${max}]`, got: quote(value) });
  return v;
}

/** Parses a finite number option. */
export function numberOption(value: string, name: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new UsageError(`invalid ${name}: expected a number, got ${quote(value)}`);
  return v;
}

/** A choice option whose bad values are usage errors listing the choices. */
export function choiceOption(flags: string, description: string, choices: string[], def?: string): Option {
  const o = new Option(flags, description).choices(choices);
  return def === undefined ? o : o.default(def);
}

export { CommanderError };
