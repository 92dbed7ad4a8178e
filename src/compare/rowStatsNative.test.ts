import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KldWriter, encodeKldRow, kldLayout } from '../io/kld.js';
import { loadedBackends, nativeKldRows } from '../kernels/registry.js';
import { nativeSimd } from '../kernels/nativeBackend.js';
import { seededRandom } from '../random.js';
import { compareFiles } from './engine.js';
import { writeKldFixture } from '../testing/kldFixtures.js';
import { FusedScratch, fusedBlock } from './rowStats.js';
import { openSource } from './sources.js';
import type { RowBlock } from './accumulator.js';
import type { RowSource } from './types.js';

const FIXTURES = fileURLToPath(new URL('../../src/compare/__fixtures__/llama-cpp/', import.meta.url));
const native = nativeKldRows();
loadedBackends();
/** The vector path the addon was compiled for ('avx512', 'avx2', …): the tests below run that one. */
const simd = nativeSimd() || 'unknown';

/** Every row of a .kld pair through one loop (native or JavaScript), in blocks of `block` rows. */
function allRows(basePath: string, candPath: string, useNative: boolean, block = 7, threads = 1): RowBlock[] {
  const base = openSource({ path: basePath, name: 'base', format: 'kld' }) as RowSource;
  const cand = openSource({ path: candPath, name: 'candidate', format: 'kld' }) as RowSource;
  const scratch = new FusedScratch(base, cand, block, { native: useNative, threads });
  assert.equal(scratch.kldRows !== undefined, useNative && native !== undefined);
  const out: RowBlock[] = [];
  for (let r0 = 0; r0 < base.rows; r0 += block) out.push(fusedBlock({ base, cand, r0, n: Math.min(block, base.rows - r0), scratch }));
  return out;
}

/**
 * The native loop's rows equal the JavaScript loop's: exactly where they are integers or computed
 * alike, to 1e-12 otherwise (only the order of the sums differs). The native loop on 3 threads
 * gives the very same numbers as on 1 (each row is summed by one thread, in the same order).
 */
function assertSameRows(basePath: string, candPath: string): number {
  const js = allRows(basePath, candPath, false);
  const nat = allRows(basePath, candPath, true);
  const nat3 = allRows(basePath, candPath, true, 7, 3);
  let rows = 0;
  for (let b = 0; b < js.length; b++) {
    const x = js[b]!;
    const y = nat[b]!;
    for (const key of ['forward', 'reverse', 'js', 'tvd', 'argmaxBase', 'argmaxCand'] as const) assert.deepEqual([...nat3[b]![key]], [...y[key]], `${key}, 3 threads`);
    assert.deepEqual([...y.argmaxBase], [...x.argmaxBase]);
    assert.deepEqual([...y.argmaxCand], [...x.argmaxCand]);
    assert.deepEqual([...y.target], [...x.target]);
    assert.deepEqual([...y.position], [...x.position]);
    assert.deepEqual([...y.logpTarget], [...x.logpTarget]);
    assert.deepEqual([...y.logqTarget], [...x.logqTarget]);
    assert.deepEqual([...y.floorTarget!], [...x.floorTarget!]);
    for (const key of ['forward', 'reverse', 'js', 'tvd'] as const) {
      for (let k = 0; k < x.n; k++) {
        const u = x[key][k]!;
        const v = y[key][k]!;
        assert.ok(Number.isFinite(v), `${key}[${x.row0 + k}] = ${v}`);
        assert.ok(Math.abs(u - v) <= 1e-12 * Math.max(1, Math.abs(u)) + 1e-15, `${key}[${x.row0 + k}]: js ${u}, native ${v}`);
      }
    }
    rows += x.n;
  }
  return rows;
}

/** Writes a .kld pair of hand-made encoded rows (scale and min in the first four codes). */
function writePair(dir: string, nVocab: number, nChunk: number, rowsA: Uint16Array[], rowsB: Uint16Array[]): [string, string] {
  const nCtx = 16;
  const h = kldLayout(nCtx, nVocab, nChunk);
  const rnd = seededRandom(3);
  const tokens = Array.from({ length: nCtx * nChunk }, () => Math.floor(rnd() * nVocab));
  const pa = path.join(dir, `a${nVocab}.kld`);
  const pb = path.join(dir, `b${nVocab}.kld`);
  const a = new KldWriter(pa, { nCtx, nVocab, nChunk, tokens });
  const b = new KldWriter(pb, { nCtx, nVocab, nChunk, tokens });
  for (let r = 0; r < h.rows; r++) {
    a.writeEncoded(rowsA[r % rowsA.length]!);
    b.writeEncoded(rowsB[r % rowsB.length]!);
  }
  a.close();
  b.close();
  return [pa, pb];
}

describe(`native .kld row-pair loop (${simd})`, { skip: native ? false : 'native addon not built' }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-kldnative-'));

  test('same rows as the JavaScript loop: KldWriter files, odd V, 3 chunks, a flat row', () => {
    const fx = writeKldFixture({ dir, nCtx: 24, nVocab: 1001, nChunk: 3, seed: 5, flatRow: 2 });
    assert.equal(assertSameRows(fx.base, fx.cand), fx.rows);
    assert.equal(assertSameRows(fx.cand, fx.base), fx.rows);
  });

  test('same rows on llama.cpp\'s own file (V = 444), against itself and a perturbed copy', () => {
    const p = path.join(FIXTURES, 'base.kld');
    assertSameRows(p, p);
    const h = (openSource({ path: p, name: 'base', format: 'kld' }) as RowSource & { kind: 'kld' }).kld.header;
    const b = Buffer.from(readFileSync(p));
    const rnd = seededRandom(9);
    for (let r = 0; r < h.rows; r++) {
      for (let i = 0; i < h.nVocab; i++) {
        const off = h.dataOffset + r * h.rowBytes + 8 + 2 * i;
        const c = b.readUInt16LE(off);
        // ±1 code (near-equal: the series) or a big move (the logarithm), clamped to the codes
        const d = rnd() < 0.8 ? Math.round(2 * rnd() - 1) : Math.round(20000 * (rnd() - 0.5));
        b.writeUInt16LE(Math.min(65535, Math.max(0, c + d)), off);
      }
      // min_log_prob moved so that the window's mass is 1 again
      const at = h.dataOffset + r * h.rowBytes;
      const scale = b.readFloatLE(at);
      let min = b.readFloatLE(at + 4);
      for (let it = 0; it < 3; it++) {
        let m = 0;
        for (let i = 0; i < h.nVocab; i++) {
          const c = b.readUInt16LE(at + 8 + 2 * i);
          if (Math.fround(Math.fround(scale * c) + min) > -16) m += Math.exp(min + scale * c);
        }
        min = Math.fround(min - Math.log(m));
      }
      b.writeFloatLE(min, at + 4);
    }
    const q = path.join(dir, 'perturbed.kld');
    writeFileSync(q, b);
    assertSameRows(p, q);
    assertSameRows(q, p);
  });

  test('adversarial rows: uniform codes, codes at the window edge, one side out of the window, ties, V = 7 and 33', () => {
    const rnd = seededRandom(11);
    for (const V of [7, 33, 1000]) {
      const nv = 2 * Math.ceil(V / 2) + 4;
      const mk = (scale: number, min: number, code: (i: number) => number): Uint16Array => {
        const e = new Uint16Array(nv);
        const f = new Float32Array(e.buffer, 0, 2);
        f[0] = scale;
        f[1] = min;
        for (let i = 0; i < V; i++) e[4 + i] = code(i);
        return e;
      };
      const s = Math.fround(16 / 65535);
      // min_log_prob so that the window's mass is 1
      const norm = (e: Uint16Array): Uint16Array => {
        const f = new Float32Array(e.buffer, 0, 2);
        let t = 0;
        for (let i = 0; i < V; i++) if (Math.fround(Math.fround(f[0]! * e[4 + i]!) + 0) > -Infinity) t += Math.exp(f[0]! * e[4 + i]!);
        f[1] = -Math.log(t);
        return e;
      };
      const uniform = () => norm(mk(s, 0, () => Math.floor(rnd() * 65536)));
      const near = (e: Uint16Array) => norm(mk(s, 0, (i) => Math.min(65535, Math.max(0, e[4 + i]! + (i % 3) - 1))));
      const logits = new Float32Array(V);
      const lm = () => {
        for (let i = 0; i < V; i++) logits[i] = 6 * Math.log(1 / (i + 1)) + 3 * rnd();
        const e = new Uint16Array(nv);
        encodeKldRow(logits, e);
        return e;
      };
      const ties = norm(mk(s, 0, (i) => (i % 2 === 0 ? 65535 : 0)));
      const edge = norm(mk(s, 0, (i) => (i === 0 ? 65535 : 4 + (i % 5))));
      const flat = mk(0, -Math.log(V), () => 0);
      const u = [uniform(), uniform(), uniform()];
      const l = [lm(), lm(), lm()];
      const A = [u[0]!, u[1]!, l[0]!, l[1]!, ties, edge, flat, u[2]!, l[2]!, edge];
      const B = [u[1]!, near(u[1]!), l[1]!, near(l[1]!), flat, ties, ties, l[2]!, u[2]!, near(edge)];
      const [pa, pb] = writePair(dir, V, 3, A, B);
      assertSameRows(pa, pb);
      assertSameRows(pb, pa);
    }
  });

  test('vector step edges: every V from 1 to 40, ties across lanes and in the tail, floor codes, half steps outside both windows', () => {
    const s = Math.fround(16 / 65535);
    for (const V of [...Array.from({ length: 40 }, (_, i) => i + 1), 63, 1001]) {
      const nv = 2 * Math.ceil(V / 2) + 4;
      // codes by position; min_log_prob so that the mass over every token is 1 (floor-coded
      // tokens, 16 nats under the top, fall outside the window: the mass check allows for them)
      const row = (code: (i: number) => number): Uint16Array => {
        const e = new Uint16Array(nv);
        const f = new Float32Array(e.buffer, 0, 2);
        f[0] = s;
        let t = 0;
        for (let i = 0; i < V; i++) {
          e[4 + i] = i === 0 ? 65535 : Math.min(65535, Math.max(0, code(i)));
          t += Math.exp(s * e[4 + i]!);
        }
        f[1] = -Math.log(t);
        return e;
      };
      // every 4th token at the floor (code 0, log p ≈ −16 − log V: out of the window)
      const floorMix = row((i) => (i % 4 === 0 ? 0 : 65535 - ((i * 997) % 3000)));
      // alternate groups of 4 (one half of an 8-token step) entirely at the floor
      const halfOut = row((i) => ((i >> 2) % 2 === 0 ? 0 : 60000 + ((i * 31) % 5000)));
      const halfOutOther = row((i) => ((i >> 2) % 2 === 1 ? 0 : 60000 + ((i * 37) % 5000)));
      // the top code at several positions, in different lanes and in the scalar tail
      const ties = row((i) => (i % 5 === 3 || i === V - 1 ? 65535 : 50000 + ((i * 7) % 100)));
      const tiesShifted = row((i) => (i % 3 === 1 || i === V - 2 ? 65535 : 50010 + ((i * 11) % 100)));
      // near-equal codes (the series) next to codes ~2 nats apart (the logarithm) in one step
      const mixed = row((i) => 62000 + ((i * 13) % 2000));
      const mixedNear = row((i) => 62000 + ((i * 13) % 2000) + (i % 2 === 0 ? (i % 3) - 1 : 8000 * ((i % 3) - 1)) * (i % 7 === 0 ? 0 : 1));
      const A = [floorMix, halfOut, ties, ties, mixed, halfOut, floorMix];
      const B = [halfOut, halfOutOther, tiesShifted, floorMix, mixedNear, halfOut, mixed];
      const [pa, pb] = writePair(dir, V, 2, A, B);
      assertSameRows(pa, pb);
      assertSameRows(pb, pa);
    }
  });

  test('the compare result is the same with and without the native loop, 1 and 2 threads', async () => {
    const fx = writeKldFixture({ dir, nCtx: 64, nVocab: 777, nChunk: 3, seed: 8 });
    const run = async (threads: number, disable: string) => {
      const prev = process.env.KLSCOPE_DISABLE;
      process.env.KLSCOPE_DISABLE = disable;
      try {
        return (await compareFiles({ base: fx.base, candidate: fx.cand, threads, minWorkerElements: 0 })).result;
      } finally {
        if (prev === undefined) delete process.env.KLSCOPE_DISABLE;
        else process.env.KLSCOPE_DISABLE = prev;
      }
    };
    const ref = await run(1, 'native');
    for (const threads of [1, 2]) {
      const r = await run(threads, '');
      assert.equal(r.sameTop.p, ref.sameTop.p);
      assert.ok(Math.abs(r.kld.mean! - ref.kld.mean!) <= 1e-12 * Math.abs(ref.kld.mean!));
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
