import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataError } from '../errors.js';
import { encodeNpy } from '../io/npy.js';
import { encodeSafetensors } from '../io/safetensors.js';
import { compareFiles } from './engine.js';
import { makeLogitPair, writeKldFixture } from '../testing/kldFixtures.js';
import { closeWorkers } from '../kernels/index.js';

// ---------- an independent reading of llama.cpp's format and statistics (whole file in memory) ----------

interface Row {
  /** log p as scale·code + min in float64 */
  lp: Float64Array;
  /** llama.cpp's window: the float32 decode is above −16 */
  win: Uint8Array;
  target: number;
  position: number;
}

function readKldWhole(file: string): Row[] {
  const buf = readFileSync(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const nCtx = dv.getInt32(8, true);
  const V = dv.getInt32(12, true);
  const nChunk = dv.getInt32(16, true);
  const tokens: number[] = [];
  for (let i = 0; i < nCtx * nChunk; i++) tokens.push(dv.getInt32(20 + 4 * i, true));
  const perRow = 2 * (V + (V % 2) + 4);
  let off = 20 + 4 * nCtx * nChunk;
  const rows: Row[] = [];
  const first = Math.floor(nCtx / 2);
  for (let c = 0; c < nChunk; c++) {
    for (let j = first; j < nCtx - 1; j++) {
      const scale = dv.getFloat32(off, true);
      const min = dv.getFloat32(off + 4, true);
      const lp = new Float64Array(V);
      const win = new Uint8Array(V);
      for (let i = 0; i < V; i++) {
        const code = dv.getUint16(off + 8 + 2 * i, true);
        lp[i] = min + scale * code;
        win[i] = Math.fround(Math.fround(scale * code) + min) > -16 ? 1 : 0;
      }
      rows.push({ lp, win, target: tokens[c * nCtx + j + 1]!, position: j + 1 });
      off += perRow;
    }
  }
  assert.equal(off, buf.length, 'independent reader consumed the whole file');
  return rows;
}

function logSoftmaxRows(x: Float32Array, V: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let r = 0; r < x.length / V; r++) {
    const row = x.subarray(r * V, (r + 1) * V);
    const m = Math.max(...row);
    let s = 0;
    for (const v of row) s += Math.exp(v - m);
    out.push(Float64Array.from(row, (v) => v - m - Math.log(s)));
  }
  return out;
}

interface TokenValues {
  kld: number;
  rkld: number;
  js: number;
  tvd: number;
  same: boolean;
  lp: number;
  lq: number;
}

const ALL = (n: number) => new Uint8Array(n).fill(1);

/** Per-token values by the definitions: llama.cpp's window on a quantized side, every token on an exact side. */
function tokenValues(a: Float64Array, b: Float64Array, wa: Uint8Array, wb: Uint8Array, t: number): TokenValues {
  let kld = 0;
  let rkld = 0;
  let js = 0;
  let tvd = 0;
  let am = 0;
  let bm = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > a[am]!) am = i;
    if (b[i]! > b[bm]!) bm = i;
    const p = wa[i] ? Math.exp(a[i]!) : 0;
    const q = wb[i] ? Math.exp(b[i]!) : 0;
    if (p > 0) kld += p * (a[i]! - b[i]!);
    if (q > 0) rkld += q * (b[i]! - a[i]!);
    const m = (p + q) / 2;
    if (p > 0) js += p * Math.log(p / m);
    if (q > 0) js += q * Math.log(q / m);
    tvd += Math.abs(p - q);
  }
  return { kld, rkld, js: js / 2, tvd: tvd / 2, same: am === bm, lp: a[t]!, lq: b[t]!};
}

function quantile(values: number[], f: number): number {
  const s = values.slice().sort((x, y) => x - y);
  const r = f * (s.length - 1);
  const i = Math.floor(r);
  return i + 1 < s.length ? s[i]! + (r - i) * (s[i + 1]! - s[i]!) : s[i]!;
}

function meanErr(v: number[]): [number, number] {
  const n = v.length;
  const m = v.reduce((a, b) => a + b, 0) / n;
  const m2 = v.reduce((a, b) => a + b * b, 0) / n;
  const varr = m2 - m * m;
  return [m, varr > 0 && n > 10 ? Math.sqrt(varr / (n - 1)) : 0];
}

function close(actual: number, expected: number, rel: number, what: string, abs = 0): void {
  const tol = Math.max(abs, rel * Math.max(1e-12, Math.abs(expected)));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (tolerance ${tol})`);
}

/** Checks a result against statistics computed from per-token values. */
function checkStats(res: Awaited<ReturnType<typeof compareFiles>>['result'], tv: TokenValues[], rel: number, exactQuantiles = true): void {
  assert.equal(res.tokens, tv.length);
  const [km, ke] = meanErr(tv.map((t) => t.kld));
  close(res.kld.mean!, km, rel, 'kld.mean');
  close(res.kld.stderr!, ke, 1e-6, 'kld.stderr');
  const [rm] = meanErr(tv.map((t) => t.rkld));
  close(res.reverseKld.mean!, rm, rel, 'reverseKld.mean');
  close(res.js.mean, meanErr(tv.map((t) => t.js))[0], rel, 'js.mean');
  close(res.tvd.mean, meanErr(tv.map((t) => t.tvd))[0], rel, 'tvd.mean');
  const same = tv.filter((t) => t.same).length / tv.length;
  assert.equal(res.sameTop.p, same);
  close(res.sameTop.stderr, Math.sqrt((same * (1 - same)) / (tv.length - 1)), 1e-12, 'sameTop.stderr');
  const qs: Array<[string, number]> = [['max', 1], ['p999', 0.999], ['p99', 0.99], ['p95', 0.95], ['p90', 0.9], ['median', 0.5], ['p10', 0.1], ['p05', 0.05], ['p01', 0.01], ['p001', 0.001], ['min', 0]];
  if (exactQuantiles) {
    for (const [k, f] of qs) {
      close(res.kld[k]!, quantile(tv.map((t) => t.kld), f), rel, `kld.${k}`);
      close(res.reverseKld[k]!, quantile(tv.map((t) => t.rkld), f), rel, `reverseKld.${k}`);
    }
  }
  // perplexity and Δp
  const nll = tv.map((t) => -t.lq);
  const nllb = tv.map((t) => -t.lp);
  const [mq, eq] = meanErr(nll);
  const [mb, eb] = meanErr(nllb);
  const n = tv.length;
  const cov = (nll.reduce((a, x, i) => a + x * nllb[i]!, 0) / n - mq * mb) / (n - 1);
  assert.ok(res.ppl);
  close(res.ppl.candidate, Math.exp(mq), Math.max(rel, 1e-9), 'ppl.candidate');
  close(res.ppl.base, Math.exp(mb), Math.max(rel, 1e-9), 'ppl.base');
  close(res.ppl.lnRatio, mq - mb, Math.max(rel, 1e-7), 'ppl.lnRatio');
  close(res.ppl.lnRatioStderr, Math.sqrt(eq * eq + eb * eb - 2 * cov), Math.max(rel, 1e-6), 'ppl.lnRatioStderr');
  close(res.ppl.cor!, cov / (eq * eb), Math.max(rel, 1e-6), 'ppl.cor');
  const dp = tv.map((t) => Math.exp(t.lq) - Math.exp(t.lp));
  const [dm, de] = meanErr(dp);
  assert.ok(res.deltaP);
  close(res.deltaP.mean!, dm, Math.max(rel, 1e-7), 'deltaP.mean', rel > 1e-9 ? 1e-9 : 0);
  close(res.deltaP.stderr!, de, Math.max(rel, 1e-6), 'deltaP.stderr', rel > 1e-9 ? 1e-9 : 0);
  close(res.deltaP.rms!, Math.sqrt(dp.reduce((a, x) => a + x * x, 0) / n), Math.max(rel, 1e-9), 'deltaP.rms', rel > 1e-9 ? 1e-9 : 0);
  if (exactQuantiles) close(res.deltaP.median!, quantile(dp, 0.5), Math.max(rel, 1e-9), 'deltaP.median', rel > 1e-9 ? 1e-9 : 0);
  close(res.deltaP.max!, Math.max(...dp), Math.max(rel, 1e-9), 'deltaP.max', rel > 1e-9 ? 1e-9 : 0);
  close(res.deltaP.min!, Math.min(...dp), Math.max(rel, 1e-9), 'deltaP.min', rel > 1e-9 ? 1e-9 : 0);
}

describe('compareFiles on llama.cpp .kld files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-cmp-'));
  // odd vocabulary (a pad code per row), several chunks, a flat row (scale 0)
  const fx = writeKldFixture({ dir, nCtx: 24, nVocab: 1001, nChunk: 3, seed: 3, flatRow: 4 });

  test('two .kld files reproduce statistics computed independently (1 and 2 threads)', async () => {
    const A = readKldWhole(fx.base);
    const B = readKldWhole(fx.cand);
    assert.equal(A.length, 33);
    const tv = A.map((r, k) => tokenValues(r.lp, B[k]!.lp, r.win, B[k]!.win, r.target));
    // some KL terms really are outside the window: the window rule matters in this fixture
    assert.ok(A.some((r) => r.win.some((v) => v === 0)));
    const one = await compareFiles({ base: fx.base, candidate: fx.cand, threads: 1 });
    checkStats(one.result, tv, 1e-12);
    const two = await compareFiles({ base: fx.base, candidate: fx.cand, threads: 2, minWorkerElements: 0 });
    assert.deepEqual(two.result, one.result);
  });

  test('a .kld base against .npy candidate logits (llama.cpp\'s own setting)', async () => {
    const A = readKldWhole(fx.base);
    const buf = readFileSync(fx.candNpy);
    const x = new Float32Array(buf.buffer.slice(buf.byteOffset + 128, buf.byteOffset + buf.length));
    const lq = logSoftmaxRows(x, 1001);
    const tv = A.map((r, k) => tokenValues(r.lp, lq[k]!, r.win, ALL(1001), r.target));
    const res = await compareFiles({ base: fx.base, candidate: fx.candNpy, threads: 1 });
    checkStats(res.result, tv, 1e-10);
  });

  test('.npy base logits against a .kld candidate (the candidate\'s floor tokens read at the floor)', async () => {
    const B = readKldWhole(fx.cand);
    const buf = readFileSync(fx.baseNpy);
    const lp = logSoftmaxRows(new Float32Array(buf.buffer.slice(buf.byteOffset + 128, buf.byteOffset + buf.length)), 1001);
    const tv = B.map((r, k) => tokenValues(lp[k]!, r.lp, ALL(1001), r.win, r.target));
    const res = await compareFiles({ base: fx.baseNpy, candidate: fx.cand, threads: 2, minWorkerElements: 0 });
    checkStats(res.result, tv, 1e-10);
    assert.ok(res.result.notes.some((n) => n.includes('tokens the candidate .kld stores at its floor code')));
  });

  test('errors: token, vocab and n_ctx mismatches, truncation, magic, NaN rows', async () => {
    const bytes = readFileSync(fx.cand);
    const bad = (name: string, mutate: (b: Buffer) => Buffer) => {
      const p = path.join(dir, name);
      writeFileSync(p, mutate(Buffer.from(bytes)));
      return p;
    };
    const tok = bad('tok.kld', (b) => {
      b.writeInt32LE(b.readInt32LE(20 + 4 * 30) + 1, 20 + 4 * 30);
      return b;
    });
    await assert.rejects(compareFiles({ base: fx.base, candidate: tok, threads: 1 }), (e: Error) => e instanceof DataError && /token mismatch at index 30 /.test(e.message));
    const trunc = bad('trunc.kld', (b) => b.subarray(0, b.length - 100));
    await assert.rejects(compareFiles({ base: fx.base, candidate: trunc }), (e: Error) => e instanceof DataError && new RegExp(`need ${bytes.length} bytes.*the file has ${bytes.length - 100}`).test(e.message));
    const magic = bad('magic.kld', (b) => {
      b.write('_logitz_', 0, 'latin1');
      return b;
    });
    await assert.rejects(compareFiles({ base: fx.base, candidate: { path: magic, format: 'kld' } }), /expected the magic "_logits_"/);
    const nan = bad('nan.kld', (b) => {
      b.writeFloatLE(NaN, 20 + 4 * 24 * 3 + 5 * 2 * (1002 + 4));
      return b;
    });
    await assert.rejects(compareFiles({ base: fx.base, candidate: nan, threads: 2, minWorkerElements: 0 }), (e: Error) => e instanceof DataError && /row 5 .*scale is NaN/.test(e.message));
    const d2 = mkdtempSync(path.join(tmpdir(), 'klscope-cmp2-'));
    const other = writeKldFixture({ dir: d2, nCtx: 24, nVocab: 999, nChunk: 3, seed: 3 });
    await assert.rejects(compareFiles({ base: fx.base, candidate: other.cand }), /n_vocab mismatch: base has 1001, candidate has 999/);
    const ctx = writeKldFixture({ dir: d2, nCtx: 26, nVocab: 1001, nChunk: 3, seed: 3 });
    await assert.rejects(compareFiles({ base: fx.base, candidate: ctx.cand }), /n_ctx mismatch: base has 24, candidate has 26/);
    rmSync(d2, { recursive: true, force: true });
  });

  test('merging row shards equals the unsplit run: means exactly, quantiles within the sketch bound', async () => {
    const whole = await compareFiles({ base: fx.base, candidate: fx.cand, threads: 1 });
    const parts = await Promise.all(
      [[0, 7], [7, 20], [20, 33]].map(([a, b]) => compareFiles({ base: fx.base, candidate: fx.cand, threads: 1, rowRange: [a!, b!] })),
    );
    const { CompareAccumulator } = await import('./accumulator.js');
    const merged = CompareAccumulator.fromSummary(JSON.parse(JSON.stringify(parts[0]!.accumulator.toSummary())));
    for (const p of parts.slice(1)) merged.merge(CompareAccumulator.fromSummary(JSON.parse(JSON.stringify(p.accumulator.toSummary()))));
    const m = merged.result();
    const w = whole.result;
    assert.equal(m.tokens, w.tokens);
    for (const k of ['mean', 'stderr'] as const) {
      assert.equal(m.kld[k], w.kld[k]);
      assert.equal(m.reverseKld[k], w.reverseKld[k]);
      assert.equal(m.deltaP![k], w.deltaP![k]);
    }
    assert.equal(m.js.mean, w.js.mean);
    assert.equal(m.tvd.mean, w.tvd.mean);
    assert.deepEqual(m.sameTop, w.sameTop);
    assert.deepEqual(m.ppl, w.ppl);
    assert.equal(m.deltaP!.rms, w.deltaP!.rms);
    assert.equal(m.quantiles.method, 'sketch');
    const alpha = m.quantiles.relativeError;
    for (const k of ['max', 'p999', 'p99', 'p95', 'p90', 'median', 'p10', 'p05', 'p01', 'p001', 'min']) {
      const e = w.kld[k]!;
      assert.ok(Math.abs(m.kld[k]! - e) <= alpha * Math.abs(e) * (1 + 1e-9) + 1e-300, `kld.${k}: merged ${m.kld[k]} vs exact ${e}`);
      const r = w.reverseKld[k]!;
      assert.ok(Math.abs(m.reverseKld[k]! - r) <= alpha * Math.abs(r) * (1 + 1e-9) + 1e-300, `reverseKld.${k}`);
    }
    assert.deepEqual(m.kld.max, w.kld.max);
    assert.deepEqual(merged.worst.map((x) => x.row), whole.accumulator.worst.map((x) => x.row));
  });

  test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
});

describe('compareFiles on logits (.npy, .safetensors) through the fused kernel', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-cmpn-'));
  const T = 40;
  const V = 333;
  const { base, cand } = makeLogitPair({ rows: T, vocab: V, seed: 9, noise: 0.8 });
  const ids = Array.from({ length: T + 1 }, (_, i) => (i * 37) % V);
  const lp = logSoftmaxRows(base, V);
  const lq = logSoftmaxRows(cand, V);
  const tv = lp.map((a, t) => tokenValues(a, lq[t]!, ALL(V), ALL(V), ids[t + 1]!));

  test('.npy logits with a .json token list', async () => {
    writeFileSync(path.join(dir, 'b.npy'), encodeNpy(base, [T, V]));
    writeFileSync(path.join(dir, 'c.npy'), encodeNpy(cand, [T, V]));
    writeFileSync(path.join(dir, 'ids.json'), JSON.stringify(ids));
    const res = await compareFiles({ base: path.join(dir, 'b.npy'), candidate: path.join(dir, 'c.npy'), tokens: path.join(dir, 'ids.json'), threads: 2 });
    checkStats(res.result, tv, 1e-6);
    await assert.rejects(
      compareFiles({ base: path.join(dir, 'b.npy'), candidate: path.join(dir, 'c.npy'), tokens: path.join(dir, 'b.npy') }),
      /token ids must be int32 or int64/,
    );
  });

  test('.safetensors with a named tensor and a .npy int32 token list', async () => {
    const other = new Float32Array(6);
    writeFileSync(path.join(dir, 'b.safetensors'), encodeSafetensors({ extra: { data: other, shape: [2, 3] }, logits: { data: base, shape: [1, T, V] } }));
    writeFileSync(path.join(dir, 'c.safetensors'), encodeSafetensors({ logits: { data: new Float64Array(cand), shape: [T, V] } }));
    writeFileSync(path.join(dir, 'ids.npy'), encodeNpy(Int32Array.from(ids), [T + 1]));
    const res = await compareFiles({ base: path.join(dir, 'b.safetensors'), candidate: path.join(dir, 'c.safetensors'), tensor: 'logits', tokens: path.join(dir, 'ids.npy'), threads: 1 });
    checkStats(res.result, tv, 1e-6);
    await assert.rejects(compareFiles({ base: path.join(dir, 'b.safetensors'), candidate: path.join(dir, 'c.safetensors') }), /holds 2 tensors \(extra, logits\); choose one with the tensor option/);
  });

  test('a NaN logit is named with its file, row and column, on either side', async () => {
    const bad = base.slice();
    bad[7 * V + 11] = NaN;
    const nan = path.join(dir, 'nan.npy');
    writeFileSync(nan, encodeNpy(bad, [T, V]));
    const named = (e: Error) => e instanceof DataError && e.message === `invalid ${nan}[7][11]: expected a finite logit (or -Infinity for a masked token), got NaN`;
    await assert.rejects(compareFiles({ base: nan, candidate: path.join(dir, 'c.npy'), threads: 1 }), named);
    await assert.rejects(compareFiles({ base: path.join(dir, 'c.npy'), candidate: nan, threads: 1 }), named);
  });

  test('cleanup', async () => {
    rmSync(dir, { recursive: true, force: true });
    await closeWorkers();
  });
});
