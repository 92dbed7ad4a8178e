import { DataError } from '../errors.js';
import { storedLogpError, type KlrefRow } from '../io/klref.js';
import { nativeKlrefRow } from '../kernels/registry.js';
import { KLREF_BOUNDS_OUT, KLREF_BOUNDS_PARAMS, type NativeKlrefRow } from '../kernels/nativeBackend.js';

/**
 * Certified per-token intervals for KL(base‖candidate), KL(candidate‖base), JS and TVD when
 * the base is known only through a compact reference row (top-k log-probabilities, the tail
 * mass m, the ceiling c and, where known, the floor f) and the candidate is a full distribution.
 *
 * ## Method
 *
 * Write T for the n = V − k tail tokens, q_j for the candidate's probabilities and p_j for the
 * base's unknown tail probabilities. What the reference certifies is the admissible set
 *
 *     A = { p_T : Σ_T p_j = m,  lo ≤ p_j ≤ hi },   hi = e^c,  lo = e^f (0 without a floor),
 *
 * and, for every top-k entry, an interval [a_i, b_i] around its stored value (the float32
 * rounding of the stored log-probability, see {@link storedLogpError}). Each measure is a sum of
 * per-token terms t(p_i, q_i): p·log(p/q) (forward KL), q·log(q/p) (reverse KL),
 * p·log(2p/(p+q)) + q·log(2q/(p+q)) (twice JS), |p − q| (twice TVD). The interval of the whole
 * sum is the sum of the top-k terms' intervals plus the interval of the tail sum over A.
 *
 * - Top-k terms: each t(·, q) is convex in p, so its maximum over [a, b] is at an end point and its
 *   minimum at the stationary point clamped into [a, b] (q/e for forward KL, q for JS and TVD;
 *   reverse KL decreases in p).
 * - Tail, lower bound: every term is jointly convex and positively homogeneous of degree 1 in
 *   (p, q) (a perspective function), hence superadditive-convex: Σ t(p_j, q_j) ≥ t(Σ p_j, Σ q_j)
 *   = t(m, Q_T). For forward KL this is the log-sum inequality m·log(m/Q_T); it holds for every p
 *   in A and needs no ceiling or floor.
 * - Tail, upper bound: the sum is convex in p_T, so its maximum over the polytope A lies at a
 *   vertex. A vertex of {box} ∩ {Σ = m} has n − 1 coordinates at lo or hi and at most one (r) in
 *   between; counting gives n_hi = ⌊(m − n·lo)/(hi − lo)⌋ coordinates at hi and
 *   r = m − n_hi·hi − (n − n_hi − 1)·lo, the same for every vertex. So all vertices are
 *   permutations of one multiset of values, and the maximum is the best assignment of those values
 *   to the tokens. Every term has ∂²t/∂p∂q ≤ 0 (−1/q, −1/p, −1/(p+q), and −φ'' for φ(p − q) = |p − q|),
 *   i.e. t is submodular in (p, q); by the rearrangement inequality for submodular terms the sum
 *   is largest when the values are sorted opposite to q. Hence the greedy vertex: the candidate's
 *   least likely tail tokens get hi, the next one r, the rest lo. The same rule serves all four
 *   measures. Its tokens are the n_hi + 1 smallest q_j, found in O(V): a bounded heap or a
 *   selection for logits, a count per 16-bit code for a .kld candidate.
 * - JS and TVD without a floor, or from a .kld base's window: the box [0, hi] (its greedy
 *   vertex vJ). Reverse KL without a floor is unbounded above (a tail token with q_j > 0 may have
 *   p_j → 0) and its upper bound is +∞.
 * - JS and TVD with a floor (logits view): the greedy vertex of [lo, hi] itself, lo = e^f > 0.
 *   With c = ln 2 (twice JS) or 1 (twice TVD), t(0, q) = c·q and d(q) = t(lo, q) − t(0, q), its
 *   tail sum is c·Q_T + Σ_{j ≤ n_hi} [t(p_j, q_j) − c·q_j] + Σ_rest d(q_j), the rest being the
 *   tokens left at lo. The least likely tail tokens are known one by one (the n_hi + 1 the vertex
 *   needs, or more); the rest are known only through sums, each with q ≥ q_b, the largest known q:
 *   - TVD: d(q) = |lo − q| − q = lo − 2·min(lo, q) ≤ lo − 2·min(lo, q_b), exact when q_b ≥ lo.
 *   - JS: d(q) = lo·ln 2 + lo·log(lo/(lo + q)) + q·log(q/(lo + q)) and d'(q) = log(q/(lo + q)) < 0,
 *     so d(q) ≤ d(q_b). Also d(q) − lo·log(lo/q) = lo·ln 2 − (lo + q)·log(1 + lo/q), which
 *     increases in q (its derivative is lo/q − log(1 + lo/q) ≥ 0) toward lo·(ln 2 − 1), so
 *     d(q) ≤ lo·(log lo − log q) + lo·(ln 2 − 1); over the rest that is the forward pass's floor
 *     sum Σ_T lo·(log lo − log q_j) less the known tokens' part, plus n_rest·lo·(ln 2 − 1), with
 *     an error of about lo²/q a token. The smaller of the two sums is taken.
 *   The admissible set lies inside the floorless one, so its maximum is at most vJ's; the sums
 *   over the rest are upper bounds of it, not the maximum itself, so both certified bounds are
 *   computed and the smaller is kept: a floor never widens the interval, and without one nothing
 *   changes. The gain is about n·lo·(log(q/lo) + 1 − ln 2) for JS and n·lo for TVD, which matters
 *   where the tail is flat (the floor near the ceiling); no per-token logarithm is added.
 * - Caps and rounding: KL ≥ 0, JS ∈ [0, ln 2] and TVD ∈ [0, 1] hold for any two distributions, so
 *   the bounds are clipped to them. Each bound is widened by (V + 16)·2⁻⁵² times the sum of the
 *   absolute values entering it, which covers float64 rounding in the sums.
 * - The point estimate spreads the tail in proportion to the candidate, p_j = m·q_j/Q_T, with
 *   the top-k at their stored values. For all four measures it attains the tail's lower bound:
 *   it is an estimate, not a bound, and it leans low.
 *
 * - Where it runs: this module is the reference. Against a .kld candidate the whole row runs
 *   natively where the addon is built (native/klref.h counts the 16-bit codes, native/klbounds.h
 *   does the rest, the same float64 operations in the same order, fed the same tail plan from
 *   here). The C library's exp, log and log1p stand in for V8's; both are within an ulp, so the
 *   results agree to a few ulps of the terms (tested), far inside the rounding slack above.
 *   KLSCOPE_DISABLE=native runs everything here.
 *
 * The intervals close on the exact value as k → V: the tail mass and the box shrink to nothing,
 * and at k = V only the float32 rounding of the stored values is left.
 */
export const BOUND_MEASURES = ['kld', 'reverseKld', 'js', 'tvd'] as const;
export type BoundMeasure = (typeof BOUND_MEASURES)[number];

/**
 * Per-token output of {@link rowBounds}: lower and upper bounds and the point estimate of each
 * measure, in the order kld, reverseKld, js, tvd.
 */
export interface RowBoundsOut {
  lo: Float64Array;
  hi: Float64Array;
  est: Float64Array;
  /** The candidate's most likely token. */
  argmaxCand: number;
}

/** The candidate's row: log-probabilities of every token (float64) and its window. */
export interface CandidateRow {
  logq: Float64Array;
  /** exp(logq), every token (a .kld candidate may fill it from exp tables). */
  q: Float64Array;
  /**
   * Tokens with logq below this count as probability 0 in KL(candidate‖base), JS and TVD (a
   * .kld candidate's window, as llama.cpp reads it); −Infinity or −Number.MAX_VALUE for logits.
   */
  window: number;
  /**
   * A .kld candidate read straight from its codes (then logq and q are not read): log q =
   * min + scale·code, q = expHi[code >>> 8]·expLo[code & 255], the window is code >= thresholdCode.
   */
  kld?: KldCandidate;
}

/** A .kld candidate row as codes with its exp tables (see {@link CandidateRow.kld}). */
export interface KldCandidate {
  codes: Uint16Array;
  scale: number;
  min: number;
  expHi: Float64Array;
  expLo: Float64Array;
  thresholdCode: number;
  /** Set by {@link rowBounds}: the row's largest code (for the row checks). */
  maxCode?: number;
  /** Set by {@link rowBounds}: Σ q over every token in the window (for the row checks; summed by code, then the top-k). */
  windowMass?: number;
  /**
   * The row's bounds already computed natively, ahead of {@link rowBounds} on another thread:
   * the params they ran with ({@link boundsParams}) and their results (see NativeKlrefRow).
   * rowBounds then takes these, after checking that the params are the ones it would have used.
   */
  pass?: { params: Float64Array; out: Float64Array };
}

/** The base's view of a reference row: the file's semantics for this row. */
export interface ReferenceView {
  nVocab: number;
  /** "kld-window": KL(base‖·), JS and TVD count only the first nWindow top-k entries and logTail. */
  view: 'logits' | 'kld-window';
}

/** Options of {@link BoundsScratch}. */
export interface BoundsScratchOptions {
  /** run a .kld candidate's rows natively when the addon has them (default true; KLSCOPE_DISABLE=native turns it off) */
  native?: boolean;
  /**
   * with native: the whole bounds of a .kld candidate row natively (default true); false runs
   * only its code pass natively and the rest in TypeScript (the same bits as all in TypeScript)
   */
  nativeBounds?: boolean;
}

/** Reusable buffers for {@link rowBounds}, one per vocabulary size. */
export class BoundsScratch {
  readonly mark: Uint8Array;
  readonly tail: Float64Array;
  readonly tail2: Float64Array;
  /** How many of a .kld candidate's tail tokens have each code (zero between rows). */
  readonly counts = new Uint32Array(65536);
  /** The native row of a .kld candidate, when it is used: its code pass, or (nativeBounds) the whole bounds. */
  readonly native?: NativeKlrefRow;
  readonly nativeBounds: boolean = false;
  readonly params = new Float64Array(KLREF_BOUNDS_PARAMS);
  readonly boundsOut = new Float64Array(KLREF_BOUNDS_OUT);
  constructor(nVocab: number, opts: BoundsScratchOptions = {}) {
    if (opts.native !== false) this.native = nativeKlrefRow();
    this.nativeBounds = this.native !== undefined && opts.nativeBounds !== false;
    this.mark = new Uint8Array(nVocab);
    this.tail = new Float64Array(nVocab);
    this.tail2 = new Float64Array(nVocab);
  }
}

const EPS = 2.220446049250313e-16;

/** |x| for the rounding slack; an infinite term is exact and adds nothing. */
function fa(x: number): number {
  return x === Infinity || x === -Infinity ? 0 : Math.abs(x);
}

/** p·log(p/q) from p and the logs, with 0·log 0 = 0 and p > 0 = q giving +∞. */
function fwdTerm(p: number, lp: number, lq: number): number {
  if (p === 0) return 0;
  if (lq === -Infinity) return Infinity;
  return p * (lp - lq);
}

/** p·log(2p/(p+q)) + q·log(2q/(p+q)) (twice the JS term), with zeros handled. */
function jsPair(p: number, q: number): number {
  return jsPairLogP(p, NaN, q);
}

/**
 * {@link jsPair} with log p given (lp = Math.log(p), the same bits; NaN: computed here where
 * needed): for the vertex sweeps, where p is the ceiling or the floor for many tokens and, q
 * being far smaller there, the far-apart branch takes log p.
 */
function jsPairLogP(p: number, lp: number, q: number): number {
  const s = p + q;
  if (s === 0) return 0;
  if (p === 0 || q === 0) return s * Math.LN2;
  const d = (p - q) / s; // log(2p/s) = log1p(d), log(2q/s) = log1p(−d): accurate when p ≈ q
  if (d < 0.5 && d > -0.5) return p * Math.log1p(d) + q * Math.log1p(-d);
  // far apart: 1 ∓ d may round to 0, so take the logs of p, q and s themselves
  const ls = Math.log(s) - Math.LN2;
  return p * ((lp === lp ? lp : Math.log(p)) - ls) + q * (Math.log(q) - ls);
}

/**
 * Moves the `want` smallest values of a[0, n) to a[0, want), with a[want] the next smallest
 * (a quickselect: expected O(n)).
 */
function selectSmallest(a: Float64Array, n: number, want: number): void {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    // median of three as the pivot
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else return;
  }
}

/** The greedy vertex of a tail view: how many tokens sit at hi, the value r of the next one, lo. */
function vertex(m: number, n: number, lo: number, hi: number): { nHi: number; r: number; lo: number; hi: number } {
  const mean = m / n;
  const l = Math.min(lo, mean);
  const h = Math.max(hi, mean);
  if (!(h > l)) return { nHi: 0, r: l, lo: l, hi: h };
  let nHi = Math.floor((m - n * l) / (h - l));
  nHi = Math.max(0, Math.min(n, nHi));
  const r = nHi < n ? Math.min(h, Math.max(l, m - nHi * h - (n - nHi - 1) * l)) : h;
  return { nHi, r, lo: l, hi: h };
}

/** Results of {@link tailPass}: Q_T, Q_T in the window, Σ floor terms (forward, reverse), their magnitudes, count in window, argmax. */
const TP = new Float64Array(8);

/**
 * One pass over the candidate's row: its argmax, and over the base's tail (unmarked tokens) the
 * candidate's tail masses (every token; in its window), the floor terms Σ lo·(log lo − log q)
 * and Σ q·(log q − log lo), and the tail's log q values: the `cap` smallest in a max-heap at
 * tail[0, cap) (cap > 0), else all of them (cap = −1).
 */
function tailPass(
  lq: Float64Array,
  qv: Float64Array,
  mark: Uint8Array,
  win: number,
  loF: number,
  logLoF: number,
  loR: number,
  logLoR: number,
  heap: Float64Array,
  cap: number,
): void {
  let qT = 0;
  let qTw = 0;
  let sumF = 0;
  let sumR = 0;
  let absF = 0;
  let absR = 0;
  let cntW = 0;
  let amax = 0;
  let best = -Infinity;
  let size = 0;
  const V = lq.length;
  for (let j = 0; j < V; j++) {
    const x = lq[j]!;
    if (x > best) {
      best = x;
      amax = j;
    }
    if (mark[j]) continue;
    const q = qv[j]!;
    qT += q;
    if (loF > 0) {
      const d = loF * (logLoF - x);
      sumF += d;
      absF += d < 0 ? -d : d;
    }
    if (x >= win && q > 0) {
      qTw += q;
      cntW++;
      if (loR > 0) {
        const d = q * (x - logLoR);
        sumR += d;
        absR += d < 0 ? -d : d;
      }
    }
    if (cap < 0) heap[size++] = x;
    else if (size < cap) {
      // sift up into the max-heap
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >>> 1;
        if (heap[p]! >= x) break;
        heap[i] = heap[p]!;
        i = p;
      }
      heap[i] = x;
    } else if (x < heap[0]!) {
      // replace the largest, sift down
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        if (l >= cap) break;
        const r = l + 1;
        const c = r < cap && heap[r]! > heap[l]! ? r : l;
        if (heap[c]! <= x) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = x;
    }
  }
  TP[0] = qT;
  TP[1] = qTw;
  TP[2] = sumF;
  TP[3] = sumR;
  TP[4] = Number.isFinite(absF) ? absF : 0;
  TP[5] = Number.isFinite(absR) ? absR : 0;
  TP[6] = cntW;
  TP[7] = amax;
}

/** The code pass alone reads no log-probabilities. */
const NO_LOGP = new Float64Array(0);

/** Results of the code pass ({@link codePass} or its native twin), in the order of native/klref.h. */
const CP = new Float64Array(10);

/**
 * The code pass of {@link tailPassCodes} in plain TypeScript (the reference of the native pass in
 * native/klref.h, which does the same float64 operations in the same order): one loop counts every
 * token's code; the base's top-k ids are then taken out of the counts (their window mass summed in
 * top-k order); the largest code is the highest non-empty count and the argmax its first token.
 * One walk over the 65,536 counts in increasing code order (zeroing them) gives the tail sums, the
 * masses of the nOut least likely tail tokens and the least likely values in heap. Results go to
 * CP: Q_T, Q_T in the window, Σ floor terms (forward, reverse), count in the window, argmax, the
 * nOut sums (all, in the window), the largest code, the top-k's window mass.
 */
function codePass(kc: KldCandidate, counts: Uint32Array, ids: Int32Array, params: Float64Array, heap: Float64Array): void {
  const { codes, scale, min, expHi, expLo, thresholdCode } = kc;
  const loF = params[3]!, logLoF = params[4]!, loR = params[5]!, logLoR = params[6]!, cap = params[7]!, nOut = params[8]!;
  const V = codes.length;
  for (let j = 0; j < V; j++) counts[codes[j]!]!++;
  let bestCode = 65535;
  while (bestCode > 0 && counts[bestCode] === 0) bestCode--;
  let amax = 0;
  while (amax < V - 1 && codes[amax] !== bestCode) amax++;
  let markW = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!(id >= 0 && id < V)) continue;
    const c = codes[id]!;
    counts[c]!--;
    if (c >= thresholdCode) markW += expHi[c >>> 8]! * expLo[c & 255]!;
  }
  let qT = 0;
  let qTw = 0;
  let sumF = 0;
  let sumR = 0;
  let cntW = 0;
  let size = 0;
  const want = cap < 0 ? V : cap;
  let need = nOut;
  let sOut = 0;
  let sOutW = 0;
  for (let c = 0; c < 65536; c++) {
    const h = counts[c]!;
    if (h === 0) continue;
    counts[c] = 0;
    const q = expHi[c >>> 8]! * expLo[c & 255]!;
    const x = min + scale * c;
    qT += h * q;
    if (loF > 0) sumF += h * loF * (logLoF - x);
    const inW = c >= thresholdCode;
    if (inW) {
      qTw += h * q;
      cntW += h;
      if (loR > 0) sumR += h * q * (x - logLoR);
    }
    if (need > 0) {
      const take = h < need ? h : need;
      sOut += take * q;
      if (inW) sOutW += take * q;
      need -= take;
    }
    for (let t = 0; t < h && size < want; t++) heap[size++] = x;
  }
  CP[0] = qT;
  CP[1] = qTw;
  CP[2] = sumF;
  CP[3] = sumR;
  CP[4] = cntW;
  CP[5] = amax;
  CP[6] = sOut;
  CP[7] = sOutW;
  CP[8] = bestCode;
  CP[9] = markW;
}

/**
 * {@link tailPass} for a .kld candidate read from its codes: the per-token loop only counts the
 * codes (the top-k taken out after it), the argmax comes from the highest code; every sum, the sorted least likely values and the mass of
 * the nOut least likely tokens then come from one walk over the 65,536 code counts (a code's
 * log q and q are the same for all its tokens). The sorted values go to heap[0, cap) (cap = −1:
 * all tail tokens); SM gets the nOut sums. The pass runs natively where the addon has it
 * (scratch.native), else as {@link codePass}; both give the same bits. It also leaves the row's
 * largest code and its window mass over all tokens in kc.maxCode and kc.windowMass.
 */
function tailPassCodes(kc: KldCandidate, scratch: BoundsScratch, ids: Int32Array, plan: TailPlan, heap: Float64Array): void {
  const { codes, min } = kc;
  const V = codes.length;
  const native = scratch.native;
  const p = scratch.params;
  setPassParams(kc, plan, p, 0);
  const loF = plan.vF.lo, loR = plan.vR.lo, { logLoF, logLoR } = plan;
  if (native) native(codes, ids, NO_LOGP, scratch.counts, kc.expHi, kc.expLo, p, heap, CP, false);
  else codePass(kc, scratch.counts, ids, p, heap);
  const qTw = CP[1]!;
  TP[0] = CP[0]!;
  TP[1] = qTw;
  TP[2] = CP[2]!;
  TP[3] = CP[3]!;
  // magnitudes for the rounding slack: every log q of the row lies in [min, 0]
  const absF = loF > 0 ? loF * V * (Math.abs(logLoF) + Math.abs(min)) : 0;
  const absR = loR > 0 ? qTw * (Math.abs(min) + Math.abs(logLoR)) : 0;
  TP[4] = Number.isFinite(absF) ? absF : 0;
  TP[5] = Number.isFinite(absR) ? absR : 0;
  TP[6] = CP[4]!;
  TP[7] = CP[5]!;
  SM[0] = CP[6]!;
  SM[1] = CP[7]!;
  kc.maxCode = CP[8]!;
  kc.windowMass = qTw + CP[9]!;
}

/** Results of the smallest-q sums: Σ q and Σ q in the candidate's window over the n least likely tail tokens. */
const SM = new Float64Array(2);

/** The n least likely tail tokens of a logit candidate (a selection over a copy). */
function smallestFromValues(lq: Float64Array, mark: Uint8Array, win: number, buf: Float64Array, n: number): void {
  let t = 0;
  for (let j = 0; j < lq.length; j++) if (!mark[j]) buf[t++] = lq[j]!;
  if (n < t) selectSmallest(buf, t, n);
  let s = 0;
  let sw = 0;
  for (let j = 0; j < n && j < t; j++) {
    const q = Math.exp(buf[j]!);
    s += q;
    if (buf[j]! >= win) sw += q;
  }
  SM[0] = s;
  SM[1] = sw;
}

/** Results of {@link floorTailJsTvd}: the tail sums of twice JS and twice TVD at the floor's vertex, and their magnitudes. */
const FT = new Float64Array(4);

/**
 * The upper bounds of the tail sums of twice JS and twice TVD over the admissible set with a
 * floor, lo ≤ p_j ≤ hi (see "JS and TVD with a floor" in the Method note): the vertex `v` of
 * that box (its nHi tokens at hi, one at r, the rest at lo) on the candidate's least likely tail
 * tokens. `tail[0, cap)` holds the tail's cap smallest log q in increasing order (cap ≥ nHi + 1
 * or cap = n) and `tailQ[0, cap)` their exp; the n − cap tokens beyond are bounded through the aggregates: Q_Tw (the tail's
 * candidate mass in its window) and sumF = Σ_T lo·(log lo − log q_j) over every tail token.
 */
function floorTailJsTvd(tail: Float64Array, tailQ: Float64Array, cap: number, n: number, win: number, v: { nHi: number; r: number; lo: number; hi: number }, qTw: number, sumF: number, absSumF: number): void {
  const lo = v.lo;
  const logLo = Math.log(lo);
  // Σ_T t(0, q) = (ln 2)·Q_Tw resp. Q_Tw, then each token's t(p, q) − t(0, q)
  let ju = qTw * Math.LN2;
  let tu = qTw;
  let absJ = qTw;
  let absT = qTw;
  let known = 0; // Σ lo·(log lo − log q) over tail[0, cap), to take out of sumF
  let absK = 0;
  const logHi = Math.log(v.hi);
  for (let j = 0; j < cap; j++) {
    const x = tail[j]!;
    const q = x >= win ? tailQ[j]! : 0;
    const p = j < v.nHi ? v.hi : j === v.nHi ? v.r : lo;
    const js = j < v.nHi ? jsPairLogP(p, logHi, q) : j === v.nHi ? jsPair(p, q) : jsPairLogP(p, logLo, q);
    ju += js - q * Math.LN2;
    tu += Math.abs(p - q) - q;
    absJ += js + q;
    absT += p + q;
    const f = lo * (logLo - x);
    known += f;
    absK += fa(f);
  }
  const rest = n - cap;
  if (rest > 0) {
    // the rest sit at lo, each with q ≥ qb, the largest q of tail[0, cap) (qb = 0 when it is
    // outside the candidate's window: the bounds below then hold for q = 0 too)
    const xb = tail[cap - 1]!;
    const qb = xb >= win ? Math.exp(xb) : 0;
    // TVD: |lo − q| − q = lo − 2·min(lo, q), at most lo − 2·min(lo, qb)
    const dT = lo - 2 * Math.min(lo, qb);
    tu += rest * dT;
    absT += rest * 3 * lo;
    // JS: d(q) = t(lo, q) − t(0, q) decreases in q, so d(q) ≤ d(qb); and d(q) ≤ lo·(log lo −
    // log q) + lo·(ln 2 − 1) for every q > 0, whose sum over the rest is sumF minus the known part
    const b1 = rest * (jsPair(lo, qb) - qb * Math.LN2);
    const b2 = qb > 0 && Number.isFinite(sumF) && Number.isFinite(known) ? sumF - known + rest * lo * (Math.LN2 - 1) : Infinity;
    if (b2 < b1) {
      ju += b2;
      absJ += absSumF + absK + rest * lo;
    } else {
      ju += b1;
      absJ += rest * (lo + qb);
    }
  }
  FT[0] = ju;
  FT[1] = tu;
  FT[2] = absJ;
  FT[3] = absT;
}

/** What the tail part of {@link rowBounds} needs from the reference row alone (no candidate). */
interface TailPlan {
  n: number;
  mF: number;
  mR: number;
  vF: ReturnType<typeof vertex>;
  vR: ReturnType<typeof vertex>;
  vJ: ReturnType<typeof vertex>;
  logLoF: number;
  logLoR: number;
  cap: number;
  nOut: number;
}

/**
 * The tail's masses, the greedy vertices of its three views and what the candidate pass needs
 * (the floors and their logs, how many least likely values, nOut), from the reference row only:
 * rowBounds and a code pass run ahead of it ({@link codePassParams}) both take them from here.
 */
function tailPlan(row: KlrefRow, ref: ReferenceView): TailPlan {
  const k = row.ids.length;
  const n = ref.nVocab - k;
  const mF = Math.exp(row.logTail); // forward view (the window of a .kld base)
  const mR = Math.exp(row.logTailAll); // reverse view (every token)
  const hi = Math.exp(row.logp[k - 1]! + storedLogpError(row.logp[k - 1]!));
  const floorP = row.floor === -Infinity ? 0 : Math.exp(row.floor);
  const loF = ref.view === 'kld-window' ? 0 : floorP;
  const loR = floorP;
  const vF = n > 0 ? vertex(mF, n, loF, hi) : { nHi: 0, r: 0, lo: 0, hi: 0 };
  const vR = n > 0 ? vertex(mR, n, loR, hi) : { nHi: 0, r: 0, lo: 0, hi: 0 };
  const vJ = n > 0 ? vertex(mF, n, 0, hi) : vF; // JS and TVD on the box [0, hi]
  const logLoF = Math.log(vF.lo);
  const logLoR = Math.log(vR.lo);
  // the vertices need the candidate's (nHi + 1) least likely tail tokens, in order
  const cap = n > 0 ? Math.min(n, Math.max(vF.nHi, vR.nHi, vJ.nHi) + 1) : 0;
  const nOut = ref.view === 'kld-window' ? Math.min(n, row.nOutside ?? 0) : 0;
  return { n, mF, mR, vF, vR, vJ, logLoF, logLoR, cap, nOut };
}

/**
 * The parameters of a .kld candidate row's native bounds for this reference row into
 * params[at, at + {@link KLREF_BOUNDS_PARAMS}) (the order of native/klbounds.h; offsets 9, 10
 * and 28 are the caller's), for bounds computed ahead of {@link rowBounds} (see
 * {@link KldCandidate.pass}); returns cap, how many values the code pass writes to its heap.
 */
export function boundsParams(row: KlrefRow, ref: ReferenceView, cand: CandidateRow, params: Float64Array, at: number): number {
  const t = tailPlan(row, ref);
  setBoundsParams(row, ref, cand, t, params, at);
  return t.cap;
}

/** The bounds' parameters (the code pass's nine, then the window, kw, n, the tail masses and the three vertices) into params[at, at + 30). */
function setBoundsParams(row: KlrefRow, ref: ReferenceView, cand: CandidateRow, t: TailPlan, params: Float64Array, at: number): void {
  setPassParams(cand.kld!, t, params, at);
  params[at + 11] = cand.window;
  params[at + 12] = ref.view === 'kld-window' ? row.nWindow : row.ids.length;
  params[at + 13] = t.n;
  params[at + 14] = t.mF;
  params[at + 15] = t.mR;
  let o = at + 16;
  for (const v of [t.vF, t.vR, t.vJ]) {
    params[o++] = v.nHi;
    params[o++] = v.r;
    params[o++] = v.lo;
    params[o++] = v.hi;
  }
}

/** The params that identify a row's bounds (all but the batch offsets 9, 10 and 28, 29). */
const ROW_PARAM_IDS = Array.from({ length: 28 }, (_, i) => i).filter((i) => i !== 9 && i !== 10);

/**
 * rowBounds of a .kld candidate row natively (native/klbounds.h, the twin of the TypeScript
 * below): computed here, or taken from a batch run ahead (kc.pass) after checking its params.
 */
function nativeRowBounds(row: KlrefRow, cand: CandidateRow, ref: ReferenceView, scratch: BoundsScratch, out: RowBoundsOut): void {
  const kc = cand.kld!;
  const p = scratch.params;
  const plan = tailPlan(row, ref);
  setBoundsParams(row, ref, cand, plan, p, 0);
  let r: Float64Array;
  if (kc.pass) {
    let same = true;
    for (const i of ROW_PARAM_IDS) same &&= Object.is(kc.pass.params[i], p[i]);
    if (!same) throw new Error("internal: bounds computed ahead do not belong to this row (their params differ from the row's)");
    r = kc.pass.out;
  } else {
    r = scratch.boundsOut;
    scratch.native!(kc.codes, row.ids, row.logp, scratch.counts, kc.expHi, kc.expLo, p, scratch.tail, r, true);
  }
  const dup = r[22]!;
  if (dup >= 0) throw new DataError(`token id ${dup} appears twice in the top-k`);
  if (dup !== -1) throw new Error('internal: a top-k id outside the vocabulary reached the native bounds');
  for (let m = 0; m < 4; m++) {
    out.lo[m] = r[10 + m]!;
    out.hi[m] = r[14 + m]!;
    out.est[m] = r[18 + m]!;
  }
  out.argmaxCand = r[5]!;
  kc.maxCode = r[8]!;
  kc.windowMass = r[1]! + r[9]!;
}

/** The code pass's parameters in the order of native/klref.h, into params[at, at + 9). */
function setPassParams(kc: Pick<KldCandidate, 'scale' | 'min' | 'thresholdCode'>, t: TailPlan, params: Float64Array, at: number): void {
  params[at] = kc.scale;
  params[at + 1] = kc.min;
  params[at + 2] = kc.thresholdCode;
  params[at + 3] = t.vF.lo;
  params[at + 4] = t.logLoF;
  params[at + 5] = t.vR.lo;
  params[at + 6] = t.logLoR;
  params[at + 7] = t.cap;
  params[at + 8] = t.nOut;
}

const OUT_LO = new Float64Array(4);
const OUT_HI = new Float64Array(4);
const OUT_EST = new Float64Array(4);
const ABS = new Float64Array(4);
/** A second upper bound of JS and TVD (index 2, 3) and its magnitudes; +∞ where there is none. */
const ALT_HI = new Float64Array(4);
const ALT_ABS = new Float64Array(4);

/**
 * Certified intervals and point estimates of KL(base‖candidate), KL(candidate‖base), JS and TVD
 * for one row (see the Method note of this module). Float64 throughout; never NaN; lower
 * bounds are at least 0; an upper bound may be +Infinity (reverse KL without a floor, or a
 * candidate that gives probability 0 where the base may not).
 *
 * @example
 * // base (0.7, 0.2, 0.1) kept as its top 1 and a tail of mass 0.3; candidate uniform
 * const row = { logTail: Math.log(0.3), logTailAll: Math.log(0.3), floor: Math.log(0.1), logpTarget: NaN,
 *   nWindow: 1, logp: Float64Array.of(Math.log(0.7)), ids: Int32Array.of(0) };
 * const out = { lo: new Float64Array(4), hi: new Float64Array(4), est: new Float64Array(4), argmaxCand: 0 };
 * rowBounds(row, { logq: new Float64Array(3).fill(-Math.log(3)), q: new Float64Array(3).fill(1 / 3), window: -Infinity }, { nVocab: 3, view: 'logits' }, new BoundsScratch(3), out);
 * out.lo[0] <= 0.7 * Math.log(2.1) + 0.2 * Math.log(0.6) + 0.1 * Math.log(0.3); // true (and hi[0] above it)
 */
export function rowBounds(row: KlrefRow, cand: CandidateRow, ref: ReferenceView, scratch: BoundsScratch, out: RowBoundsOut): void {
  if (cand.kld && (cand.kld.pass || scratch.nativeBounds)) return nativeRowBounds(row, cand, ref, scratch, out);
  const V = ref.nVocab;
  const k = row.ids.length;
  const lq = cand.logq;
  const win = cand.window;
  const mark = scratch.mark;
  const kw = ref.view === 'kld-window' ? row.nWindow : k;
  OUT_LO.fill(0);
  OUT_HI.fill(0);
  OUT_EST.fill(0);
  ABS.fill(0);
  ALT_HI.fill(Infinity);
  // top-k entries: each term over the interval of its stored value
  for (let i = 0; i < k; i++) {
    const id = row.ids[i]!;
    if (mark[id]) {
      for (let j = 0; j < i; j++) mark[row.ids[j]!] = 0;
      throw new DataError(`token id ${id} appears twice in the top-k`);
    }
    mark[id] = 1;
    const v = row.logp[i]!;
    const e = v === -Infinity ? 0 : storedLogpError(v);
    const la = v - e;
    const lb = Math.min(0, v + e);
    const a = Math.exp(la);
    const b = Math.exp(lb);
    const pe = Math.exp(v);
    const kc = cand.kld;
    const code = kc ? kc.codes[id]! : 0;
    const lqi = kc ? kc.min + kc.scale * code : lq[id]!;
    const qf = kc ? kc.expHi[code >>> 8]! * kc.expLo[code & 255]! : cand.q[id]!; // forward KL sees every candidate token
    const qw = lqi >= win ? qf : 0; // the others see the candidate's window
    const lqw = qw > 0 ? lqi : -Infinity;
    if (i < kw) {
      // forward: convex in p, minimum at p = q/e
      const ga = fwdTerm(a, la, lqi);
      const gb = fwdTerm(b, lb, lqi);
      const ps = Math.min(b, Math.max(a, qf / Math.E));
      const gs = fwdTerm(ps, Math.log(ps), lqi);
      OUT_LO[0] += gs;
      OUT_HI[0] += Math.max(ga, gb);
      OUT_EST[0] += fwdTerm(pe, v, lqi);
      ABS[0] += fa(ga) + fa(gb) + fa(gs);
      // JS and TVD: convex, minimum at p = q
      const pc = Math.min(b, Math.max(a, qw));
      const ja = jsPair(a, qw);
      const jb = jsPair(b, qw);
      // pc is a, b or qw (then the term is 0): reuse the end points' terms, the same bits
      OUT_LO[2] += pc === a ? ja : pc === b ? jb : jsPair(pc, qw);
      OUT_HI[2] += Math.max(ja, jb);
      OUT_EST[2] += jsPair(pe, qw);
      ABS[2] += ja + jb;
      OUT_LO[3] += Math.abs(pc - qw);
      OUT_HI[3] += Math.max(Math.abs(a - qw), Math.abs(b - qw));
      OUT_EST[3] += Math.abs(pe - qw);
      ABS[3] += b + qw;
    } else {
      // outside a .kld base's window: p = 0 for forward KL, JS and TVD
      OUT_LO[2] += qw * Math.LN2;
      OUT_HI[2] += qw * Math.LN2;
      OUT_EST[2] += qw * Math.LN2;
      OUT_LO[3] += qw;
      OUT_HI[3] += qw;
      OUT_EST[3] += qw;
      ABS[2] += qw;
      ABS[3] += qw;
    }
    // reverse: q·(log q − log p) decreases in p
    if (qw > 0) {
      const ra = qw * (lqw - la);
      const rb = qw * (lqw - lb);
      OUT_LO[1] += rb;
      OUT_HI[1] += ra;
      OUT_EST[1] += qw * (lqw - v);
      ABS[1] += fa(ra) + fa(rb);
    }
  }
  // the tail: one pass for the candidate's tail masses and the sums at the floor
  const plan = tailPlan(row, ref);
  const { n, mF, mR, vF, vR, vJ, logLoF, logLoR, cap, nOut } = plan;
  const useHeap = cap <= n >>> 3;
  // the code pass writes its values in increasing order, so it needs no more than the cap it keeps
  if (cand.kld) tailPassCodes(cand.kld, scratch, row.ids, plan, scratch.tail);
  else tailPass(lq, cand.q, mark, win, vF.lo, logLoF, vR.lo, logLoR, scratch.tail, useHeap ? cap : -1);
  const qT = TP[0]!;
  const qTw = TP[1]!;
  const sumFwdLo = TP[2]!;
  const sumRevLo = TP[3]!;
  const absSumF = TP[4]!;
  let absF = absSumF;
  let absR = TP[5]!;
  const cntW = TP[6]!;
  out.argmaxCand = TP[7]!;
  const tail = scratch.tail;
  if (cand.kld) {
    // already in increasing order (from the code counts)
  } else if (useHeap) tail.subarray(0, cap).sort();
  else {
    selectSmallest(tail, n, cap - 1);
    tail.subarray(0, cap).sort();
  }
  // a .kld base's window leaves nOut tail tokens out (p = 0 for forward KL, JS and TVD); they
  // are unknown, but their candidate mass is at least that of the nOut least likely tail tokens
  let sOut = 0; // Σ q over the nOut smallest tail q
  let sOutW = 0; // the same of q in the candidate's window
  if (nOut > 0) {
    if (!cand.kld) smallestFromValues(lq, mark, win, scratch.tail2, nOut);
    sOut = SM[0]!;
    sOutW = SM[1]!;
  }
  for (let i = 0; i < k; i++) mark[row.ids[i]!] = 0;
  if (n > 0) {
    // lower bounds (and the proportional estimate): the terms at the aggregated tail. In a
    // window view the base's window tail sees candidate mass Q_T − X, X ≥ sOut outside it; the
    // bounds fall as X grows (JS and TVD: the X part adds (ln 2)·X resp. X, which rises faster)
    const qIn = qT - sOut > 0 ? qT - sOut : qT;
    const qInW = qTw - sOutW >= 0 ? qTw - sOutW : qTw;
    const xW = qTw - qInW;
    const fl = mF > 0 ? (qIn > 0 ? mF * Math.log(mF / qIn) : Infinity) : 0;
    const rl = qTw > 0 ? (mR > 0 ? qTw * Math.log(qTw / mR) : Infinity) : 0;
    const jl = jsPair(mF, qInW) + xW * Math.LN2;
    const tl = Math.abs(mF - qInW) + xW;
    OUT_LO[0] += fl;
    OUT_EST[0] += fl;
    OUT_LO[1] += rl;
    OUT_EST[1] += rl;
    OUT_LO[2] += jl;
    OUT_EST[2] += jl;
    OUT_LO[3] += tl;
    OUT_EST[3] += tl;
    ABS[0] += fa(fl) + mF + qT;
    ABS[1] += fa(rl) + mR + qTw;
    ABS[2] += mF + qTw;
    ABS[3] += mF + qTw;
    // upper bounds at the greedy vertex of each view (tail[0..cap) holds the candidate's least
    // likely tail tokens in increasing order): each vertex token's term minus its floor term
    let fu = sumFwdLo;
    const logHi = Math.log(vF.hi);
    for (let j = 0; j <= vF.nHi && j < n; j++) {
      const x = tail[j]!;
      const p = j < vF.nHi ? vF.hi : vF.r;
      const lp = j < vF.nHi ? logHi : Math.log(p);
      const d = fwdTerm(p, lp, x) - (vF.lo > 0 ? vF.lo * (logLoF - x) : 0);
      fu += d;
      absF += fa(d);
    }
    // exp of the vertex tokens' log q, once for the JS, TVD and reverse sweeps below
    const tailQ = scratch.tail2;
    const nq = Math.min(n, Math.max(vJ.nHi, vR.nHi, vF.lo > 0 ? cap - 1 : 0) + 1);
    for (let j = 0; j < nq; j++) tailQ[j] = Math.exp(tail[j]!);
    // JS and TVD: Σ_T t(0, q) = (ln 2)·Q_T resp. Q_T, then the vertex tokens' differences
    let ju = qTw * Math.LN2;
    let tu = qTw;
    const logHiJ = Math.log(vJ.hi);
    for (let j = 0; j <= vJ.nHi && j < n; j++) {
      const x = tail[j]!;
      const q = x >= win ? tailQ[j]! : 0;
      const p = j < vJ.nHi ? vJ.hi : vJ.r;
      ju += (j < vJ.nHi ? jsPairLogP(p, logHiJ, q) : jsPair(p, q)) - q * Math.LN2;
      tu += Math.abs(p - q) - q;
    }
    // reverse view: without a floor, a token left at 0 where q > 0 makes it unbounded; the
    // vertex gives p > 0 to the nHi (+1) least likely tokens, so the rest are the most likely
    let ru: number;
    const covered = vR.nHi + (vR.r > 0 ? 1 : 0);
    if (vR.lo === 0 && cntW > 0 && covered < n) ru = Infinity;
    else {
      ru = sumRevLo;
      const logHiR = Math.log(vR.hi);
      for (let j = 0; j <= vR.nHi && j < n; j++) {
        const x = tail[j]!;
        if (!(x >= win) || x === -Infinity) continue;
        const q = tailQ[j]!;
        const p = j < vR.nHi ? vR.hi : vR.r;
        const lp = j < vR.nHi ? logHiR : Math.log(p);
        const d = (p > 0 ? q * (x - lp) : Infinity) - (vR.lo > 0 ? q * (x - logLoR) : 0);
        ru += d;
        absR += fa(d);
      }
    }
    // with a floor (logits view): the vertex of [lo, hi] as a second bound of JS and TVD; the
    // smaller of the two certified bounds is kept, so the floor never widens an interval
    if (vF.lo > 0) {
      floorTailJsTvd(tail, tailQ, cap, n, win, vF, qTw, sumFwdLo, absSumF);
      ALT_HI[2] = OUT_HI[2]! + FT[0]!;
      ALT_HI[3] = OUT_HI[3]! + FT[1]!;
      ALT_ABS[2] = ABS[2]! + FT[2]!;
      ALT_ABS[3] = ABS[3]! + FT[3]!;
    }
    OUT_HI[0] += fu;
    OUT_HI[1] += ru;
    OUT_HI[2] += ju;
    OUT_HI[3] += tu;
    ABS[0] += absF;
    ABS[1] += absR;
    ABS[2] += fa(ju);
    ABS[3] += fa(tu);
  }
  const slack = (V + 16) * EPS;
  const caps = [Infinity, Infinity, 2 * Math.LN2, 2];
  for (let i = 0; i < 4; i++) {
    const s = slack * ABS[i]!;
    const half = i >= 2 ? 0.5 : 1; // JS and TVD sums are twice the measure
    const cap = caps[i]! * half;
    const l = OUT_LO[i]! * half - s;
    let h = OUT_HI[i]! * half + s;
    const alt = ALT_HI[i]! * half + slack * ALT_ABS[i]!;
    if (alt < h) h = alt;
    out.lo[i] = Math.min(cap, Math.max(0, Number.isNaN(l) ? 0 : l));
    out.hi[i] = Math.min(cap, Math.max(0, Number.isNaN(h) ? Infinity : h));
    out.est[i] = Math.min(out.hi[i]!, Math.max(out.lo[i]!, OUT_EST[i]! * half));
  }
}

/**
 * The exact values of the four measures between two full distributions given as
 * log-probabilities, in float64: the oracle the bounds are tested against (and what the
 * intervals close on as k → V).
 *
 * @example
 * exactMeasures(Float64Array.of(Math.log(0.5), Math.log(0.5)), Float64Array.of(Math.log(0.9), Math.log(0.1)));
 */
export function exactMeasures(lp: Float64Array, lq: Float64Array): [kld: number, reverseKld: number, js: number, tvd: number] {
  let f = 0;
  let r = 0;
  let j = 0;
  let t = 0;
  for (let i = 0; i < lp.length; i++) {
    const p = Math.exp(lp[i]!);
    const q = Math.exp(lq[i]!);
    f += fwdTerm(p, lp[i]!, lq[i]!);
    r += fwdTerm(q, lq[i]!, lp[i]!);
    j += jsPair(p, q);
    t += Math.abs(p - q);
  }
  return [Math.max(0, f), Math.max(0, r), Math.min(Math.LN2, Math.max(0, 0.5 * j)), Math.min(1, 0.5 * t)];
}
