import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: dist/cli/paths.js → ../.. (KLSCOPE_ROOT overrides it, for tests). */
export function packageRoot(): string {
  return process.env.KLSCOPE_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
}

/**
 * A folder of the bundled example data, e.g. `dataDir('text')` → `<package>/data/text`, so the
 * tour works from any working directory.
 *
 * @example
 * dataDir('samples'); // '/…/klscope/data/samples'
 */
export function dataDir(sub: string): string {
  return path.join(packageRoot(), 'data', sub);
}

/**
 * A bundled file's path as the tour prints it: absolute, so the printed command works from any
 * working directory, and quoted when it has spaces.
 *
 * @example
 * shellPath(path.join(dataDir('text'), 'reference.txt')); // '/…/klscope/data/text/reference.txt'
 */
export function shellPath(p: string): string {
  const abs = path.resolve(p);
  return /[^\w@%+=:,./-]/.test(abs) ? `'${abs.replace(/'/g, "'\\''")}'` : abs;
}
