import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { encodeNpy } from '../io/npy.js';
import type { RowBlock } from './accumulator.js';
import { exactMeasures } from './bounds.js';
import { compareFiles } from './engine.js';
import { makeLogitPair, writeKldFixture } from '../testing/kldFixtures.js';
import { CompareAccumulator } from './accumulator.js';
import { compareReference, type ReferenceRowBlock } from './referenceCompare.js';
import { openFileReferenceSource, writeReference } from './referenceSource.js';
import { KldFile } from '../io/kld.js';
import { KlrefFile } from '../io/klref.js';
import { nativeKlrefBoundsRows } from '../kernels/registry.js';

const dir = mkdtempSync(path.join(tmpdir(), 'klscope-refcmp-'));
const fx = writeKldFixture({ dir, nCtx: 20, nVocab: 301, nChunk: 4, seed: 9 });
const MEASURES = ['forward', 'reverse', 'js', 'tvd'] as const;

async function perToken<T extends RowBlock>(run: (sink: { write(b: RowBlock): void }) => Promise<unknown>): Promise<T[]> {
  const blocks: T[] = [];
  await run({ write: (b) => void blocks.push(b as T) });
  return blocks;
}

function flat(blocks: RowBlock[], key: (typeof MEASURES)[number]): number[] {
  return blocks.flatMap((b) => Array.from(b[key]));
}

describe('compare against a .klref reference', () => {
  test('from a .kld base: every per-token interval contains what compare computes from the .kld itself (k = 1 … V)', async () => {
    for (const cand of [fx.cand, fx.candNpy]) {
      const exact = await perToken((sink) => compareFiles({ base: fx.base, candidate: cand, threads: 1, sink }));
      for (const k of [1, 5, 40, 300, 301]) {
        const ref = path.join(dir, `b${k}.klref`);
        await writeReference(openFileReferenceSource(fx.base), ref, { topK: k });
        const got = await perToken<ReferenceRowBlock>((sink) => compareReference({ reference: ref, candidate: cand, sink }));
        for (let m = 0; m < 4; m++) {
          const ex = flat(exact, MEASURES[m]!);
          let t = 0;
          for (const b of got) {
            for (let i = 0; i < b.n; i++, t++) {
              const lo = b.lo[4 * i + m]!;
              const hi = b.hi[4 * i + m]!;
              const x = Math.max(0, ex[t]!); // a quantized .kld row can dip below 0; KL cannot
              assert.ok(lo <= x && x <= hi, `${path.basename(cand)} k=${k} row ${t} ${MEASURES[m]}: ${x} outside [${lo}, ${hi}]`);
            }
          }
          if (k === 301) {
            // the whole vocabulary kept: the interval closes on the value (float32 storage left)
            let w = 0;
            for (const b of got) for (let i = 0; i < b.n; i++) w = Math.max(w, b.hi[4 * i + m]! - b.lo[4 * i + m]!);
            assert.ok(w < 2e-6, `${MEASURES[m]} width ${w} at k = V`);
          }
        }
      }
    }
  });

  test('a .kld candidate read ahead across reference blocks: every row equals the row compared alone', async () => {
    const ref = path.join(dir, 'blocks7.klref');
    await writeReference(openFileReferenceSource(fx.base), ref, { topK: 5, rowsPerBlock: 7 });
    const all = await perToken<ReferenceRowBlock>((sink) => compareReference({ reference: ref, candidate: fx.cand, sink }));
    const lo = all.flatMap((b) => Array.from(b.lo));
    const hi = all.flatMap((b) => Array.from(b.hi));
    const fwd = flat(all, 'forward');
    assert.equal(fwd.length, fx.rows);
    for (let r = 0; r < fx.rows; r++) {
      // one row alone: read at once, nothing read ahead
      const one = await perToken<ReferenceRowBlock>((sink) => compareReference({ reference: ref, candidate: fx.cand, rowRange: [r, r + 1], sink }));
      assert.equal(one.length, 1);
      assert.ok(Object.is(one[0]!.forward[0], fwd[r]), `row ${r}: estimate ${one[0]!.forward[0]} alone, ${fwd[r]} in the run`);
      for (let m = 0; m < 4; m++) {
        assert.ok(Object.is(one[0]!.lo[m], lo[4 * r + m]) && Object.is(one[0]!.hi[m], hi[4 * r + m]), `row ${r} measure ${m}`);
      }
    }
  });

  test('pipelined (the .kld rows run natively, 2 or 4 blocks at a time): every row has the bits of the row-by-row run, over several blocks', async (t) => {
    if (!nativeKlrefBoundsRows() || availableParallelism() < 2) return t.skip('needs the addon and two cores');
    const fields = ['forward', 'reverse', 'js', 'tvd', 'lo', 'hi', 'argmaxCand', 'argmaxBase', 'logpTarget', 'logqTarget', 'position', 'target'] as const;
    const cols = (blocks: ReferenceRowBlock[]) => Object.fromEntries(fields.map((f) => [f, blocks.flatMap((b) => Array.from((b as unknown as Record<string, ArrayLike<number>>)[f]!))]));
    for (const [k, rowsPerBlock] of [[5, 7], [40, 1024], [300, 5]] as const) {
      const ref = path.join(dir, `pipe${k}.klref`);
      await writeReference(openFileReferenceSource(fx.base), ref, { topK: k, rowsPerBlock });
      // row by row on this thread, one row a block
      const serial = await perToken<ReferenceRowBlock>((sink) => compareReference({ reference: ref, candidate: fx.cand, threads: 1, blockRows: 1, sink }));
      const want = cols(serial);
      for (const [threads, blockRows] of [[2, 1], [2, 3], [4, 4], [2, 50], [4, 2]] as const) {
        const piped = await perToken<ReferenceRowBlock>((sink) => compareReference({ reference: ref, candidate: fx.cand, threads, blockRows, sink }));
        assert.ok(piped.length >= Math.ceil(fx.rows / Math.min(blockRows, rowsPerBlock)), 'several blocks');
        const got = cols(piped);
        for (const f of fields) {
          assert.equal(got[f]!.length, want[f]!.length, f);
          for (let i = 0; i < want[f]!.length; i++) assert.ok(Object.is(got[f]![i], want[f]![i]), `k=${k} threads=${threads} blockRows=${blockRows} ${f}[${i}]: ${got[f]![i]} pipelined, ${want[f]![i]} row by row`);
        }
      }
    }
  });

  test('pipelined: a bad candidate row fails as row by row, after every earlier block', async () => {
    const ref = path.join(dir, 'pipeBad.klref');
    await writeReference(openFileReferenceSource(fx.base), ref, { topK: 5 });
    const f = new KldFile(fx.cand);
    const h = f.header;
    f.close();
    const bytes = new Uint8Array(readFileSync(fx.cand));
    const badRow = 10;
    new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset + badRow * h.rowBytes).setFloat32(0, NaN, true); // the row's scale
    const bad = path.join(dir, 'badScale.kld');
    writeFileSync(bad, bytes);
    const outcome = async (threads: number, blockRows: number) => {
      const rows: number[] = [];
      const err = await compareReference({ reference: ref, candidate: bad, threads, blockRows, sink: { write: (b) => void rows.push(b.n) } }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      return { rows: rows.reduce((a, b) => a + b, 0), err };
    };
    const serial = await outcome(1, 1);
    assert.ok(serial.err, 'the bad row is refused');
    assert.equal(serial.rows, badRow);
    for (const [threads, blockRows] of [[2, 1], [2, 3], [4, 4], [3, 1]]) {
      const piped = await outcome(threads, blockRows);
      assert.equal(piped.err, serial.err);
      assert.equal(piped.rows, badRow - (badRow % blockRows), `blockRows ${blockRows}: the blocks before the bad row's`);
    }
  });

  test('pipelined: a damaged reference block fails as row by row, after every earlier block', async () => {
    const ref = path.join(dir, 'pipeCrc.klref');
    await writeReference(openFileReferenceSource(fx.base), ref, { topK: 5, rowsPerBlock: 7 });
    const rf = new KlrefFile(ref);
    const offsets = Array.from(rf.blocks(0, rf.rows), (b) => b.offset);
    rf.close();
    const bytes = new Uint8Array(readFileSync(ref));
    bytes[offsets[2]! + 20]! ^= 0x10; // inside the third row block's payload (rows 14 to 20)
    const bad = path.join(dir, 'pipeCrcBad.klref');
    writeFileSync(bad, bytes);
    const outcome = async (threads: number, blockRows: number) => {
      let rows = 0;
      const err = await compareReference({ reference: bad, candidate: fx.cand, threads, blockRows, sink: { write: (b) => void (rows += b.n) } }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      return { rows, err };
    };
    const serial = await outcome(1, 1);
    assert.match(serial.err ?? '', new RegExp(`offset ${offsets[2]}`));
    assert.equal(serial.rows, 14);
    for (const [threads, blockRows] of [[2, 1], [2, 3], [4, 4], [3, 2]]) assert.deepEqual(await outcome(threads, blockRows), serial, `threads ${threads} blockRows ${blockRows}`);
  });

  test('from logits with --tokens: intervals contain the exact float64 values; token lists are checked', async () => {
    const rows = 30;
    const V = 97;
    const { base, cand } = makeLogitPair({ rows, vocab: V, seed: 4, noise: 0.2 });
    writeFileSync(path.join(dir, 'lb.npy'), encodeNpy(base, [rows, V]));
    writeFileSync(path.join(dir, 'lc.npy'), encodeNpy(cand, [rows, V]));
    const ids = Array.from({ length: rows + 1 }, (_, i) => (i * 17) % V);
    writeFileSync(path.join(dir, 'ids.json'), JSON.stringify(ids));
    const ref = path.join(dir, 'l.klref');
    const w = await writeReference(openFileReferenceSource(path.join(dir, 'lb.npy'), { tokens: path.join(dir, 'ids.json') }), ref, { topK: 8 });
    assert.equal(w.rows, rows);
    const got = await perToken<ReferenceRowBlock>((sink) => compareReference({ reference: ref, candidate: path.join(dir, 'lc.npy'), tokens: path.join(dir, 'ids.json'), sink }));
    const ls = (x: Float32Array, r: number) => {
      const row = Float64Array.from(x.subarray(r * V, (r + 1) * V));
      const m = Math.max(...row);
      const l = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      return row.map((v) => v - l);
    };
    let t = 0;
    for (const b of got) {
      for (let i = 0; i < b.n; i++, t++) {
        const e = exactMeasures(ls(base, t), ls(cand, t));
        for (let m = 0; m < 4; m++) assert.ok(b.lo[4 * i + m]! <= e[m]! && e[m]! <= b.hi[4 * i + m]!, `row ${t} measure ${m}: ${e[m]} outside [${b.lo[4 * i + m]}, ${b.hi[4 * i + m]}]`);
        assert.equal(b.target[i], ids[t + 1]);
      }
    }
    const bad = ids.slice();
    bad[12] = (bad[12]! + 1) % V;
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
    await assert.rejects(compareReference({ reference: ref, candidate: path.join(dir, 'lc.npy'), tokens: path.join(dir, 'bad.json') }), /token mismatch at index 12 of the token list \(chunk 0, position 12\): the reference has \d+, the tokens option has \d+/);
    await assert.rejects(compareReference({ reference: ref, candidate: fx.cand }), /vocabulary mismatch: the reference has n_vocab 97, the candidate 301 columns/);
  });

  test('shards merge: the bounds of merged summaries equal the unsplit run', async () => {
    const ref = path.join(dir, 'b5.klref');
    const whole = await compareReference({ reference: ref, candidate: fx.cand });
    const a = await compareReference({ reference: ref, candidate: fx.cand, rowRange: [0, 13] });
    const b = await compareReference({ reference: ref, candidate: fx.cand, rowRange: [13, Number.MAX_SAFE_INTEGER] });
    const merged = CompareAccumulator.fromSummary(JSON.parse(JSON.stringify(a.accumulator.toSummary())));
    merged.merge(CompareAccumulator.fromSummary(JSON.parse(JSON.stringify(b.accumulator.toSummary()))));
    const r = merged.result();
    assert.equal(r.estimator, 'reference-bounds');
    for (const m of ['kld', 'reverseKld', 'js', 'tvd'] as const) assert.deepEqual(r.bounds![m].mean, whole.result.bounds![m].mean);
    assert.equal(r.kld.mean, whole.result.kld.mean);
  });
});
