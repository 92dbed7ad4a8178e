import { ArgumentError, DataError, showValue } from '../errors.js';
import { KLD_WINDOW, decodeKldValue } from '../io/kld.js';
import { nativeKldRows } from '../kernels/registry.js';
import type { NativeKldRows } from '../kernels/nativeBackend.js';
import type { RowBlock } from './accumulator.js';
import type { RowSource as OpenedSource } from './types.js';
import { shiftInto } from '../rows/logSumExp.js';
import { scanError, scanRow, type RowRule } from '../rows/scan.js';
import { jsFromTermSum, jsTerm, klLogTerm, tvFromSum } from '../rows/terms.js';
import { SUM_TOLERANCE } from '../rows/tolerance.js';
import { COMPARE_MEASURES, type CompareRowKey } from '../rows/measureTable.js';

/** The row rule of a float side of a comparison: logits. */
const LOGITS: RowRule = { from: 'logits', tolerance: SUM_TOLERANCE };

/** The compare measures' block fields, in ROW order. */
const ROW_KEYS = COMPARE_MEASURES.map((m) => m.row);
/** Where ROW holds the argmaxes (base, candidate) and the window masses (base, candidate). */
const AM = ROW_KEYS.length;
const MASS = AM + 2;

/**
 * Per-row results of the hot loops: the compare measures (forward, reverse, JS, TVD), argmax
 * base, argmax candidate, and the probability mass of each side's window (base, candidate),
 * checked for .kld sides.
 */
const ROW = new Float64Array(MASS + 2);

/**
 * Finishes a row into ROW: the JS sum (twice the divergence) halved and clamped to [0, ln 2],
 * TV halved and capped at 1 (rounding can leave either a hair outside its range).
 */
function setRow(fwd: number, rev: number, js: number, tv: number, amA: number, amB: number, massA: number, massB: number): void {
  ROW[MASS] = massA;
  ROW[MASS + 1] = massB;
  ROW[0] = fwd;
  ROW[1] = rev;
  ROW[2] = jsFromTermSum(js);
  ROW[3] = tvFromSum(tv);
  ROW[AM] = amA;
  ROW[AM + 1] = amB;
}

/** Copies the row just computed into slot k of a block. */
function copyRow(out: RowBlock, k: number): void {
  for (let m = 0; m < ROW_KEYS.length; m++) out[ROW_KEYS[m]!][k] = ROW[m]!;
  out.argmaxBase[k] = ROW[AM]!;
  out.argmaxCand[k] = ROW[AM + 1]!;
}

/**
 * Allocates a {@link RowBlock} for n rows starting at row0 (targets −1, target log-probabilities NaN).
 *
 * @example
 * const b = createRowBlock(256, 0);
 */
export function createRowBlock(n: number, row0: number): RowBlock {
  return {
    n,
    row0,
    ...(Object.fromEntries(ROW_KEYS.map((k) => [k, new Float64Array(n)])) as Record<CompareRowKey, Float64Array>),
    argmaxBase: new Int32Array(n),
    argmaxCand: new Int32Array(n),
    target: new Int32Array(n).fill(-1),
    position: new Int32Array(n),
    logpTarget: new Float64Array(n).fill(NaN),
    logqTarget: new Float64Array(n).fill(NaN),
    floorTarget: new Uint8Array(n),
  };
}

/**
 * Whether a target stored at `code` is at the floor of a row with this scale: code 0 of a row
 * whose window was clamped to 16 nats (scale·65535 = 16), so its log p is only an upper bound.
 * (Code 0 of a row spanning less than 16 nats is the row's exact minimum.)
 */
export function isFloorCode(scale: number, code: number): boolean {
  return code === 0 && scale * 65535 >= 15.999;
}

function atFloor(src: OpenedSource, raw: Uint8Array | undefined, k: number, t: number): boolean {
  if (src.kind !== 'kld') return false;
  const at = k * src.kld.header.rowBytes;
  const dv = new DataView(raw!.buffer, raw!.byteOffset + at);
  return isFloorCode(dv.getFloat32(0, true), dv.getUint16(8 + 2 * t, true));
}

/** Reusable buffers of one side for {@link fusedBlock}. */
export interface SideScratch {
  raw?: Uint8Array;
  floats?: Float64Array;
  lv: Float64Array;
  /** the last decoded .kld row's largest code, scale and min_log_prob */
  maxCode: number;
  scale: number;
  min: number;
}

/** Where row data lives, for error messages. */
function whereRow(src: OpenedSource, row: number): string {
  if (src.kind === 'kld') {
    const h = src.kld.header;
    const chunk = Math.floor(row / h.rowsPerChunk);
    const file = src.spec.path !== src.spec.name ? `${src.spec.name} (${src.spec.path})` : src.spec.name;
    return `${file}: row ${row} (chunk ${chunk}, byte offset ${h.dataOffset + row * h.rowBytes})`;
  }
  return `${src.spec.name}: row ${row}`;
}

/**
 * The first code whose float32 decode fl(fl(scale·code) + min) lies above llama.cpp's −16 window
 * floor (65536 when none does): decoded values grow with the code, so "in the window" is
 * "code >= threshold", the very tokens llama.cpp's reader sums.
 *
 * @example
 * windowThresholdCode(16 / 65535, -17); // first code whose log p is above −16
 */
export function windowThresholdCode(scale: number, min: number): number {
  if (decodeKldValue(scale, min, 65535) <= KLD_WINDOW) return 65536;
  if (decodeKldValue(scale, min, 0) > KLD_WINDOW) return 0;
  let lo = 0; // decode(lo) <= −16
  let hi = 65535; // decode(hi) > −16
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (decodeKldValue(scale, min, mid) > KLD_WINDOW) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The largest scale a writer produces: 16 nats over 65535 codes, with float32 rounding room. */
const KLD_MAX_SCALE = (16 / 65535) * (1 + 1e-5);

/** A .kld side of a comparison. */
type KldSource = OpenedSource & { kind: 'kld' };
/** A .kld row's scale, min_log_prob and codes. */
type KldHead = [number, number, Uint16Array];

/** scale and min_log_prob of row k of a raw .kld block, validated. */
function kldRowHead(src: KldSource, raw: Uint8Array, k: number, row: number): KldHead {
  const h = src.kld.header;
  const off = k * h.rowBytes;
  const f = new Float32Array(raw.buffer, raw.byteOffset + off, 2);
  const scale = f[0]!;
  const min = f[1]!;
  if (!Number.isFinite(scale) || scale < 0) throw new DataError(`${whereRow(src, row)}: scale is ${showValue(scale)}, expected a finite number >= 0`);
  if (scale > KLD_MAX_SCALE) {
    throw new DataError(`${whereRow(src, row)}: scale is ${showValue(scale)}, expected at most 16/65535 = ${showValue(16 / 65535)} (a row spans at most 16 nats over 65535 codes)`);
  }
  if (!Number.isFinite(min) || min > 1e-3) throw new DataError(`${whereRow(src, row)}: min_log_prob is ${showValue(min)}, expected a finite log-probability <= 0`);
  return [scale, min, new Uint16Array(raw.buffer, raw.byteOffset + off + 8, h.nVocab)];
}

/**
 * Checks that a decoded .kld row is a distribution: its largest log-probability
 * min_log_prob + scale·maxCode is at most 0 within one storage step (scale, plus float32
 * rounding of numbers near 16), and the probability mass of its window (log p > −16) is 1 within
 * what the format allows: the writer's float32 rounding and half a step per token above, and
 * below also the mass left outside the window (at most n_vocab·e^−16). Throws a DataError
 * naming the file, the row and its byte offset.
 *
 * @example
 * checkKldRow(src, 12, 16 / 65535, -20.3, 65535, 0.9999998); // passes
 */
export function checkKldRow(src: OpenedSource & { kind: 'kld' }, row: number, scale: number, min: number, maxCode: number, mass: number): void {
  const top = min + scale * maxCode;
  if (!(top <= scale + 1e-5)) {
    throw new DataError(
      `${whereRow(src, row)}: decodes to log-probability ${showValue(top)} (min_log_prob ${showValue(min)} + scale ${showValue(scale)} × code ${maxCode}), expected <= 0 within one storage step (${showValue(scale)})`,
    );
  }
  const slack = 1e-3 + scale;
  const below = slack + src.kld.header.nVocab * Math.exp(KLD_WINDOW);
  if (!(mass >= 1 - below && mass <= 1 + slack)) {
    throw new DataError(
      `${whereRow(src, row)}: its probabilities in the window (log p > ${KLD_WINDOW}) sum to ${showValue(mass)}, expected 1 (within ${showValue(below)} below and ${showValue(slack)} above), so the row is no distribution`,
    );
  }
}

/**
 * Decodes one row of a side into log-probabilities `lv` and returns the window threshold
 * (in the window: lv >= threshold). A .kld row decodes as scale·code + min_log_prob in float64;
 * its window is llama.cpp's (float32 decode > −16). A logit row is log-softmaxed in float64 and
 * every token with a finite logit is in.
 */
export function decodeSide(src: OpenedSource, s: SideScratch, k: number, row: number, cols: number): number {
  if (src.kind === 'kld') {
    const h = kldRowHead(src, s.raw!, k, row);
    s.maxCode = decodeKldInto(s.lv, h[0], h[1], h[2], cols);
    s.scale = h[0];
    s.min = h[1];
    const c = windowThresholdCode(h[0], h[1]);
    return c > 65535 ? Infinity : h[1] + h[0] * c;
  }
  const off = k * cols;
  const scan = scanRow(s.floats!, off, cols, LOGITS);
  // Name the file, not the role: `invalid q.npy[7][3]: expected a finite logit …, got NaN`.
  const bad = scanError(scan, LOGITS, { name: src.spec.path, row }, cols);
  if (bad) throw bad;
  shiftInto(s.lv, s.floats!, off, cols, scan.shift);
  return -Number.MAX_VALUE;
}

// The hot loops live in small functions of typed arrays and numbers only, so V8 optimizes them
// once (code after a loop compiled on the stack would otherwise lack type feedback and deopt).

/** Decodes a row of codes into lv; returns the largest code. */
function decodeKldInto(lv: Float64Array, scale: number, min: number, codes: Uint16Array, cols: number): number {
  let top = 0;
  for (let i = 0; i < cols; i++) {
    const c = codes[i]!;
    if (c > top) top = c;
    lv[i] = min + scale * c;
  }
  return top;
}

/** The fused loop over two decoded rows (windows as thresholds on the log-probabilities); results in ROW. */
function genericRow(a: Float64Array, b: Float64Array, ta: number, tb: number, cols: number): void {
  let fwd = 0;
  let rev = 0;
  let js = 0;
  let tv = 0;
  let amA = 0;
  let amB = 0;
  let maxA = a[0]!;
  let maxB = b[0]!;
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < cols; i++) {
    const la = a[i]!;
    const lb = b[i]!;
    if (la > maxA) {
      maxA = la;
      amA = i;
    }
    if (lb > maxB) {
      maxB = lb;
      amB = i;
    }
    const inA = la >= ta;
    const inB = lb >= tb;
    if (!inA && !inB) continue;
    const p = inA ? Math.exp(la) : 0;
    const q = inB ? Math.exp(lb) : 0;
    sp += p;
    sq += q;
    if (inA) fwd += klLogTerm(p, la, lb);
    if (inB) rev += klLogTerm(q, lb, la);
    tv += Math.abs(p - q);
    js += jsTerm(p, q, la, lb);
  }
  setRow(fwd, rev, js, tv, amA, amB, sp, sq);
}

/**
 * Whether a pair runs through the native .kld row-pair loop: both sides .kld, the addon has the
 * loop, and it computes every compare measure (those marked nativeKld in the measure table).
 *
 * @example
 * usesNativeKldLoop(openSource(sideSpec(base)), openSource(sideSpec(cand))); // true for two .kld files where the addon is built
 */
export function usesNativeKldLoop(base: OpenedSource, cand: OpenedSource): boolean {
  return base.kind === 'kld' && cand.kind === 'kld' && COMPARE_MEASURES.every((m) => m.nativeKld) && nativeKldRows() !== undefined;
}

/** Options of {@link FusedScratch}. */
export interface FusedScratchOptions {
  /** run .kld pairs through the native row-pair loop when the addon has it (default true) */
  native?: boolean;
  /** std::threads of the native row-pair loop (default 1) */
  threads?: number;
}

/** Scratch buffers for a pair of sides and a block size. */
export class FusedScratch {
  base: SideScratch;
  cand: SideScratch;
  /** the native .kld row-pair loop, with its per-row heads and results, when it is used */
  kldRows?: NativeKldRows;
  heads?: Float64Array;
  sums?: Float64Array;
  /** std::threads of the native row-pair loop */
  threads: number;
  constructor(base: OpenedSource, cand: OpenedSource, blockRows: number, opts: FusedScratchOptions = {}) {
    this.threads = Math.max(1, Math.floor(opts.threads ?? 1));
    if (opts.native !== false && usesNativeKldLoop(base, cand)) {
      this.kldRows = nativeKldRows();
      if (this.kldRows) {
        this.heads = new Float64Array(6 * blockRows);
        this.sums = new Float64Array(8 * blockRows);
      }
    }
    const mk = (s: OpenedSource): SideScratch =>
      s.kind === 'kld'
        ? { raw: new Uint8Array(blockRows * s.kld.header.rowBytes), lv: new Float64Array(s.cols), maxCode: 0, scale: 0, min: 0 }
        : { floats: new Float64Array(blockRows * s.cols), lv: new Float64Array(s.cols), maxCode: 0, scale: 0, min: 0 };
    this.base = mk(base);
    this.cand = mk(cand);
  }
}

export function readSide(src: OpenedSource, s: SideScratch, r0: number, n: number): void {
  if (src.kind === 'kld') src.kld.readRaw(r0, n, s.raw!);
  else src.floats.read(r0, n, s.floats!.subarray(0, n * src.cols));
}

const HA = new Float64Array(256);
const LA = new Float64Array(256);
const HB = new Float64Array(256);
const LB = new Float64Array(256);

/**
 * exp(min + scale·code) = exp(min + 256·scale·hi) · exp(scale·lo) with code = 256·hi + lo: two
 * 256-entry tables per row replace one exp per token (relative error ~1e-14).
 */
function fillExpTables(scale: number, min: number, hi: Float64Array, lo: Float64Array): void {
  for (let j = 0; j < 256; j++) {
    hi[j] = Math.exp(min + 256 * scale * j);
    lo[j] = Math.exp(scale * j);
  }
}

/**
 * Row k of a .kld pair, the hot loop of two saved runs: codes are compared for the argmax and
 * the window, probabilities come from the exp tables, and the JS term of near-equal
 * probabilities uses a series in r = tanh(d/2), d = log q − log p, instead of a logarithm:
 * p·log(2p/(p+q)) + q·log(2q/(p+q)) = m·h(r), m = (p+q)/2, h(r) = Σ r^(2k)/(k(2k−1)).
 */
function kldPairRow(sa: number, ma: number, ca: Uint16Array, sb: number, mb: number, cb: Uint16Array, cols: number): void {
  fillExpTables(sa, ma, HA, LA);
  fillExpTables(sb, mb, HB, LB);
  const ta = windowThresholdCode(sa, ma);
  const tb = windowThresholdCode(sb, mb);
  let fwd = 0;
  let rev = 0;
  let js = 0;
  let tv = 0;
  let amA = 0;
  let amB = 0;
  let maxA = -1;
  let maxB = -1;
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < cols; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x > maxA) {
      maxA = x;
      amA = i;
    }
    if (y > maxB) {
      maxB = y;
      amB = i;
    }
    const inA = x >= ta;
    const inB = y >= tb;
    if (!inA && !inB) continue;
    const la = ma + sa * x;
    const lb = mb + sb * y;
    const p = inA ? HA[x >>> 8]! * LA[x & 255]! : 0;
    const q = inB ? HB[y >>> 8]! * LB[y & 255]! : 0;
    sp += p;
    sq += q;
    // A deliberate copy of klLogTerm and jsTerm (rows/terms.ts), written out here because V8
    // does not inline jsTerm into this loop and the calls cost 1.1–1.4× on .kld pairs;
    // rowStats.test.ts checks that this loop and the shared terms agree to the last bit.
    // Decoded .kld logs are finite, so klLogTerm's −∞ rules never apply: p·(log p − log q).
    if (inA) fwd += p * (la - lb);
    if (inB) rev += q * (lb - la);
    tv += Math.abs(p - q);
    if (p === 0 || q === 0) js += (p + q) * Math.LN2;
    else {
      const d = lb - la;
      if (d < 0.25 && d > -0.25) {
        // m·h(r), r = tanh(d/2), as jsTerm
        const h1 = 0.5 * d;
        const h2 = h1 * h1;
        const r = h1 * (1 - h2 * (1 / 3 - h2 * (2 / 15 - h2 * (17 / 315 - h2 * (62 / 2835)))));
        const r2 = r * r;
        js += 0.5 * (p + q) * r2 * (1 + r2 * (1 / 6 + r2 * (1 / 15 + r2 * (1 / 28 + r2 / 45))));
      } else {
        const m = p + q;
        const lm = m > 1e-300 ? Math.log(m) - Math.LN2 : (la > lb ? la : lb) + Math.log1p(Math.exp(-Math.abs(la - lb))) - Math.LN2;
        js += p * (la - lm) + q * (lb - lm);
      }
    }
  }
  // results through a typed scratch: plain indexed stores keep the optimized loop free of
  // property accesses that would lack type feedback when the loop is compiled on the stack (OSR)
  setRow(fwd, rev, js, tv, amA, amB, sp, sq);
}

/**
 * The JavaScript .kld row-pair loop on one pair of rows (scale, min_log_prob and codes of each
 * side): forward KL, reverse KL, JS, TVD, the two argmaxes and the two window masses. For the
 * test that holds the loop's written-out terms to the shared ones of rows/terms.ts.
 *
 * @example
 * const codes = new Uint16Array([65535, 0]);
 * kldPairRowStats(16 / 65535, -1e-7, codes, 16 / 65535, -1e-7, codes)[0]; // 0
 */
export function kldPairRowStats(sa: number, ma: number, ca: Uint16Array, sb: number, mb: number, cb: Uint16Array): Float64Array {
  kldPairRow(sa, ma, ca, sb, mb, cb, ca.length);
  return ROW.slice();
}

/** The target, position, target log-probabilities and floor flags of row k of a .kld pair. */
function kldTargets(out: RowBlock, k: number, row: number, cols: number, kf: KldSource['kld'], ha: KldHead, hb: KldHead): void {
  const t = kf.targetOf(row);
  out.position[k] = kf.positionOf(row);
  if (t >= 0) {
    if (t >= cols) throw new DataError(`token ${t} predicted by row ${row} is outside the vocabulary of ${cols}`);
    out.target[k] = t;
    out.logpTarget[k] = ha[1] + ha[0] * ha[2][t]!;
    out.logqTarget[k] = hb[1] + hb[0] * hb[2][t]!;
    out.floorTarget![k] = (isFloorCode(ha[0], ha[2][t]!) ? 1 : 0) | (isFloorCode(hb[0], hb[2][t]!) ? 2 : 0);
  }
}

/**
 * A block of a .kld pair through the native row-pair loop. The heads are validated here first
 * (up to the first bad one), the native loop sums those rows, and then every row is checked and
 * finished in order, so a bad row raises the same error, at the same row, as the JavaScript loop.
 */
function nativeKldBlock(base: KldSource, cand: KldSource, r0: number, n: number, scratch: FusedScratch, out: RowBlock, kf: KldSource['kld']): void {
  const cols = base.cols;
  const heads = scratch.heads!;
  const sums = scratch.sums!;
  const ha: KldHead[] = [];
  const hb: KldHead[] = [];
  let bad: unknown = null;
  let good = n;
  for (let k = 0; k < n; k++) {
    try {
      ha.push(kldRowHead(base, scratch.base.raw!, k, r0 + k));
      hb.push(kldRowHead(cand, scratch.cand.raw!, k, r0 + k));
    } catch (e) {
      bad = e;
      good = k;
      break;
    }
    const a = ha[k]!;
    const b = hb[k]!;
    heads[6 * k] = a[0];
    heads[6 * k + 1] = a[1];
    heads[6 * k + 2] = windowThresholdCode(a[0], a[1]);
    heads[6 * k + 3] = b[0];
    heads[6 * k + 4] = b[1];
    heads[6 * k + 5] = windowThresholdCode(b[0], b[1]);
  }
  if (good > 0) scratch.kldRows!(scratch.base.raw!, scratch.cand.raw!, base.kld.header.rowBytes, cols, good, heads, sums, scratch.threads);
  for (let k = 0; k < good; k++) {
    const row = r0 + k;
    const o = 8 * k;
    setRow(sums[o]!, sums[o + 1]!, sums[o + 2]!, sums[o + 3]!, sums[o + 4]!, sums[o + 5]!, sums[o + 6]!, sums[o + 7]!);
    const a = ha[k]!;
    const b = hb[k]!;
    checkKldRow(base, row, a[0], a[1], a[2][ROW[AM]!]!, ROW[MASS]!);
    checkKldRow(cand, row, b[0], b[1], b[2][ROW[AM + 1]!]!, ROW[MASS + 1]!);
    copyRow(out, k);
    kldTargets(out, k, row, cols, kf, a, b);
  }
  if (bad) throw bad;
}

/** Inputs of {@link fusedBlock}. */
export interface BlockRequest {
  base: OpenedSource;
  cand: OpenedSource;
  r0: number;
  n: number;
  scratch: FusedScratch;
  /** the scratch's buffers already hold rows [r0, r0 + n) of both sides (read ahead by the caller) */
  preread?: boolean;
}

/**
 * Per-token statistics of rows [r0, r0 + n) when at least one side is a llama.cpp .kld file,
 * in one fused pass per row, accumulated in float64:
 * - KL(base‖candidate) = Σ over the base's window p·(log p − log q): llama.cpp's KLD exactly
 *   (a .kld base's window is log p > −16; the candidate's floor-coded tokens read as its floor).
 * - KL(candidate‖base) = Σ over the candidate's window q·(log q − log p), where a .kld base's
 *   floor-coded tokens read as the floor value: an upper bound on their log-probability, so
 *   those terms are lower bounds and the reverse KL stays finite.
 * - JS and TVD between the windowed distributions (tokens outside a .kld side's window count 0).
 * Neither KL is clamped at 0: quantized rows can be slightly negative, as in llama.cpp.
 *
 * @example
 * const block = fusedBlock({ base, cand, r0: 0, n: 64, scratch: new FusedScratch(base, cand, 64) });
 * block.forward[0]; // KL(base‖candidate) of row 0
 */
export function fusedBlock(req: BlockRequest): RowBlock {
  const { base, cand, r0, n, scratch } = req;
  const cols = base.cols;
  if (!req.preread) {
    readSide(base, scratch.base, r0, n);
    readSide(cand, scratch.cand, r0, n);
  }
  const out = createRowBlock(n, r0);
  // targets and positions come from the .kld side's token list
  const kf = base.kind === 'kld' ? base.kld : cand.kind === 'kld' ? cand.kld : null;
  if (!kf) throw new ArgumentError({ where: 'fusedBlock', expected: 'a .kld file on at least one side', got: `${base.kind} and ${cand.kind}` });
  if (scratch.kldRows && base.kind === 'kld' && cand.kind === 'kld') {
    nativeKldBlock(base, cand, r0, n, scratch, out, kf);
    return out;
  }
  const a = scratch.base.lv;
  const b = scratch.cand.lv;
  for (let k = 0; k < n; k++) {
    const row = r0 + k;
    if (base.kind === 'kld' && cand.kind === 'kld') {
      const ha = kldRowHead(base, scratch.base.raw!, k, row);
      const hb = kldRowHead(cand, scratch.cand.raw!, k, row);
      kldPairRow(ha[0], ha[1], ha[2], hb[0], hb[1], hb[2], cols);
      checkKldRow(base, row, ha[0], ha[1], ha[2][ROW[AM]!]!, ROW[MASS]!);
      checkKldRow(cand, row, hb[0], hb[1], hb[2][ROW[AM + 1]!]!, ROW[MASS + 1]!);
      copyRow(out, k);
      kldTargets(out, k, row, cols, kf, ha, hb);
      continue;
    }
    const ta = decodeSide(base, scratch.base, k, row, cols);
    const tb = decodeSide(cand, scratch.cand, k, row, cols);
    genericRow(a, b, ta, tb, cols);
    if (base.kind === 'kld') checkKldRow(base, row, scratch.base.scale, scratch.base.min, scratch.base.maxCode, ROW[MASS]!);
    if (cand.kind === 'kld') checkKldRow(cand, row, scratch.cand.scale, scratch.cand.min, scratch.cand.maxCode, ROW[MASS + 1]!);
    copyRow(out, k);
    out.position[k] = kf.positionOf(row);
    const t = kf.targetOf(row);
    if (t >= 0) {
      if (t >= cols) throw new DataError(`token ${t} predicted by row ${row} is outside the vocabulary of ${cols}`);
      out.target[k] = t;
      out.logpTarget[k] = a[t]!;
      out.logqTarget[k] = b[t]!;
      out.floorTarget![k] = (atFloor(base, scratch.base.raw, k, t) ? 1 : 0) | (atFloor(cand, scratch.cand.raw, k, t) ? 2 : 0);
    }
  }
  return out;
}
