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

/** Code point ranges that a terminal draws two columns wide (East Asian Wide and Fullwidth, emoji). */
const WIDE: [number, number][] = [
  [0x1100, 0x115f], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf],
  [0xa960, 0xa97f], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60],
  [0xffe0, 0xffe6], [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

/**
 * Display width of a string in terminal columns: CJK ideographs, kana, Hangul, fullwidth forms
 * and emoji take two, combining marks and zero-width characters none, everything else
 * (‖, ∞, accented letters) one.
 *
 * @example
 * displayWidth('我们 ok'); // 7
 */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x200b || c === 0x200c || c === 0x200d || c === 0xfeff || (c >= 0xfe00 && c <= 0xfe0f) || /\p{Mn}|\p{Me}/u.test(ch)) continue;
    w += WIDE.some(([a, b]) => c >= a && c <= b) ? 2 : 1;
  }
  return w;
}

const width = displayWidth;

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
