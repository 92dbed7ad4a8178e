import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../errors.js';
import { KldFile, KldWriter, encodeKldRow, kldLayout, parseKldHeader } from './kld.js';
import { OutputGroup, tempName } from './output.js';
import { killMidWrite } from '../testing/signals.js';

describe('llama.cpp .kld layout', () => {
  test('row size pads an odd vocabulary to an even count plus 4 (scale, min)', () => {
    // nv = 2·ceil(n_vocab/2) + 4 uint16 values per row
    assert.equal(kldLayout(512, 32000, 1).nv, 32004);
    assert.equal(kldLayout(512, 1001, 1).nv, 1006);
    assert.equal(kldLayout(512, 1001, 1).rowBytes, 2012);
    // scored rows: the second half of each chunk, minus the last position
    assert.equal(kldLayout(512, 10, 3).rowsPerChunk, 255);
    assert.equal(kldLayout(7, 10, 3).rowsPerChunk, 3);
    const h = kldLayout(512, 128256, 2);
    assert.equal(h.expectedSize, 20 + 4 * 512 * 2 + 2 * 255 * (128256 + 4) * 2);
  });

  test('encodeKldRow follows the writer: 16-nat window, codes over [min, max], floor code 0, pad 0', () => {
    const out = new Uint16Array(kldLayout(8, 3, 1).nv);
    out.fill(7);
    encodeKldRow(new Float32Array([2, 0, -20]), out);
    const f = new Float32Array(out.buffer, 0, 2);
    // window [max − 16, max] = [−14, 2]; scale = 16/65535 (float32)
    assert.equal(f[0], Math.fround(16 / 65535));
    const lse = Math.log(1 + Math.exp(-2) + Math.exp(-22));
    assert.ok(Math.abs(f[1]! - (-16 - lse)) < 1e-6);
    assert.equal(out[4], 65535); // the max
    assert.equal(out[5], Math.round((14 / 16) * 65535)); // 57343.125 → 57343
    assert.equal(out[6], 0); // below the window
    assert.equal(out[7], 0); // pad of the odd vocabulary
  });

  test('a flat row has scale 0 and all-zero codes; log p = min_log_prob = −ln V', () => {
    const out = new Uint16Array(kldLayout(8, 5, 1).nv);
    encodeKldRow(new Float32Array(5).fill(3), out);
    const f = new Float32Array(out.buffer, 0, 2);
    assert.equal(f[0], 0);
    assert.ok(Math.abs(f[1]! + Math.log(5)) < 1e-6);
    assert.deepEqual([...out.subarray(4)], [0, 0, 0, 0, 0, 0]);
  });

  describe('files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'klscope-kld-'));
    const file = path.join(dir, 'x.kld');
    const nCtx = 10;
    const V = 7;
    const nChunk = 2;
    const tokens = Array.from({ length: nCtx * nChunk }, (_, i) => (i * 3) % V);
    const rows: Float32Array[] = [];

    test('KldWriter writes the header, the tokens and the rows byte for byte', () => {
      const w = new KldWriter(file, { nCtx, nVocab: V, nChunk, tokens });
      for (let r = 0; r < w.header.rows; r++) {
        const l = Float32Array.from({ length: V }, (_, i) => Math.sin(r + i) * 10);
        rows.push(l);
        w.writeLogits(l);
      }
      w.close();
      const b = readFileSync(file);
      assert.equal(b.subarray(0, 8).toString('latin1'), '_logits_');
      assert.equal(b.readInt32LE(8), nCtx);
      assert.equal(b.readInt32LE(12), V);
      assert.equal(b.readInt32LE(16), nChunk);
      for (let i = 0; i < tokens.length; i++) assert.equal(b.readInt32LE(20 + 4 * i), tokens[i]);
      assert.equal(b.length, 20 + 4 * nCtx * nChunk + nChunk * 4 * (V + 1 + 4) * 2);
      // row 5 decodes to its log-softmax within half a quantization step, inside the window
      const off = 20 + 4 * nCtx * nChunk + 5 * (V + 1 + 4) * 2;
      const scale = b.readFloatLE(off);
      const min = b.readFloatLE(off + 4);
      const l = rows[5]!;
      const m = Math.max(...l);
      const lse = m + Math.log(l.reduce((s, v) => s + Math.exp(v - m), 0));
      for (let i = 0; i < V; i++) {
        const lp = min + scale * b.readUint16LE(off + 8 + 2 * i);
        if (l[i]! - m > -16) assert.ok(Math.abs(lp - (l[i]! - lse)) <= scale / 2 + 1e-5, `token ${i}`);
      }
    });

    test('KldFile reads the header, maps rows to target tokens and positions', () => {
      const f = new KldFile(file);
      assert.equal(f.header.rows, 8);
      // row r of chunk c predicts tokens[c·n_ctx + n_ctx/2 + r + 1]
      assert.equal(f.targetOf(0), tokens[6]);
      assert.equal(f.targetOf(5), tokens[10 + 5 + 1 + 1]);
      assert.equal(f.positionOf(5), 5 + 1 + 1);
      const raw = new Uint8Array(2 * f.header.rowBytes);
      f.readRaw(3, 2, raw);
      assert.deepEqual(Buffer.from(raw), readFileSync(file).subarray(f.header.dataOffset + 3 * f.header.rowBytes, f.header.dataOffset + 5 * f.header.rowBytes));
      f.close();
    });

    test('truncated files, extra bytes and a wrong magic are refused with offsets and sizes', () => {
      const b = readFileSync(file);
      const size = b.length;
      assert.throws(() => parseKldHeader(b.subarray(0, 20), 'x.kld', size - 3), (e: Error) => e instanceof DataError && e.message.includes(`need ${size} bytes`) && e.message.includes(`the file has ${size - 3}`));
      assert.throws(() => parseKldHeader(b.subarray(0, 20), 'x.kld', size + 2), /2 unexpected bytes after the last row/);
      assert.throws(() => parseKldHeader(b.subarray(0, 12), 'x.kld', 12), /the header alone needs 20/);
      const bad = Buffer.from(b);
      bad.write('GGUF', 0, 'latin1');
      writeFileSync(path.join(dir, 'bad.kld'), bad);
      assert.throws(() => new KldFile(path.join(dir, 'bad.kld')), /expected the magic "_logits_"/);
      // opened under a role, a damaged file is named by the role and its path
      const cut = path.join(dir, 'cut.kld');
      writeFileSync(cut, b.subarray(0, size - 5));
      assert.throws(() => new KldFile(cut, 'candidate'), (e: Error) => e instanceof DataError && e.message.startsWith(`candidate (${cut}): truncated llama.cpp KL-divergence file`));
      assert.throws(() => new KldWriter(path.join(dir, 'y.kld'), { nCtx, nVocab: V, nChunk, tokens: [1, 2] }), /expected 20 tokens/);
    });

    test("in the run's group the file appears only at the group's commit; missing rows or an abort leave nothing", async () => {
      const temps = () => readdirSync(dir).filter((n) => n.endsWith('.tmp'));
      const row = Float32Array.from({ length: V }, (_, i) => i);
      const f = path.join(dir, 'group.kld');
      const other = path.join(dir, 'group.json');
      const out = new OutputGroup();
      const w = new KldWriter(f, { nCtx, nVocab: V, nChunk, tokens, out });
      out.write(other, '{}');
      for (let r = 0; r < w.header.rows; r++) w.writeLogits(row);
      w.close();
      assert.ok(!existsSync(f) && !existsSync(other), 'nothing before the commit');
      out.commit();
      assert.equal(statSync(f).size, w.header.expectedSize);
      assert.equal(new KldFile(f).header.rows, 8);
      // a writer of its own group: close refuses missing rows and removes its temporary file
      const g = path.join(dir, 'short.kld');
      const v = new KldWriter(g, { nCtx, nVocab: V, nChunk, tokens });
      v.writeLogits(row);
      assert.equal(statSync(tempName(g)).size, 20 + 4 * tokens.length, 'header and tokens are streamed at once');
      assert.throws(() => v.close(), /1 rows written, the header promises 8/);
      assert.ok(!existsSync(g));
      // a run that fails after the file started: the group's run removes it and the other output
      const h = path.join(dir, 'failed.kld');
      const h2 = path.join(dir, 'failed.html');
      await assert.rejects(
        new OutputGroup().run((o) => {
          o.reserve(h2);
          const u = new KldWriter(h, { nCtx, nVocab: V, nChunk, tokens, out: o });
          for (let r = 0; r < 3; r++) u.writeLogits(row);
          u.writeLogits(new Float32Array(V + 1));
        }),
        /row 3 has 8 logits, n_vocab is 7/,
      );
      assert.ok(!existsSync(h) && !existsSync(h2));
      assert.deepEqual(temps(), []);
    });

    test('SIGTERM and SIGINT mid-write (a child process) leave neither the file nor a temporary one', async () => {
      const kld = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kld.js');
      // 3000 rows of 2008 bytes: one 4 MiB flush reaches the temporary file, the rest waits
      await killMidWrite(
        (target) => `import { KldWriter } from ${JSON.stringify(kld)};
          const w = new KldWriter(${JSON.stringify(target)}, { nCtx: 512, nVocab: 1000, nChunk: 20, tokens: new Int32Array(512 * 20) });
          const row = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
          for (let r = 0; r < 3000; r++) w.writeLogits(row);`,
        (signal) => path.join(dir, `sig-${signal}.kld`),
        20 + 4 * 512 * 20 + 2000 * 2008,
      );
    });

    test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
  });
});
