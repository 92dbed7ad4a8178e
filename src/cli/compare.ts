import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CompareResult } from '../compare/accumulator.js';
import { compareFiles, parseRowRange, type CompareRun } from '../compare/engine.js';
import type { LiveRun } from '../compare/live.js';
import { COMPARE_FORMATS, sideSpec } from '../compare/sources.js';
import type { LiveOptions } from '../compare/types.js';
import { KldWriter } from '../io/kld.js';
import { OutputGroup } from '../io/output.js';
import { closeWorkers } from '../kernels/index.js';
import type { BackendName } from '../kernels/types.js';
import { renderCompareHtml } from '../report/compareHtml.js';
import type { LadderEntry } from '../report/ladder.js';
import { formatNumber, formatPercent, sketchDigits } from '../report/format.js';
import { toJson } from '../report/json.js';
import { createPerTokenWriter, type PerTokenWriter } from '../report/perToken.js';
import { createProgress } from '../report/progress.js';
import { renderTable } from '../report/table.js';
import { seededRandom } from '../random.js';
import { UsageError, quote } from '../errors.js';
import { action, choiceOption, cliText, intOption, numberOption, withExamples } from './run.js';
import { isReferenceFile } from '../compare/referenceCompare.js';
import { COMPARE_MEASURES } from '../rows/measureTable.js';
import { referenceTable } from './referenceTable.js';

const QUANTILE_LABELS: Array<[string, string]> = [
  ['max', 'maximum'],
  ['p999', '99.9%'],
  ['p99', '99.0%'],
  ['p95', '95.0%'],
  ['p90', '90.0%'],
  ['p75', '75.0%'],
  ['median', 'median'],
  ['p25', '25.0%'],
  ['p10', '10.0%'],
  ['p05', '5.0%'],
  ['p01', '1.0%'],
  ['p001', '0.1%'],
  ['min', 'minimum'],
];

/**
 * The people-readable report of a comparison: llama.cpp's statistics, both KL directions side by
 * side, with the JSON key of each row.
 *
 * @example
 * process.stdout.write(compareTable(run.result, 'klscope compare: base = a.kld, candidate = b.kld'));
 */
export function compareTable(result: CompareResult, title: string): string {
  if (result.bounds) return referenceTable(result, title);
  const f = (x: number | null | undefined, d = 6) => (x === null || x === undefined ? '—' : formatNumber(x, d));
  const pm = (a: number, b: number, d = 6) => `${f(a, d)} ± ${f(b, 3)}`;
  const parts: string[] = [];
  const sketch = result.quantiles.method === 'sketch';
  const qd = sketch ? sketchDigits(result.quantiles.relativeError) : 6;
  const q = sketch
    ? `quantiles are sketch values (relative error ≤ ${result.quantiles.relativeError * 100}%), shown to the ${qd} significant digits they are good for; values in one sketch bucket print alike`
    : 'exact quantiles';
  parts.push(`${title}\n${result.tokens} tokens; P = base (reference), Q = candidate; nats; ${q}\n`);
  if (result.ppl) {
    const p = result.ppl;
    // targets at a .kld floor: that side's PPL is a lower bound; the ratio a bound when one side has them
    const fb = p.floorTargets?.base ?? 0;
    const fc = p.floorTargets?.candidate ?? 0;
    const bound = { candidate: fc > 0 ? '≥ ' : '', base: fb > 0 ? '≥ ' : '', ratio: fb > 0 && fc > 0 ? '≈ ' : fc > 0 ? '≥ ' : fb > 0 ? '≤ ' : '' };
    parts.push(
      renderTable(
        [fb > 0 || fc > 0 ? 'perplexity (≥ ≤: bounds, see the notes)' : 'perplexity', 'value', 'json key'],
        [
          ['Mean PPL(Q)', bound.candidate + pm(p.candidate, p.candidateStderr), 'ppl.candidate'],
          ['Mean PPL(base)', bound.base + pm(p.base, p.baseStderr), 'ppl.base'],
          ['Cor(ln(PPL(Q)), ln(PPL(base)))', p.cor === null ? '—' : formatPercent(p.cor, 2), 'ppl.cor'],
          ['Mean ln(PPL(Q)/PPL(base))', bound.ratio + pm(p.lnRatio, p.lnRatioStderr), 'ppl.lnRatio'],
          ['Mean PPL(Q)/PPL(base)', bound.ratio + pm(p.ratio, p.ratioStderr), 'ppl.ratio'],
          ['Mean PPL(Q)−PPL(base)', bound.ratio + pm(p.diff, p.diffStderr), 'ppl.diff'],
        ],
        { align: ['left', 'right', 'left'] },
      ),
    );
  }
  const kRows = [['mean', pm(result.kld.mean!, result.kld.stderr!), pm(result.reverseKld.mean!, result.reverseKld.stderr!), 'mean ± stderr']];
  for (const [k, label] of QUANTILE_LABELS) if (k in result.kld) kRows.push([sketch ? `${label} (sketch)` : label, f(result.kld[k], qd), f(result.reverseKld[k], qd), k]);
  parts.push(
    renderTable(
      result.estimator === 'full'
        ? ['KL divergence', "KL(base‖candidate) = llama.cpp's KLD", 'KL(candidate‖base)', 'json key (kld / reverseKld)']
        : ['KL divergence (top-k: LOWER BOUNDS)', 'KL(base‖candidate) ≥', 'KL(candidate‖base) ≥', 'json key (kld / reverseKld)'],
      kRows,
      { align: ['left', 'right', 'right', 'left'] },
    ),
  );
  const other = [
    // the measures without quantiles, from the measure table
    ...COMPARE_MEASURES.filter((m) => !m.quantiles).map((m) => [`Mean ${m.label}`, pm(result[m.result].mean, result[m.result].stderr), `${m.result}.mean`]),
    ['Same top p', `${formatPercent(result.sameTop.p)} ± ${formatPercent(result.sameTop.stderr)}`, 'sameTop.p'],
  ];
  if (result.deltaP) {
    const d = result.deltaP;
    other.push(['Mean Δp = q(tok) − p(tok)', `${formatPercent(d.mean!)} ± ${formatPercent(d.stderr!)}`, 'deltaP.mean'], ['RMS Δp', `${formatPercent(d.rms!)} ± ${formatPercent(d.rmsStderr!)}`, 'deltaP.rms']);
    for (const [k, label] of QUANTILE_LABELS) if (k in d) other.push([`${label} Δp`, formatPercent(d[k]!), `deltaP.${k}`]);
  }
  parts.push(renderTable(['other statistics', 'value', 'json key'], other, { align: ['left', 'right', 'left'], notes: result.notes.map((n) => `• ${cliText(n)}`) }));
  return parts.join('\n');
}

/**
 * The JSON document of `--json` (the contract plus a few extra keys).
 *
 * @example
 * JSON.parse(compareJson(run.result)).kld.mean;
 */
export function compareJson(result: CompareResult, extra: Record<string, unknown> = {}): string {
  return toJson({ ...result, ...extra }) + '\n';
}

/** Checks the extensions of `--report` (.html) and `--summary-out` (.json), shared by compare and merge. */
export function outputExtensions(o: { report?: string; summaryOut?: string }): void {
  for (const [flag, file, exts] of [
    ['--report', o.report, ['.html', '.htm']],
    ['--summary-out', o.summaryOut, ['.json']],
  ] as const) {
    if (file && !exts.some((e) => file.toLowerCase().endsWith(e))) throw new UsageError(`invalid ${flag} ${quote(file)}: expected a file ending in ${exts.join(' or ')}`);
  }
}

interface CompareFlags {
  format: string;
  baseFormat?: string;
  candidateFormat?: string;
  tensor?: string;
  baseTensor?: string;
  candidateTensor?: string;
  tokens?: string;
  rows?: string;
  threads?: string;
  backend: string;
  accuracy: string;
  json?: boolean;
  perToken?: string;
  report?: string;
  summaryOut?: string;
  text?: string;
  ctx?: string;
  chunks?: string;
  score?: string;
  saveBase?: string;
  runtime?: string;
}

/**
 * Runs `klscope compare` and returns what it prints (the files are written on success only).
 * With GGUF models several candidates may follow the base (a quantization ladder).
 *
 * @example
 * const text = await runCompare('a.kld', 'b.kld', { format: 'auto', backend: 'auto', accuracy: '0.005', json: true });
 */
export async function runCompare(base: string, candidates: string | string[], o: CompareFlags, progress = true): Promise<string> {
  const cands = typeof candidates === 'string' ? [candidates] : candidates;
  // a .klref base: certified bounds (its own module, loaded on demand)
  if (isReferenceFile(base)) {
    if (cands.length !== 1) throw new UsageError(`a .klref base takes one candidate, got ${cands.length}`);
    return (await import('./reference.js')).runReferenceCompare(base, cands[0]!, o, progress);
  }
  const threads = o.threads === undefined ? undefined : intOption(o.threads, '--threads');
  const accuracy = numberOption(o.accuracy, '--accuracy');
  if (!(accuracy > 0 && accuracy < 0.5)) throw new UsageError(`invalid --accuracy: expected a relative error in (0, 0.5), got ${o.accuracy}`);
  outputExtensions(o);
  if (o.saveBase && !o.saveBase.toLowerCase().endsWith('.kld')) throw new UsageError(`invalid --save-base ${quote(o.saveBase)}: expected a file ending in .kld`);
  const baseSide = { path: base, format: o.baseFormat ?? o.format, tensor: o.baseTensor ?? o.tensor };
  const candSides = cands.map((c) => ({ path: c, format: o.candidateFormat ?? o.format, tensor: o.candidateTensor ?? o.tensor }));
  const specs = [sideSpec(baseSide, 'base'), ...candSides.map((c) => sideSpec(c, 'candidate'))];
  const live = specs.some((s) => s.format === 'gguf');
  if (!live) {
    if (cands.length > 1) throw new UsageError(`several candidates need GGUF models (a quantization ladder); saved runs compare two at a time, got ${cands.length} candidates`);
    for (const [flag, v] of [['--text', o.text], ['--ctx', o.ctx], ['--chunks', o.chunks], ['--score', o.score], ['--save-base', o.saveBase]] as const) {
      if (v !== undefined) throw new UsageError(`${flag} applies to GGUF models only`);
    }
  }
  if (cands.length > 1) {
    for (const [flag, v] of [['--per-token', o.perToken], ['--summary-out', o.summaryOut]] as const) {
      if (v !== undefined) throw new UsageError(`${flag} takes one candidate (got ${cands.length}); run the candidates one at a time for per-token files and summaries`);
    }
  }
  const liveOptions: LiveOptions | undefined = live
    ? {
        text: o.text,
        ctx: o.ctx === undefined ? undefined : intOption(o.ctx, '--ctx', 4),
        chunks: o.chunks === undefined ? undefined : intOption(o.chunks, '--chunks'),
        score: o.score as LiveOptions['score'],
        saveBase: o.saveBase,
        threads,
        runtime: (o.runtime ?? 'auto') as LiveOptions['runtime'],
      }
    : undefined;
  const out = new OutputGroup();
  return out.run(async () => {
  for (const f of [o.report, o.summaryOut, o.saveBase]) if (f) out.reserve(f);
  let writer: PerTokenWriter | undefined;
  if (o.perToken) writer = createPerTokenWriter(o.perToken, { text: live || /\.jsonl$|\.ndjson$/i.test(base) || o.format === 'jsonl', out });
  let bar: ReturnType<typeof createProgress> | undefined;
  const t0 = performance.now();
  const onProgress = (done: number, total: number) => {
    if (!progress) return;
    bar ??= createProgress({ total, label: 'tokens', extra: '{rate} tokens/s', payload: { rate: '…' } });
    const s = (performance.now() - t0) / 1000;
    bar.update(done, { rate: s > 0 ? Math.round(done / s) : '…' });
  };
  const common = { format: o.format, tokens: o.tokens, rowRange: o.rows ? parseRowRange(o.rows) : undefined, threads, backend: o.backend as BackendName | 'auto', relativeAccuracy: accuracy, onProgress };
  let runs: CompareRun[];
  try {
    if (live) {
      const { compareLive } = await import('../compare/live.js');
      runs = await compareLive({ ...common, base: specs[0]!, candidates: specs.slice(1), sinks: [writer], live: liveOptions, out });
    } else {
      runs = [await compareFiles({ ...common, base: baseSide, candidate: candSides[0]!, sink: writer })];
    }
    bar?.stop();
    await writer?.close();
  } catch (e) {
    bar?.stop();
    writer?.abort();
    throw e;
  } finally {
    await closeWorkers();
  }
  if (runs.length > 1) return await ladderOutput(base, runs as LiveRun[], o, out);
  const run = runs[0]!;
  const title = `klscope compare: P = base = ${base}, Q = candidate = ${cands[0]}`;
  if (o.report) out.write(o.report, renderCompareHtml(run.result, run.accumulator, { title, tokenText: run.tokenText }));
  if (o.summaryOut) out.write(o.summaryOut, JSON.stringify(run.accumulator.toSummary()) + '\n');
  return o.json ? compareJson(run.result, { inputs: run.accumulator.inputs }) : compareTable(run.result, title);
  });
}

/** The ladder's table, JSON (`{"base", "candidates"}`, each the single-candidate document) and report. */
async function ladderOutput(base: string, runs: LiveRun[], o: CompareFlags, out: OutputGroup): Promise<string> {
  const { ladderTable, renderLadderHtml } = await import('../report/ladder.js');
  const title = `klscope compare: base = ${base}, ${runs.length} candidates`;
  const entries: LadderEntry[] = runs.map((r) => ({ label: path.basename(r.model.path), path: r.model.path, fileSize: r.model.fileSize, bitsPerWeight: r.model.bitsPerWeight, result: r.result }));
  if (o.report) out.write(o.report, renderLadderHtml(entries, { title, notes: runs[0]!.result.notes }));
  if (o.json) {
    const docs = runs.map((r) => JSON.parse(toJson({ ...r.result, inputs: r.accumulator.inputs })) as Record<string, unknown>);
    return toJson({ base: runs[0]!.accumulator.inputs[0], candidates: docs }) + '\n';
  }
  return ladderTable(entries, title) + '\n' + runs[0]!.result.notes.map((n) => `• ${n}`).join('\n') + '\n';
}

export function registerCompare(program: Command): Command {
  const cmd = program
    .command('compare')
    .description(
      "Compare models' next-token distributions over a corpus: KL(base‖candidate) (llama.cpp's KLD) and KL(candidate‖base), JS, TVD, PPL, Δp, same top. Saved runs, or GGUF models run live on a text.",
    )
    .argument('<base>', 'the reference (P): a GGUF model, a llama.cpp .kld file, .npy logits [T, V], .safetensors, top-k .jsonl, or a .klref reference (certified bounds)')
    .argument('<candidates...>', 'the compared run (Q), same kinds; several GGUF models make a quantization ladder')
    .addOption(choiceOption('--format <fmt>', 'format of every input', FORMAT_CHOICES, 'auto'))
    .addOption(choiceOption('--base-format <fmt>', 'format of the base only', FORMAT_CHOICES))
    .addOption(choiceOption('--candidate-format <fmt>', 'format of the candidate only', FORMAT_CHOICES))
    .option('--tensor <name>', 'logits tensor in .safetensors inputs')
    .option('--base-tensor <name>', 'tensor name in the base .safetensors')
    .option('--candidate-tensor <name>', 'tensor name in the candidate .safetensors')
    .option('--tokens <file>', 'token ids for .npy/.safetensors inputs (.npy int32/int64, .json, or text): T+1 ids, row t predicts token t+1')
    .option('--rows <start:end>', 'only rows [start, end): one shard of a run split across machines')
    .option('--text <file>', 'GGUF models: the UTF-8 text to evaluate (tokenized once with the base)')
    .option('--ctx <n>', 'GGUF models: tokens per chunk (default 512, as llama-perplexity)')
    .option('--chunks <n>', 'GGUF models: evaluate at most this many chunks')
    .addOption(choiceOption('--score <which>', 'GGUF models: scored positions (second-half as llama.cpp, or all)', ['second-half', 'all']))
    .option('--save-base <file>', "GGUF base: also write its distributions as llama.cpp's .kld base file")
    .addOption(choiceOption('--runtime <name>', 'GGUF models: klscope_llama binding or node-llama-cpp', ['auto', 'native', 'node-llama-cpp']))
    .option('--threads <n>', 'threads (default and most: the core count)')
    .addOption(choiceOption('--backend <name>', 'kernel backend for logit pairs', ['auto', 'js', 'wasm', 'native'], 'auto'))
    .option('--accuracy <alpha>', 'relative error of the mergeable quantile sketch', '0.005')
    .option('--json', 'print one JSON document instead of the table')
    .option('--per-token <file>', 'write per-token values (.csv or .parquet; - streams CSV to stdout and moves the table to stderr)')
    .option('--report <file>', 'write a self-contained HTML report (.html)')
    .option('--summary-out <file>', 'write an exact mergeable summary (.json) for klscope merge')
    .action(
      action('compare', async (base: string, candidates: string[], o: CompareFlags) => {
        if (o.perToken === '-' && o.json) throw new UsageError('--per-token - streams CSV to stdout, so --json cannot share it: write one of them to a file');
        // with the per-token CSV on stdout, the table for people goes to stderr
        (o.perToken === '-' ? process.stderr : process.stdout).write(await runCompare(base, candidates, o));
      }),
    );
  return withExamples(cmd, [
    'klscope compare f16.gguf q4_k_m.gguf --text wiki.test.raw',
    'klscope compare f16.gguf q8.gguf q4.gguf --text wiki.raw --report l.html',
    'klscope compare f16.gguf q8.gguf --text wiki.raw --save-base f16.kld',
    'klscope compare f16.kld q4_k_m.gguf   # tokens and chunks from the base file',
    'klscope compare fp16.kld q4_k_m.kld --json > q4.json',
    'klscope compare base.kld cand.npy --per-token t.parquet --report r.html',
    'klscope compare teacher.npy student.npy --tokens ids.npy',
    'klscope compare a.safetensors b.safetensors --tensor logits --tokens t.json',
    'klscope compare a_topk.jsonl b_topk.jsonl   # lower bounds from top-k',
    'klscope compare fp16.kld q4.kld --rows 0:50000 --summary-out part0.json',
    'klscope compare fp16.klref q4.kld   # certified bounds (klscope reference)',
  ]);
}

/** The formats of compare's source list, and auto-detection. */
const FORMAT_CHOICES = ['auto', ...COMPARE_FORMATS];

/**
 * The tour's compare section: two small llama.cpp-format files written into a temporary
 * directory (an odd vocabulary, three chunks), compared both ways.
 */
export async function tourSection(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'klscope-tour-'));
  try {
    const nCtx = 64;
    const nVocab = 257;
    const nChunk = 3;
    const rnd = seededRandom(7);
    const tokens = Array.from({ length: nCtx * nChunk }, () => Math.floor(rnd() * nVocab));
    const a = new KldWriter(path.join(dir, 'base.kld'), { nCtx, nVocab, nChunk, tokens });
    const b = new KldWriter(path.join(dir, 'candidate.kld'), { nCtx, nVocab, nChunk, tokens });
    const la = new Float32Array(nVocab);
    const lb = new Float32Array(nVocab);
    for (let r = 0; r < a.header.rows; r++) {
      for (let i = 0; i < nVocab; i++) {
        // a Zipf-like base and a candidate with noise on its logits, like a coarse quantization
        la[i] = -1.1 * Math.log(1 + i) + 0.5 * (rnd() - 0.5);
        lb[i] = la[i]! + 0.9 * (rnd() - 0.5);
      }
      a.writeLogits(la);
      b.writeLogits(lb);
    }
    a.close();
    b.close();
    const run = await compareFiles({ base: path.join(dir, 'base.kld'), candidate: path.join(dir, 'candidate.kld'), threads: 1 });
    const r = run.result;
    const f = (x: number | undefined) => formatNumber(x ?? NaN, 5);
    const table = renderTable(
      ['', "KL(base‖candidate) = llama.cpp's KLD", 'KL(candidate‖base)'],
      [
        ['mean ± stderr', `${f(r.kld.mean)} ± ${formatNumber(r.kld.stderr!, 2)}`, `${f(r.reverseKld.mean)} ± ${formatNumber(r.reverseKld.stderr!, 2)}`],
        ['median', f(r.kld.median), f(r.reverseKld.median)],
        ['99%', f(r.kld.p99), f(r.reverseKld.p99)],
        ['max', f(r.kld.max), f(r.reverseKld.max)],
      ],
    );
    return (
      'Comparing two saved runs the way llama.cpp\'s --kl-divergence does, but offline: two generated\n' +
      `   llama.cpp-format files (n_vocab ${nVocab}, odd; ${nChunk} chunks of n_ctx ${nCtx}; ${r.tokens} scored tokens).\n` +
      '   $ klscope compare base.kld candidate.kld\n\n' +
      table.trimEnd().replace(/^/gm, '   ') +
      '\n' +
      `\n   same top token ${formatPercent(r.sameTop.p)}; PPL(candidate)/PPL(base) = ${formatNumber(r.ppl!.ratio, 5)}; RMS Δp = ${formatPercent(r.deltaP!.rms!)};` +
      ` mean JS ${f(r.js.mean)}, mean TVD ${f(r.tvd.mean)}.\n` +
      '   KL is not symmetric: the two directions differ token by token. --json, --per-token, --report and\n' +
      '   --summary-out (for klscope merge across machines) give the rest.\n'
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

