import type { Command } from 'commander';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { RowBlock } from '../compare/accumulator.js';
import { compareReference, type ReferenceRowBlock } from '../compare/referenceCompare.js';
import { openFileReferenceSource, writeReference } from '../compare/referenceSource.js';
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

export function registerReference(program: Command): Command {
  const cmd = program
    .command('reference')
    .description("Write a compact base reference (.klref): per scored token the base's top-k log-probabilities, the exact tail mass, ceiling and floor. `klscope compare ref.klref CANDIDATE` then gives certified KL intervals.")
    .argument('<source>', 'the base (P): a llama.cpp .kld file, or .npy/.safetensors logits with --tokens')
    .requiredOption('-o, --output <file>', 'the reference to write (.klref)')
    .option('--top-k <k>', 'tokens kept per row (more: tighter bounds, bigger file)', '64')
    .addOption(choiceOption('--format <fmt>', 'format of the source', ['auto', 'kld', 'npy', 'safetensors'], 'auto'))
    .option('--tensor <name>', 'logits tensor in a .safetensors source')
    .option('--tokens <file>', 'token ids of a logits source: T + 1 ids for T rows (row t predicts token t + 1)')
    .option('--json', 'print one JSON document instead of the summary line')
    .action(
      action('reference', async (source: string, o: { output: string; topK: string; format: string; tensor?: string; tokens?: string; json?: boolean }) => {
        const k = intOption(o.topK, '--top-k');
        if (!/\.klref$/i.test(o.output)) throw new UsageError(`invalid --output ${JSON.stringify(o.output)}: expected a file ending in .klref`);
        const src = openFileReferenceSource(source, { format: o.format, tensor: o.tensor, tokens: o.tokens });
        let bar: ReturnType<typeof createProgress> | undefined;
        let w;
        try {
          w = await writeReference(src, o.output, {
            topK: k,
            onProgress: (done, total) => {
              bar ??= createProgress({ total, label: 'rows' });
              bar.update(done);
            },
          });
        } finally {
          bar?.stop();
          src.close();
        }
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
}

const MEASURE_COLUMNS = ['kl_base_candidate', 'kl_candidate_base', 'js', 'tvd'];

/** The per-token CSV of a reference comparison: each measure's lower bound, estimate and upper bound. */
function referencePerTokenCsv(file: string): { write(b: RowBlock): void; close(): Promise<void>; abort(): void } {
  if (!/\.csv$/i.test(file)) throw new UsageError(`invalid --per-token ${JSON.stringify(file)}: with a .klref base the per-token file is .csv (bounds beside estimates)`);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  const cols = ['row', 'position', 'token', ...MEASURE_COLUMNS.flatMap((m) => [`${m}_lo`, `${m}_est`, `${m}_hi`]), 'top_base', 'top_candidate'];
  writeSync(fd, cols.join(',') + '\n');
  const num = (x: number) => (x === Infinity ? 'inf' : String(x));
  let open = true;
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
      writeSync(fd, s);
    },
    async close() {
      closeSync(fd);
      open = false;
      renameSync(tmp, file);
    },
    abort() {
      if (open) closeSync(fd);
      open = false;
      rmSync(tmp, { force: true });
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
  const writer = o.perToken ? referencePerTokenCsv(o.perToken) : undefined;
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
      sink: writer,
      onProgress: (done, total) => {
        if (!progress) return;
        bar ??= createProgress({ total, label: 'tokens' });
        bar.update(done);
      },
    });
    bar?.stop();
    await writer?.close();
  } catch (e) {
    bar?.stop();
    writer?.abort();
    throw e;
  }
  const title = `klscope compare: base = ${base} (reference), candidate = ${candidate}`;
  const done = run;
  return new OutputGroup().run((out) => {
    if (o.report) out.write(o.report, renderCompareHtml(done.result, done.accumulator, { title }));
    if (o.summaryOut) out.write(o.summaryOut, JSON.stringify(done.accumulator.toSummary()) + '\n');
    return o.json ? toJson({ ...run.result, inputs: run.accumulator.inputs }) + '\n' : referenceTable(run.result, title);
  });
}
