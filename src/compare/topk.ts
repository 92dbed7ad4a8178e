import { DataError } from '../errors.js';
import { clampNonNegative, jsFromTermSum, jsTerm, klLogTerm, relEntr, tvFromSum } from '../rows/terms.js';
import { COMPARE_MEASURES, type CompareRowKey } from '../rows/measureTable.js';
import type { TopkPosition } from '../io/topkJsonl.js';
import { CompareAccumulator, type RowBlock } from './accumulator.js';
import { formatRowRange } from './rowRange.js';
import { createRowBlock } from './rowStats.js';
import type { CompareOptions, CompareRun, OpenedSource } from './types.js';

export { parseTopkLine } from '../io/topkJsonl.js';
export type { TopkPosition } from '../io/topkJsonl.js';

/** The coarsened pair of one position: shared tokens plus one "rest" bucket on each side. */
export interface CoarsenedPair {
  /** log-probabilities of the shared tokens on each side */
  lp: number[];
  lq: number[];
  /** mass outside the shared tokens: 1 − Σ shared, at least 0 */
  restP: number;
  restQ: number;
}

/**
 * Coarsens two truncated distributions onto the tokens present in both top-k lists plus one
 * bucket for everything else (mass 1 − Σ shared on each side). By the data-processing
 * inequality, any f-divergence (KL either way, JS, TVD) of the coarsened pair is a lower bound
 * on the full one.
 *
 * @example
 * coarsenTopk([{ token: 'a', logprob: Math.log(0.6) }], [{ token: 'a', logprob: Math.log(0.5) }]);
 * // { lp: [log 0.6], lq: [log 0.5], restP: 0.4, restQ: 0.5 }
 */
export function coarsenTopk(a: TopkPosition['top'], b: TopkPosition['top']): CoarsenedPair {
  const mb = new Map(b.map((t) => [t.token, t.logprob]));
  const lp: number[] = [];
  const lq: number[] = [];
  let sp = 0;
  let sq = 0;
  for (const t of a) {
    const v = mb.get(t.token);
    if (v === undefined) continue;
    lp.push(t.logprob);
    lq.push(v);
    sp += Math.exp(t.logprob);
    sq += Math.exp(v);
  }
  return { lp, lq, restP: Math.max(0, 1 - sp), restQ: Math.max(0, 1 - sq) };
}

/**
 * KL both ways, JS and TVD of a coarsened pair (all lower bounds on the full values).
 *
 * @example
 * const c = coarsenTopk(a, b);
 * coarsenedMeasures(c).forward; // ≤ KL(P‖Q) of the full distributions
 */
export function coarsenedMeasures(c: CoarsenedPair): Record<CompareRowKey, number> {
  let fwd = 0;
  let rev = 0;
  let js = 0;
  let tv = 0;
  for (let i = 0; i < c.lp.length; i++) {
    const la = c.lp[i]!;
    const lb = c.lq[i]!;
    const p = Math.exp(la);
    const q = Math.exp(lb);
    fwd += klLogTerm(p, la, lb);
    rev += klLogTerm(q, lb, la);
    tv += Math.abs(p - q);
    js += jsTerm(p, q, la, lb);
  }
  // the rest buckets are probabilities (1 − Σ shared): their terms come from the probabilities
  fwd += relEntr(c.restP, c.restQ);
  rev += relEntr(c.restQ, c.restP);
  tv += Math.abs(c.restP - c.restQ);
  js += jsTerm(c.restP, c.restQ, Math.log(c.restP), Math.log(c.restQ));
  return { forward: clampNonNegative(fwd), reverse: clampNonNegative(rev), js: jsFromTermSum(js), tvd: tvFromSum(tv) };
}

/**
 * Compares two top-k streams (JSONL files) position by position with the coarsened estimator
 * ({@link coarsenTopk}): KL both ways, JS and TVD are lower bounds; perplexity and Δp use each
 * line's sampled token and its log-probability, which are exact.
 *
 * @example
 * const run = await compareTopk(openSource(baseSpec), openSource(candSpec), {});
 * run.result.kld.mean; // a lower bound on the mean KL(base‖candidate)
 */
export async function compareTopk(
  base: OpenedSource & { kind: 'topk' },
  cand: OpenedSource & { kind: 'topk' },
  opts: Pick<CompareOptions, 'relativeAccuracy' | 'retainLimit' | 'rowRange' | 'sink' | 'onProgress'>,
): Promise<CompareRun> {
  // positions are line numbers of the whole file: bins of 256 keep the by-position table small
  const acc = new CompareAccumulator({ relativeAccuracy: opts.relativeAccuracy, retainLimit: opts.retainLimit, positionBinWidth: 256 });
  const ids = new Map<string, number>();
  const texts: string[] = [];
  const intern = (s: string) => {
    let v = ids.get(s);
    if (v === undefined) {
      v = texts.length;
      ids.set(s, v);
      texts.push(s);
    }
    return v;
  };
  const [start, end] = opts.rowRange ?? [0, Number.MAX_SAFE_INTEGER];
  const A = base.positions();
  const B = cand.positions();
  const BLOCK = 4096;
  let block: RowBlock = createRowBlock(BLOCK, start);
  let k = 0;
  let t = 0;
  const tokenText = (id: number) => texts[id];
  const flush = async () => {
    if (k === 0) return;
    const b: RowBlock = { ...block, n: k };
    acc.addBlock(b);
    if (opts.sink) await opts.sink.write(b, tokenText);
    block = createRowBlock(BLOCK, t);
    k = 0;
  };
  while (true) {
    const [ra, rb] = await Promise.all([A.next(), B.next()]);
    if (ra.done || rb.done) {
      if (!ra.done || !rb.done) {
        throw new DataError(`line count mismatch: ${ra.done ? 'base' : 'candidate'} ends after ${t} positions, the other file has more (one line per token position on both sides)`);
      }
      break;
    }
    if (t < start || t >= end) {
      t++;
      continue;
    }
    const a = ra.value;
    const b = rb.value;
    if (a.token !== b.token) {
      throw new DataError(`token mismatch at position ${t} (line ${t + 1}): base has ${JSON.stringify(a.token)}, candidate has ${JSON.stringify(b.token)} (both must score the same text)`);
    }
    const m = coarsenedMeasures(coarsenTopk(a.top, b.top));
    const top = (l: TopkPosition['top']) => {
      let best = 0;
      for (let i = 1; i < l.length; i++) if (l[i]!.logprob > l[best]!.logprob) best = i;
      return l.length ? intern(l[best]!.token) : -1;
    };
    for (const { row } of COMPARE_MEASURES) block[row][k] = m[row];
    block.argmaxBase[k] = top(a.top);
    block.argmaxCand[k] = top(b.top);
    block.target[k] = intern(a.token);
    block.position[k] = t;
    block.logpTarget[k] = a.logprob;
    block.logqTarget[k] = b.logprob;
    k++;
    t++;
    if (k === BLOCK) await flush();
  }
  await flush();
  if (acc.count === 0) throw new DataError(`no token positions to compare${opts.rowRange ? ` in rows ${formatRowRange([start, end])}` : ''}`);
  acc.inputs.push({ ...base.describe(), role: 'base', rowRange: [start, Math.min(end, t)] }, { ...cand.describe(), role: 'candidate' });
  acc.estimator = 'topk-lower-bound';
  acc.notes.push(
    'Top-k JSONL input: each position is coarsened onto the tokens in both top-k lists plus one "rest" bucket, so KL(base‖candidate), KL(candidate‖base), JS and TVD are LOWER BOUNDS on the full values (data-processing inequality); perplexity and Δp use the sampled token\'s exact log-probability.',
  );
  const bytes = base.bytesRead() + cand.bytesRead();
  return { accumulator: acc, result: acc.result(), rows: acc.count, elements: acc.count, bytes, vocab: 0, tokenText };
}
