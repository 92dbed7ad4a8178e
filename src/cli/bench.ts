import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { availableBackends, closeWorkers } from '../kernels/index.js';
import { BENCH_REGIMES, runKernelBenchmark, threadLadder, type KernelBenchReport } from '../kernels/bench.js';
import type { BackendName } from '../kernels/types.js';
import { UsageError, quote } from '../errors.js';
import { formatNumber } from '../report/format.js';
import { toJson } from '../report/json.js';
import { renderTable } from '../report/table.js';
import { action, boundedInt, choiceOption, withExamples } from './run.js';

/** The people's table of a benchmark report: throughput, ratio to js, error, latency. */
export function benchTable(r: KernelBenchReport): string {
  const js = new Map(r.results.filter((x) => x.backend === 'js').map((x) => [`${x.regime}/${x.vocab}/${x.threads}`, x.melemPerSec]));
  const rows = r.results.map((x, i) => {
    const base = js.get(`${x.regime}/${x.vocab}/${x.threads}`);
    return [
      x.regime,
      x.backend + (x.backend === 'native' && r.machine.nativeSimd ? ` (${r.machine.nativeSimd})` : x.backend === 'wasm' ? ' (simd128)' : ''),
      String(x.threads),
      String(x.vocab),
      String(x.rows),
      formatNumber(x.melemPerSec, 4),
      formatNumber(r.cpu[i]!.melemPerCpuSec, 4),
      base ? `${(x.melemPerSec / base).toFixed(1)}×` : '',
      x.backend === 'js' ? 'reference' : x.maxRelErr.toExponential(1),
    ];
  });
  const notes = r.singleRowMs.map((l) => `single row pair, vocab ${l.vocab}: ${l.backend} ${l.ms.toFixed(3)} ms`);
  notes.push(`machine: ${r.machine.cpus} cores, load average ${r.machine.loadavg.join(' / ')} (1/5/15 min); other work on the cores lowers the figures`);
  const what = r.measures === 'kl' ? 'KL both ways, entropies, cross-entropies, argmax' : 'KL both ways, entropies, cross-entropies, JS, TV, argmax';
  notes.push('regimes: synthetic = broad rows (P ~ 3·N(0,1), Q = P + 0.5·N(0,1)); lm-1e-3/-2/-1 = Zipf-shaped rows, H(P) 1–4 nats, candidate at KL ≈ 1e-3/1e-2/1e-1');
  return renderTable(['data', 'backend', 'threads', 'vocab', 'rows', 'Melem/s', 'Melem/CPU-s', 'vs js', 'max rel err'], rows, {
    title: `klscope bench: fused pass over random logit rows (${what}), float32 in, float64 sums; Melem/s = rows·vocab / median wall time`,
    notes,
  });
}

export function registerBench(program: Command): Command {
  const cmd = program
    .command('bench')
    .description('Benchmark the fused kernels (js reference, wasm SIMD, native) on generated logits: elements/s per backend and thread count.')
    .option('--threads <n>', 'largest thread count (the run measures 1, 2, 4, … up to it)', String(availableParallelism()))
    .option('--vocab <list>', 'vocabulary sizes, comma-separated', '32000,128256')
    .option('--regime <list>', `data sets, comma-separated: ${BENCH_REGIMES.join(', ')}`, BENCH_REGIMES.join(','))
    .option('--rows <n>', 'rows (tokens) per batch', '256')
    .option('--repeat <n>', 'timed runs per configuration; the median is reported', '5')
    .option('--backend <list>', 'backends to run, comma-separated (default: all available)')
    .addOption(choiceOption('--measures <set>', 'all measures, or kl: KL both ways + entropies + cross-entropies (no JS, no TV)', ['all', 'kl'], 'all'))
    .option('--json', 'print one JSON document: {"results": [{regime, backend, threads, vocab, rows, melemPerSec, maxRelErr}], ...}')
    .action(
      action('bench', async (o: Record<string, string | boolean | undefined>) => {
        const maxThreads = boundedInt(String(o.threads), '--threads', 1, availableParallelism());
        const rows = boundedInt(String(o.rows), '--rows', 1, 1 << 16);
        const repeat = boundedInt(String(o.repeat), '--repeat', 1, 1000);
        const vocabs = String(o.vocab)
          .split(',')
          .map((v) => boundedInt(v.trim(), '--vocab', 1, 1 << 24));
        // two float32 matrices of rows × vocab must fit comfortably (2^28 elements = 2 GiB for both)
        for (const v of vocabs) if (rows * v > 2 ** 28) throw new UsageError({ where: 'invalid --rows × --vocab', expected: 'at most 2^28 elements (268435456)', got: `${rows} × ${v} = ${rows * v}` });
        const all = availableBackends();
        let backends: BackendName[] = all;
        if (typeof o.backend === 'string') {
          backends = o.backend.split(',').map((b) => b.trim()) as BackendName[];
          for (const b of backends) if (!all.includes(b)) throw new UsageError(`invalid --backend: ${quote(b)} is not available here (available: ${all.join(', ')})`);
        }
        const regimes = String(o.regime)
          .split(',')
          .map((v) => v.trim());
        for (const g of regimes) if (!(BENCH_REGIMES as readonly string[]).includes(g)) throw new UsageError(`invalid --regime: ${JSON.stringify(g)} (expected ${BENCH_REGIMES.join(', ')})`);
        const tty = Boolean(process.stderr.isTTY);
        const report = await runKernelBenchmark({
          regimes,
          vocabs,
          rows,
          repeat,
          backends,
          threads: threadLadder(maxThreads),
          measures: o.measures as 'all' | 'kl',
          onStep: tty ? (w) => process.stderr.write(`\r\x1b[K${w}…`) : undefined,
        });
        if (tty) process.stderr.write('\r\x1b[K');
        await closeWorkers();
        process.stdout.write(o.json ? toJson(report) + '\n' : benchTable(report) + '\n');
      }),
    );
  return withExamples(cmd, [
    'klscope bench',
    'klscope bench --threads 2 --json',
    'klscope bench --vocab 128256 --rows 64 --backend wasm,js',
    'klscope bench --measures kl --backend native,wasm',
    'klscope bench --regime lm-1e-3,lm-1e-2 --vocab 128256 --threads 2',
  ]);
}

/** The tour's paragraph: a quick single-row timing of each backend on generated logits. */
export async function tourSection(): Promise<string> {
  const r = await runKernelBenchmark({ regimes: [], vocabs: [], latencyVocab: 32000 });
  const lines = r.singleRowMs.map((l) => `  ${l.backend.padEnd(6)} ${l.ms.toFixed(3)} ms for one row pair of ${l.vocab} logits`);
  return [
    'Fused kernels: every measure of a logit row pair in one streaming pass (two reads per row).',
    ...lines,
    'Run `klscope bench` for throughput per backend and thread count.',
  ].join('\n');
}
