// A corpus of hostile inputs, arguments and output paths run through every command as a user
// would: each must exit 1 (data) or 2 (usage) with one line on stderr, nothing on stdout, no
// stack trace, no "internal error", and no file left at the target names or as a temporary file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeKldFixture } from '../testing/kldFixtures.js';
import { encodeNpy } from '../io/npy.js';
import { tempName } from '../io/output.js';
import { repoRoot, runCli } from '../testing/cli.js';

let dir: string;
let fx: ReturnType<typeof writeKldFixture>;
let corpus: Set<string>;

function listAll(d: string, out: string[] = []): string[] {
  for (const n of readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, n.name);
    out.push(p);
    if (n.isDirectory() && !n.isSymbolicLink()) listAll(p, out);
  }
  return out;
}

/** Runs a command in the corpus folder and checks the failure contract. */
function fails(args: string[], code: 1 | 2, stderr?: RegExp): void {
  const r = runCli(args, { cwd: dir, timeoutMs: 60_000 });
  const label = `klscope ${args.join(' ').slice(0, 120)}`;
  assert.equal(r.code, code, `${label}: exit ${r.code}, stderr ${r.stderr}`);
  assert.equal(r.stdout, '', `${label}: stdout not empty`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${label}: ${lines.length} lines on stderr: ${r.stderr.slice(0, 400)}`);
  assert.doesNotMatch(r.stderr, /internal error|    at |NaN|undefined|\[object/, `${label}: ${r.stderr}`);
  assert.ok(r.stderr.length < 400, `${label}: a message of ${r.stderr.length} characters`);
  if (stderr) assert.match(r.stderr, stderr, label);
  const left = listAll(dir).filter((f) => !corpus.has(f));
  assert.deepEqual(left, [], `${label}: left ${left.join(', ')}`);
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'klscope-hostile-'));
  fx = writeKldFixture({ dir, nCtx: 16, nVocab: 11, nChunk: 2 });
  const w = (name: string, data: string | Uint8Array) => writeFileSync(path.join(dir, name), data);
  w('null.jsonl', 'null\n');
  w('topk-blank.jsonl', '\n\n{"token":"a","logprob":-0.1,"top_logprobs":[{"token":"a","logprob":-0.1}]}\n{"token":"b"}\n');
  w('logprob-inf.jsonl', '{"logp":[-1,-1e400],"logq":[-1,-2]}\n');
  w('st-null.safetensors', (() => {
    const t = new TextEncoder().encode('null');
    const b = new Uint8Array(8 + t.length);
    new DataView(b.buffer).setBigUint64(0, BigInt(t.length), true);
    b.set(t, 8);
    return b;
  })());
  w('st-neg.safetensors', (() => {
    const t = new TextEncoder().encode('{"logits":{"dtype":"F32","shape":[1,2],"data_offsets":[-8,0]}}');
    const b = new Uint8Array(8 + t.length + 8);
    new DataView(b.buffer).setBigUint64(0, BigInt(t.length), true);
    b.set(t, 8);
    return b;
  })());
  w('st-frac.safetensors', (() => {
    const t = new TextEncoder().encode('{"logits":{"dtype":"F32","shape":[0.5,"4"],"data_offsets":[0,8]}}');
    const b = new Uint8Array(8 + t.length + 8);
    new DataView(b.buffer).setBigUint64(0, BigInt(t.length), true);
    b.set(t, 8);
    return b;
  })());
  w('long-header.npy', (() => {
    const text = `{'descr': '<f4', 'fortran_order': False, 'shape': (${'9'.repeat(100_000)},), }\n`;
    const b = new Uint8Array(12 + text.length);
    b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(b.buffer).setUint32(8, text.length, true);
    b.set(new TextEncoder().encode(text), 12);
    return b;
  })());
  w('p.npy', encodeNpy(new Float32Array([0, 0, 0, 0]), [2, 2]));
  w('deep.json', '['.repeat(200_000) + '0.5' + ']'.repeat(200_000));
  w('ids.json', JSON.stringify(['x'.repeat(1_000_000)]));
  w('bad.json', '{"format":"klscope-compare-summary","version":2,"count":-7}');
  w('v1.json', '{"format":"klscope-compare-summary","version":1}');
  w('ids3.json', '[1, 2, 3]');
  w('a.txt', 'hello world\n');
  mkdirSync(path.join(dir, 'folder'));
  mkdirSync(path.join(dir, 'loop'));
  writeFileSync(path.join(dir, 'loop', 'x.txt'), 'some text here\n');
  symlinkSync('..', path.join(dir, 'loop', 'up'));
  symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'loop', 'dangling.txt'));
  spawnSync('mkfifo', [path.join(dir, 'fifo.txt')]);
  corpus = new Set(listAll(dir));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('hostile inputs through every command', () => {
  test('malformed files: one line, exit 1, nothing written', () => {
    fails(['compare', 'null.jsonl', 'null.jsonl'], 1, /line 1: expected an object/);
    fails(['compare', 'topk-blank.jsonl', 'topk-blank.jsonl'], 1, /line 4: "top_logprobs" is missing/);
    fails(['estimate', 'null.jsonl'], 1, /line 1/);
    fails(['compare', 'st-null.safetensors', 'st-null.safetensors'], 1, /expected a JSON object of tensors, got null/);
    fails(['compare', 'st-neg.safetensors', 'st-neg.safetensors'], 1, /data_offsets/);
    fails(['compare', 'st-frac.safetensors', 'st-frac.safetensors'], 1, /shape: expected integers >= 0/);
    fails(['compare', 'long-header.npy', 'long-header.npy'], 1);
    fails(['compare', 'folder', fx.cand], 1, /folder/);
    fails(['estimate', 'folder'], 1, /folder/);
    fails(['text', 'loop', 'loop'], 1, /dangling\.txt.*dangling symbolic link/);
    fails(['text', 'fifo.txt', 'a.txt'], 1, /FIFO/);
    fails(['kl', '--p', 'deep.json', '--q', '0.5,0.5'], 1, /nested too deeply/);
    fails(['compare', 'p.npy', 'p.npy', '--tokens', 'ids.json'], 1, /characters\)/);
    fails(['merge', 'bad.json'], 1, /bad\.json: count/);
  });

  test('hostile arguments: one line, exit 2', () => {
    fails(['samples', fx.baseNpy, fx.candNpy, '--bins', '1e11'], 2, /--bins/);
    fails(['bench', '--vocab', '1e10'], 2, /--vocab/);
    fails(['fit', '--mix', '0.5:-3:1e300,0.5:3:1'], 2, /--mix component 0/);
    fails(['fit', '--mix', Array.from({ length: 100 }, () => '0.01:0:1').join(',')], 2, /at most 64 components/);
    fails(['fit', '--path', '--steps', '1e9'], 2, /--steps/);
    fails(['serve', '--host', '300.1.1.1', '--port', '0'], 2, /300\.1\.1\.1/);
    fails(['merge', fx.base, '--report', 'x.txt'], 2, /--report/);
  });

  test('library errors reach the user with the flag of the option they name', () => {
    // The library says rowRange / smoothing / tokens; the CLI prints --rows / --smoothing / --tokens.
    fails(['compare', fx.base, fx.cand, '--rows', 'x:y'], 2, /^klscope compare: --rows: expected START:END .*got "x:y"$/m);
    fails(['compare', fx.base, fx.cand, '--rows', '300:'], 2, /--rows: expected a range that is not empty in the inputs' \d+ rows, got "300:"/);
    fails(['compare', fx.base, fx.cand, '--tokens', 'p.npy'], 2, /^klscope compare: --tokens does not apply when a side is a \.kld file/m);
    fails(['text', fx.base, fx.cand, '--smoothing', 'lots'], 2, /--smoothing: expected 0 \(exact\).*got "lots"/);
    // perToken, summaryOut and tokens in the per-token writer, the summary schema and the reference sources
    fails(['compare', fx.base, fx.cand, '--per-token', 'out.txt'], 2, /^klscope compare: --per-token: expected a file ending in \.csv or \.parquet, or - for CSV on stdout, got "out\.txt"$/m);
    fails(['merge', 'v1.json'], 1, /^klscope merge: v1\.json: version: expected summary version 2 \(re-run klscope compare with --summary-out\), got 1$/m);
    fails(['reference', fx.baseNpy, '-o', 'x.klref'], 2, /^klscope reference: --tokens is required for a logits source \(.*\): the reference keeps the token list/m);
    fails(['reference', fx.baseNpy, '--tokens', 'ids3.json', '-o', 'x.klref'], 1, /^klscope reference: --tokens: a reference needs \d+ token ids \(T \+ 1 for \d+ rows.*got 3$/m);
    fails(['reference', fx.base, '--tokens', 'ids3.json', '-o', 'x.klref'], 2, /^klscope reference: --tokens does not apply to a \.kld source: the file carries its tokens$/m);
  });

  test('output paths: missing folder, a folder, /proc; one run is one atomic group', () => {
    fails(['compare', fx.base, fx.cand, '--per-token', path.join(dir, 'none', 'x.csv')], 2, /folder does not exist/);
    fails(['compare', fx.base, fx.cand, '--report', 'folder'], 2);
    fails(['compare', fx.base, fx.cand, '--report', path.join(dir, 'folder.html'), '--summary-out', '/nonexistent/s.json'], 2, /nonexistent/);
    fails(['compare', fx.base, fx.cand, '--summary-out', '/proc/klscope-s.json'], 2);
    fails(['fit', '--svg', '/proc/klscope/f.svg'], 2);
    fails(['reference', fx.base, '-o', path.join(dir, 'none', 'r.klref')], 2, /cannot write .*r\.klref.*folder does not exist/);
    fails(['reference', fx.base, '-o', '/proc/klscope-r.klref'], 2, /klscope-r\.klref/);
  });

  test('a .kld with n_ctx 2 scores no rows: a data error that does not mention --rows', () => {
    const f = path.join(dir, 'c2.kld');
    const b = new Uint8Array(28);
    b.set(new TextEncoder().encode('_logits_'));
    const dv = new DataView(b.buffer);
    dv.setInt32(8, 2, true);
    dv.setInt32(12, 3, true);
    dv.setInt32(16, 1, true);
    writeFileSync(f, b);
    corpus.add(f);
    fails(['compare', 'c2.kld', 'c2.kld'], 1, /no scored rows/);
    const r = runCli(['compare', 'c2.kld', 'c2.kld'], { cwd: dir });
    assert.doesNotMatch(r.stderr, /--rows/);
  });
});

describe('standard output and signals', () => {
  test('EPIPE (… | head -1) ends quietly; stdout on /dev/full is one line and exit 1', () => {
    for (const args of ['--help', 'kl --p 0.5,0.5 --q 0.9,0.1 --json']) {
      const r = spawnSync('sh', ['-c', `"${process.execPath}" bin/klscope.js ${args} | head -1`], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(r.stderr, '', `${args}: ${r.stderr}`);
      assert.equal(r.stdout.split('\n').length, 2);
    }
    if (existsSync('/dev/full')) {
      const r = spawnSync('sh', ['-c', `"${process.execPath}" bin/klscope.js kl --p 0.5,0.5 --q 0.9,0.1 > /dev/full`], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^klscope: cannot write to standard output: no space left on the device \(ENOSPC\)\n$/);
    }
  });

  test('SIGTERM and SIGINT remove the temporary files of a run; a later run removes those of a killed one', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const target = path.join(dir, `sig-${signal}.csv`);
      const script = `import { OutputGroup } from ${JSON.stringify(path.join(repoRoot, 'dist/io/output.js'))};
        const out = new OutputGroup(); out.reserve(${JSON.stringify(target)}); out.reserve(${JSON.stringify(target + '.html')});
        process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      assert.ok(existsSync(tempName(target, child.pid)), 'the temporary file exists while the run works');
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
      child.kill(signal);
      assert.equal(await exited, signal);
      assert.ok(!existsSync(tempName(target, child.pid)) && !existsSync(tempName(target + '.html', child.pid)), `${signal} left a temporary file`);
      assert.ok(!existsSync(target));
    }
    // kill -9 cannot be caught: the next run writing the same target removes the stale file
    const target = path.join(dir, 'stale.csv');
    const stale = tempName(target, 2 ** 22 + 12345);
    writeFileSync(stale, 'partial');
    const r = runCli(['compare', fx.base, fx.cand, '--per-token', target], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(stale), 'the stale temporary file of a dead process is removed');
    assert.ok(readFileSync(target, 'utf8').startsWith('row,position,token'));
    rmSync(target);
  });
});

describe('merge refuses what does not belong together', () => {
  test('the same shard twice, overlaps and other runs are data errors; gaps are noted', () => {
    const s = (name: string, ...extra: string[]) => {
      const f = path.join(dir, name);
      const r = runCli(['compare', ...extra, '--summary-out', f], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      corpus.add(f);
      return f;
    };
    const p0 = s('p0.json', fx.base, fx.cand, '--rows', '0:5');
    const p1 = s('p1.json', fx.base, fx.cand, '--rows', '5:10');
    const p3 = s('p3.json', fx.base, fx.cand, '--rows', '3:8');
    const ids = path.join(dir, 'ids-ok.json');
    writeFileSync(ids, JSON.stringify(Array.from({ length: fx.rows + 1 }, (_, i) => i % 11)));
    corpus.add(ids);
    const npy = s('pn.json', fx.baseNpy, fx.candNpy, '--tokens', ids, '--rows', '10:14');
    const swapped = s('ps.json', fx.cand, fx.base, '--rows', '10:14');
    fails(['merge', p0, p0], 1, /already in .*p0\.json \(the same shard twice\?\)/);
    fails(['merge', p0, p3], 1, /overlap/);
    fails(['merge', p0, npy], 1, /a different run: the base differs in format/);
    fails(['merge', p0, swapped], 1, /a different run: the base differs in content/);
    const ok = runCli(['merge', p0, p1, '--json'], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
    const j = JSON.parse(ok.stdout) as { tokens: number; notes: string[] };
    assert.equal(j.tokens, 10);
    assert.ok(j.notes.some((n) => /leave \d+ of the run's \d+ rows out \(rows 10:/.test(n)), j.notes.join('\n'));
  });
});
