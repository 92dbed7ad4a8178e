// Installs a built native addon where node loads it from.
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Copies `src` to `dest` through a temporary file in the same folder and a rename. A running
 * klscope has the old addon mapped into memory: overwriting that file in place changes its pages
 * under the process (a Bus error), while the rename gives `dest` a new inode and leaves the old
 * file's data intact until its last user unmaps it.
 */
export function installAddon(src, dest) {
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  try {
    copyFileSync(src, tmp);
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
