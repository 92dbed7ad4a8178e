import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeNpy, parseNpy, parseNpyHeader } from './npy.js';
import { numberToHalf, halfToNumber } from './float16.js';
import { DataError } from '../errors.js';

/** A .npy header written by hand the way numpy writes it (version 1.0, 64-byte aligned). */
function handNpy(descr: string, shape: string, body: Uint8Array): Uint8Array {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = Math.ceil((10 + h.length + 1) / 64) * 64;
  h = h.padEnd(total - 11, ' ') + '\n';
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  out[8] = h.length & 0xff;
  out[9] = h.length >> 8;
  for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
  out.set(body, total);
  return out;
}

describe('.npy', () => {
  test('reads a hand-written float64 [2, 3] file', () => {
    const body = new Uint8Array(new Float64Array([1, 2, 3, 4, 5, 6]).buffer);
    const a = parseNpy(handNpy('<f8', '(2, 3)', body), 'x.npy');
    assert.deepEqual(a.shape, [2, 3]);
    assert.ok(a.data instanceof Float64Array);
    assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6]);
  });
  test('round-trips float32 and int32 through encodeNpy', () => {
    const f = new Float32Array([0.5, 0.25, 0.25]);
    const a = parseNpy(encodeNpy(f, [3]), 'f.npy');
    assert.deepEqual(a.shape, [3]);
    assert.deepEqual(Array.from(a.data), [0.5, 0.25, 0.25]);
    const i = parseNpy(encodeNpy(new Int32Array([7, -1]), [2]), 'i.npy');
    assert.ok(i.data instanceof Int32Array);
    assert.equal(i.header.dataOffset % 64, 0);
  });
  test('float16 is widened', () => {
    const bits = new Uint16Array([numberToHalf(1), numberToHalf(-2.5), numberToHalf(65504), 0x7c00]);
    const a = parseNpy(handNpy('<f2', '(4,)', new Uint8Array(bits.buffer)), 'h.npy');
    assert.deepEqual(Array.from(a.data), [1, -2.5, 65504, Infinity]);
    assert.equal(halfToNumber(0x0001), 2 ** -24);
  });
  test('bad magic, bad dtype and truncated data are reported with offsets and sizes', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof DataError);
        return (e as Error).message;
      }
      assert.fail('expected an error');
    };
    assert.match(err(() => parseNpy(new TextEncoder().encode('hello, world'), 'a.npy')), /a\.npy: not a \.npy file \(byte 0 is 0x68/);
    assert.match(err(() => parseNpy(handNpy('<c16', '(1,)', new Uint8Array(16)), 'c.npy')), /unsupported dtype "<c16"/);
    const good = handNpy('<f4', '(4, 2)', new Uint8Array(32));
    assert.match(err(() => parseNpy(good.subarray(0, good.length - 5), 't.npy')), /truncated \.npy data: shape \[4, 2\] of <f4 needs 32 bytes from offset 128 \(file size 160\), the file has 27 \(size 155\)/);
    assert.match(err(() => parseNpyHeader(good.subarray(0, 30), 'h.npy')), /truncated \.npy header/);
    assert.match(err(() => parseNpy(handNpy('>f8', '(1,)', new Uint8Array(8)), 'b.npy')), /unsupported dtype ">f8"/);
  });
});
