import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { DataError } from '../errors.js';
import { dequantizeQ8_0, parseGguf, readGguf, readGgufTensor, tokenizerFingerprint, type GgufKv } from './gguf.js';
import { encodeGguf, quantizeQ8_0, writeGguf, type GgufTensorInput } from './ggufWriter.js';

const META: GgufKv[] = [
  { key: 'general.architecture', type: 'string', value: 'llama' },
  { key: 'llama.context_length', type: 'u32', value: 128 },
  { key: 'llama.vocab_size', type: 'u32', value: 4 },
  { key: 'v.u8', type: 'u8', value: 255 },
  { key: 'v.i8', type: 'i8', value: -128 },
  { key: 'v.u16', type: 'u16', value: 65535 },
  { key: 'v.i16', type: 'i16', value: -32768 },
  { key: 'v.i32', type: 'i32', value: -2147483648 },
  { key: 'v.f32', type: 'f32', value: 0.5 },
  { key: 'v.f64', type: 'f64', value: Math.PI },
  { key: 'v.bool', type: 'bool', value: true },
  { key: 'v.u64', type: 'u64', value: 2n ** 63n + 5n },
  { key: 'v.i64', type: 'i64', value: -42 },
  { key: 'v.nested', type: 'array', itemType: 'i32', value: [[1, 2], [3]] },
  { key: 'tokenizer.ggml.model', type: 'string', value: 'llama' },
  { key: 'tokenizer.ggml.tokens', type: 'array', itemType: 'string', value: ['<unk>', '<s>', '</s>', '▁héllo'] },
  { key: 'tokenizer.ggml.scores', type: 'array', itemType: 'f32', value: [0, 0, 0, -1.5] },
  { key: 'tokenizer.ggml.bos_token_id', type: 'u32', value: 1 },
  { key: 'tokenizer.ggml.add_bos_token', type: 'bool', value: false },
];
const ramp = (n: number, k = 0.01) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + 1) * (1 + i * k));
const TENSORS: GgufTensorInput[] = [
  { name: 'token_embd.weight', dims: [32, 4], type: 'Q8_0', data: ramp(128) },
  { name: 'norm', dims: [5], type: 'F32', data: ramp(5) },
  { name: 'half', dims: [3, 2], type: 'F16', data: [1, -2, 0.5, 65504, 1 / 3, 0] },
];

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'gguf-test-'));
}

test('write then read: metadata of every type, tensor table, sizes and bits per weight', () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'm.gguf');
    const { bytes } = writeGguf(file, { metadata: META, tensors: TENSORS });
    const g = readGguf(file);
    assert.equal(g.fileSize, bytes);
    assert.equal(g.version, 3);
    assert.equal(g.alignment, 32);
    for (const m of META) assert.deepEqual(g.metadata.get(m.key)?.value, m.value, m.key);
    assert.equal(g.metadata.get('v.nested')?.itemType, 'i32');
    assert.equal(g.architecture, 'llama');
    assert.equal(g.nVocab, 4);
    assert.deepEqual(g.tokens, ['<unk>', '<s>', '</s>', '▁héllo']);
    assert.equal(g.bosId, 1);
    assert.equal(g.addBos, false);
    assert.equal(g.contextLength, 128);
    assert.deepEqual(g.tensors.map((t) => [t.name, t.typeName, t.dims, t.bytes]), [
      ['token_embd.weight', 'Q8_0', [32, 4], 4 * 34],
      ['norm', 'F32', [5], 20],
      ['half', 'F16', [3, 2], 12],
    ]);
    // Every tensor starts on the alignment, the first one right after the padded header.
    assert.equal(g.dataOffset % 32, 0);
    assert.equal(g.tensors[0]!.offset, g.dataOffset);
    for (const t of g.tensors) assert.equal((t.offset - g.dataOffset) % 32, 0);
    assert.equal(g.parameterCount, 128 + 5 + 6);
    assert.equal(g.tensorBytes, 136 + 20 + 12);
    assert.equal(g.bitsPerWeight, ((136 + 20 + 12) * 8) / 139);
    assert.equal(g.tokenizerFingerprint, tokenizerFingerprint(['<unk>', '<s>', '</s>', '▁héllo']));
    // Tensor values: F32 exact, F16 exact for representable values, Q8_0 as d·q.
    assert.deepEqual([...readGgufTensor(file, g.tensors[1]!)], [...ramp(5)]);
    assert.deepEqual([...readGgufTensor(file, g.tensors[2]!)], [1, -2, 0.5, 65504, 0.333251953125, 0]);
    const q = readGgufTensor(file, g.tensors[0]!);
    const src = ramp(128);
    for (let i = 0; i < 128; i++) {
      const block = Math.floor(i / 32) * 32;
      const amax = Math.max(...Array.from(src.subarray(block, block + 32), Math.abs));
      // Half a step of the float32 scale, plus the f16 rounding of the scale times |q| ≤ 127.
      assert.ok(Math.abs(q[i]! - src[i]!) <= amax * (1 / 254 + 2 ** -11) + 1e-12, `Q8_0 value ${i}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Q8_0 blocks: scale max|x|/127 as f16, quants rounded half away from zero, 34 bytes a block', () => {
  const x = new Float32Array(32);
  x[0] = 127;
  x[1] = -63.5; // exactly half: rounds away from zero to −64
  x[2] = 0.49;
  x[3] = 1.5;
  const q = quantizeQ8_0(x);
  assert.equal(q.length, 34);
  assert.equal(new DataView(q.buffer).getUint16(0, true), 0x3c00); // d = 1.0 in f16
  assert.deepEqual([...new Int8Array(q.buffer, 2, 4)], [127, -64, 0, 2]);
  assert.deepEqual([...dequantizeQ8_0(q, 32).subarray(0, 4)], [127, -64, 0, 2]);
  assert.deepEqual([...dequantizeQ8_0(quantizeQ8_0(new Float32Array(32)), 32)], new Array(32).fill(0));
  assert.throws(() => quantizeQ8_0(new Float32Array(31)), DataError);
});

test('a larger alignment is written as general.alignment and honoured', () => {
  const b = encodeGguf({ metadata: META, tensors: TENSORS, alignment: 64 });
  const g = parseGguf(b, 'a.gguf');
  assert.equal(g.alignment, 64);
  assert.equal(g.metadata.get('general.alignment')?.value, 64);
  for (const t of g.tensors) assert.equal(t.offset % 64, 0);
});

test('metadata and tensors round-trip for arbitrary values (fast-check)', () => {
  const scalar = fc.oneof(
    fc.record({ type: fc.constant('u32' as const), value: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
    fc.record({ type: fc.constant('i16' as const), value: fc.integer({ min: -32768, max: 32767 }) }),
    fc.record({ type: fc.constant('f64' as const), value: fc.double({ noNaN: true }) }),
    fc.record({ type: fc.constant('bool' as const), value: fc.boolean() }),
    fc.record({ type: fc.constant('string' as const), value: fc.string({ unit: 'grapheme', maxLength: 20 }) }),
    fc.record({ type: fc.constant('array' as const), itemType: fc.constant('string' as const), value: fc.array(fc.string({ maxLength: 8 }), { maxLength: 6 }) }),
    fc.record({ type: fc.constant('array' as const), itemType: fc.constant('f32' as const), value: fc.array(fc.float({ noNaN: true }), { maxLength: 6 }) }),
  );
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), scalar), { selector: ([k]) => k, maxLength: 8 }), fc.integer({ min: 1, max: 3 }), (kvs, rows) => {
      const metadata = kvs.map(([key, v]) => ({ key, ...v }) as GgufKv).filter((m) => m.key !== 'general.alignment');
      const data = ramp(32 * rows);
      const g = parseGguf(encodeGguf({ metadata, tensors: [{ name: 't', dims: [32, rows], type: 'F32', data }] }), 'p.gguf');
      for (const m of metadata) assert.deepEqual(g.metadata.get(m.key)?.value, m.type === 'array' && m.itemType === 'f32' ? (m.value as number[]).map(Math.fround) : m.value);
      assert.equal(g.tensors[0]!.bytes, 128 * rows);
    }),
    { numRuns: 60 },
  );
});

test('node-llama-cpp reads the same metadata and tensor table from the written file', async (t) => {
  let gguf: typeof import('node-llama-cpp');
  try {
    gguf = await import('node-llama-cpp');
  } catch (e) {
    t.skip(`node-llama-cpp cannot be imported here (${(e as Error).message})`);
    return;
  }
  const dir = tmp();
  try {
    const file = path.join(dir, 'm.gguf');
    writeGguf(file, { metadata: META, tensors: TENSORS });
    const theirs = await gguf.readGgufFileInfo(file, { logWarnings: false });
    const mine = readGguf(file);
    assert.equal(Number(theirs.tensorCount), mine.tensors.length);
    assert.deepEqual(
      theirs.fullTensorInfo!.map((x) => [x.name, x.dimensions.map(Number), x.ggmlType, Number(x.offset)]),
      mine.tensors.map((x) => [x.name, x.dims, x.type, x.offset - mine.dataOffset]),
    );
    const meta = theirs.metadata as unknown as Record<string, Record<string, unknown>>;
    assert.equal(meta.general!.architecture, 'llama');
    assert.deepEqual(((meta.tokenizer!.ggml as Record<string, unknown>).tokens as string[]).slice(), mine.tokens);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that is not GGUF is named with the magic found', () => {
  assert.throws(() => parseGguf(new TextEncoder().encode('PK\u0003\u0004rest of a zip'), 'model.zip'), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.message, 'model.zip: not a GGUF file (magic at offset 0 is 50 4b 03 04, expected "GGUF")');
    return true;
  });
  assert.throws(() => parseGguf(new TextEncoder().encode('ggjtxxxx'), 'old.bin'), /magic at offset 0 is "ggjt" \(67 67 6a 74\), expected "GGUF"/);
  assert.throws(() => parseGguf(new Uint8Array([0x47, 0x47]), 'short.gguf'), /short.gguf: not a GGUF file \(2 bytes; the magic "GGUF" needs 4\)/);
});

test('every truncation of a file is a one-line DataError with the offset and what was needed', () => {
  const full = encodeGguf({ metadata: META, tensors: TENSORS });
  const g = parseGguf(full, 'x');
  const headerEnd = g.dataOffset;
  // The file ends with the last tensor's padding; a cut there loses nothing.
  const dataEnd = Math.max(...g.tensors.map((t) => t.offset + t.bytes));
  let checked = 0;
  for (let n = 4; n < dataEnd; n += n < headerEnd ? 1 : 7) {
    assert.throws(() => parseGguf(full.subarray(0, n), 'cut.gguf'), (e: Error) => {
      assert.ok(e instanceof DataError, `prefix ${n}: ${e}`);
      assert.ok(!e.message.includes('\n'), e.message);
      assert.match(e.message, /^cut\.gguf: (truncated GGUF|.*offset \d+)/, `prefix ${n}: ${e.message}`);
      assert.match(e.message, /needs|bytes/, e.message);
      return true;
    });
    checked++;
  }
  assert.ok(checked > 300);
  // One exact message: the file cut inside the tensor data.
  assert.throws(() => parseGguf(full.subarray(0, dataEnd - 1), 'cut.gguf'), /truncated GGUF: tensor "half" \(F16 3×2\) needs bytes \d+\.\.\d+, the file has \d+/);
});

test('corrupt values: bad value type, absurd lengths, unknown tensor type, misaligned offset, bad UTF-8, long keys quoted briefly', () => {
  const base = () => encodeGguf({ metadata: [{ key: 'k', type: 'u32', value: 7 }], tensors: [{ name: 't', dims: [4], type: 'F32', data: [1, 2, 3, 4] }] });
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  // Layout: 4 magic, 4 version, 8 tensors, 8 kvs, then key "k" (8 + 1), type u32 at 33, value at 37.
  let b = base();
  dv(b).setUint32(33, 13, true);
  assert.throws(() => parseGguf(b, 'c.gguf'), /c\.gguf: metadata "k" at offset 33 has value type 13; GGUF value types are 0\.\.12/);
  b = base();
  dv(b).setUint32(4, 7, true);
  assert.throws(() => parseGguf(b, 'c.gguf'), /GGUF version 7 at offset 4 is not supported/);
  b = base();
  dv(b).setUint32(4, 3, false);
  assert.throws(() => parseGguf(b, 'c.gguf'), /c\.gguf: big-endian GGUF \(version 3 at offset 4, bytes swapped\) is not supported/);
  b = base();
  dv(b).setBigUint64(24, 2n ** 40n, true); // key length
  assert.throws(() => parseGguf(b, 'c.gguf'), /truncated GGUF at offset 32: metadata key 0 \(string of 1099511627776 bytes, length at offset 24\)/);
  b = base();
  dv(b).setBigUint64(8, 2n ** 62n, true); // tensor count past 2^53
  assert.throws(() => parseGguf(b, 'c.gguf'), /the tensor count at offset 8 is 4611686018427387904, beyond any file size/);
  // Tensor info: name "t" at 41 (8 + 1), n_dims at 50, dim at 54, type at 62, offset at 66.
  b = base();
  dv(b).setUint32(62, 99, true);
  assert.throws(() => parseGguf(b, 'c.gguf'), /tensor "t" at offset 62 has ggml type 99, which this reader does not know/);
  b = base();
  dv(b).setBigUint64(66, 3n, true);
  assert.throws(() => parseGguf(b, 'c.gguf'), /tensor "t" at offset 66 has data offset 3, not a multiple of the alignment 32/);
  b = base();
  dv(b).setUint32(50, 9, true);
  assert.throws(() => parseGguf(b, 'c.gguf'), /tensor "t" at offset 50 has 9 dimensions; ggml allows 1\.\.4/);
  b = base();
  b[32] = 0xff; // the key's one byte
  assert.throws(() => parseGguf(b, 'c.gguf'), /metadata key 0 at offset 24 is not valid UTF-8/);
  const long = 'x'.repeat(5000);
  const dup = encodeGguf({ metadata: [{ key: long, type: 'u8', value: 1 }], tensors: [] });
  const twice = new Uint8Array(dup.length * 2);
  const head = 24;
  const entry = dup.subarray(head, head + 8 + 5000 + 4 + 1);
  twice.set(dup.subarray(0, head));
  twice.set(entry, head);
  twice.set(entry, head + entry.length);
  dv(twice).setBigUint64(16, 2n, true);
  assert.throws(() => parseGguf(twice, 'd.gguf'), (e: Error) => {
    assert.match(e.message, /^d\.gguf: metadata key "x{60}…" \(5000 chars\) at offset \d+ appears twice$/);
    return true;
  });
});

test('readGguf names the file when it cannot be opened, and reads real files in windows', () => {
  assert.throws(() => readGguf('/nonexistent/m.gguf'), /\/nonexistent\/m\.gguf: expected a readable regular file, got no such file \(ENOENT\)/);
  const dir = tmp();
  assert.throws(() => readGguf(dir, { name: 'models/' }), /^DataError: models\/: not a GGUF file \(it is a directory\)$/);
  try {
    // A vocabulary larger than the 1 MiB read window.
    const tokens = Array.from({ length: 60000 }, (_, i) => `tok${i}-${'y'.repeat(i % 20)}`);
    const file = path.join(dir, 'big.gguf');
    writeGguf(file, { metadata: [{ key: 'tokenizer.ggml.tokens', type: 'array', itemType: 'string', value: tokens }], tensors: TENSORS });
    const g = readGguf(file);
    assert.equal(g.tokens.length, 60000);
    assert.equal(g.tokens[59999], tokens[59999]);
    assert.equal(g.nVocab, 60000);
    assert.deepEqual(g, parseGguf(readFileSync(file), file));
    writeFileSync(file, readFileSync(file).subarray(0, 700_000));
    assert.throws(() => readGguf(file), /truncated GGUF at offset \d+: metadata "tokenizer\.ggml\.tokens"\[\d+\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tokenizer fingerprints separate vocabularies that differ anywhere, including in how texts split', () => {
  const a = ['<unk>', '<s>', 'ab', 'c'];
  assert.equal(tokenizerFingerprint(a), tokenizerFingerprint([...a]));
  assert.notEqual(tokenizerFingerprint(a), tokenizerFingerprint(['<unk>', '<s>', 'a', 'bc']));
  assert.notEqual(tokenizerFingerprint(a), tokenizerFingerprint([...a, '']));
  assert.notEqual(tokenizerFingerprint(a), tokenizerFingerprint(['<unk>', '<s>', 'c', 'ab']));
  assert.match(tokenizerFingerprint([]), /^sha256:[0-9a-f]{32}$/);
});
