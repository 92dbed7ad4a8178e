import type { Command } from 'commander';
import { divergenceRows, meanMeasures, measuresFromNats, measuresPrepared, MEASURE_KEYS, type Measures, type RowMeasures, type RowsResult } from '../divergence/measures.js';
import { MEASURE_TABLE } from '../rows/measureTable.js';
import type { StatF64Key } from '../kernels/types.js';
import { prepareRow } from '../divergence/prepare.js';
import { NotNormalizedError } from '../rows/messages.js';
import { batchStats } from '../kernels/index.js';
import type { InputKind, Matrix, Unit } from '../divergence/types.js';
import { readMatrixArg } from '../io/matrixArg.js';
import { formatNumber } from '../report/format.js';
import { MEASURE_LABELS, measureName } from '../report/labels.js';
import { toJson } from '../report/json.js';
import { renderTable } from '../report/table.js';
import { DataError, UsageError } from '../errors.js';
import { action, choiceOption, intOption, withExamples } from './run.js';


/** Options of {@link klCommand} (the parsed CLI flags). */
export interface KlCommandOptions {
  p: string;
  q: string;
  from: InputKind;
  unit: Unit;
  normalize?: boolean;
  json?: boolean;
  maxRows: number;
}

/** Builds the `klscope kl` output (JSON document or table) without printing it. */
export function klReport(p: Matrix, q: Matrix, result: RowsResult, opts: Pick<KlCommandOptions, 'from' | 'unit' | 'json' | 'maxRows'>): string {
  if (opts.json) {
    const pick = (m: Measures) => Object.fromEntries(MEASURE_KEYS.map((k) => [k, m[k]]));
    return toJson({ unit: opts.unit, rows: result.rows.map(pick), mean: pick(result.mean) }) + '\n';
  }
  const n = result.rows.length;
  const cols = Math.max(p.cols, q.cols);
  const title =
    `klscope kl: P = --p (reference), Q = --q (model); ${n} row${n === 1 ? '' : 's'} × ${cols} columns; ` +
    `input ${opts.from}; unit ${opts.unit}`;
  const notes: string[] = [];
  result.rows.forEach((r, t) => {
    const prow = p.rows === 1 ? 0 : t;
    const qrow = q.rows === 1 ? 0 : t;
    if (r.infiniteAt.forward >= 0) {
      const c = r.infiniteAt.forward;
      notes.push(`row ${t}: KL(P‖Q) = ∞ because p[${prow}][${c}] = ${p.data[prow * p.cols + c]} > 0 where q[${qrow}][${c}] is 0: Q gives no mass to an outcome P can produce.`);
    }
    if (r.infiniteAt.reverse >= 0) {
      const c = r.infiniteAt.reverse;
      notes.push(`row ${t}: KL(Q‖P) = ∞ because q[${qrow}][${c}] = ${q.data[qrow * q.cols + c]} > 0 where p[${prow}][${c}] is 0: Q puts mass where P has none.`);
    }
  });
  if (n === 1) {
    const r = result.rows[0]!;
    const rows = MEASURE_KEYS.map((k) => [MEASURE_LABELS[k].symbol, measureName(k, opts.unit), formatNumber(r[k]), k]);
    return renderTable(['measure', 'meaning', `value (${opts.unit})`, 'json key'], rows, { title, notes, align: ['left', 'left', 'right', 'left'] });
  }
  const header = ['row', ...MEASURE_KEYS.map((k) => MEASURE_LABELS[k].symbol)];
  const shown = result.rows.slice(0, opts.maxRows).map((r, t) => [String(t), ...MEASURE_KEYS.map((k) => formatNumber(r[k], 6))]);
  if (n > opts.maxRows) notes.unshift(`(${n - opts.maxRows} more rows not shown; --max-rows N shows more, --json gives all)`);
  shown.push(['mean', ...MEASURE_KEYS.map((k) => formatNumber(result.mean[k], 6))]);
  return renderTable(header, shown, { title, notes: notes.slice(0, opts.maxRows + 1) });
}

/** The kernel measures a support mismatch can make +∞ (such a row is redone by the reference, which names the column). */
const INFINITE_KERNEL_MEASURES = MEASURE_TABLE.filter((m) => m.infinite && m.kernel).map((m) => m.key as StatF64Key);

/** From this many elements (rows·cols) on, `klscope kl` runs the fused kernels. */
export const KERNEL_MIN_ELEMENTS = 65536;

/**
 * The measures of a [T × V] pair through the fused kernels (fastest backend, all cores), in the
 * shape of {@link divergenceRows}. Rows the kernel flags (a broken rule, an infinite divergence)
 * are redone by the reference, so the error message or the ∞ column is exactly the reference's.
 */
export async function kernelRows(p: Matrix, q: Matrix, opts: { from: InputKind; unit: Unit; normalize: boolean }): Promise<RowsResult> {
  const { rows: n, cols } = p;
  const s = await batchStats({ p: p.data, q: q.data, rows: n, cols, from: opts.from, normalize: opts.normalize });
  const rows: RowMeasures[] = [];
  for (let t = 0; t < n; t++) {
    const finite = INFINITE_KERNEL_MEASURES.every((k) => Number.isFinite(s[k][t]!));
    if (s.invalid[t] || !finite) {
      const base = { from: opts.from, normalize: opts.normalize };
      const pr = p.data.subarray(t * cols, (t + 1) * cols);
      const qr = q.data.subarray(t * cols, (t + 1) * cols);
      const a = prepareRow(pr, { ...base, name: 'p', row: t, float32: p.data instanceof Float32Array });
      const b = prepareRow(qr, { ...base, name: 'q', row: t, float32: q.data instanceof Float32Array });
      rows.push(measuresPrepared(a, b, opts.unit));
      continue;
    }
    rows.push({ ...measuresFromNats((k) => s[k as StatF64Key][t]!, opts.unit), infiniteAt: { forward: -1, reverse: -1 } });
  }
  return { rows, mean: meanMeasures(rows) };
}

export function registerKl(program: Command): Command {
  const cmd = program
    .command('kl')
    .description('Every divergence measure between P (reference) and Q (model): KL both ways, entropies, cross-entropies, JS, TV.')
    .option('--p <values|file>', 'P, the reference (required): "0.5,0.3,0.2" (rows separated by ";"), JSON "[[0.5,0.5]]", a .npy (float16/32/64), .json or .csv file [T × V], or - for stdin')
    .option('--q <values|file>', 'Q, the model (required): same forms as --p')
    .addOption(choiceOption('--from <kind>', 'how the numbers are given', ['probs', 'logprobs', 'logits'], 'probs'))
    .addOption(choiceOption('--unit <unit>', 'unit of the results', ['nats', 'bits'], 'nats'))
    .option('--normalize', 'rescale rows that do not sum to 1 (counts, unnormalized weights)')
    .option('--json', 'print one JSON document: {"unit", "rows": [...], "mean": {...}}')
    .option('--max-rows <n>', 'rows shown in the table', '20')
    .action(
      action('kl', async (o: Record<string, string | boolean | undefined>) => {
        // checked here rather than by commander, so that a mistyped flag (-p, --pp) is reported
        // as an unknown option instead of as a missing --p
        for (const k of ['p', 'q'] as const) if (o[k] === undefined || o[k] === true) throw new UsageError(`missing --${k}: give ${k === 'p' ? 'P, the reference' : 'Q, the model'} as a list, JSON, a file or - for stdin`);
        if (o.p === '-' && o.q === '-') throw new UsageError('--p - and --q - both read stdin: give at most one of them as -');
        const maxRows = intOption(String(o.maxRows), '--max-rows');
        const p = readMatrixArg(String(o.p), '--p');
        const q = readMatrixArg(String(o.q), '--q');
        if (p.cols !== q.cols) throw new DataError(`shape mismatch: --p has ${p.cols} columns, --q has ${q.cols}`);
        const opts = { from: o.from as InputKind, unit: o.unit as Unit, normalize: Boolean(o.normalize) };
        // large [T, V] inputs go through the fused kernels; small ones and broadcasts (one row
        // against many) through the per-row reference
        const big = p.rows === q.rows && p.rows * p.cols >= KERNEL_MIN_ELEMENTS;
        let result: RowsResult;
        try {
          result = big ? await kernelRows(p, q, opts) : divergenceRows(p, q, opts);
        } catch (e) {
          // the library names its option; the command line names the flag
          throw e instanceof NotNormalizedError ? e.withFix('--normalize') : e;
        }
        process.stdout.write(klReport(p, q, result, { ...opts, json: Boolean(o.json), maxRows }));
      }),
    );
  return withExamples(cmd, [
    'klscope kl --p 0.5,0.3,0.2 --q 0.4,0.4,0.2',
    'klscope kl --p 0.5,0.3,0.2 --q 0.4,0.4,0.2 --unit bits --json',
    'klscope kl --p "[[0.5,0.5],[0.9,0.1]]" --q "[0.6,0.4]"',
    'python -c "print([0.5,0.3,0.2])" | klscope kl --p - --q 0.4,0.4,0.2',
    'klscope kl --p teacher_logits.npy --q student_logits.npy --from logits',
    'klscope kl --p counts_a.csv --q counts_b.csv --normalize',
  ]);
}
