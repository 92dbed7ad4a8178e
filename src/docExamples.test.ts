// Every numeric `@example` line in the JSDoc of src/ is run and its quoted value checked: a line
// `expr; // 0.0252…` must evaluate to the number in its comment. The comment's number is the
// first one, or the one after "=" when the comment starts with a formula ("1000 + ln 2 = …").
// "≈ x" (or a number cut short with "…") is checked to the digits shown; the rest exactly
// (relative 1e-14). Blocks that need files, models or a server are listed in NOT_RUN with the
// reason, and every numeric line must be either checked or in such a block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './testing/cli.js';
import { sourceFiles } from './testing/sources.js';

/** Blocks not run, by file and a piece of their first line, with the reason. */
const NOT_RUN: Array<{ file: string; has: string; why: string }> = [
  { file: 'src/cli/serve.ts', has: 'startServer', why: 'starts an HTTP server' },
  { file: 'src/io/gguf.ts', has: 'readGguf', why: 'reads a GGUF model file' },
  { file: 'src/train/evaluate.ts', has: 'teacherHeldOutNll', why: 'trains the 6-gram teacher on the Brown corpus' },
  { file: 'src/io/klref.ts', has: "new KlrefFile('ref.klref')", why: 'reads a .klref file' },
  { file: 'src/testing/llamaOracle.ts', has: 'llamaOracleProbabilities', why: 'builds a tiny GGUF model' },
];

interface Line {
  file: string;
  line: number;
  code: string;
  expected?: { value: number; tol: number };
}

// digits may be grouped by commas (65,414,668)
const NUM = String.raw`-?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?`;

/** The value quoted in a comment, with its tolerance; undefined when it quotes none. */
export function quoted(comment: string): { value: number; tol: number } | undefined {
  const c = comment.replace(/−/g, '-').trim();
  const lead = new RegExp(`^(≈\\s*)?(${NUM})(…)?(?!\\s*[-+/·*×^]|[\\d.])`).exec(c);
  const m = lead ?? new RegExp(`=\\s*(≈\\s*)?(${NUM})(…)?`).exec(c);
  if (!m || (!lead && !/^[\d≈(.-]/.test(c))) return undefined;
  const text = m[2]!.replace(/,/g, '');
  const value = Number(text);
  const digits = 10 ** -(text.includes('.') ? text.split('.')[1]!.replace(/e.*/, '').length : 0);
  // "≈": to the digits shown or 1 %; "…": cut short, so to the digits shown; else exact
  const tol = m[1] ? Math.max(digits, 0.01 * Math.abs(value)) : m[3] ? digits : 1e-14 * Math.max(1, Math.abs(value));
  return { value, tol };
}

/** The @example blocks of a source file, each as its lines. */
function exampleBlocks(file: string): Line[][] {
  const text = readFileSync(file, 'utf8');
  const blocks: Line[][] = [];
  for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const body = m[1]!;
    const at = body.indexOf('@example');
    if (at < 0) continue;
    const startLine = text.slice(0, m.index! + 3 + at).split('\n').length;
    const lines = body.slice(at + '@example'.length).split('\n').slice(1);
    const block: Line[] = [];
    lines.forEach((raw, i) => {
      const code = raw.replace(/^\s*\* ?/, '');
      if (/^\s*@\w/.test(code)) return;
      const cut = code.indexOf('//');
      const expected = cut >= 0 && !/^\s*(const|let|var)\b/.test(code) ? quoted(code.slice(cut + 2)) : undefined;
      block.push({ file: path.relative(repoRoot, file), line: startLine + 1 + i, code, ...(expected ? { expected } : {}) });
    });
    if (block.some((l) => l.expected)) blocks.push(block);
  }
  return blocks;
}

test('the numeric @example lines in the JSDoc give the values they quote', async () => {
  const dist = path.join(repoRoot, 'dist');
  const entries = ['index.js', 'io/index.js', 'divergence/index.js', 'kernels/public.js', 'compare/index.js', 'train/index.js', 'fit/index.js', 'text/index.js', 'report/index.js'];
  const shared: Record<string, unknown> = {};
  for (const e of entries) Object.assign(shared, await import(pathToFileURL(path.join(dist, e)).href));
  const AsyncFunction = (async () => {}).constructor as new (...a: string[]) => (...v: unknown[]) => Promise<void>;
  const wrong: string[] = [];
  let checked = 0;
  let notRun = 0;
  for (const file of sourceFiles(path.join(repoRoot, 'src'))) {
    const blocks = exampleBlocks(file);
    if (!blocks.length) continue;
    const rel = path.relative(repoRoot, file);
    const run: Line[][] = [];
    for (const block of blocks) {
      const skip = NOT_RUN.find((s) => s.file === rel && block.some((l) => l.code.includes(s.has)));
      if (skip) notRun += block.filter((l) => l.expected).length;
      else run.push(block);
    }
    if (!run.length) continue;
    // in scope: the package's exports and those of every module in the example's own folder
    // (worker.js files run as worker threads and are left out)
    const folder = path.join(dist, path.relative(path.join(repoRoot, 'src'), path.dirname(file)));
    const scope: Record<string, unknown> = { ...shared };
    for (const name of readdirSync(folder).filter((n) => n.endsWith('.js') && !n.endsWith('.test.js') && n !== 'worker.js')) Object.assign(scope, await import(pathToFileURL(path.join(folder, name)).href));
    Object.assign(scope, await import(pathToFileURL(path.join(folder, path.basename(file).replace(/\.ts$/, '.js'))).href));
    for (const block of run) {
      const results: Array<{ line: Line; got: unknown }> = [];
      const body = block
        .map((l, i) => {
          if (!l.expected) return l.code;
          const expr = l.code.slice(0, l.code.indexOf('//')).trim().replace(/;$/, '');
          return `__got(${i}, (${expr}));`;
        })
        .join('\n');
      const names = Object.keys(scope).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
      try {
        const fn = new AsyncFunction('__got', ...names, body);
        await fn((i: unknown, v: unknown) => results.push({ line: block[i as number]!, got: v }), ...names.map((n) => scope[n]));
      } catch (e) {
        wrong.push(`${rel}:${block[0]!.line}: the example does not run: ${(e as Error).message}`);
        continue;
      }
      for (const { line, got } of results) {
        checked++;
        const want = line.expected!;
        if (typeof got !== 'number' || !(Math.abs(got - want.value) <= want.tol)) wrong.push(`${rel}:${line.line}: ${line.code.trim()} gives ${String(got)}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(checked >= 40, `only ${checked} numeric example lines checked (${notRun} in blocks not run)`);
});

test('quoted() reads the value a comment quotes', () => {
  assert.deepEqual(quoted(' 0.025267153921570557 = KL(P‖Q)')?.value, 0.025267153921570557);
  assert.equal(quoted(' 1000 + ln 2 = 1000.6931471805599')?.value, 1000.6931471805599);
  assert.equal(quoted(' 2 / (2 + 2·1) = 0.5')?.value, 0.5);
  assert.equal(quoted(' −0.25')?.value, -0.25);
  assert.equal(quoted(' ≈ 1: Q sits on one mode')?.tol, 1);
  assert.ok(Math.abs(quoted(' 8.554…: 8.5 in the matrices')!.tol - 0.001) < 1e-12);
  assert.equal(quoted(' http://127.0.0.1:40123/'), undefined);
  assert.equal(quoted(' 1 (a plain += gives 0)')?.value, 1);
  assert.equal(quoted(' 65,414,668 = 20 + 4·512 + 255·256,520')?.value, 65414668);
  assert.equal(quoted(' 0.5, the same on every run')?.value, 0.5);
});
