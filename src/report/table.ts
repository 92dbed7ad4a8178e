/** Column alignment in {@link renderTable}. */
export type Align = 'left' | 'right';

/** Options of {@link renderTable}. */
export interface TableOptions {
  /** Per-column alignment; numbers read best right-aligned. Default: first left, rest right. */
  align?: Align[];
  /** A title line above the table. */
  title?: string;
  /** Lines below the table (footnotes). */
  notes?: string[];
}

/** Display width of a string: counts code points, so ‖ and ∞ take one column. */
function width(s: string): number {
  return [...s].length;
}

/**
 * Renders rows of cells as a plain-text table for people: a header, a rule, aligned columns.
 *
 * @example
 * renderTable(['measure', 'value'], [['KL(P‖Q)', '0.0253']]);
 */
export function renderTable(header: string[], rows: string[][], opts: TableOptions = {}): string {
  const all = [header, ...rows];
  const n = header.length;
  const w = Array.from({ length: n }, (_, c) => Math.max(...all.map((r) => width(r[c] ?? ''))));
  const align = opts.align ?? header.map((_, c) => (c === 0 ? 'left' : 'right'));
  const line = (r: string[]) =>
    r
      .map((cell, c) => {
        const pad = ' '.repeat(w[c]! - width(cell ?? ''));
        return align[c] === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  if (opts.title) out.push(opts.title);
  out.push(line(header), w.map((x) => '─'.repeat(x)).join('  '));
  for (const r of rows) out.push(line(r));
  if (opts.notes?.length) out.push('', ...opts.notes);
  return out.join('\n') + '\n';
}
