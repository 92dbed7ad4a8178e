// Test writers for compare: matched .kld / .npy logit files with known contents.
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { KldWriter, kldLayout } from '../io/kld.js';
import { encodeNpy } from '../io/npy.js';
import { seededRandom } from '../random.js';

/** Options of {@link makeLogitPair}. */
export interface LogitPairOptions {
  rows: number;
  vocab: number;
  seed?: number;
  /** Spread of the candidate's noise on the base logits (default 0.5). */
  noise?: number;
  /** Steepness of the base's Zipf-like logits (default 3: wider than llama.cpp's 16-nat window). */
  steepness?: number;
  /** Make row `flatRow` all-equal in the base (llama.cpp writes scale 0 for it). */
  flatRow?: number;
}

/**
 * Two [rows × vocab] float32 logit matrices: a Zipf-like base with noise and a candidate that
 * perturbs it (a stand-in for a quantized model), for tests, the tour and benchmarks.
 *
 * @example
 * const { base, cand } = makeLogitPair({ rows: 4, vocab: 11 });
 */
export function makeLogitPair(o: LogitPairOptions): { base: Float32Array; cand: Float32Array } {
  const rnd = seededRandom(o.seed ?? 1);
  const base = new Float32Array(o.rows * o.vocab);
  const cand = new Float32Array(o.rows * o.vocab);
  const noise = o.noise ?? 0.5;
  const k = o.steepness ?? 3;
  for (let r = 0; r < o.rows; r++) {
    const shift = 10 * rnd();
    for (let i = 0; i < o.vocab; i++) {
      // a random rank per token so the top token moves around between rows
      const rank = Math.floor(rnd() * o.vocab);
      const a = r === o.flatRow ? 1.5 : shift - k * Math.log(1 + rank) + 0.3 * (rnd() - 0.5);
      base[r * o.vocab + i] = a;
      cand[r * o.vocab + i] = a + noise * (rnd() - 0.5);
    }
  }
  return { base, cand };
}

/** Options of {@link writeKldFixture}. */
export interface KldFixtureOptions {
  dir: string;
  nCtx: number;
  nVocab: number;
  nChunk: number;
  seed?: number;
  noise?: number;
  flatRow?: number;
}

/**
 * Writes base.kld and candidate.kld (llama.cpp's format, same tokens) plus the logits they were
 * encoded from as base.npy / candidate.npy, and the token list as tokens.json.
 *
 * @example
 * const f = writeKldFixture({ dir, nCtx: 20, nVocab: 1001, nChunk: 3 });
 * f.base; // path of base.kld
 */
export function writeKldFixture(o: KldFixtureOptions): { base: string; cand: string; baseNpy: string; candNpy: string; tokens: number[]; rows: number } {
  const h = kldLayout(o.nCtx, o.nVocab, o.nChunk);
  const rnd = seededRandom((o.seed ?? 1) * 7919);
  const tokens = Array.from({ length: o.nCtx * o.nChunk }, () => Math.floor(rnd() * o.nVocab));
  const { base, cand } = makeLogitPair({ rows: h.rows, vocab: o.nVocab, seed: o.seed, noise: o.noise, flatRow: o.flatRow });
  const paths = {
    base: path.join(o.dir, 'base.kld'),
    cand: path.join(o.dir, 'candidate.kld'),
    baseNpy: path.join(o.dir, 'base.npy'),
    candNpy: path.join(o.dir, 'candidate.npy'),
  };
  const wa = new KldWriter(paths.base, { nCtx: o.nCtx, nVocab: o.nVocab, nChunk: o.nChunk, tokens });
  const wb = new KldWriter(paths.cand, { nCtx: o.nCtx, nVocab: o.nVocab, nChunk: o.nChunk, tokens });
  for (let r = 0; r < h.rows; r++) {
    wa.writeLogits(base.subarray(r * o.nVocab, (r + 1) * o.nVocab));
    wb.writeLogits(cand.subarray(r * o.nVocab, (r + 1) * o.nVocab));
  }
  wa.close();
  wb.close();
  writeFileSync(paths.baseNpy, encodeNpy(base, [h.rows, o.nVocab]));
  writeFileSync(paths.candNpy, encodeNpy(cand, [h.rows, o.nVocab]));
  return { ...paths, tokens, rows: h.rows };
}
