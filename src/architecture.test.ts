// The module graph flows one way: io → kernels/divergence → compare/train/text/fit → report →
// cli. This test reads every source file's relative imports and fails on one that reaches up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './testing/cli.js';

/** Layer of each top-level module of src/ (same number = siblings that must not import each other). */
const LAYER: Record<string, number> = {
  'errors.ts': 0,
  'random.ts': 0,
  'matrix.ts': 0,
  'words.ts': 0,
  io: 1,
  divergence: 2,
  kernels: 2,
  compare: 3,
  train: 3,
  text: 3,
  fit: 3,
  report: 4,
  cli: 5,
  testing: 6,
  'index.ts': 7,
};

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test('no module imports from a layer above it or from a sibling area', () => {
  const src = path.join(repoRoot, 'src');
  const violations: string[] = [];
  const files = sources(src);
  assert.ok(files.length > 50, `expected the source tree under ${src}, found ${files.length} files`);
  for (const file of files) {
    const from = path.relative(src, file).split(path.sep)[0]!;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = path.relative(src, path.resolve(path.dirname(file), m[1]!)).split(path.sep)[0]!.replace(/\.js$/, '.ts');
      const a = LAYER[from];
      const b = LAYER[target];
      assert.ok(a !== undefined && b !== undefined, `unknown module in ${file}: ${from} → ${target}`);
      const up = b > a;
      const sibling = b === a && from !== target && a !== 0;
      if (up || sibling) violations.push(`${path.relative(src, file)} imports ${m[1]} (${from} → ${target})`);
    }
  }
  assert.deepEqual(violations, []);
});
