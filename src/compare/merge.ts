import { readInput } from '../io/readFile.js';
import { DataError } from '../errors.js';
import { CompareAccumulator, checkBoundsMergeable } from './accumulator.js';
import { checkShardRanges, identityDifference } from './runIdentity.js';

/**
 * Merges `klscope compare --summary-out` files: the exact sums add up to the unsplit run's sums
 * (so means, uncertainties, perplexities and same-top are identical), the quantile sketches
 * merge bucket by bucket (quantiles within the stated relative error).
 *
 * @example
 * const acc = mergeSummaryFiles(['part0.json', 'part1.json']);
 * acc.result().kld.mean; // equals the unsplit run's mean
 */
export function mergeSummaryFiles(files: string[]): CompareAccumulator {
  let acc: CompareAccumulator | undefined;
  let first = '';
  const shards: Array<{ name: string; range: [number, number] }> = [];
  for (const f of files) {
    let j: unknown;
    const text = readInput(f).toString('utf8');
    try {
      j = JSON.parse(text);
    } catch (e) {
      throw new DataError(`${f}: not JSON (${(e as Error).message})`);
    }
    const part = CompareAccumulator.fromSummary(j, f);
    if (!acc) {
      acc = part;
      first = f;
    } else {
      checkBoundsMergeable(acc, part);
      const diff = identityDifference(acc.run, part.run);
      if (diff) throw new DataError({ where: f, expected: `a shard of the same run as ${first}`, got: `a different run: ${diff}` });
      acc.merge(part);
    }
    for (const r of part.rowRanges) shards.push({ name: f, range: r });
  }
  if (!acc) throw new DataError('no summaries to merge');
  if (acc.run) {
    const gaps = checkShardRanges(shards, acc.run.rows);
    if (gaps.length) {
      const missing = gaps.reduce((n, [a, b]) => n + b - a, 0);
      const shown = gaps.slice(0, 5).map(([a, b]) => `${a}:${b}`).join(', ');
      acc.notes.push(`The shards leave ${missing} of the run's ${acc.run.rows} rows out (rows ${shown}${gaps.length > 5 ? ', …' : ''}): the statistics are of the rows present only.`);
    }
  } else if (files.length > 1) {
    acc.notes.push('These summaries do not identify their run: klscope could not check that they belong together or that their rows do not overlap.');
  }
  return acc;
}
