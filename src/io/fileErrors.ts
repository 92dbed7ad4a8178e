import { DataError } from '../errors.js';

/**
 * The one-line error for a file that cannot be opened or read: names the role and the path
 * (`base (fp16.kld): file does not exist`) and says why in words, with the system code.
 *
 * @example
 * openFailure('base', 'fp16.kld', { code: 'ENOENT' }).message; // 'base (fp16.kld): file does not exist (ENOENT)'
 */
export function openFailure(name: string, file: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const label = name === file || name.includes(file) ? name : `${name} (${file})`;
  const why =
    code === 'ENOENT' ? 'file does not exist' : code === 'EISDIR' ? 'is a directory, expected a file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : 'cannot open file';
  return new DataError(`${label}: ${why} (${code ?? (e as Error)?.message ?? String(e)})`);
}
