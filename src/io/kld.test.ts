import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataError } from '../errors.js';
import { KldFile, KldWriter, encodeKldRow, kldLayout, parseKldHeader } from './kld.js';

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
      assert.throws(() => new KldWriter(path.join(dir, 'y.kld'), { nCtx, nVocab: V, nChunk, tokens: [1, 2] }), /expected 20 tokens/);
    });

    test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
  });
});
