import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArgumentError } from '../errors.js';
import { OutputGroup, WriterOutput, tempName } from './output.js';

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

  test("a writer's output: its own group commits at finish, the run's waits; a failing last step aborts both", () => {
    const own = path.join(dir, 'own.bin');
    const w = new WriterOutput(own);
    w.stream.write('abc');
    assert.ok(!existsSync(own));
    w.finish();
    assert.equal(readFileSync(own, 'utf8'), 'abc');
    w.abort(); // after finish: nothing to undo
    assert.equal(readFileSync(own, 'utf8'), 'abc');
    const run = new OutputGroup();
    const e = path.join(dir, 'e.bin');
    const f = path.join(dir, 'f.txt');
    run.write(f, 'other');
    const v = new WriterOutput(e, run);
    v.stream.write('x');
    v.finish(() => v.stream.write('y'));
    assert.ok(!existsSync(e), "waits for the run's commit");
    run.commit();
    assert.equal(readFileSync(e, 'utf8'), 'xy');
    const g = path.join(dir, 'g.bin');
    const h = path.join(dir, 'h.txt');
    const run2 = new OutputGroup();
    run2.write(h, 'other');
    const u = new WriterOutput(g, run2);
    u.stream.write('partial');
    assert.throws(() => u.finish(() => { throw new Error('rows missing'); }), /rows missing/);
    assert.ok(!existsSync(g) && !existsSync(h));
    assert.deepEqual(temps(), []);
  });
});
