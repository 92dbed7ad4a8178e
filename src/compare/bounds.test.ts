import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SummarizeScratch, roundKlrefRow, summarizeLogRow, type KlrefRow } from '../io/klref.js';
import { BoundsScratch, exactMeasures, rowBounds, type RowBoundsOut } from './bounds.js';
import { storedLogpError } from '../io/klref.js';
import { logSoftmax } from '../rows/logSumExp.js';

const NAMES = ['KL(base‖candidate)', 'KL(candidate‖base)', 'JS', 'TVD'];

function emptyRow(k: number): KlrefRow {
  return { logTail: 0, logTailAll: 0, floor: 0, logpTarget: NaN, nWindow: k, logp: new Float64Array(k), ids: new Int32Array(k) };
}

function newOut(): RowBoundsOut {
  return { lo: new Float64Array(4), hi: new Float64Array(4), est: new Float64Array(4), argmaxCand: 0 };
}

/** The stored row (as the file holds it) of a base row at top-k k, and the bounds against lq. */
function boundsFor(lp: Float64Array, lq: Float64Array, k: number): RowBoundsOut {
  const V = lp.length;
  const row = emptyRow(k);
  summarizeLogRow(lp, k, row, new SummarizeScratch(V));
  roundKlrefRow(row);
  const out = newOut();
  rowBounds(row, { logq: lq, q: lq.map(Math.exp), window: -Infinity }, { nVocab: V, view: 'logits' }, new BoundsScratch(V), out);
  return out;
}

function assertContains(out: RowBoundsOut, exact: number[], what: string): void {
  for (let m = 0; m < 4; m++) {
    const lo = out.lo[m]!;
    const hi = out.hi[m]!;
    assert.ok(!Number.isNaN(lo) && !Number.isNaN(hi) && !Number.isNaN(out.est[m]!), `${what}: ${NAMES[m]} NaN`);
    assert.ok(lo >= 0, `${what}: ${NAMES[m]} lower bound ${lo} < 0`);
    assert.ok(lo <= exact[m]! && exact[m]! <= hi, `${what}: ${NAMES[m]} = ${exact[m]} outside [${lo}, ${hi}]`);
    assert.ok(lo <= out.est[m]! && out.est[m]! <= hi, `${what}: ${NAMES[m]} estimate ${out.est[m]} outside [${lo}, ${hi}]`);
  }
}

/** Logit rows of a few LM-like shapes: peaked (Zipf, steep), flat, and a candidate near the base. */
const shapeArb = fc.record({
  V: fc.integer({ min: 2, max: 40 }),
  kind: fc.constantFrom('peaked', 'flat', 'zipf', 'near', 'masked'),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
  noise: fc.double({ min: 1e-6, max: 3, noNaN: true }),
});

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function makePair(V: number, kind: string, seed: number, noise: number): [Float64Array, Float64Array] {
  const r = rng(seed);
  const a = new Float64Array(V);
  const b = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    const rank = 1 + Math.floor(r() * V);
    a[i] = kind === 'flat' ? 0.01 * r() : kind === 'peaked' ? -12 * Math.log(rank) : -1.2 * Math.log(rank) + r();
    b[i] = a[i]! + (kind === 'near' ? 1e-4 * noise : noise) * (r() - 0.5);
  }
  if (kind === 'masked') {
    a[0] = -Infinity; // a masked base token: no floor, reverse KL unbounded
    b[1] = -Infinity; // and a masked candidate token
  }
  return [logSoftmax(a), logSoftmax(b)];
}

describe('certified bounds', () => {
  test('every interval contains the exact value, for every k from 1 to V (fast-check)', () => {
    fc.assert(
      fc.property(shapeArb, ({ V, kind, seed, noise }) => {
        const [lp, lq] = makePair(V, kind, seed, noise);
        const exact = exactMeasures(lp, lq);
        for (let k = 1; k <= V; k++) assertContains(boundsFor(lp, lq, k), exact, `${kind} V=${V} k=${k}`);
      }),
      { numRuns: 300 },
    );
  });

  test('the upper bound is above every admissible tail (random points of the polytope) (fast-check)', () => {
    // tail of n tokens with mass m, each in [floor, ceiling]: random admissible tails stay below the bound
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 1 << 30 }), (n, seed) => {
        const r = rng(seed);
        // base: one top token plus a tail of n tokens
        const V = n + 1;
        const x = Array.from({ length: V }, (_, i) => (i === 0 ? 3 : r() * 2));
        const lp = logSoftmax(x);
        const lq = logSoftmax(Array.from({ length: V }, () => 3 * r()));
        const out = boundsFor(lp, lq, 1);
        // every admissible tail: p_j in [min tail p, max tail p] summing to m
        const tail = Array.from(lp.subarray(1), Math.exp);
        const m = tail.reduce((s, v) => s + v, 0);
        const lo = Math.min(...tail);
        const p0 = Math.exp(lp[0]!);
        const hi = p0; // the ceiling: the top-1 value (token 0 is the most likely)
        for (let trial = 0; trial < 30; trial++) {
          // a random point of the polytope: random weights, clipped and rescaled (kept only if admissible)
          const w = tail.map(() => r());
          const s = w.reduce((a, b) => a + b, 0);
          const p = w.map((v) => lo + ((m - n * lo) * v) / s);
          if (p.some((v) => v > hi * (1 + 1e-9))) continue;
          const full = Float64Array.from([Math.log(p0), ...p.map(Math.log)]);
          const e = exactMeasures(full, lq);
          for (let mi = 0; mi < 4; mi++) assert.ok(e[mi]! <= out.hi[mi]! * (1 + 1e-9) + 1e-12, `measure ${mi}: admissible tail ${e[mi]} above the upper bound ${out.hi[mi]}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('intervals close on the exact value as k → V', () => {
    const [lp, lq] = makePair(300, 'zipf', 42, 0.3);
    const exact = exactMeasures(lp, lq);
    const widths = [1, 10, 50, 150, 299, 300].map((k) => {
      const o = boundsFor(lp, lq, k);
      return o.hi[0]! - o.lo[0]!;
    });
    for (let i = 1; i < widths.length; i++) assert.ok(widths[i]! <= widths[i - 1]! * 1.0001 + 1e-6, `width grows from ${widths[i - 1]} to ${widths[i]}`);
    // k = V: only the float32 rounding of the stored values is left
    const full = boundsFor(lp, lq, 300);
    for (let m = 0; m < 4; m++) assert.ok(full.hi[m]! - full.lo[m]! <= 1e-6 * (1 + exact[m]!), `${NAMES[m]} width ${full.hi[m]! - full.lo[m]!} at k = V`);
    assert.ok(widths[0]! > 100 * widths[4]!);
  });

  test('by hand: base (0.7, 0.2, 0.1), uniform candidate, top 1', () => {
    const lp = Float64Array.of(Math.log(0.7), Math.log(0.2), Math.log(0.1));
    const lq = new Float64Array(3).fill(-Math.log(3));
    const o = boundsFor(lp, lq, 1);
    // lower: 0.7·ln(0.7·3) + 0.3·ln(0.3/(2/3)) (log-sum inequality on the tail)
    const lower = 0.7 * Math.log(2.1) + 0.3 * Math.log(0.45);
    // upper: the floor 0.1 pins the tail to {0.2, 0.1}; with equal q the vertex is the truth
    const truth = 0.7 * Math.log(2.1) + 0.2 * Math.log(0.6) + 0.1 * Math.log(0.3);
    assert.ok(Math.abs(o.lo[0]! - lower) < 1e-6, `lower ${o.lo[0]} vs ${lower}`);
    assert.ok(Math.abs(o.hi[0]! - truth) < 1e-6, `upper ${o.hi[0]} vs ${truth}`);
    // the estimate spreads 0.3 like the candidate (0.15 each): the lower bound
    assert.ok(Math.abs(o.est[0]! - lower) < 1e-6);
    // reverse: lower (2/3)·ln((2/3)/0.3) + (1/3)·ln((1/3)/0.7); upper (1/3)(ln(1/3) − ln 0.1) + (1/3)(ln(1/3) − ln 0.2) + top
    const revLo = (2 / 3) * Math.log(2 / 3 / 0.3) + (1 / 3) * Math.log(1 / 3 / 0.7);
    const revHi = (1 / 3) * (Math.log(1 / 3 / 0.7) + Math.log(1 / 3 / 0.1) + Math.log(1 / 3 / 0.2));
    assert.ok(Math.abs(o.lo[1]! - revLo) < 1e-6, `reverse lower ${o.lo[1]} vs ${revLo}`);
    assert.ok(Math.abs(o.hi[1]! - revHi) < 1e-6, `reverse upper ${o.hi[1]} vs ${revHi}`);
    // TVD: ½(|0.7 − 1/3| + |0.3 − 2/3|) at the lower bound
    assert.ok(Math.abs(o.lo[3]! - 0.5 * (0.7 - 1 / 3 + 2 / 3 - 0.3)) < 1e-6);
  });

  test('by hand: without a floor the greedy vertex fills the least likely tail tokens to the ceiling', () => {
    // base (0.5, 0.25, 0.25, 0) with the last token masked: floor unknown
    const lp = Float64Array.of(Math.log(0.5), Math.log(0.25), Math.log(0.25), -Infinity);
    const lq = Float64Array.of(Math.log(0.4), Math.log(0.3), Math.log(0.2), Math.log(0.1));
    const o = boundsFor(lp, lq, 2);
    // tail {2, 3}: m = 0.25, ceiling 0.25 (k-th value), lo = 0 → all 0.25 on token 3 (q = 0.1)
    const upper = 0.5 * Math.log(0.5 / 0.4) + 0.25 * Math.log(0.25 / 0.3) + 0.25 * Math.log(0.25 / 0.1);
    assert.ok(Math.abs(o.hi[0]! - upper) < 1e-6, `upper ${o.hi[0]} vs ${upper}`);
    assert.equal(o.hi[1], Infinity); // reverse: the masked token may have p = 0 while q = 0.1
    const exact = exactMeasures(lp, lq);
    assert.equal(exact[1], Infinity);
    assertContains(o, exact, 'masked');
  });

  test('the tail mass keeps its precision when the top-k mass is within rounding of 1', () => {
    // a peaked row: tail mass ≈ 1e-20, so 1 − Σ top-k p is 0 in float64
    const V = 50;
    const x = Array.from({ length: V }, (_, i) => (i === 0 ? 0 : -50 - i * 0.01));
    const lp = logSoftmax(x);
    const row = emptyRow(1);
    summarizeLogRow(lp, 1, row, new SummarizeScratch(V));
    let s = 0;
    for (let i = 1; i < V; i++) s += Math.exp(x[i]!);
    const trueLog = Math.log(s) - Math.log1p(s);
    assert.ok(Math.abs(row.logTail - trueLog) < 1e-12 * Math.abs(trueLog), `${row.logTail} vs ${trueLog}`);
    assert.equal(1 - Math.exp(lp[0]!), 0); // what the naive formula would give
    assert.ok(Number.isFinite(row.logTail));
  });
});

/** The candidate's JS and TVD terms see q only inside its window (llama.cpp's .kld reading). */
function windowed(lq: Float64Array, win: number): Float64Array {
  return lq.map((x) => (x >= win ? Math.exp(x) : 0));
}

/** ½Σ p·log(2p/(p+q)) + q·log(2q/(p+q)) and ½Σ|p − q| in float64, straight from the definitions. */
function jsTvd(p: ArrayLike<number>, q: ArrayLike<number>): [number, number] {
  let j = 0;
  let t = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!;
    const b = q[i]!;
    if (a > 0) j += a * Math.log((2 * a) / (a + b));
    if (b > 0) j += b * Math.log((2 * b) / (a + b));
    t += Math.abs(a - b);
  }
  return [0.5 * j, 0.5 * t];
}

/**
 * The largest JS and TVD over every vertex of the admissible tail set {lo ≤ p_j ≤ hi, Σ p_j = m},
 * enumerated (each subset at hi, one free coordinate, the rest at lo), with the top-k at their
 * stored values: no admissible base gives more, so the certified upper bound must not be below.
 */
function worstVertex(row: KlrefRow, V: number, q: Float64Array): [number, number] {
  const k = row.ids.length;
  const inTop = new Set(row.ids);
  const tailIds = Array.from({ length: V }, (_, i) => i).filter((i) => !inTop.has(i));
  const n = tailIds.length;
  const p = new Float64Array(V);
  for (let i = 0; i < k; i++) p[row.ids[i]!] = Math.exp(row.logp[i]!);
  if (n === 0) return jsTvd(p, q);
  const m = Math.exp(row.logTail);
  const lo = Math.exp(row.floor);
  const hi = Math.exp(row.logp[k - 1]! + storedLogpError(row.logp[k - 1]!));
  let best: [number, number] = [-Infinity, -Infinity];
  for (let free = 0; free < n; free++) {
    for (let mask = 0; mask < 1 << (n - 1); mask++) {
      let s = 0;
      let b = 0;
      for (let j = 0; j < n; j++) {
        if (j === free) continue;
        const v = (mask >> b++) & 1 ? hi : lo;
        p[tailIds[j]!] = v;
        s += v;
      }
      const r = m - s;
      if (r < lo - 1e-15 || r > hi + 1e-15) continue;
      p[tailIds[free]!] = Math.min(hi, Math.max(lo, r));
      const [j, t] = jsTvd(p, q);
      best = [Math.max(best[0], j), Math.max(best[1], t)];
    }
  }
  return best;
}

/** Bounds of a stored row against a candidate with a window; `floor` overrides the stored floor. */
function boundsOf(row: KlrefRow, lq: Float64Array, win: number, floor = row.floor): RowBoundsOut {
  const V = lq.length;
  const out = newOut();
  rowBounds({ ...row, floor }, { logq: lq, q: lq.map(Math.exp), window: win }, { nVocab: V, view: 'logits' }, new BoundsScratch(V), out);
  return out;
}

function storedRow(lp: Float64Array, k: number): KlrefRow {
  const row = emptyRow(k);
  summarizeLogRow(lp, k, row, new SummarizeScratch(lp.length));
  roundKlrefRow(row);
  return row;
}

describe('JS and TVD upper bounds with a floor', () => {
  test('contain the exact value and every admissible tail, and are never above the floorless bounds, every k (fast-check)', () => {
    let tighter = 0;
    let cases = 0;
    fc.assert(
      fc.property(
        fc.record({
          V: fc.integer({ min: 2, max: 9 }),
          kind: fc.constantFrom('peaked', 'flat', 'zipf', 'near'),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
          noise: fc.double({ min: 1e-6, max: 3, noNaN: true }),
          // the candidate's window: none, or one that leaves its least likely tokens out
          cut: fc.constantFrom(0, 0, 0.1, 0.4),
        }),
        ({ V, kind, seed, noise, cut }) => {
          const [lp, lq] = makePair(V, kind, seed, noise);
          const sorted = Array.from(lq).sort((a, b) => a - b);
          const win = cut === 0 ? -Infinity : sorted[Math.floor(cut * V)]!;
          const qw = windowed(lq, win);
          const exact = jsTvd(lp.map(Math.exp), qw);
          for (let k = 1; k <= V; k++) {
            const row = storedRow(lp, k);
            const o = boundsOf(row, lq, win);
            const old = boundsOf(row, lq, win, -Infinity);
            const worst = worstVertex(row, V, qw);
            const what = `${kind} V=${V} k=${k} window=${win}`;
            for (let m = 2; m < 4; m++) {
              const e = exact[m - 2]!;
              const cap = m === 2 ? Math.LN2 : 1;
              assert.ok(o.lo[m]! <= e * (1 + 1e-12) + 1e-15 && e <= o.hi[m]! * (1 + 1e-12) + 1e-15, `${what}: ${NAMES[m]} = ${e} outside [${o.lo[m]}, ${o.hi[m]}]`);
              assert.ok(Math.min(cap, worst[m - 2]!) <= o.hi[m]! * (1 + 1e-12) + 1e-15, `${what}: ${NAMES[m]} of an admissible vertex ${worst[m - 2]} above the upper bound ${o.hi[m]}`);
              assert.ok(o.hi[m]! <= old.hi[m]!, `${what}: ${NAMES[m]} upper bound ${o.hi[m]} above the floorless ${old.hi[m]}`);
              assert.equal(o.lo[m], old.lo[m], `${what}: ${NAMES[m]} lower bound changed`);
              if (o.hi[m]! < old.hi[m]! * (1 - 1e-9)) tighter++;
              cases++;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(tighter > cases / 4, `the floor tightened ${tighter} of ${cases} bounds`);
  });

  test('a .kld candidate read from its codes: the same containment (fast-check)', () => {
    fc.assert(
      fc.property(shapeArb, fc.constantFrom(0, 0.2, 0.5), ({ V, kind, seed, noise }, cut) => {
        const [lp, lq] = makePair(Math.min(V, 9), kind === 'masked' ? 'peaked' : kind, seed, noise);
        const n = lp.length;
        // llama.cpp's coding: log q = min + scale·code, 16-bit codes, q from two 256-entry tables
        const min = Math.max(-60, Math.min(...lq));
        const scale = -min / 65535;
        const codes = Uint16Array.from(lq, (x) => Math.round((Math.max(min, x) - min) / scale));
        const expHi = Float64Array.from({ length: 256 }, (_, j) => Math.exp(min + 256 * scale * j));
        const expLo = Float64Array.from({ length: 256 }, (_, j) => Math.exp(scale * j));
        const sortedCodes = Array.from(codes).sort((a, b) => a - b);
        const thresholdCode = cut === 0 ? 0 : sortedCodes[Math.floor(cut * n)]!;
        const q = Float64Array.from(codes, (c) => expHi[c >>> 8]! * expLo[c & 255]!);
        const logq = Float64Array.from(codes, (c) => min + scale * c);
        const qw = Float64Array.from(codes, (c, i) => (c >= thresholdCode ? q[i]! : 0));
        const cand = (floorless: boolean, row: KlrefRow) => {
          const out = newOut();
          rowBounds(floorless ? { ...row, floor: -Infinity } : row, { logq, q, window: min + scale * thresholdCode, kld: { codes, scale, min, expHi, expLo, thresholdCode } }, { nVocab: n, view: 'logits' }, new BoundsScratch(n), out);
          return out;
        };
        const exact = jsTvd(lp.map(Math.exp), qw);
        for (let k = 1; k <= n; k++) {
          const row = storedRow(lp, k);
          const o = cand(false, row);
          const old = cand(true, row);
          const worst = worstVertex(row, n, qw);
          for (let m = 2; m < 4; m++) {
            const cap = m === 2 ? Math.LN2 : 1;
            const e = Math.min(cap, exact[m - 2]!);
            const what = `${kind} V=${n} k=${k} threshold ${thresholdCode}: ${NAMES[m]}`;
            assert.ok(o.lo[m]! <= e * (1 + 1e-12) + 1e-15 && e <= o.hi[m]! * (1 + 1e-12) + 1e-15, `${what} = ${e} outside [${o.lo[m]}, ${o.hi[m]}]`);
            assert.ok(Math.min(cap, worst[m - 2]!) <= o.hi[m]! * (1 + 1e-12) + 1e-15, `${what}: an admissible vertex ${worst[m - 2]} above ${o.hi[m]}`);
            assert.ok(o.hi[m]! <= old.hi[m]!, `${what}: ${o.hi[m]} above the floorless ${old.hi[m]}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('hundreds of tail tokens: the bounds on the tokens beyond the known ones hold (fast-check)', () => {
    // a large tail with a few big top-k values leaves most tail tokens at the floor, where only
    // the sums bound them
    fc.assert(
      fc.property(shapeArb, fc.constantFrom(0, 0.3), ({ kind, seed, noise }, cut) => {
        const V = 300;
        const [lp, lq] = makePair(V, kind === 'masked' ? 'zipf' : kind, seed, noise);
        const sorted = Array.from(lq).sort((a, b) => a - b);
        const win = cut === 0 ? -Infinity : sorted[Math.floor(cut * V)]!;
        const exact = jsTvd(lp.map(Math.exp), windowed(lq, win));
        for (const k of [1, 3, 30, 150, 299]) {
          const row = storedRow(lp, k);
          const o = boundsOf(row, lq, win);
          const old = boundsOf(row, lq, win, -Infinity);
          for (let m = 2; m < 4; m++) {
            const e = exact[m - 2]!;
            assert.ok(o.lo[m]! <= e * (1 + 1e-12) + 1e-15 && e <= o.hi[m]! * (1 + 1e-12) + 1e-15, `${kind} k=${k}: ${NAMES[m]} = ${e} outside [${o.lo[m]}, ${o.hi[m]}]`);
            assert.ok(o.hi[m]! <= old.hi[m]!, `${kind} k=${k}: ${NAMES[m]} ${o.hi[m]} above the floorless ${old.hi[m]}`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('by hand: base (0.4, 0.2, 0.2, 0.2), uniform candidate, top 1: the floor pins the tail', () => {
    // tail m = 0.6 over 3 tokens, ceiling 0.4, floor 0.2: the only admissible tail is (0.2, 0.2, 0.2)
    const lp = Float64Array.of(Math.log(0.4), Math.log(0.2), Math.log(0.2), Math.log(0.2));
    const lq = new Float64Array(4).fill(Math.log(0.25));
    const row = storedRow(lp, 1);
    const o = boundsOf(row, lq, -Infinity);
    const old = boundsOf(row, lq, -Infinity, -Infinity);
    // TVD = ½(0.15 + 3·0.05) = 0.15
    assert.ok(Math.abs(o.hi[3]! - 0.15) < 1e-6, `TVD upper ${o.hi[3]} vs 0.15`);
    // JS = ½[0.4·ln(0.8/0.65) + 0.25·ln(0.5/0.65) + 3·(0.2·ln(0.4/0.45) + 0.25·ln(0.5/0.45))]
    const js = 0.5 * (0.4 * Math.log(0.8 / 0.65) + 0.25 * Math.log(0.5 / 0.65) + 3 * (0.2 * Math.log(0.4 / 0.45) + 0.25 * Math.log(0.5 / 0.45)));
    assert.ok(Math.abs(o.hi[2]! - js) < 1e-6, `JS upper ${o.hi[2]} vs ${js}`);
    // without the floor the box [0, 0.4] admits (0.4, 0.2, 0): TVD ½(0.15 + 0.15 + 0.05 + 0.25) = 0.3
    assert.ok(Math.abs(old.hi[3]! - 0.3) < 1e-6, `floorless TVD upper ${old.hi[3]} vs 0.3`);
    const jsOld = 0.5 * (0.4 * Math.log(0.8 / 0.65) + 0.25 * Math.log(0.5 / 0.65) + (0.4 * Math.log(0.8 / 0.65) + 0.25 * Math.log(0.5 / 0.65)) + (0.2 * Math.log(0.4 / 0.45) + 0.25 * Math.log(0.5 / 0.45)) + 0.25 * Math.LN2);
    assert.ok(Math.abs(old.hi[2]! - jsOld) < 1e-6, `floorless JS upper ${old.hi[2]} vs ${jsOld}`);
    // the interval closes: the lower bounds are the truth too
    assert.ok(Math.abs(o.lo[3]! - 0.15) < 1e-6 && Math.abs(o.lo[2]! - js) < 1e-6);
  });

  test('by hand: tokens beyond the known ones, at the floor, bounded through the sums', () => {
    // V = 6, top 1 = 0.9; tail of 5 with floor 0.01 and ceiling 0.9: m = 0.1, n_hi = ⌊(0.1 − 0.05)/0.89⌋ = 0,
    // r = 0.1 − 4·0.01 = 0.06 on the least likely token; the other 4 at 0.01
    const p = [0.9, 0.03, 0.02, 0.02, 0.02, 0.01];
    const q = [0.5, 0.1, 0.1, 0.1, 0.15, 0.05];
    const lp = Float64Array.from(p, Math.log);
    const lq = Float64Array.from(q, Math.log);
    const row = storedRow(lp, 1);
    const o = boundsOf(row, lq, -Infinity);
    // the worst tail: 0.06 on token 5 (q = 0.05), 0.01 on the others
    const worst = [0.9, 0.01, 0.01, 0.01, 0.01, 0.06];
    const [js, tvd] = jsTvd(worst, q);
    // TVD: exact at the vertex (every q ≥ the floor); JS: within about Σ lo²/q = 4e-4·Σ 1/q of it
    assert.ok(Math.abs(o.hi[3]! - tvd) < 1e-6, `TVD upper ${o.hi[3]} vs ${tvd}`);
    assert.ok(o.hi[2]! >= js - 1e-9 && o.hi[2]! - js < 1e-3, `JS upper ${o.hi[2]} vs ${js}`);
    const [jsT, tvdT] = jsTvd(p, q);
    assert.ok(o.lo[2]! <= jsT && jsT <= o.hi[2]! && o.lo[3]! <= tvdT && tvdT <= o.hi[3]!);
  });
});

