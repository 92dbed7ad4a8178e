import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArgumentError } from '../errors.js';
import { OutputGroup, tempName } from './output.js';

const dir = mkdtempSync(path.join(tmpdir(), 'klscope-output-'));
const temps = () => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

describe('OutputGroup streams', () => {
  test('a streamed output appears with the group\'s commit, whole, beside the group\'s other outputs', () => {
    const a = path.join(dir, 'a.bin');
    const b = path.join(dir, 'b.txt');
    const out = new OutputGroup();
    const s = out.open(a);
    assert.equal(out.open(a), s, 'one stream per target');
    out.write(b, 'other');
    s.write(Uint8Array.of(1, 2, 3));
    s.write('héllo'); // UTF-8: 6 bytes
    assert.equal(s.size, 9);
    assert.equal(readFileSync(tempName(a)).length, 9, 'the bytes are at the temporary name');
    assert.ok(!existsSync(a) && !existsSync(b));
    out.commit();
    assert.deepEqual([...readFileSync(a)], [1, 2, 3, ...Buffer.from('héllo')]);
    assert.equal(readFileSync(b, 'utf8'), 'other');
    assert.deepEqual(temps(), []);
    assert.throws(() => s.write('late'), (e: unknown) => e instanceof ArgumentError && /an open output \(it was closed\)/.test(e.message));
  });

  test('abort (or a failing run) closes the stream and removes every temporary file', async () => {
    const a = path.join(dir, 'c.bin');
    const out = new OutputGroup();
    out.open(a).write('partial');
    out.abort();
    assert.ok(!existsSync(a));
    assert.deepEqual(temps(), []);
    await assert.rejects(
      new OutputGroup().run((g) => {
        g.open(a).write('partial');
        g.write(path.join(dir, 'd.txt'), 'x');
        throw new Error('midway');
      }),
      /midway/,
    );
    assert.deepEqual(readdirSync(dir).filter((n) => /^[cd]\.|^\.[cd]\./.test(n)), []);
  });

  test('a bad place is refused when the stream is opened, naming the path', () => {
    assert.throws(() => new OutputGroup().open(path.join(dir, 'none', 'x.bin')), (e: unknown) => e instanceof ArgumentError && /cannot write .*x\.bin.*the folder does not exist \(ENOENT\)/.test(e.message));
    assert.throws(() => new OutputGroup().open(dir), (e: unknown) => e instanceof ArgumentError && /a file name, not a folder/.test(e.message));
  });
});
