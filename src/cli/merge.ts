import type { Command } from 'commander';
import { mergeSummaryFiles } from '../compare/merge.js';
import { renderCompareHtml } from '../report/compareHtml.js';
import { OutputGroup } from '../io/output.js';
import { compareJson, compareTable, outputExtensions } from './compare.js';
import { action, withExamples } from './run.js';

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
        outputExtensions(o);
        const text = await new OutputGroup().run((out) => {
          for (const f of [o.report, o.summaryOut]) if (f) out.reserve(f);
          const acc = mergeSummaryFiles(files);
          const result = acc.result();
          const title = `klscope merge: ${files.length} shard${files.length === 1 ? '' : 's'}`;
          if (o.report) out.write(o.report, renderCompareHtml(result, acc, { title }));
          if (o.summaryOut) out.write(o.summaryOut, JSON.stringify(acc.toSummary()) + '\n');
          return o.json ? compareJson(result, { inputs: acc.inputs, shards: files.length }) : compareTable(result, title);
        });
        process.stdout.write(text);
      }),
    );
  return withExamples(cmd, [
    'klscope compare fp16.kld q4.kld --rows 0:70000 --summary-out part0.json',
    'klscope compare fp16.kld q4.kld --rows 70000: --summary-out part1.json',
    'klscope merge part*.json',
    'klscope merge part*.json --json --summary-out all.json',
  ]);
}
