import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeSafetensors, openSafetensorsRows, parseSafetensorsHeader } from './safetensors.js';

describe('safetensors', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-st-'));
  const data = Float32Array.from({ length: 12 }, (_, i) => i - 5.5);

  test('safetensors: header layout, named tensor, rows on demand, F64 and [1, T, V]', () => {
    const bytes = encodeSafetensors({ a: { data, shape: [3, 4] }, b: { data: new Float64Array(data), shape: [1, 4, 3] } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0);
    const h = parseSafetensorsHeader(bytes, 'x', bytes.length);
    assert.deepEqual(h.tensors.a!.data_offsets, [0, 48]);
    assert.deepEqual(h.tensors.b!.shape, [1, 4, 3]);
    writeFileSync(path.join(dir, 'x.safetensors'), bytes);
    const f = openSafetensorsRows(path.join(dir, 'x.safetensors'), { tensor: 'b' });
    assert.deepEqual([f.rows, f.cols, f.dtype], [4, 3, 'f64']);
    const out = new Float64Array(6);
    f.read(2, 2, out);
    assert.deepEqual([...out], [...data.subarray(6, 12)]);
    f.close();
    assert.throws(() => openSafetensorsRows(path.join(dir, 'x.safetensors'), { tensor: 'c' }), /no tensor named "c" \(it has "a", "b"\)/);
    writeFileSync(path.join(dir, 'cut.safetensors'), bytes.subarray(0, bytes.length - 8));
    assert.throws(() => openSafetensorsRows(path.join(dir, 'cut.safetensors'), { tensor: 'b' }), /truncated safetensors file: tensor "b" ends at offset \d+, the file has \d+ bytes/);
  });

  test('bfloat16 tensors widen to float32 (the top half of the bits)', () => {
    const header = JSON.stringify({ x: { dtype: 'BF16', shape: [1, 2], data_offsets: [0, 4] } });
    const hb = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + hb.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(hb.length), true);
    bytes.set(hb, 8);
    // 1.0 = 0x3f80, −2.0 = 0xc000
    new DataView(bytes.buffer).setUint16(8 + hb.length, 0x3f80, true);
    new DataView(bytes.buffer).setUint16(8 + hb.length + 2, 0xc000, true);
    writeFileSync(path.join(dir, 'bf.safetensors'), bytes);
    const f = openSafetensorsRows(path.join(dir, 'bf.safetensors'));
    const out = new Float32Array(2);
    f.read(0, 1, out);
    assert.deepEqual([...out], [1, -2]);
    f.close();
  });

  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
