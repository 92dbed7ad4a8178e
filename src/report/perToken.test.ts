import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { createRowBlock } from '../compare/rowStats.js';
import { tempName } from '../io/output.js';
import { createPerTokenWriter } from './perToken.js';

function block(n: number, row0: number) {
  const b = createRowBlock(n, row0);
  for (let i = 0; i < n; i++) {
    b.forward[i] = 0.01 * (row0 + i);
    b.reverse[i] = 0.02 * (row0 + i);
    b.js[i] = 0.001;
    b.tvd[i] = 0.05;
    b.argmaxBase[i] = 3;
    b.argmaxCand[i] = i % 2 ? 3 : 4;
    b.target[i] = 7 + i;
    b.position[i] = 100 + row0 + i;
    b.logpTarget[i] = Math.log(0.5);
    b.logqTarget[i] = Math.log(0.25);
  }
  return b;
}

describe('per-token writers', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-pt-'));

  test('CSV: one line per token, directions in the column names, Δp = p_candidate − p_base', async () => {
    const w = createPerTokenWriter(path.join(dir, 't.csv'));
    w.write(block(3, 0));
    w.write(block(2, 3));
    assert.ok(!existsSync(path.join(dir, 't.csv')), 'renamed into place only on close');
    await w.close();
    const lines = readFileSync(path.join(dir, 't.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], 'row,position,token,kl_base_candidate,kl_candidate_base,js,tvd,p_base,p_candidate,delta_p,top_base,top_candidate,same_top');
    assert.equal(lines.length, 6);
    const c = lines[4]!.split(',');
    assert.equal(c[0], '3');
    assert.equal(Number(c[3]), 0.03);
    assert.equal(Number(c[4]), 0.06);
    assert.ok(Math.abs(Number(c[9]) - (0.25 - 0.5)) < 1e-15);
    assert.equal(c[12], '0'); // 3 vs 4 at i = 0
  });

  test('Parquet reads back with the same values', async () => {
    const w = createPerTokenWriter(path.join(dir, 't.parquet'));
    await w.write(block(4, 0));
    await w.close();
    const buf = readFileSync(path.join(dir, 't.parquet'));
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    const rows = (await parquetReadObjects({ file })) as Array<Record<string, unknown>>;
    assert.equal(rows.length, 4);
    assert.equal(rows[2]!.kl_base_candidate, 0.02);
    assert.equal(rows[2]!.kl_candidate_base, 0.04);
    assert.equal(rows[1]!.same_top, true);
    assert.equal(rows[3]!.token, 10);
  });

  test('Parquet larger than the writer buffer (two row groups, > 1 MiB) streams through the temporary file', async () => {
    const f = path.join(dir, 'big.parquet');
    const w = createPerTokenWriter(f);
    for (let r0 = 0; r0 < 70000; r0 += 10000) await w.write(block(10000, r0));
    assert.ok(!existsSync(f), 'renamed into place only on close');
    assert.ok(statSync(tempName(f)).size > 1 << 20, 'the first row group is already in the temporary file');
    await w.close();
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
    const buf = readFileSync(f);
    assert.ok(buf.length > 1 << 20, `${buf.length} bytes`);
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    const rows = (await parquetReadObjects({ file })) as Array<Record<string, unknown>>;
    assert.equal(rows.length, 70000);
    assert.equal(rows[69999]!.row, 69999);
    assert.equal(rows[65536]!.kl_base_candidate, 0.01 * 65536);
  });

  test('abort leaves nothing; other extensions are refused', () => {
    const w = createPerTokenWriter(path.join(dir, 'u.csv'));
    w.write(block(2, 0));
    w.abort();
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('u.csv')),
      [],
    );
    assert.throws(() => createPerTokenWriter(path.join(dir, 'x.txt')), /expected a file ending in \.csv or \.parquet/);
  });

  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
