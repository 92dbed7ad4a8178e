import { ByteWriter, ParquetWriter, schemaFromColumnData, type Writer } from 'hyparquet-writer';
import { UsageError, quote } from '../errors.js';
import type { RowBlock } from '../compare/accumulator.js';
import { WriterOutput, outputError, writeAll, type OutputGroup, type OutputStream } from '../io/output.js';
import { COMPARE_MEASURES } from '../rows/measureTable.js';

type ColType = 'INT32' | 'DOUBLE' | 'BOOLEAN' | 'STRING';

/** The columns before and after the compare measures' ones, with their Parquet types. */
const LEAD: ReadonlyArray<[string, ColType]> = [
  ['row', 'INT32'],
  ['position', 'INT32'],
  ['token', 'INT32'],
];
const TAIL: ReadonlyArray<[string, ColType]> = [
  ['p_base', 'DOUBLE'],
  ['p_candidate', 'DOUBLE'],
  ['delta_p', 'DOUBLE'],
  ['top_base', 'INT32'],
  ['top_candidate', 'INT32'],
  ['same_top', 'BOOLEAN'],
];
/** Every column with its type: the compare measures (measure table order, directions spelled out in the names) sit after the token. */
const COLUMNS: ReadonlyArray<[string, ColType]> = [...LEAD, ...COMPARE_MEASURES.map((m) => [m.column, 'DOUBLE'] as [string, ColType]), ...TAIL];

/** Column names of the per-token file, in order. */
export const PER_TOKEN_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);
/** Where the token column is (written empty in CSV when unknown) and how many numeric columns precede same_top. */
const TOKEN = 2;
const NUMERIC = COLUMNS.length - 1;

/**
 * The numeric cells of token i of a block, in column order up to same_top: row, position, token,
 * the compare measures, p_base, p_candidate, delta_p, top_base, top_candidate.
 */
function numericCells(b: RowBlock, i: number): number[] {
  const t = b.target[i]!;
  const hasT = t >= 0 && !Number.isNaN(b.logpTarget[i]!);
  const pb = hasT ? Math.exp(b.logpTarget[i]!) : NaN;
  const pc = hasT ? Math.exp(b.logqTarget[i]!) : NaN;
  const v = [b.row0 + i, b.position[i]!, t];
  for (const m of COMPARE_MEASURES) v.push(b[m.row][i]!);
  v.push(pb, pc, pc - pb, b.argmaxBase[i]!, b.argmaxCand[i]!);
  return v;
}

/** A streaming per-token writer: rows in order, output at a temporary name until {@link PerTokenWriter.close}. */
export interface PerTokenWriter {
  write(block: RowBlock, tokenText?: (id: number) => string | undefined): void | Promise<void>;
  /** Finishes the file and renames it into place. */
  close(): Promise<void>;
  /** Removes the temporary file (after an error): nothing partial is left behind. */
  abort(): void;
}

/** hyparquet-writer's buffered writer over an output stream (its own fileWriter writes the file directly). */
function streamWriter(stream: OutputStream): Writer {
  const w = new ByteWriter();
  const flush = () => {
    stream.write(new Uint8Array(w.buffer, 0, w.index));
    w.index = 0;
  };
  const grow = w.ensure.bind(w);
  w.ensure = (size: number) => {
    if (w.index > 1 << 20) flush();
    grow(size);
  };
  w.finish = flush;
  return w;
}

function num(x: number): string {
  return Number.isNaN(x) ? '' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : String(x);
}

function csvText(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Opens a per-token writer for `path`: CSV for .csv, Parquet for .parquet. Columns: row,
 * position, token, kl_base_candidate = KL(base‖candidate), kl_candidate_base = KL(candidate‖base),
 * js, tvd, p_base, p_candidate, delta_p = p_candidate − p_base, top_base, top_candidate, same_top
 * (plus token_text, top_base_text, top_candidate_text for JSONL inputs).
 *
 * @example
 * const w = createPerTokenWriter('tokens.csv', { text: false });
 * w.write(block); await w.close();
 */
export function createPerTokenWriter(path: string, opts: { text?: boolean; out?: OutputGroup } = {}): PerTokenWriter {
  const lower = path.toLowerCase();
  if (path === '-') return csvWriter(path, Boolean(opts.text), null);
  if (lower.endsWith('.csv')) return csvWriter(path, Boolean(opts.text), new WriterOutput(path, opts.out));
  if (lower.endsWith('.parquet')) return parquetWriter(path, Boolean(opts.text), new WriterOutput(path, opts.out));
  throw new UsageError({ where: 'perToken', expected: 'a file ending in .csv or .parquet, or - for CSV on stdout', got: quote(path) });
}

/** CSV through the output group's temporary file, or streamed to stdout (fd 1) when `file` is null. */
function csvWriter(path: string, text: boolean, file: WriterOutput | null): PerTokenWriter {
  const put = (s: string) => {
    if (file) return file.stream.write(s);
    try {
      writeAll(1, s);
    } catch (e) {
      throw outputError(path, e, false);
    }
  };
  let open = file !== null;
  const header = [...PER_TOKEN_COLUMNS, ...(text ? ['token_text', 'top_base_text', 'top_candidate_text'] : [])];
  put(header.join(',') + '\n');
  return {
    write(b, tokenText) {
      const lines: string[] = [];
      for (let i = 0; i < b.n; i++) {
        const t = b.target[i]!;
        const v = numericCells(b, i);
        const cells = v.map((x, c) => (c === TOKEN && x < 0 ? '' : COLUMNS[c]![1] === 'DOUBLE' ? num(x) : String(x)));
        cells.push(b.argmaxBase[i] === b.argmaxCand[i] ? '1' : '0');
        if (text) cells.push(csvText(tokenText?.(t) ?? ''), csvText(tokenText?.(b.argmaxBase[i]!) ?? ''), csvText(tokenText?.(b.argmaxCand[i]!) ?? ''));
        lines.push(cells.join(','));
      }
      put(lines.join('\n') + '\n');
    },
    async close() {
      if (!file || !open) return;
      file.finish();
      open = false;
    },
    abort() {
      if (open) file?.abort();
      open = false;
    },
  };
}

type Col = { name: string; data: number[] | string[] | boolean[]; type: ColType };

function parquetWriter(path: string, text: boolean, file: WriterOutput): PerTokenWriter {
  const ROWS = 65536;
  let cols = emptyCols(text);
  let rows = 0;
  let writer: ParquetWriter | null = null;
  let done = false;
  const flush = async () => {
    if (rows === 0) return;
    const columnData = cols.map((c) => ({ name: c.name, data: c.data, type: c.type, nullable: c.type === 'DOUBLE' || c.type === 'STRING' }));
    if (!writer) writer = new ParquetWriter({ writer: streamWriter(file.stream), schema: schemaFromColumnData({ columnData }) });
    try {
      await writer.write({ columnData, rowGroupSize: ROWS });
    } catch (e) {
      throw outputError(path, e, false);
    }
    cols = emptyCols(text);
    rows = 0;
  };
  return {
    async write(b, tokenText) {
      for (let i = 0; i < b.n; i++) {
        const t = b.target[i]!;
        const v = numericCells(b, i);
        for (let c = 0; c < v.length; c++) {
          const x = v[c]!;
          (cols[c]!.data as Array<number | null>).push(cols[c]!.type === 'DOUBLE' && Number.isNaN(x) ? null : x);
        }
        (cols[NUMERIC]!.data as boolean[]).push(b.argmaxBase[i] === b.argmaxCand[i]);
        if (text) {
          (cols[NUMERIC + 1]!.data as string[]).push(tokenText?.(t) ?? '');
          (cols[NUMERIC + 2]!.data as string[]).push(tokenText?.(b.argmaxBase[i]!) ?? '');
          (cols[NUMERIC + 3]!.data as string[]).push(tokenText?.(b.argmaxCand[i]!) ?? '');
        }
        rows++;
        if (rows === ROWS) await flush();
      }
    },
    async close() {
      await flush();
      if (!writer) {
        // no rows: still a valid file with the schema
        const columnData = emptyCols(text).map((c) => ({ name: c.name, data: c.data, type: c.type }));
        writer = new ParquetWriter({ writer: streamWriter(file.stream), schema: schemaFromColumnData({ columnData }) });
      }
      try {
        await writer.finish();
      } catch (e) {
        throw outputError(path, e, false);
      }
      done = true;
      file.finish();
    },
    abort() {
      if (!done) file.abort();
    },
  };
}

function emptyCols(text: boolean): Col[] {
  const cols: Col[] = COLUMNS.map(([name, type]) => ({ name, data: [], type }));
  if (text) for (const name of ['token_text', 'top_base_text', 'top_candidate_text']) cols.push({ name, data: [], type: 'STRING' });
  return cols;
}
