import { ArgumentError, quote } from '../errors.js';
import { availableParallelism, loadavg } from 'node:os';
import { compareStats, LM_REGIMES, makeLmLogits, makeLogits } from './accuracy.js';
import { availableBackends, batchStats, batchStatsSync } from './index.js';
import { referenceBatchStats } from './reference.js';
import { nativeSimd } from './nativeBackend.js';
import type { BackendName, BatchInput, BatchStats } from './types.js';

/** One measured configuration, in the JSON form of `klscope bench --json`. */
export interface BenchResult {
  /** the data: 'synthetic' (P ~ 3·N(0,1), Q = P + 0.5·N(0,1)) or an LM-like regime ({@link BENCH_REGIMES}) */
  regime: string;
  backend: BackendName;
  threads: number;
  vocab: number;
  rows: number;
  /** rows·vocab / median time, in millions of elements (P,Q pairs) per second */
  melemPerSec: number;
  /** worst relative error against the float64 reference on the same data (values ≥ 1e-4) */
  maxRelErr: number;
}

/** The data sets of the benchmark: the synthetic rows and the LM-like regimes. */
export const BENCH_REGIMES = ['synthetic', ...LM_REGIMES.map((r) => r.id)] as const;

/**
 * The logits of one benchmark data set, float32 on SharedArrayBuffers: 'synthetic' is broad
 * random rows (P ~ 3·N(0,1), Q = P + 0.5·N(0,1), H(P) ≈ 7 nats, KL ≈ 0.12); 'lm-1e-3', 'lm-1e-2'
 * and 'lm-1e-1' are Zipf-shaped rows with H(P) in 1–4 nats and candidates at that KL
 * ({@link makeLmLogits}).
 *
 * @example
 * const { p, q } = benchLogits('lm-1e-3', 16, 32000);
 */
export function benchLogits(regime: string, rows: number, cols: number): { p: Float32Array; q: Float32Array } {
  if (regime === 'synthetic') return makeLogits({ rows, cols, scale: 3, noise: 0.5, seed: cols, shared: true }) as { p: Float32Array; q: Float32Array };
  const r = LM_REGIMES.find((x) => x.id === regime);
  if (!r) throw new ArgumentError({ where: 'regime', expected: `one of ${BENCH_REGIMES.join(', ')}`, got: quote(regime) });
  return makeLmLogits({ rows, cols, kl: r.kl, seed: cols + 1, shared: true });
}

/** Options of {@link runKernelBenchmark}. */
export interface KernelBenchOptions {
  /** data sets (default: every one of {@link BENCH_REGIMES}) */
  regimes?: string[];
  vocabs?: number[];
  rows?: number;
  /** thread counts to measure; default 1 and all cores */
  threads?: number[];
  backends?: BackendName[];
  /** timed runs per configuration (the median is reported); js runs at most 3 */
  repeat?: number;
  /** 'all' measures (default) or 'kl' (KL both ways, entropies, cross-entropies: no JS, no TV) */
  measures?: 'all' | 'kl';
  /** vocab of the single-row latency measurement; 0 skips it */
  latencyVocab?: number;
  onStep?: (what: string) => void;
}

/** Everything a benchmark run measured, with the machine's state. */
export interface KernelBenchReport {
  results: BenchResult[];
  /** which measures the kernels computed */
  measures: 'all' | 'kl';
  /** the same runs per CPU-second (process CPU time of all threads): less sensitive to other load */
  cpu: { regime: string; backend: BackendName; threads: number; vocab: number; melemPerCpuSec: number }[];
  /** median time of one row pair, per backend, in milliseconds */
  singleRowMs: { backend: BackendName; vocab: number; ms: number }[];
  machine: { cpus: number; loadavg: number[]; nativeSimd: string };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

/** Thread counts 1, 2, 4, … up to n, and n. */
export function threadLadder(n: number): number[] {
  const out: number[] = [];
  for (let t = 1; t < n; t *= 2) out.push(t);
  out.push(n);
  return out;
}

/**
 * Benchmarks the fused kernel (logits in, every measure out) for each data set, backend and
 * thread count on logit rows generated in memory ({@link benchLogits}: the synthetic broad rows
 * and the LM-like regimes), float32 on shared memory. The js reference runs in the same process
 * on the same data and is what maxRelErr is measured against.
 *
 * @example
 * const r = await runKernelBenchmark({ regimes: ['lm-1e-3'], vocabs: [32000], rows: 16, repeat: 1, latencyVocab: 0 });
 * r.results.map((x) => `${x.regime} ${x.backend}×${x.threads}: ${x.melemPerSec} Melem/s`);
 */
export async function runKernelBenchmark(opts: KernelBenchOptions = {}): Promise<KernelBenchReport> {
  const vocabs = opts.vocabs ?? [32000, 128256];
  const regimes = opts.regimes ?? [...BENCH_REGIMES];
  const rows = opts.rows ?? 256;
  const threads = opts.threads ?? threadLadder(availableParallelism());
  const backends = opts.backends ?? availableBackends();
  const repeat = Math.max(1, opts.repeat ?? 5);
  const step = opts.onStep ?? (() => {});
  const results: BenchResult[] = [];
  const cpu: KernelBenchReport['cpu'] = [];
  const measures = opts.measures ?? 'all';
  for (const regime of regimes) for (const vocab of vocabs) {
    step(`generating ${rows} × ${vocab} logits (${regime})`);
    const { p, q } = benchLogits(regime, rows, vocab);
    const input: BatchInput = { p, q, rows, cols: vocab, from: 'logits', measures };
    let reference: BatchStats | undefined;
    // the reference first: every other backend's error is measured against it
    const order = [...backends].sort((a, b) => (a === 'js' ? -1 : b === 'js' ? 1 : 0));
    for (const backend of order) {
      for (const t of threads) {
        step(`${regime}: ${backend} × ${t} thread${t > 1 ? 's' : ''}, vocab ${vocab}`);
        const n = backend === 'js' ? Math.min(repeat, 3) : repeat;
        let last = await batchStats(input, { backend, threads: t }); // warm-up (JIT, workers, pages)
        const times: number[] = [];
        const cpus: number[] = [];
        for (let k = 0; k < n; k++) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          last = await batchStats(input, { backend, threads: t });
          times.push(performance.now() - t0);
          const c = process.cpuUsage(c0);
          cpus.push((c.user + c.system) / 1e3);
        }
        if (backend === 'js' && !reference) reference = last;
        if (!reference) {
          step(`float64 reference, vocab ${vocab}`);
          reference = referenceBatchStats(input);
        }
        const maxRelErr = backend !== 'js' ? compareStats(reference, last).maxRelErr : 0;
        results.push({ regime, backend, threads: t, vocab, rows, melemPerSec: round((rows * vocab) / median(times) / 1e3), maxRelErr });
        cpu.push({ regime, backend, threads: t, vocab, melemPerCpuSec: round((rows * vocab) / median(cpus) / 1e3) });
      }
    }
  }
  const singleRowMs: KernelBenchReport['singleRowMs'] = [];
  const lv = opts.latencyVocab ?? 128256;
  if (lv > 0) {
    const { p, q } = makeLogits({ rows: 1, cols: lv, scale: 3, noise: 0.5, seed: 7 });
    const one: BatchInput = { p, q, rows: 1, cols: lv, from: 'logits', measures };
    for (const backend of backends) {
      step(`single row, ${backend}, vocab ${lv}`);
      const n = backend === 'js' ? 5 : 50;
      for (let k = 0; k < 3; k++) batchStatsSync(one, { backend });
      const times: number[] = [];
      for (let k = 0; k < n; k++) {
        const t0 = performance.now();
        batchStatsSync(one, { backend });
        times.push(performance.now() - t0);
      }
      singleRowMs.push({ backend, vocab: lv, ms: round(median(times), 4) });
    }
  }
  return { results, measures, cpu, singleRowMs, machine: { cpus: availableParallelism(), loadavg: loadavg().map((x) => round(x, 2)), nativeSimd: nativeSimd() } };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
