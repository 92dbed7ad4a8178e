import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeNpy, parseNpy, parseNpyHeader, readNpy } from '../io/npy.js';
import { readMatrixArg } from '../io/matrixArg.js';
import { openNpyRows } from '../io/npyRows.js';
import { readTokenIds } from '../io/tokens.js';
import { KldFile } from '../io/kld.js';
import { describeValue } from '../io/argCheck.js';
import { formatRowRange, parseRowRange } from '../compare/engine.js';
import { runCli } from '../testing/cli.js';
import { ArgumentError } from '../errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'klscope-inputs-'));

/** float16 bits of a few exact values (1/2, 1/4), so the widened row sums to exactly 1. */
function f16(values: number[]): Uint16Array {
  const bits: Record<number, number> = { 0.5: 0x3800, 0.25: 0x3400, 0: 0 };
  return Uint16Array.from(values.map((v) => bits[v]!));
}

describe('kl reads stdin, inline JSON and float16 .npy', () => {
  test('readMatrixArg: inline JSON (one row or rows), "-" from stdin as JSON, CSV or .npy bytes', () => {
    assert.deepEqual(Array.from(readMatrixArg('[0.5, 0.5]', '--p').data), [0.5, 0.5]);
    const m = readMatrixArg('[[0.5,0.5],[0.9,0.1]]', '--q');
    assert.equal(m.rows, 2);
    assert.deepEqual(Array.from(readMatrixArg('-', '--p', { stdin: () => Buffer.from('[0.25,0.75]\n') }).data), [0.25, 0.75]);
    assert.deepEqual(Array.from(readMatrixArg('-', '--p', { stdin: () => Buffer.from('0.25,0.75\n0.5,0.5\n') }).data), [0.25, 0.75, 0.5, 0.5]);
    const npy = Buffer.from(encodeNpy(new Float64Array([0.5, 0.5]), [1, 2]));
    assert.deepEqual(Array.from(readMatrixArg('-', '--p', { stdin: () => npy }).data), [0.5, 0.5]);
    assert.throws(() => readMatrixArg('-', '--p', { stdin: () => Buffer.alloc(0) }), /invalid --p \(stdin\): stdin is empty/);
    assert.throws(() => readMatrixArg('[0.5,', '--p'), /invalid --p \(inline JSON\): malformed JSON/);
  });
  test('float16 .npy is widened, as compare does', () => {
    const file = path.join(dir, 'h.npy');
    writeFileSync(file, encodeNpy(f16([0.5, 0.25, 0.25]), [1, 3]));
    const m = readMatrixArg(file, '--p');
    assert.deepEqual(Array.from(m.data), [0.5, 0.25, 0.25]);
    const r = runCli(['kl', '--p', file, '--q', '[0.25,0.5,0.25]', '--json']);
    assert.equal(r.code, 0, r.stderr);
    // KL(P‖Q) = 0.5 ln 2 − 0.25 ln 2 = 0.25 ln 2
    assert.ok(Math.abs(JSON.parse(r.stdout).mean.forward - 0.25 * Math.LN2) < 1e-15);
  });
  test('the CLI: --p - reads stdin; both from stdin is a usage error', () => {
    const r = runCli(['kl', '--p', '-', '--q', '0.4,0.4,0.2', '--json'], { input: '[0.5, 0.3, 0.2]\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Math.abs(JSON.parse(r.stdout).mean.forward - 0.025267153921570557) < 1e-15);
    const both = runCli(['kl', '--p', '-', '--q', '-'], { input: '[0.5,0.5]' });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /both read stdin/);
  });
});

describe('errors name the path; ranges echo as written', () => {
  test('a missing file: the role and the path, in words', () => {
    for (const [args, want] of [
      [['compare', path.join(dir, 'nope.kld'), path.join(dir, 'nope2.kld')], /base \(.*nope\.kld\).*(no such file|does not exist).*\(ENOENT\)/],
      [['compare', path.join(dir, 'nope.npy'), path.join(dir, 'b.npy')], /base \(.*nope\.npy\).*(no such file|does not exist)/],
      [['kl', '--p', path.join(dir, 'nope.npy'), '--q', '1'], /invalid --p \(.*nope\.npy\).*(no such file|does not exist)/],
    ] as const) {
      const r = runCli([...args]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, want);
    }
  });
  test('--rows 300: echoes "300:", never 9007199254740991', () => {
    assert.equal(formatRowRange(parseRowRange('300:')), '300:');
    assert.equal(formatRowRange(parseRowRange(':50')), '0:50');
    const a = path.join(dir, 'a.npy');
    writeFileSync(a, encodeNpy(new Float32Array(40), [4, 10]));
    const r = runCli(['compare', a, a, '--rows', '300:']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--rows: expected a range that is not empty in the inputs' 4 rows, got "300:"/);
    assert.doesNotMatch(r.stderr, /9007199254740991/);
  });
  test('--per-token - streams the CSV to stdout and the table to stderr', () => {
    const a = path.join(dir, 'pa.npy');
    const b = path.join(dir, 'pb.npy');
    writeFileSync(a, encodeNpy(Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)), [3, 10]));
    writeFileSync(b, encodeNpy(Float32Array.from({ length: 30 }, (_, i) => Math.cos(i)), [3, 10]));
    const r = runCli(['compare', a, b, '--per-token', '-']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^row,position,token,kl_base_candidate,kl_candidate_base/);
    assert.match(r.stderr, /KL\(base‖candidate\)/);
    const j = runCli(['compare', a, b, '--per-token', '-', '--json']);
    assert.equal(j.code, 2);
    assert.equal(j.stdout, '');
  });
});

describe('library functions check their argument types', () => {
  test('readNpy(buffer) says what it got and what to call instead, without dumping the bytes', () => {
    const big = Buffer.alloc(1 << 20, 0x41);
    assert.throws(() => readNpy(big as unknown as string), (e: Error) => e instanceof ArgumentError && e.message.length < 200 && /readNpy\(path: string, name\?: string\): .*got a Buffer of 1048576 bytes; for bytes in memory use parseNpy/.test(e.message));
    assert.throws(() => parseNpy('x.npy' as unknown as Uint8Array, 'x'), /parseNpy\(bytes: Uint8Array, name: string\): .*got the string "x\.npy"; to read a file use readNpy/);
    assert.throws(() => parseNpyHeader(42 as unknown as Uint8Array, 'x'), /got number 42/);
    assert.throws(() => openNpyRows(big as unknown as string), /openNpyRows\(path: string/);
    assert.throws(() => readTokenIds(undefined as unknown as string), /readTokenIds\(path: string, name\?: string\): .*got undefined/);
    assert.throws(() => new KldFile(big as unknown as string), /new KldFile\(path: string/);
    assert.throws(() => readMatrixArg([0.5, 0.5] as unknown as string, '--p'), /got an array of 2 items/);
    assert.equal(describeValue('x'.repeat(1000)), 'a string of 1000 characters');
  });
});
