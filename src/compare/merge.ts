import { readFileSync } from 'node:fs';
import { DataError } from '../errors.js';
import { CompareAccumulator, type CompareSummaryJson } from './accumulator.js';

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
