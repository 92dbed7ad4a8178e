import { openSync, readFileSync, statSync } from 'node:fs';
import { DataError } from '../errors.js';

/** Why a file could not be read, by errno code: the one table for every input. */
export const READ_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'a loop of symbolic links',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'an I/O error',
  ENXIO: 'not a readable file (a socket or device)',
  EINVAL: 'not a readable file',
  ERR_FS_FILE_TOO_LARGE: 'too large to read at once (over 2 GiB)',
};

/** The one-line {@link DataError} for an input that cannot be read. */
export function readError(name: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return new DataError({ where: name, expected: 'a readable regular file', got: code ? `${READ_REASONS[code] ?? 'an error'} (${code})` : e instanceof Error ? e.message : String(e) });
}

/** How messages name an input: its role and its path, "base (fp16.kld)", or the path alone. */
export function inputLabel(name: string, file: string): string {
  return name === file || name.includes(file) ? name : `${name} (${file})`;
}

/**
 * The one-line error for a file that cannot be opened or read: {@link readError} under the role
 * and the path, so a missing file reads the same from every reader.
 *
 * @example
 * openFailure('base', 'fp16.kld', { code: 'ENOENT' }).message; // 'base (fp16.kld): expected a readable regular file, got no such file (ENOENT)'
 */
export function openFailure(name: string, file: string, e: unknown): DataError {
  return readError(inputLabel(name, file), e);
}

/**
 * Checks that `path` is a regular file before it is opened, so a folder, a FIFO (whose open
 * would block forever), a socket or a device is a one-line {@link DataError}, not a hang.
 */
export function checkRegularFile(path: string, name = path): void {
  const where = inputLabel(name, path);
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw readError(where, e);
  }
  if (!st.isFile()) {
    const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : 'a device';
    throw new DataError({ where, expected: 'a readable regular file', got: kind });
  }
}

/**
 * Opens an input file for reading, as a {@link DataError} naming it when it cannot be.
 *
 * @example
 * const fd = openInput('base.kld', 'base');
 */
export function openInput(path: string, name = path): number {
  checkRegularFile(path, name);
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw readError(name, e);
  }
}

/**
 * Reads a whole input file, as a {@link DataError} naming it when it cannot be.
 *
 * @example
 * const bytes = readInput('ids.npy', '--tokens');
 */
export function readInput(path: string, name = path): Buffer {
  checkRegularFile(path, name);
  try {
    return readFileSync(path);
  } catch (e) {
    throw readError(name, e);
  }
}
