import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../errors.js';
import { KlrefFile, KlrefWriter, decodeKlrefRow, float32Down, float32Up, klrefRowBytes, storedLogpError, type KlrefRow } from './klref.js';
import { OutputGroup, tempName } from './output.js';
import { killMidWrite } from '../testing/signals.js';

const dir = mkdtempSync(path.join(tmpdir(), 'klscope-klref-'));

function row(k: number, seed: number): KlrefRow {
  const logp = Float64Array.from({ length: k }, (_, i) => -0.3 - i * 0.7 - seed * 1e-3);
  return { logTail: -2.5 - seed * 1e-9, logTailAll: -2.5 - seed * 1e-9, floor: -31.123456789, logpTarget: -1.0000001, nWindow: k, logp, ids: Int32Array.from({ length: k }, (_, i) => (seed * 7 + i * 13) % 70000) };
}

function writeSample(file: string, o: { rows?: number; rowsPerBlock?: number; k?: number } = {}): KlrefRow[] {
  const nCtx = 10;
  const nChunk = o.rows === undefined ? 3 : o.rows;
  const k = o.k ?? 4;
  const w = new KlrefWriter(file, {
    nVocab: 70000,
    topK: k,
    view: 'logits',
    chunking: { nCtx, nChunk, first: 5, score: 'second-half' },
    tokens: Array.from({ length: nCtx * nChunk }, (_, i) => (i * 31) % 70000),
    source: { kind: 'test' },
    rowsPerBlock: o.rowsPerBlock ?? 3,
  });
  const rows: KlrefRow[] = [];
  for (let r = 0; r < w.totalRows; r++) {
    const x = row(k, r);
    w.writeRow(x);
    rows.push(x);
  }
  w.close();
  return rows;
}

/** The DataError message of opening and reading every block of a file. */
function refusal(file: string): string {
  try {
    const f = new KlrefFile(file, 'x.klref');
    try {
      for (const _ of f.blocks(0, f.rows));
    } finally {
      f.close();
    }
  } catch (e) {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.equal(e.message.split('\n').length, 1);
    return e.message;
  }
  return '';
}

describe('.klref format', () => {
  const file = path.join(dir, 'a.klref');
  const written = writeSample(file);

  test('round trip: header, tokens, rows (values as stored: float32 top-k, float64 tail)', () => {
    const f = new KlrefFile(file);
    assert.equal(f.rows, 12);
    assert.equal(f.header.topK, 4);
    assert.equal(f.header.idBytes, 3);
    assert.equal(f.header.tokenizer.fingerprint, 'unknown');
    assert.equal(f.rowBytes, klrefRowBytes(f.header));
    assert.equal(f.tokens[7], 217);
    assert.equal(f.targetOf(0), f.tokens[6]);
    assert.equal(f.positionOf(5), 7);
    const out: KlrefRow = { logTail: 0, logTailAll: 0, floor: 0, logpTarget: 0, nWindow: 0, logp: new Float64Array(4), ids: new Int32Array(4) };
    let r = 0;
    for (const b of f.blocks(0, f.rows)) {
      for (let i = 0; i < b.count; i++, r++) {
        decodeKlrefRow(f.header, b.data, i, out);
        const w = written[r]!;
        assert.equal(out.logTail, w.logTail); // float64 kept exactly
        assert.deepEqual(Array.from(out.ids), Array.from(w.ids));
        for (let j = 0; j < 4; j++) assert.equal(out.logp[j], Math.fround(w.logp[j]!));
        assert.ok(out.floor <= -31.123456789 && out.floor > -31.1235);
      }
    }
    assert.equal(r, 12);
    f.close();
  });

  test('size: 16 + 7k bytes a row at n_vocab 128,256 (float32 values, 3-byte ids)', () => {
    assert.equal(klrefRowBytes({ topK: 64, idBytes: 3, view: 'logits' }), 464);
    assert.equal(klrefRowBytes({ topK: 64, idBytes: 3, view: 'kld-window' }), 480);
  });

  test('stored-value rounding: floor rounded down, errors cover float32 rounding', () => {
    for (const x of [-1e-30, -0.1, -1, -17.25, -123.456789, -1e-44]) {
      assert.ok(float32Down(x) <= x && float32Up(x) >= x);
      assert.ok(Math.abs(Math.fround(x) - x) <= storedLogpError(Math.fround(x)));
    }
  });

  test('damaged files are refused with the offset of the bad block', () => {
    const good = readFileSync(file);
    const hl = good.readUInt32LE(12);
    const firstBlock = 20 + hl; // the token block
    const rowsBlock = firstBlock + 16 + 30 * 4;
    const cases: Array<[string, Buffer, RegExp]> = [
      ['wrong magic', Buffer.concat([Buffer.from('_logits_'), good.subarray(8)]), /not a klscope reference \(bytes 0-7 are 5f6c6f676974735f, expected the magic 894b4c5245460d0a\)/],
      ['wrong version', (() => { const b = Buffer.from(good); b.writeUInt32LE(2, 8); return b; })(), /unsupported \.klref version 2 at offset 8 \(this klscope reads version 1\)/],
      ['flipped header byte', (() => { const b = Buffer.from(good); b[20] ^= 1; return b; })(), /checksum mismatch in the header block at offset 0/],
      ['flipped token byte', (() => { const b = Buffer.from(good); b[firstBlock + 20] ^= 0x10; return b; })(), new RegExp(`checksum mismatch in the block at offset ${firstBlock} `)],
      ['flipped row byte', (() => { const b = Buffer.from(good); b[rowsBlock + 40] ^= 0x80; return b; })(), new RegExp(`checksum mismatch in the block at offset ${rowsBlock} `)],
      ['truncated in a row block', good.subarray(0, rowsBlock + 50), new RegExp(`truncated \\.klref file: the block at offset ${rowsBlock} needs`)],
      ['truncated before the end block', good.subarray(0, good.length - 24), /truncated \.klref file: it ends at offset \d+ after 30 of 30 tokens and 12 of 12 rows \(no end block\)/],
      ['truncated header', good.subarray(0, 10), /truncated \.klref file: 10 bytes/],
      ['bytes after the end', Buffer.concat([good, Buffer.from([0])]), /1 unexpected bytes after the end block/],
    ];
    for (const [what, bytes, re] of cases) {
      const f = path.join(dir, 'bad.klref');
      writeFileSync(f, bytes);
      const msg = refusal(f);
      assert.match(msg, re, what);
      assert.match(msg, /^x\.klref: /, what);
    }
  });

  test('the writer leaves nothing behind when rows are missing or it is aborted', () => {
    const f = path.join(dir, 'short.klref');
    const w = new KlrefWriter(f, { nVocab: 10, topK: 2, view: 'logits', chunking: { nCtx: 4, nChunk: 1, first: 0, score: 'all' }, tokens: [1, 2, 3, 4], source: {} });
    w.writeRow({ logTail: -1, logTailAll: -1, floor: -5, logpTarget: NaN, nWindow: 2, logp: Float64Array.of(-0.5, -1), ids: Int32Array.of(1, 2) });
    assert.ok(existsSync(tempName(f)), 'the rows go to the output group\'s temporary file');
    assert.throws(() => w.close(), /1 rows written, the chunking promises 3/);
    assert.ok(!existsSync(f));
    assert.deepEqual(temps(), []);
    assert.throws(() => new KlrefWriter(f, { nVocab: 10, topK: 11, view: 'logits', chunking: { nCtx: 4, nChunk: 1, first: 0, score: 'all' }, tokens: [1, 2, 3, 4], source: {} }), /top-k 11 must be an integer in \[1, n_vocab = 10\]/);
    // a bad token id while the token list is written: the reserved file is removed again
    assert.throws(() => new KlrefWriter(f, { nVocab: 10, topK: 2, view: 'logits', chunking: { nCtx: 4, nChunk: 1, first: 0, score: 'all' }, tokens: [1, 2, 30, 4], source: {} }), /token 2 is 30, outside the vocabulary of 10/);
    assert.ok(!existsSync(f));
    assert.deepEqual(temps(), []);
  });

  test('in the run\'s output group the file appears with the group\'s commit, and a failure midway leaves nothing', async () => {
    const f = path.join(dir, 'grouped.klref');
    const other = path.join(dir, 'grouped.json');
    const opts = { nVocab: 10, topK: 2, view: 'logits' as const, chunking: { nCtx: 4, nChunk: 2, first: 0, score: 'all' as const }, tokens: [1, 2, 3, 4, 5, 6, 7, 8], source: {}, rowsPerBlock: 2 };
    const good = () => ({ logTail: -1, logTailAll: -1, floor: -5, logpTarget: NaN, nWindow: 2, logp: Float64Array.of(-0.5, -1), ids: Int32Array.of(1, 2) });
    // success: closed, but not at the path before the group commits
    const out = new OutputGroup();
    const w = new KlrefWriter(f, { ...opts, out });
    out.write(other, '{}');
    for (let r = 0; r < w.totalRows; r++) w.writeRow(good());
    w.close();
    assert.ok(!existsSync(f) && !existsSync(other));
    out.commit();
    assert.equal(statSync(f).size, w.size);
    assert.equal(new KlrefFile(f).rows, 6);
    assert.deepEqual(temps(), []);
    // a bad row midway (after a block was flushed): the writer fails, the group's run aborts
    const g = path.join(dir, 'bad-row.klref');
    const g2 = path.join(dir, 'bad-row.json');
    let streamed = 0;
    await assert.rejects(
      new OutputGroup().run((o) => {
        o.write(g2, '{}');
        const v = new KlrefWriter(g, { ...opts, out: o });
        for (let r = 0; r < v.totalRows; r++) {
          if (r === 4) streamed = statSync(tempName(g)).size;
          v.writeRow(r === 4 ? { ...good(), logp: Float64Array.of(-0.5) } : good());
        }
        v.close();
      }),
      /row 4 has 1 values, top-k is 2/,
    );
    assert.ok(streamed > 2 * (16 + 2 * klrefRowBytes({ topK: 2, idBytes: 3, view: 'logits' })), `two row blocks were streamed before the bad row (${streamed} bytes)`);
    assert.ok(!existsSync(g) && !existsSync(g2));
    assert.deepEqual(temps(), []);
  });

  test('SIGTERM and SIGINT mid-write (a child process) leave neither the file nor a temporary one', async () => {
    const klref = path.join(path.dirname(fileURLToPath(import.meta.url)), 'klref.js');
    await killMidWrite(
      (target) => `import { KlrefWriter } from ${JSON.stringify(klref)};
        const w = new KlrefWriter(${JSON.stringify(target)}, { nVocab: 1000, topK: 8, view: 'logits', chunking: { nCtx: 64, nChunk: 4, first: 0, score: 'all' },
          tokens: Array.from({ length: 256 }, (_, i) => i), source: {}, rowsPerBlock: 16 });
        const row = () => ({ logTail: -1, logTailAll: -1, floor: -20, logpTarget: NaN, nWindow: 8, logp: Float64Array.from({ length: 8 }, (_, i) => -1 - i), ids: Int32Array.from({ length: 8 }, (_, i) => i) });
        for (let r = 0; r < 100; r++) w.writeRow(row());`,
      (signal) => path.join(dir, `sig-${signal}.klref`),
      100 * klrefRowBytes({ topK: 8, idBytes: 3, view: 'logits' }) * 0.9,
    );
  });
});

/** Temporary files of any writer in the test folder. */
function temps(): string[] {
  return readdirSync(dir).filter((n) => /\.tmp/.test(n));
}
