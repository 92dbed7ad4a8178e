import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataError } from '../errors.js';
import { decodeKldValue, kldLayout } from '../io/kld.js';
import { compareFiles } from './engine.js';
import { writeKldFixture } from '../testing/kldFixtures.js';
import { createRowBlock, kldPairRowStats, windowThresholdCode } from './rowStats.js';
import { jsFromTermSum, jsTerm, klLogTerm, tvFromSum } from '../rows/terms.js';

describe('rowStats', () => {
  test('windowThresholdCode is the first code llama.cpp sums (linear scan, property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.001, noNaN: true }), fc.double({ min: -40, max: -0.01, noNaN: true }), (s, m) => {
        const scale = Math.fround(s);
        const min = Math.fround(m);
        let first = 65536;
        for (let c = 0; c <= 65535; c++) {
          if (decodeKldValue(scale, min, c) > -16) {
            first = c;
            break;
          }
        }
        assert.equal(windowThresholdCode(scale, min), first);
      }),
      { numRuns: 60 },
    );
    // a flat row (scale 0): all tokens in the window when min_log_prob > −16, none otherwise
    assert.equal(windowThresholdCode(0, -Math.log(32000)), 0);
    assert.equal(windowThresholdCode(0, -17), 65536);
  });

  test('createRowBlock starts without targets', () => {
    const b = createRowBlock(3, 10);
    assert.equal(b.row0, 10);
    assert.deepEqual([...b.target], [-1, -1, -1]);
    assert.ok(Number.isNaN(b.logpTarget[2]!));
  });

  describe('.kld rows are checked as distributions', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'klscope-rowcheck-'));
    const nCtx = 24;
    const nVocab = 1001;
    const fx = writeKldFixture({ dir, nCtx, nVocab, nChunk: 3, seed: 5, flatRow: 2 });
    const h = kldLayout(nCtx, nVocab, 3);
    const bytes = readFileSync(fx.cand);
    /** a copy of the candidate with row `row` rewritten */
    const corrupt = (name: string, row: number, edit: (b: Buffer, off: number) => void): string => {
      const b = Buffer.from(bytes);
      edit(b, h.dataOffset + row * h.rowBytes);
      const p = path.join(dir, name);
      writeFileSync(p, b);
      return p;
    };
    const rejects = async (cand: string, re: RegExp, base = fx.base) => {
      // the native .kld loop (where built) and the JavaScript loop raise the same error
      const prev = process.env.KLSCOPE_DISABLE;
      try {
        for (const disable of ['', 'native']) {
          process.env.KLSCOPE_DISABLE = disable;
          for (const threads of [1, 2]) {
            await assert.rejects(compareFiles({ base, candidate: cand, threads, minWorkerElements: 0 }), (e: Error) => {
              assert.ok(e instanceof DataError, `${e}`);
              assert.doesNotMatch(e.message, /\n/);
              assert.match(e.message, re);
              return true;
            });
          }
        }
      } finally {
        if (prev === undefined) delete process.env.KLSCOPE_DISABLE;
        else process.env.KLSCOPE_DISABLE = prev;
      }
    };

    test('files written by KldWriter pass, a flat row (scale 0) too', async () => {
      const r = await compareFiles({ base: fx.base, candidate: fx.cand, threads: 1 });
      assert.ok(r.result.kld.mean! > 0);
    });

    test('log-probabilities above 0: scale 0.01 and min 0 (decodes up to 655), and scale 1e-4, min 0', async () => {
      const wide = corrupt('wide.kld', 7, (b, off) => {
        b.writeFloatLE(0.01, off);
        b.writeFloatLE(0, off + 4);
      });
      const at = h.dataOffset + 7 * h.rowBytes;
      await rejects(wide, new RegExp(`candidate \\(\\S*wide\\.kld\\): row 7 \\(chunk 0, byte offset ${at}\\): scale is 0\\.0099.*expected at most 16/65535`));
      const pos = corrupt('pos.kld', 7, (b, off) => {
        b.writeFloatLE(1e-4, off);
        b.writeFloatLE(0, off + 4);
      });
      await rejects(pos, new RegExp(`candidate \\(\\S*pos\\.kld\\): row 7 \\(chunk 0, byte offset ${at}\\): decodes to log-probability 6\\.55.*expected <= 0 within one storage step`));
      // also when the .kld side is compared with logits
      await rejects(pos, /candidate \(\S*pos\.kld\): row 7 .*expected <= 0/, fx.baseNpy);
    });

    test('a window whose mass is not 1: every code 0 at min_log_prob −5', async () => {
      const bad = corrupt('mass.kld', 13, (b, off) => {
        b.writeFloatLE(0, off);
        b.writeFloatLE(-5, off + 4);
        b.fill(0, off + 8, off + h.rowBytes);
      });
      const at = h.dataOffset + 13 * h.rowBytes;
      // 1001 · e^−5 = 6.74
      await rejects(bad, new RegExp(`candidate \\(\\S*mass\\.kld\\): row 13 \\(chunk 1, byte offset ${at}\\): its probabilities in the window \\(log p > -16\\) sum to 6\\.74`));
      await rejects(bad, /candidate \(\S*mass\.kld\): row 13 .*sum to 6\.74/, fx.baseNpy);
    });

    test('scale 1e30: a one-line error naming the row, not a sketch failure', async () => {
      for (const min of [0, -1e35, -6.5535e34]) {
        const bad = corrupt(`huge${min}.kld`, 3, (b, off) => {
          b.writeFloatLE(1e30, off);
          b.writeFloatLE(min, off + 4);
        });
        await rejects(bad, /candidate \(\S*huge\S*\.kld\): row 3 \(chunk 0, byte offset \d+\): scale is 1\.0+\d*e\+30, expected at most 16\/65535/);
      }
    });

    test('the base side is checked too', async () => {
      const b = Buffer.from(readFileSync(fx.base));
      b.writeFloatLE(0, h.dataOffset + 4 * h.rowBytes + 4);
      const p = path.join(dir, 'badbase.kld');
      writeFileSync(p, b);
      await rejects(fx.cand, /base \(\S*badbase\.kld\): row 4 .*expected <= 0/, p);
      rmSync(dir, { recursive: true, force: true });
    });
  });
});

describe('the .kld row-pair loop against the shared per-element terms', () => {
  // The loop writes klLogTerm and jsTerm out for speed; this is the same loop through the shared
  // terms of rows/terms.ts (same exp tables, same order of sums), so the two agree to the bit.
  const shared = (sa: number, ma: number, ca: Uint16Array, sb: number, mb: number, cb: Uint16Array): number[] => {
    const pOf = (s: number, m: number, c: number) => Math.exp(m + 256 * s * (c >>> 8)) * Math.exp(s * (c & 255));
    const ta = windowThresholdCode(sa, ma);
    const tb = windowThresholdCode(sb, mb);
    let fwd = 0, rev = 0, js = 0, tv = 0, sp = 0, sq = 0;
    let amA = 0, amB = 0, maxA = -1, maxB = -1;
    for (let i = 0; i < ca.length; i++) {
      const x = ca[i]!, y = cb[i]!;
      if (x > maxA) [maxA, amA] = [x, i];
      if (y > maxB) [maxB, amB] = [y, i];
      if (x < ta && y < tb) continue;
      const la = ma + sa * x, lb = mb + sb * y;
      const p = x >= ta ? pOf(sa, ma, x) : 0;
      const q = y >= tb ? pOf(sb, mb, y) : 0;
      sp += p;
      sq += q;
      if (x >= ta) fwd += klLogTerm(p, la, lb);
      if (y >= tb) rev += klLogTerm(q, lb, la);
      tv += Math.abs(p - q);
      js += jsTerm(p, q, la, lb);
    }
    return [fwd, rev, jsFromTermSum(js), tvFromSum(tv), amA, amB, sp, sq];
  };
  const agree = (sa: number, ma: number, ca: Uint16Array, sb: number, mb: number, cb: Uint16Array) => {
    const got = [...kldPairRowStats(Math.fround(sa), Math.fround(ma), ca, Math.fround(sb), Math.fround(mb), cb)];
    assert.deepEqual(got, shared(Math.fround(sa), Math.fround(ma), ca, Math.fround(sb), Math.fround(mb), cb));
  };

  test('edge rows: identical, one side outside the window, |d| at the series cut 0.25, codes 0 and 65535, flat rows', () => {
    const s = 1 / 4096; // d = s·Δcode: 1024 codes apart is d = 0.25 exactly
    const top = new Uint16Array([65535, 65535 - 1024, 65535 - 1023, 0, 65535 - 5000, 40000, 65535]);
    agree(s, -16, top, s, -16, top);
    agree(s, -16, top, s, -16, new Uint16Array([65535 - 1024, 65535, 65535, 65535, 0, 0, 65535 - 1025]));
    agree(s, -16, top, s, -16, new Uint16Array(top.length)); // the candidate all below the window
    agree(16 / 65535, -1e-7, new Uint16Array([65535, 0, 1, 2]), 16 / 65535, -0.5, new Uint16Array([0, 65535, 65534, 3]));
    agree(0, -Math.log(7), new Uint16Array(7), 0, -Math.log(7), new Uint16Array(7).fill(9)); // scale 0: flat rows
    agree(0, -17, new Uint16Array(3), s, -16, new Uint16Array([65535, 1, 2])); // the base's window is empty
  });

  test('random rows: near-equal (series) and far (logarithm) log-probabilities (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 16 / 65535, noNaN: true }),
        fc.double({ min: -20, max: -1e-6, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: -3000, max: 3000 })), { minLength: 1, maxLength: 300 }),
        (sa, ma, far, cells) => {
          const ca = Uint16Array.from(cells, ([c]) => c);
          // the candidate near the base (small shifts: the series) or anywhere (the logarithm)
          const cb = Uint16Array.from(cells, ([c, d], i) => (i / cells.length < far ? Math.min(65535, Math.max(0, c + d)) : (c * 7919 + d) & 0xffff));
          agree(sa, ma, ca, sa * (1 + far / 10), ma - far, cb);
        },
      ),
      { numRuns: 300 },
    );
  });
});
