import type { Command } from 'commander';
import type { RowSink } from '../compare/engine.js';
import { compareReference, type ReferenceRowBlock } from '../compare/referenceCompare.js';
import { openFileReferenceSource, openLiveReferenceSource, writeReference, type ReferenceSource } from '../compare/referenceSource.js';
import { detectFormat } from '../compare/sources.js';
import { UsageError } from '../errors.js';
import { renderCompareHtml } from '../report/compareHtml.js';
import { formatNumber } from '../report/format.js';
import { toJson } from '../report/json.js';
import { createProgress } from '../report/progress.js';
import { parseRowRange } from '../compare/engine.js';
import { referenceTable } from './referenceTable.js';
import { action, choiceOption, intOption, numberOption, withExamples } from './run.js';
import { OutputGroup } from '../io/output.js';

function mib(bytes: number): string {
  return bytes >= 1 << 20 ? `${formatNumber(bytes / (1 << 20), 4)} MiB` : `${formatNumber(bytes / 1024, 4)} KiB`;
}

interface ReferenceFlags {
  output: string;
  topK: string;
  format: string;
  tensor?: string;
  tokens?: string;
  json?: boolean;
  text?: string;
  ctx?: string;
  chunks?: string;
  score?: 'second-half' | 'all';
  threads?: string;
  runtime?: 'auto' | 'native' | 'node-llama-cpp';
}

/** A GGUF model with --text (chunked as compare's live path), or a saved base file. */
async function openReferenceSource(source: string, o: ReferenceFlags): Promise<ReferenceSource> {
  const live = o.format === 'gguf' || (o.format === 'auto' && detectFormat(source) === 'gguf');
  if (!live) {
    for (const [flag, v] of [['--text', o.text], ['--ctx', o.ctx], ['--chunks', o.chunks], ['--score', o.score], ['--threads', o.threads]] as const) {
      if (v !== undefined) throw new UsageError(`${flag} applies to a GGUF source only`);
    }
    return openFileReferenceSource(source, { format: o.format, tensor: o.tensor, tokens: o.tokens });
  }
  if (o.tokens) throw new UsageError('--tokens does not apply to a GGUF source: the text is tokenized with the model');
  if (o.tensor) throw new UsageError('--tensor does not apply to a GGUF source');
  if (!o.text) throw new UsageError('a GGUF source needs --text FILE: the text to evaluate');
  return openLiveReferenceSource(source, {
    text: o.text,
    ctx: o.ctx === undefined ? undefined : intOption(o.ctx, '--ctx', 4),
    chunks: o.chunks === undefined ? undefined : intOption(o.chunks, '--chunks'),
    score: o.score,
    threads: o.threads === undefined ? undefined : intOption(o.threads, '--threads'),
    runtime: o.runtime,
  });
}

export function registerReference(program: Command): Command {
  const cmd = program
    .command('reference')
    .description("Write a compact base reference (.klref): per scored token the base's top-k log-probabilities, the exact tail mass, ceiling and floor. `klscope compare ref.klref CANDIDATE` then gives certified KL intervals.")
    .argument('<source>', 'the base (P): a GGUF model with --text, a llama.cpp .kld file, or .npy/.safetensors logits with --tokens')
    .requiredOption('-o, --output <file>', 'the reference to write (.klref)')
    .option('--top-k <k>', 'tokens kept per row (more: tighter bounds, bigger file)', '64')
    .addOption(choiceOption('--format <fmt>', 'format of the source', ['auto', 'gguf', 'kld', 'npy', 'safetensors'], 'auto'))
    .option('--text <file>', 'GGUF source: the text to evaluate (UTF-8)')
    .option('--ctx <n>', 'GGUF source: tokens per chunk (default 512)')
    .option('--chunks <n>', 'GGUF source: at most this many chunks')
    .addOption(choiceOption('--score <rule>', 'GGUF source: scored positions of each chunk', ['second-half', 'all']))
    .option('--threads <n>', 'GGUF source: CPU threads for llama.cpp')
    .addOption(choiceOption('--runtime <name>', 'GGUF source: how models run', ['auto', 'native', 'node-llama-cpp'], 'auto'))
    .option('--tensor <name>', 'logits tensor in a .safetensors source')
    .option('--tokens <file>', 'token ids of a logits source: T + 1 ids for T rows (row t predicts token t + 1)')
    .option('--json', 'print one JSON document instead of the summary line')
    .action(
      action('reference', async (source: string, o: ReferenceFlags) => {
        const k = intOption(o.topK, '--top-k');
        if (!/\.klref$/i.test(o.output)) throw new UsageError(`invalid --output ${JSON.stringify(o.output)}: expected a file ending in .klref`);
        // the output is reserved before the source is opened (a bad path fails at once) and
        // streamed at its temporary name; it appears only when the whole run succeeded
        const w = await new OutputGroup().run(async (out) => {
          out.reserve(o.output);
          const src = await openReferenceSource(source, o);
          let bar: ReturnType<typeof createProgress> | undefined;
          try {
            return await writeReference(src, o.output, {
              topK: k,
              group: out,
              onProgress: (done, total) => {
                bar ??= createProgress({ total, label: 'rows' });
                bar.update(done);
              },
            });
          } finally {
            bar?.stop();
            await src.close();
          }
        });
        const ratio = w.kldBytes / w.bytes;
        if (o.json) {
          process.stdout.write(toJson({ output: o.output, rows: w.rows, tokens: w.tokens, topK: w.topK, nVocab: w.nVocab, bytes: w.bytes, bytesPerRow: w.bytes / w.rows, kldBytes: w.kldBytes, ratioToKld: ratio }) + '\n');
        } else {
          process.stdout.write(
            `klscope reference: wrote ${o.output}: ${w.rows} rows, top ${w.topK} of ${w.nVocab} tokens, ${w.bytes} bytes (${mib(w.bytes)}, ${formatNumber(w.bytes / w.rows, 5)} bytes/row); ` +
              `a .kld for the same tokens is ${w.kldBytes} bytes (${mib(w.kldBytes)}): ${formatNumber(ratio, 4)}× smaller\n`,
          );
        }
      }),
    );
  return withExamples(cmd, [
    'klscope reference f16.gguf --text wiki.test.raw -o f16.klref',
    'klscope compare f16.klref q4_k_m.gguf',
    'klscope reference fp16.kld -o fp16.klref',
    'klscope reference fp16.kld -o fp16-k256.klref --top-k 256',
    'klscope reference base_logits.npy --tokens ids.json -o base.klref',
    'klscope compare fp16.klref q4_k_m.kld --json',
  ]);
}

/** Flags of `klscope compare` that a .klref base uses. */
export interface ReferenceCompareFlags {
  candidateFormat?: string;
  format?: string;
  tensor?: string;
  candidateTensor?: string;
  tokens?: string;
  rows?: string;
  accuracy: string;
  json?: boolean;
  perToken?: string;
  report?: string;
  summaryOut?: string;
  threads?: string;
  runtime?: string;
  /** Live-path flags: refused, the reference fixes the text and chunking. */
  text?: string;
  ctx?: string;
  chunks?: string;
  score?: string;
  saveBase?: string;
}

const MEASURE_COLUMNS = ['kl_base_candidate', 'kl_candidate_base', 'js', 'tvd'];

/** The per-token CSV of a reference comparison: each measure's lower bound, estimate and upper bound; written at its reserved name in the run's output group. */
function referencePerTokenCsv(file: string, out: OutputGroup): RowSink {
  if (!/\.csv$/i.test(file)) throw new UsageError(`invalid --per-token ${JSON.stringify(file)}: with a .klref base the per-token file is .csv (bounds beside estimates)`);
  const cols = ['row', 'position', 'token', ...MEASURE_COLUMNS.flatMap((m) => [`${m}_lo`, `${m}_est`, `${m}_hi`]), 'top_base', 'top_candidate'];
  const stream = out.open(file);
  stream.write(cols.join(',') + '\n');
  const num = (x: number) => (x === Infinity ? 'inf' : String(x));
  return {
    write(block) {
      const b = block as ReferenceRowBlock;
      const est = [b.forward, b.reverse, b.js, b.tvd];
      let s = '';
      for (let i = 0; i < b.n; i++) {
        s += `${b.row0 + i},${b.position[i]},${b.target[i]}`;
        for (let m = 0; m < 4; m++) s += `,${num(b.lo[4 * i + m]!)},${num(est[m]![i]!)},${num(b.hi[4 * i + m]!)}`;
        s += `,${b.argmaxBase[i]},${b.argmaxCand[i]}\n`;
      }
      stream.write(s);
    },
  };
}

/**
 * `klscope compare REF.klref CANDIDATE`: certified intervals beside the estimates; returns what
 * the command prints (files are written on success only).
 *
 * @example
 * const text = await runReferenceCompare('base.klref', 'q4.kld', { accuracy: '0.005', json: true });
 */
export async function runReferenceCompare(base: string, candidate: string, o: ReferenceCompareFlags, progress = true): Promise<string> {
  const accuracy = numberOption(o.accuracy, '--accuracy');
  if (!(accuracy > 0 && accuracy < 0.5)) throw new UsageError(`invalid --accuracy: expected a relative error in (0, 0.5), got ${o.accuracy}`);
  for (const [flag, file, ext] of [
    ['--report', o.report, /\.html?$/i],
    ['--summary-out', o.summaryOut, /\.json$/i],
  ] as const) {
    if (file && !ext.test(file)) throw new UsageError(`invalid ${flag} ${JSON.stringify(file)}: expected a file ending in ${flag === '--report' ? '.html' : '.json'}`);
  }
  if (o.text !== undefined) throw new UsageError('--text does not apply with a .klref base: the reference carries its tokens and chunks');
  for (const [flag, v] of [['--ctx', o.ctx], ['--chunks', o.chunks], ['--score', o.score], ['--save-base', o.saveBase]] as const) {
    if (v !== undefined) throw new UsageError(`${flag} does not apply with a .klref base: the reference fixes the chunking`);
  }
  const threads = o.threads === undefined ? undefined : intOption(o.threads, '--threads');
  const title = `klscope compare: base = ${base} (reference), candidate = ${candidate}`;
  return new OutputGroup().run(async (out) => {
    // every output is reserved before the work starts: a bad path fails at once
    for (const f of [o.report, o.summaryOut]) if (f) out.reserve(f);
    const sink = o.perToken ? referencePerTokenCsv(o.perToken, out) : undefined;
    let bar: ReturnType<typeof createProgress> | undefined;
    let run;
    try {
      run = await compareReference({
        reference: base,
        candidate,
        candidateFormat: o.candidateFormat ?? o.format,
        tensor: o.candidateTensor ?? o.tensor,
        tokens: o.tokens,
        rowRange: o.rows ? parseRowRange(o.rows) : undefined,
        relativeAccuracy: accuracy,
        threads,
        runtime: (o.runtime ?? 'auto') as 'auto' | 'native' | 'node-llama-cpp',
        sink,
        onProgress: (done, total) => {
          if (!progress) return;
          bar ??= createProgress({ total, label: 'tokens' });
          bar.update(done);
        },
      });
    } finally {
      bar?.stop();
    }
    const done = run;
    if (o.report) out.write(o.report, renderCompareHtml(done.result, done.accumulator, { title }));
    if (o.summaryOut) out.write(o.summaryOut, JSON.stringify(done.accumulator.toSummary()) + '\n');
    return o.json ? toJson({ ...done.result, inputs: done.accumulator.inputs }) + '\n' : referenceTable(done.result, title);
  });
}
