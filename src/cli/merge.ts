import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CompareAccumulator, type CompareSummaryJson } from '../compare/accumulator.js';
import { DataError } from '../errors.js';
import { renderCompareHtml } from '../report/compareHtml.js';
import { compareJson, compareTable, writeFileAtomic } from './compare.js';
import { action, withExamples } from './run.js';

/**
 * Merges `klscope compare --summary-out` files: exact sums add up to the unsplit run's sums, the
 * sketches merge bucket by bucket (quantiles within the stated relative error).
 *
 * @example
 * const acc = mergeSummaryFiles(['part0.json', 'part1.json']);
 * acc.result().kld.mean; // equals the unsplit run's mean
 */
export function mergeSummaryFiles(files: string[]): CompareAccumulator {
  let acc: CompareAccumulator | undefined;
  for (const f of files) {
    let j: CompareSummaryJson;
    try {
      j = JSON.parse(readFileSync(f, 'utf8')) as CompareSummaryJson;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DataError(`${f}: ${code ? `cannot read file (${code})` : `not JSON (${(e as Error).message})`}`);
    }
    const part = CompareAccumulator.fromSummary(j, f);
    if (!acc) acc = part;
    else acc.merge(part);
  }
  if (!acc) throw new DataError('no summaries to merge');
  return acc;
}

export function registerMerge(program: Command): Command {
  const cmd = program
    .command('merge')
    .description('Combine `klscope compare --summary-out` shards (from different machines) into the statistics of the whole run.')
    .argument('<summaries...>', 'summary files written by klscope compare --summary-out')
    .option('--json', 'print one JSON document (same keys as klscope compare --json)')
    .option('--summary-out <file>', 'write the merged summary (to merge again later)')
    .option('--report <file>', 'write the HTML report of the merged run')
    .action(
      action('merge', async (files: string[], o: { json?: boolean; summaryOut?: string; report?: string }) => {
        const acc = mergeSummaryFiles(files);
        const result = acc.result();
        const title = `klscope merge: ${files.length} shard${files.length === 1 ? '' : 's'}`;
        if (o.report) writeFileAtomic(o.report, renderCompareHtml(result, acc, { title }));
        if (o.summaryOut) writeFileAtomic(o.summaryOut, JSON.stringify(acc.toSummary()) + '\n');
        process.stdout.write(o.json ? compareJson(result, { inputs: acc.inputs, shards: files.length }) : compareTable(result, title));
      }),
    );
  return withExamples(cmd, [
    'klscope compare fp16.kld q4.kld --rows 0:70000 --summary-out part0.json',
    'klscope compare fp16.kld q4.kld --rows 70000: --summary-out part1.json',
    'klscope merge part*.json',
    'klscope merge part*.json --json --summary-out all.json',
  ]);
}
