// The module graph flows one way: io → kernels/divergence → compare/train/text/fit → report →
// cli, and web/ (the page) uses the library below cli. This test reads every source file's
// relative imports and fails on one that reaches up, and on any import cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './testing/cli.js';
import { sourceFiles } from './testing/sources.js';

/** Layer of each top-level module of src/ (same number = siblings that must not import each other). */
const LAYER: Record<string, number> = {
  'errors.ts': 0,
  'random.ts': 0,
  'quantile.ts': 0,
  'discount.ts': 0,
  'matrix.ts': 0,
  'words.ts': 0,
  // the row rules' core: validation, tolerances, messages, log-sum-exp, per-element terms
  rows: 0,
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

/** Relative imports of a source file, resolved to .ts paths; `values` leaves out `import type`. */
function relativeImports(file: string, values = false): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(import|export)(\s+type)?[^;]*?(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'/gms)]
    .filter((m) => !(values && m[2]))
    .map((m) => path.resolve(path.dirname(file), (m[3] ?? m[4])!).replace(/\.js$/, '.ts'));
}

test('no module imports from a layer above it or from a sibling area', () => {
  const src = path.join(repoRoot, 'src');
  const violations: string[] = [];
  const files = sourceFiles(src);
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

test('no import cycle among the modules of src/ and web/ (type-only imports, erased at build, aside)', () => {
  const files = [...sourceFiles(path.join(repoRoot, 'src')), ...sourceFiles(path.join(repoRoot, 'web/src'))];
  const graph = new Map(files.map((f) => [f, relativeImports(f, true).filter((t) => t !== f)]));
  // depth-first search; a grey node met again closes a cycle
  const state = new Map<string, 'grey' | 'black'>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'grey');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (!graph.has(t)) continue;
      if (state.get(t) === 'grey') cycles.push([...stack.slice(stack.indexOf(t)), t].map((x) => path.relative(repoRoot, x)).join(' → '));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'black');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('web/ imports the library below cli only, and the library never imports web/', () => {
  const src = path.join(repoRoot, 'src');
  const web = path.join(repoRoot, 'web/src');
  const files = sourceFiles(web);
  assert.ok(files.length > 0, `expected the page's sources under ${web}`);
  const violations: string[] = [];
  for (const file of files) {
    for (const target of relativeImports(file)) {
      if (target.startsWith(web + path.sep)) continue;
      const rel = path.relative(src, target);
      const layer = rel.startsWith('..') ? undefined : LAYER[rel.split(path.sep)[0]!];
      if (layer === undefined || layer > LAYER.report!) violations.push(`${path.relative(repoRoot, file)} imports ${path.relative(repoRoot, target)}`);
    }
  }
  for (const file of sourceFiles(src)) {
    for (const target of relativeImports(file)) if (!path.relative(repoRoot, target).startsWith('src' + path.sep)) violations.push(`${path.relative(repoRoot, file)} imports ${path.relative(repoRoot, target)}`);
  }
  assert.deepEqual(violations, []);
});
