// Test helper: a temporary folder for a test file's inputs and outputs.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A temporary folder with writers for the inputs a test needs. */
export interface TempFiles {
  /** The folder (under the system's temporary folder). */
  dir: string;
  /** Writes `content` to `name` in the folder (making its parent folders) and returns the path. */
  file(name: string, content: string | Uint8Array): string;
  /** The path of `name` in the folder, for outputs. */
  path(name: string): string;
}

/**
 * A new temporary folder named `klscope-PREFIX-…`.
 *
 * @example
 * const t = tempFiles('textcli');
 * const g = t.file('g.txt', 'a a b b\n');
 */
export function tempFiles(prefix: string): TempFiles {
  const dir = mkdtempSync(path.join(tmpdir(), `klscope-${prefix}-`));
  const at = (name: string) => path.join(dir, name);
  return {
    dir,
    path: at,
    file(name, content) {
      const p = at(name);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, content);
      return p;
    },
  };
}
