import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeSafetensors, openSafetensorsRows, parseSafetensorsHeader } from './safetensors.js';
import { openNpyRows } from './npyRows.js';
import { encodeNpy } from './npy.js';
import { readTokenIds } from './tokens.js';

describe('streaming row readers', () => {
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

  test('npy rows: float32 and float16 widened, truncation reported with sizes', () => {
    writeFileSync(path.join(dir, 'x.npy'), encodeNpy(data, [3, 4]));
    const f = openNpyRows(path.join(dir, 'x.npy'));
    const out = new Float32Array(4);
    f.read(1, 1, out);
    assert.deepEqual([...out], [-1.5, -0.5, 0.5, 1.5]);
    f.close();
    // float16: 1.0 = 0x3c00, −2.0 = 0xc000
    writeFileSync(path.join(dir, 'h.npy'), encodeNpy(new Uint16Array([0x3c00, 0xc000]), [1, 2]));
    const g = openNpyRows(path.join(dir, 'h.npy'));
    const o2 = new Float32Array(2);
    g.read(0, 1, o2);
    assert.deepEqual([...o2], [1, -2]);
    g.close();
    const full = encodeNpy(data, [3, 4]);
    writeFileSync(path.join(dir, 't.npy'), full.subarray(0, full.length - 4));
    assert.throws(() => openNpyRows(path.join(dir, 't.npy')), new RegExp(`needs ${full.length} bytes, the file has ${full.length - 4}`));
  });

  test('token ids from .json, text and .npy; bad ids are named', () => {
    writeFileSync(path.join(dir, 'a.json'), '{"tokens": [1, 2, 3]}');
    writeFileSync(path.join(dir, 'a.txt'), '4 5,6\n7');
    writeFileSync(path.join(dir, 'a.npy'), encodeNpy(Int32Array.from([9, 8]), [2]));
    assert.deepEqual([...readTokenIds(path.join(dir, 'a.json'))], [1, 2, 3]);
    assert.deepEqual([...readTokenIds(path.join(dir, 'a.txt'))], [4, 5, 6, 7]);
    assert.deepEqual([...readTokenIds(path.join(dir, 'a.npy'))], [9, 8]);
    writeFileSync(path.join(dir, 'b.json'), '[1, -2]');
    assert.throws(() => readTokenIds(path.join(dir, 'b.json')), /token 1 is -2, expected an integer >= 0/);
  });

  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
