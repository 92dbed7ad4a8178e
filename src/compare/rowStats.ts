import { DataError, showValue } from '../errors.js';
import { KLD_WINDOW, decodeKldValue } from '../io/kld.js';
import type { RowBlock } from './accumulator.js';
import type { OpenedSource } from './sources.js';

/** Allocates a {@link RowBlock} for n rows starting at row0. */
export function createRowBlock(n: number, row0: number): RowBlock {
  return {
    n,
    row0,
    forward: new Float64Array(n),
    reverse: new Float64Array(n),
    js: new Float64Array(n),
    tvd: new Float64Array(n),
    argmaxBase: new Int32Array(n),
    argmaxCand: new Int32Array(n),
    target: new Int32Array(n).fill(-1),
    position: new Int32Array(n),
    logpTarget: new Float64Array(n).fill(NaN),
    logqTarget: new Float64Array(n).fill(NaN),
  };
}

/** Reusable buffers of one side for {@link fusedBlock}. */
interface SideScratch {
  raw?: Uint8Array;
  floats?: Float64Array;
  lv: Float64Array;
}

/** Where row data lives, for error messages. */
function whereRow(src: OpenedSource, row: number): string {
  if (src.kind === 'kld') {
    const h = src.kld.header;
    const chunk = Math.floor(row / h.rowsPerChunk);
    return `${src.spec.name}: row ${row} (chunk ${chunk}, byte offset ${h.dataOffset + row * h.rowBytes})`;
  }
  return `${src.spec.name}: row ${row}`;
}

/**
 * Decodes one row of a side into log-probabilities `lv` and returns the window threshold:
 * a .kld row is decoded like llama.cpp's reader (float32 scale·code + min_log_prob) and its
 * window is log p > −16; a logit row is log-softmaxed in float64 and every token is in.
 */
function decodeSide(src: OpenedSource, s: SideScratch, k: number, row: number, cols: number): number {
  const lv = s.lv;
  if (src.kind === 'kld') {
    const h = src.kld.header;
    const off = k * h.rowBytes;
    const raw = s.raw!;
    const f = new Float32Array(raw.buffer, raw.byteOffset + off, 2);
    const scale = f[0]!;
    const min = f[1]!;
    if (!Number.isFinite(scale) || scale < 0) throw new DataError(`${whereRow(src, row)}: scale is ${showValue(scale)}, expected a finite number >= 0`);
    if (!Number.isFinite(min) || min > 1e-3) throw new DataError(`${whereRow(src, row)}: min_log_prob is ${showValue(min)}, expected a finite log-probability <= 0`);
    const codes = new Uint16Array(raw.buffer, raw.byteOffset + off + 8, cols);
    for (let i = 0; i < cols; i++) lv[i] = decodeKldValue(scale, min, codes[i]!);
    return KLD_WINDOW;
  }
  const x = s.floats!;
  const off = k * cols;
  let m = -Infinity;
  for (let i = 0; i < cols; i++) {
    const v = x[off + i]!;
    if (Number.isNaN(v) || v === Infinity) throw new DataError(`invalid ${src.spec.name}[${row}][${i}]: expected a finite logit (or -Infinity for a masked token), got ${showValue(v)}`);
    if (v > m) m = v;
  }
  if (m === -Infinity) throw new DataError(`invalid ${src.spec.name}[${row}]: all ${cols} logits are -Infinity, so it is no distribution`);
  // log-sum-exp shifted by the max: no logit is exponentiated unshifted
  let s2 = 0;
  for (let i = 0; i < cols; i++) s2 += Math.exp(x[off + i]! - m);
  const lse = m + Math.log(s2);
  for (let i = 0; i < cols; i++) lv[i] = x[off + i]! - lse;
  return -Infinity;
}

/** Scratch buffers for a pair of sides and a block size. */
export class FusedScratch {
  base: SideScratch;
  cand: SideScratch;
  constructor(base: OpenedSource, cand: OpenedSource, blockRows: number) {
    const mk = (s: OpenedSource): SideScratch =>
      s.kind === 'kld'
        ? { raw: new Uint8Array(blockRows * s.kld.header.rowBytes), lv: new Float64Array(s.cols) }
        : { floats: new Float64Array(blockRows * s.cols), lv: new Float64Array(s.cols) };
    this.base = mk(base);
    this.cand = mk(cand);
  }
}

function readSide(src: OpenedSource, s: SideScratch, r0: number, n: number): void {
  if (src.kind === 'kld') src.kld.readRaw(r0, n, s.raw!);
  else src.floats.read(r0, n, s.floats!.subarray(0, n * src.cols));
}

/** Inputs of {@link fusedBlock}. */
export interface BlockRequest {
  base: OpenedSource;
  cand: OpenedSource;
  r0: number;
  n: number;
  /** Target token per global row (−1 none), or null. */
  targets: Int32Array | null;
  /** Position per global row. */
  positions: Int32Array;
  scratch: FusedScratch;
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
 */
export function fusedBlock(req: BlockRequest): RowBlock {
  const { base, cand, r0, n, scratch } = req;
  const cols = base.cols;
  readSide(base, scratch.base, r0, n);
  readSide(cand, scratch.cand, r0, n);
  const out = createRowBlock(n, r0);
  const a = scratch.base.lv;
  const b = scratch.cand.lv;
  for (let k = 0; k < n; k++) {
    const row = r0 + k;
    const ta = decodeSide(base, scratch.base, k, row, cols);
    const tb = decodeSide(cand, scratch.cand, k, row, cols);
    let fwd = 0;
    let rev = 0;
    let js = 0;
    let tv = 0;
    let amA = 0;
    let amB = 0;
    let maxA = a[0]!;
    let maxB = b[0]!;
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
      const inA = la > ta;
      const inB = lb > tb;
      const p = inA ? Math.exp(la) : 0;
      const q = inB ? Math.exp(lb) : 0;
      if (inA) fwd += lb === -Infinity ? Infinity : p * (la - lb);
      if (inB) rev += la === -Infinity ? Infinity : q * (lb - la);
      tv += Math.abs(p - q);
      const s = p + q;
      if (s > 0) {
        // log m = log((p + q)/2); from the logs when the sum is subnormal
        const lm = s > 1e-300 ? Math.log(s) - Math.LN2 : Math.max(inA ? la : -Infinity, inB ? lb : -Infinity) + Math.log1p(Math.exp(-Math.abs((inA ? la : -1e308) - (inB ? lb : -1e308)))) - Math.LN2;
        if (p > 0) js += p * (la - lm);
        if (q > 0) js += q * (lb - lm);
      }
    }
    out.forward[k] = fwd;
    out.reverse[k] = rev;
    out.js[k] = Math.min(Math.max(0, 0.5 * js), Math.LN2);
    out.tvd[k] = Math.min(0.5 * tv, 1);
    out.argmaxBase[k] = amA;
    out.argmaxCand[k] = amB;
    out.position[k] = req.positions[row]!;
    const t = req.targets ? req.targets[row]! : -1;
    if (t >= 0) {
      if (t >= cols) throw new DataError(`token ${t} predicted by row ${row} is outside the vocabulary of ${cols}`);
      out.target[k] = t;
      out.logpTarget[k] = a[t]!;
      out.logqTarget[k] = b[t]!;
    }
  }
  return out;
}
