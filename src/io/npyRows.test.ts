import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openNpyRows, rowsCols } from './npyRows.js';
import { encodeNpy } from './npy.js';

describe('openNpyRows', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-npyrows-'));
  const data = Float32Array.from({ length: 12 }, (_, i) => i - 5.5);

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

  test('shapes: [T, V] and [1, T, V] only', () => {
    assert.deepEqual(rowsCols([1, 4, 3], 'x'), { rows: 4, cols: 3 });
    assert.throws(() => rowsCols([2, 4, 3], 'x'), /expected logits of shape \[T, V\] \(or \[1, T, V\]\), got \[2, 4, 3\]/);
  });

  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});
