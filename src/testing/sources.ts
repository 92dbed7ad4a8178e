// Test helper: the TypeScript sources under a folder, for tests that read the code itself.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Every `.ts` file under `dir` (recursively) that is neither a test nor a declaration file.
 *
 * @example
 * sourceFiles(path.join(repoRoot, 'src')).some((f) => f.endsWith('index.ts')); // true
 */
export function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
