import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { SummarizeScratch, roundKlrefRow, summarizeLogRow, type KlrefRow } from '../io/klref.js';
import { nativeKlrefRow } from '../kernels/registry.js';
import { seededRandom } from '../random.js';
import { logSoftmax } from '../rows/logSumExp.js';
import { runCli } from '../testing/cli.js';
import { writeKldFixture } from '../testing/kldFixtures.js';
import { BoundsScratch, rowBounds, type CandidateRow, type ReferenceView, type RowBoundsOut } from './bounds.js';
import { openFileReferenceSource, writeReference } from './referenceSource.js';
import { windowThresholdCode } from './rowStats.js';

const native = nativeKlrefRow();

function newOut(): RowBoundsOut {
  return { lo: new Float64Array(4), hi: new Float64Array(4), est: new Float64Array(4), argmaxCand: 0 };
}

/** A .kld candidate row read from its codes, as compare against a reference builds it. */
function kldCandidate(codes: Uint16Array, scale: number, min: number): CandidateRow {
  const expHi = new Float64Array(256);
  const expLo = new Float64Array(256);
  for (let j = 0; j < 256; j++) {
    expHi[j] = Math.exp(min + 256 * scale * j);
    expLo[j] = Math.exp(scale * j);
  }
  const thr = windowThresholdCode(scale, min);
  const V = codes.length;
  return {
    logq: new Float64Array(V),
    q: new Float64Array(V),
    window: thr > 65535 ? Infinity : min + scale * thr,
    kld: { codes, scale, min, expHi, expLo, thresholdCode: thr },
  };
}

/** The same row decoded into log q and q token by token: the logit candidate path, which shares no code with the code pass. */
function decoded(c: CandidateRow): CandidateRow {
  const k = c.kld!;
  const V = k.codes.length;
  const logq = new Float64Array(V);
  const q = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    const code = k.codes[i]!;
    logq[i] = k.min + k.scale * code;
    q[i] = k.expHi[code >>> 8]! * k.expLo[code & 255]!;
  }
  return { logq, q, window: c.window };
}

interface Case {
  V: number;
  k: number;
  codes: Uint16Array;
  scale: number;
  min: number;
  lp: Float64Array;
  view: ReferenceView['view'];
}

const CODE_MODES = ['uniform', 'lm', 'ties', 'zeros', 'top', 'alternate'] as const;
const BASE_MODES = ['zipf', 'flat', 'allInTopK', 'masked', 'ties'] as const;
const WINDOWS = ['some', 'all', 'none'] as const;

function makeCase(V: number, kMode: number, codeMode: (typeof CODE_MODES)[number], baseMode: (typeof BASE_MODES)[number], win: (typeof WINDOWS)[number], view: ReferenceView['view'], seed: number): Case {
  const rnd = seededRandom(seed);
  const k = kMode === 0 ? 1 : kMode === 1 ? V : kMode === 2 ? Math.max(1, V - 1) : 1 + Math.floor(rnd() * V);
  // the window: some codes in (min −30), all in (min −10 > −16), none (every code decodes below −16)
  const min = win === 'some' ? -30 : win === 'all' ? -10 : -60;
  const scale = win === 'none' ? 30 / 65535 : -min / 65535;
  const codes = new Uint16Array(V);
  const tieCodes = [0, 65535, Math.floor(rnd() * 65536)];
  for (let i = 0; i < V; i++) {
    const r = rnd();
    codes[i] =
      codeMode === 'uniform'
        ? Math.floor(r * 65536)
        : codeMode === 'lm'
          ? Math.max(0, Math.min(65535, Math.round((-1.3 * Math.log(1 + r * V) - 0.3 * rnd() - min) / scale)))
          : codeMode === 'ties'
            ? tieCodes[Math.floor(r * 3)]!
            : codeMode === 'zeros'
              ? 0
              : codeMode === 'top'
                ? 65535
                : i % 2 === 0
                  ? 65535
                  : 0;
  }
  const x = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    const rank = 1 + Math.floor(rnd() * V);
    x[i] =
      baseMode === 'flat'
        ? 0.01 * rnd()
        : baseMode === 'allInTopK'
          ? i < k ? -rnd() : -900 - rnd()
          : baseMode === 'ties'
            ? -Math.floor(3 * rnd())
            : -1.2 * Math.log(rank) + rnd();
  }
  if (baseMode === 'masked' && V > 1) x[V - 1] = -Infinity;
  return { V, k, codes, scale, min, lp: logSoftmax(x), view };
}

function referenceRow(c: Case): KlrefRow {
  const row: KlrefRow = { logTail: 0, logTailAll: 0, floor: 0, logpTarget: NaN, nWindow: c.k, logp: new Float64Array(c.k), ids: new Int32Array(c.k) };
  summarizeLogRow(c.lp, c.k, row, new SummarizeScratch(c.V), c.view === 'kld-window' ? { window: -16 } : {});
  roundKlrefRow(row);
  return row;
}

const same = (a: number, b: number) => Object.is(a, b);
/**
 * The native bounds against the TypeScript ones: the same operations in the same order, but
 * the C library's exp, log and log1p for V8's (each within an ulp), so the sums may differ by a
 * few ulps of their terms' magnitudes (up to a few hundred here).
 */
const twin = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-13 * Math.max(Math.abs(a), Math.abs(b)) + 1e-15;
/**
 * The code pass and the logit path size the bounds' rounding slack differently (the code pass
 * bounds the floor terms' magnitudes by the row's range [min, 0]); the slack is (V + 16)·2⁻⁵²
 * times magnitudes of at most a few hundred here, hence the absolute part.
 */
const near = (a: number, b: number, V: number) =>
  a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) + 256 * (V + 16) * 2 ** -52;

/**
 * The bounds of one case with the native code pass, with the TypeScript code pass, through the
 * logit path on the decoded row, and all native: the first two agree bit for bit; the logit path
 * (token-order sums, its own heap and selection) to rounding (see near); the native bounds to a
 * few ulps (see twin).
 */
function checkCase(c: Case, scratches: { nat: BoundsScratch; js: BoundsScratch; all: BoundsScratch }): void {
  const row = referenceRow(c);
  const ref: ReferenceView = { nVocab: c.V, view: c.view };
  const cand = kldCandidate(c.codes, c.scale, c.min);
  const what = `V ${c.V}, k ${c.k}, ${c.view}, codes ${c.codes.subarray(0, 4).join(',')}…`;
  const outN = newOut();
  rowBounds(row, cand, ref, scratches.nat, outN);
  const maxN = cand.kld!.maxCode;
  const massN = cand.kld!.windowMass;
  const outJ = newOut();
  rowBounds(row, cand, ref, scratches.js, outJ);
  for (let m = 0; m < 4; m++) {
    assert.ok(same(outN.lo[m]!, outJ.lo[m]!), `${what}: lo[${m}] native ${outN.lo[m]} js ${outJ.lo[m]}`);
    assert.ok(same(outN.hi[m]!, outJ.hi[m]!), `${what}: hi[${m}] native ${outN.hi[m]} js ${outJ.hi[m]}`);
    assert.ok(same(outN.est[m]!, outJ.est[m]!), `${what}: est[${m}] native ${outN.est[m]} js ${outJ.est[m]}`);
  }
  assert.equal(outN.argmaxCand, outJ.argmaxCand, what);
  assert.ok(same(maxN!, cand.kld!.maxCode!) && same(massN!, cand.kld!.windowMass!), `${what}: row checks native ${maxN}, ${massN}; js ${cand.kld!.maxCode}, ${cand.kld!.windowMass}`);
  // independent values: the logit path on the decoded row, and the row checks token by token
  const outL = newOut();
  rowBounds(row, decoded(cand), ref, new BoundsScratch(c.V, { native: false }), outL);
  for (let m = 0; m < 4; m++) {
    assert.ok(near(outJ.lo[m]!, outL.lo[m]!, c.V), `${what}: lo[${m}] code pass ${outJ.lo[m]}, logit path ${outL.lo[m]}`);
    assert.ok(near(outJ.hi[m]!, outL.hi[m]!, c.V), `${what}: hi[${m}] code pass ${outJ.hi[m]}, logit path ${outL.hi[m]}`);
    assert.ok(near(outJ.est[m]!, outL.est[m]!, c.V), `${what}: est[${m}] code pass ${outJ.est[m]}, logit path ${outL.est[m]}`);
  }
  assert.equal(outJ.argmaxCand, outL.argmaxCand, what);
  let maxCode = 0;
  let first = 0;
  let mass = 0;
  const kc = cand.kld!;
  for (let i = 0; i < c.V; i++) {
    const code = c.codes[i]!;
    if (code > maxCode) [maxCode, first] = [code, i];
    if (code >= kc.thresholdCode) mass += kc.expHi[code >>> 8]! * kc.expLo[code & 255]!;
  }
  assert.equal(kc.maxCode, maxCode, what);
  assert.equal(outJ.argmaxCand, first, what);
  assert.ok(Math.abs(kc.windowMass! - mass) <= 1e-12 * Math.max(1, mass), `${what}: window mass ${kc.windowMass}, token by token ${mass}`);
  // the whole bounds natively (native/klbounds.h)
  const outA = newOut();
  kc.maxCode = kc.windowMass = undefined;
  rowBounds(row, cand, ref, scratches.all, outA);
  for (let m = 0; m < 4; m++) {
    for (const f of ['lo', 'hi', 'est'] as const) {
      assert.ok(twin(outA[f][m]!, outJ[f][m]!), `${what}: ${f}[${m}] native bounds ${outA[f][m]}, TypeScript ${outJ[f][m]}`);
    }
  }
  assert.equal(outA.argmaxCand, outJ.argmaxCand, what);
  assert.ok(same(kc.maxCode!, maxN!) && same(kc.windowMass!, massN!), `${what}: row checks native bounds ${kc.maxCode}, ${kc.windowMass}; native pass ${maxN}, ${massN}`);
  for (const s of [scratches.nat, scratches.js, scratches.all]) assert.ok(s.counts.every((h) => h === 0), `${what}: the code counts are left at zero`);
}

describe('the reference bounds of a .kld candidate: native and TypeScript', () => {
  test('the scratch takes the native pass only where it is built and not disabled', () => {
    assert.equal(new BoundsScratch(5, { native: false }).native, undefined);
    const prev = process.env.KLSCOPE_DISABLE;
    process.env.KLSCOPE_DISABLE = 'native';
    try {
      assert.equal(new BoundsScratch(5).native, undefined);
    } finally {
      if (prev === undefined) delete process.env.KLSCOPE_DISABLE;
      else process.env.KLSCOPE_DISABLE = prev;
    }
    assert.equal(new BoundsScratch(5).native !== undefined, native !== undefined);
    assert.equal(new BoundsScratch(5).nativeBounds, native !== undefined);
    assert.equal(new BoundsScratch(5, { nativeBounds: false }).nativeBounds, false);
  });

  test('the code pass agrees bit for bit, the whole bounds to a few ulps, on random and adversarial rows (ties, all mass in the top-k, k = 1, V − 1, V, codes at 0 and 65535, empty and full windows)', (t) => {
    if (!native) return t.skip('native addon not built');
    const cache = new Map<number, { nat: BoundsScratch; js: BoundsScratch; all: BoundsScratch }>();
    const scratchFor = (V: number) => {
      let s = cache.get(V);
      if (!s) cache.set(V, (s = { nat: new BoundsScratch(V, { nativeBounds: false }), js: new BoundsScratch(V, { native: false }), all: new BoundsScratch(V) }));
      return s;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom(...CODE_MODES),
        fc.constantFrom(...BASE_MODES),
        fc.constantFrom(...WINDOWS),
        fc.constantFrom<ReferenceView['view']>('logits', 'kld-window'),
        fc.integer({ min: 1, max: 1 << 30 }),
        (V, kMode, codeMode, baseMode, win, view, seed) => {
          const c = makeCase(V, kMode, codeMode, baseMode, win, view, seed);
          checkCase(c, scratchFor(V));
        },
      ),
      { numRuns: 400, seed: 1207 },
    );
  });

  test('the code pass agrees bit for bit, the whole bounds to a few ulps, at an LM vocabulary (V = 128,256; k = 1, 64, 256)', (t) => {
    if (!native) return t.skip('native addon not built');
    const V = 128256;
    const s = { nat: new BoundsScratch(V, { nativeBounds: false }), js: new BoundsScratch(V, { native: false }), all: new BoundsScratch(V) };
    let seed = 5;
    for (const kMode of [0, 3]) {
      for (const codeMode of ['lm', 'uniform', 'ties'] as const) {
        for (const view of ['logits', 'kld-window'] as const) checkCase(makeCase(V, kMode, codeMode, 'zipf', 'some', view, seed++), s);
      }
    }
    for (const k of [64, 256]) {
      const c = makeCase(V, 1, 'lm', 'zipf', 'some', 'kld-window', seed++);
      checkCase({ ...c, k }, s);
    }
  });

  test('a top-k id that appears twice is refused the same way natively and in TypeScript, and leaves the scratch clean', () => {
    const c = makeCase(50, 3, 'lm', 'zipf', 'some', 'logits', 77);
    const row = referenceRow({ ...c, k: 6 });
    row.ids[4] = row.ids[1]!;
    const ref: ReferenceView = { nVocab: c.V, view: 'logits' };
    const messages = [new BoundsScratch(c.V), new BoundsScratch(c.V, { nativeBounds: false }), new BoundsScratch(c.V, { native: false })].map((s) => {
      assert.throws(() => rowBounds(row, kldCandidate(c.codes, c.scale, c.min), ref, s, newOut()), (e: Error) => e.name === 'DataError' && e.message === `token id ${row.ids[1]} appears twice in the top-k`);
      assert.ok(s.counts.every((h) => h === 0) && s.mark.every((m) => m === 0), 'the scratch is left clean');
      // and the next row is right
      const good = referenceRow({ ...c, k: 6 });
      const out = newOut();
      rowBounds(good, kldCandidate(c.codes, c.scale, c.min), ref, s, out);
      return out.lo[0];
    });
    assert.ok(twin(messages[0]!, messages[2]!) && Object.is(messages[1], messages[2]));
  });

  test('compare against a reference gives the same CLI JSON with KLSCOPE_DISABLE=native, to a few ulps', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'klscope-bounds-native-'));
    try {
      const fx = writeKldFixture({ dir, nCtx: 32, nVocab: 613, nChunk: 3, seed: 12 });
      for (const k of [1, 16, 613]) {
        const ref = path.join(dir, `base-k${k}.klref`);
        await writeReference(openFileReferenceSource(fx.base), ref, { topK: k });
        const a = runCli(['compare', ref, fx.cand, '--json']);
        const b = runCli(['compare', ref, fx.cand, '--json'], { env: { KLSCOPE_DISABLE: 'native' } });
        assert.equal(a.code, 0, a.stderr);
        assert.equal(b.code, 0, b.stderr);
        assert.ok(JSON.parse(a.stdout).bounds.kld.mean.length === 2);
        // the same document, its numbers to a few ulps (the native bounds use the C library's exp and log)
        const numbers: [string, number, number][] = [];
        const skeleton = (x: unknown, y: unknown, at: string): unknown => {
          if (typeof x === 'number' && typeof y === 'number') {
            numbers.push([at, x, y]);
            return 0;
          }
          if (x && typeof x === 'object' && y && typeof y === 'object') {
            return Object.fromEntries(Object.keys(x).map((key) => [key, skeleton((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key], `${at}.${key}`)]));
          }
          return x;
        };
        const A = JSON.parse(a.stdout);
        const B = JSON.parse(b.stdout);
        assert.deepEqual(skeleton(A, B, ''), skeleton(B, A, ''), `k = ${k}: the same keys and strings`);
        assert.ok(numbers.length > 100);
        for (const [at, x, y] of numbers) assert.ok(twin(x, y), `k = ${k}: ${at} is ${x} native, ${y} without`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
