import type { Command } from 'commander';
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, quote } from '../errors.js';
import { readCorpus, type CorpusDocument } from '../io/textFiles.js';
import { formatNumber } from '../report/format.js';
import { measureName } from '../report/labels.js';
import { toJson } from '../report/json.js';
import { createProgress } from '../report/progress.js';
import { renderTable } from '../report/table.js';
import { parseSmoothing, type Smoothing } from '../text/smoothing.js';
import { textDivergence, textPairs, type NgramContribution, type PairsDivergence, type TextDivergence } from '../text/textKl.js';
import { loadTokenizer, TOKENIZERS, type Tokenizer, type TokenizerName } from '../text/tokenize.js';
import { dataDir, shellPath } from './paths.js';
import { action, choiceOption, intOption, withExamples } from './run.js';
import { samplesTourSection } from './samples.js';
import { estimateTourSection } from './estimate.js';

/** Options of {@link runText} (the parsed CLI flags). */
export interface TextCommandOptions {
  n: number;
  tokenizer: TokenizerName;
  smoothing: Smoothing;
  lines?: boolean;
  pairs?: boolean;
  lowercase?: boolean;
  top?: number;
  json?: boolean;
}

/** Result of {@link runText}: the corpus-level comparison and, with `pairs`, the per-line one. */
export type TextReport = TextDivergence & { pairs?: Omit<PairsDivergence, 'perLine'> & { perLine: PairsDivergence['perLine'] } };

function tokenizeAll(docs: CorpusDocument[], tok: Tokenizer, label: string, progress: ReturnType<typeof createProgress>, offset: number): string[][] {
  const out: string[][] = [];
  docs.forEach((d, i) => {
    out.push(tok.tokenize(d.text));
    if (i % 256 === 0) progress.update(offset + i, { side: label });
  });
  return out;
}

/**
 * Runs `klscope text` on two corpora (files or folders of .txt) and returns the result; the
 * CLI prints it. The reference comes first, as everywhere in klscope: `reference` is P,
 * `generated` is Q, forward = KL(reference‖generated).
 *
 * @example
 * const r = await runText('data/text/reference.txt', 'data/text/generated.txt', { n: 2, tokenizer: 'word', smoothing: { kind: 'kneser-ney' }, lines: true });
 * r.forward; // KL(reference‖generated) of the word-bigram distributions
 */
export async function runText(reference: string, generated: string, opts: TextCommandOptions): Promise<TextReport> {
  if (!Number.isInteger(opts.n) || opts.n < 1 || opts.n > 5) throw new UsageError(`invalid --n: expected an integer from 1 to 5, got ${opts.n}`);
  if (opts.pairs) {
    for (const [name, p] of [['REFERENCE', reference], ['GENERATED', generated]] as const) {
      let dir = false;
      try {
        dir = statSync(p).isDirectory();
      } catch {
        /* readCorpus reports a missing file */
      }
      if (dir) throw new UsageError(`--pairs compares line-aligned files; ${name} (${p}) is a folder`);
    }
  }
  const lines = Boolean(opts.lines || opts.pairs);
  const rDocs = readCorpus(reference, { name: 'REFERENCE', lines, keepBlankLines: opts.pairs });
  const gDocs = readCorpus(generated, { name: 'GENERATED', lines, keepBlankLines: opts.pairs });
  const tok = await loadTokenizer(opts.tokenizer, { lowercase: opts.lowercase });
  const progress = createProgress({ total: gDocs.length + rDocs.length, label: 'documents', extra: '{side}' });
  const g = tokenizeAll(gDocs, tok, 'generated', progress, 0);
  const r = tokenizeAll(rDocs, tok, 'reference', progress, gDocs.length);
  progress.stop();
  const base = { n: opts.n, smoothing: opts.smoothing, tokenizer: opts.tokenizer, render: tok.render, top: opts.top ?? 10 };
  const nonEmpty = (d: string[][]) => d.filter((x) => x.length > 0);
  const corpus = textDivergence(nonEmpty(r), nonEmpty(g), base);
  if (!opts.pairs) return corpus;
  return { ...corpus, pairs: textPairs(r, g, { ...base, lineNumbers: gDocs.map((d) => d.line ?? 0) }) };
}

const esc = (s: string) => JSON.stringify(s);

function smoothingName(s: TextDivergence['smoothing']): string {
  if (s === 0) return 'none (exact relative frequencies)';
  if (s === 'kneser-ney') return 'interpolated Kneser–Ney (discount n₁/(n₁+2n₂) per order)';
  return `add-${s} over the union vocabulary`;
}

function topTable(title: string, rows: NgramContribution[]): string {
  if (rows.length === 0) return `${title}\n  (no n-gram adds to this direction)\n`;
  return renderTable(
    ['n-gram', 'p·log(p/q)', 'p(reference)', 'p(generated)', 'count ref', 'count gen'],
    rows.map((t) => [esc(t.ngram), formatNumber(t.contribution, 5), formatNumber(t.pReference, 4), formatNumber(t.pGenerated, 4), String(t.countReference), String(t.countGenerated)]),
    { title },
  );
}

/**
 * The `klscope text` report for people: the measures with their directions spelled out, the
 * vocabulary sizes, and the n-grams that contribute most to each direction.
 */
export function textTable(r: TextReport, names: { generated: string; reference: string }): string {
  const out: string[] = [];
  const title = `klscope text: P = reference (${names.reference}), Q = generated (${names.generated}); ${r.tokenizer} ${r.n}-grams; smoothing: ${smoothingName(r.smoothing)}`;
  const rows = [
    ['KL(P‖Q)', 'KL(reference‖generated), forward: P = the reference', formatNumber(r.forward), 'forward'],
    ['KL(Q‖P)', 'KL(generated‖reference), reverse', formatNumber(r.reverse), 'reverse'],
    ['JS(P,Q)', measureName('jsDivergence', 'nats'), formatNumber(r.jsDivergence), 'jsDivergence'],
    ['√JS(P,Q)', 'Jensen–Shannon distance', formatNumber(r.jsDistance), 'jsDistance'],
  ];
  if (r.pairs) {
    rows.push(
      ['mean KL(P‖Q)', `per-line mean over ${r.pairs.used} line pairs`, formatNumber(r.pairs.mean.forward), 'pairs.mean.forward'],
      ['mean KL(Q‖P)', 'per-line mean', formatNumber(r.pairs.mean.reverse), 'pairs.mean.reverse'],
      ['mean JS(P,Q)', 'per-line mean', formatNumber(r.pairs.mean.jsDivergence), 'pairs.mean.jsDivergence'],
    );
  }
  const notes = [
    `vocabulary (distinct ${r.n}-grams): generated ${r.vocabulary.generated}, reference ${r.vocabulary.reference}, union ${r.vocabulary.union}; ` +
      `occurrences: generated ${r.ngrams.generated}, reference ${r.ngrams.reference}`,
    `${r.onlyInGenerated.count} n-gram types of the generated text never occur in the reference; ${r.onlyInReference.count} of the reference never occur in the generated text.`,
  ];
  if (r.reverse === Infinity) {
    const ex = r.onlyInGenerated.examples.map(esc);
    notes.push(`KL(generated‖reference) = ∞: the generated text has n-grams the reference lacks, e.g. ${ex.join(', ')}. Use --smoothing kn or --smoothing 0.5 for a finite value.`);
  }
  if (r.forward === Infinity) {
    const ex = r.onlyInReference.examples.map(esc);
    notes.push(`KL(reference‖generated) = ∞: the reference has n-grams the generated text never produces, e.g. ${ex.join(', ')}.`);
  }
  if (r.pairs) {
    notes.push(`--pairs: ${r.pairs.lines} aligned lines, ${r.pairs.used} compared` + (r.pairs.skipped.count ? `, ${r.pairs.skipped.count} skipped (a side shorter than ${r.n} tokens; lines ${r.pairs.skipped.examples.slice(0, 5).join(', ')}${r.pairs.skipped.count > 5 ? ', …' : ''})` : ''));
    if (r.pairs.infiniteLines.forward || r.pairs.infiniteLines.reverse) {
      notes.push(`--pairs: ${r.pairs.infiniteLines.forward} lines have KL(reference‖generated) = ∞ and ${r.pairs.infiniteLines.reverse} have KL(generated‖reference) = ∞ (exact estimates of single lines rarely overlap; smoothing helps).`);
    }
  }
  out.push(renderTable(['measure', 'meaning', 'value (nats)', 'json key'], rows, { title, notes, align: ['left', 'left', 'right', 'left'] }));
  out.push(topTable('Top n-grams of KL(reference‖generated): the reference uses them, the generated text under-produces or never produces them', r.topForward));
  out.push(topTable('Top n-grams of KL(generated‖reference): the generated text overuses or invents them', r.topReverse));
  return out.join('\n');
}

/** The JSON document of `klscope text --json`; with `names`, an "inputs" entry says which file was P. */
export function textJson(r: TextReport, names?: { reference: string; generated: string }): string {
  const inputs = names ? { inputs: { p: { role: 'reference', path: names.reference }, q: { role: 'generated', path: names.generated } } } : {};
  return toJson({ ...inputs, ...r }) + '\n';
}

/**
 * Which path is the reference (P) and which the generated text (Q): positionals in the order
 * REFERENCE GENERATED, or the flags --reference/--generated (a flag takes its role, and a lone
 * positional fills the other one). Anything ambiguous is a usage error.
 *
 * @example
 * textRoles(['ref.txt', 'gen.txt'], {}); // { reference: 'ref.txt', generated: 'gen.txt' }
 * textRoles(['gen.txt'], { reference: 'ref.txt' }); // { reference: 'ref.txt', generated: 'gen.txt' }
 */
export function textRoles(positional: string[], flags: { reference?: string; generated?: string }): { reference: string; generated: string } {
  const free = [...positional];
  const reference = flags.reference ?? free.shift();
  const generated = flags.generated ?? free.shift();
  if (free.length > 0) {
    throw new UsageError(`too many paths: ${free.map((f) => JSON.stringify(f)).join(', ')} left over (give REFERENCE GENERATED, or --reference and --generated, not both)`);
  }
  if (reference === undefined || generated === undefined) {
    throw new UsageError(`missing ${reference === undefined ? 'REFERENCE' : 'GENERATED'}: give two paths, REFERENCE (P) first then GENERATED (Q), or --reference and --generated`);
  }
  return { reference, generated };
}


/** The tour's text part: word-bigram KL between the bundled generated and reference texts. */
export async function textTourSection(): Promise<string> {
  const dir = dataDir('text');
  const g = path.join(dir, 'generated.txt');
  const ref = path.join(dir, 'reference.txt');
  const r = await runText(ref, g, { n: 2, tokenizer: 'word', smoothing: { kind: 'kneser-ney' }, lines: true, top: 5 });
  return `$ klscope text ${shellPath(ref)} ${shellPath(g)} --lines --n 2 --tokenizer word --smoothing kn --top 5\n` + textTable(r, { generated: shellPath(g), reference: shellPath(ref) });
}

/**
 * The tour's part on text and samples: `klscope text`, `klscope samples` and `klscope estimate` on the
 * bundled data (data/text, data/samples).
 */
export async function tourSection(): Promise<string> {
  const parts = [
    'Text and samples: KL when there are outputs but no logits.',
    await textTourSection(),
    await samplesTourSection(),
    await estimateTourSection(),
  ];
  return parts.join('\n');
}

export function registerText(program: Command): Command {
  const cmd = program
    .command('text')
    .description('KL both ways and JS between the n-gram distributions of a reference and a generated corpus; forward = KL(reference‖generated), P = the reference (given first).')
    .argument('[REFERENCE]', 'the reference text (P): a .txt file or a folder of .txt files')
    .argument('[GENERATED]', 'the model\'s text (Q): a .txt file or a folder of .txt files')
    .option('--reference <path>', 'the reference (P), instead of the first path')
    .option('--generated <path>', 'the generated text (Q), instead of the second path')
    .option('--n <n>', 'n-gram order, 1 to 5', '2')
    .addOption(choiceOption('--tokenizer <name>', 'char (graphemes), word (Unicode words via Intl.Segmenter: works for Chinese/Japanese), bpe (GPT-2 BPE)', [...TOKENIZERS], 'word'))
    .option('--smoothing <s>', '0 = exact (∞ where one side lacks an n-gram), α > 0 = add-α over the union vocabulary, kn = interpolated Kneser–Ney', 'kn')
    .option('--lines', 'one document per line instead of one per file')
    .option('--pairs', 'machine translation: GENERATED and REFERENCE are line-aligned files; adds the per-line mean to the corpus-level value')
    .option('--lowercase', 'lower-case the text before tokenizing')
    .option('--top <k>', 'n-grams listed per direction', '10')
    .option('--json', 'print one JSON document: {"n", "tokenizer", "smoothing", "forward", "reverse", "jsDivergence", "jsDistance", "vocabulary", "topForward", "topReverse", ...}')
    .action(
      action('text', async (first: string | undefined, second: string | undefined, o: Record<string, string | boolean | undefined>) => {
        const { reference, generated } = textRoles(
          [first, second].filter((x): x is string => x !== undefined),
          { reference: o.reference as string | undefined, generated: o.generated as string | undefined },
        );
        const n = intOption(String(o.n), '--n');
        if (n > 5) throw new UsageError(`invalid --n: expected an integer from 1 to 5, got ${quote(String(o.n))}`);
        const top = intOption(String(o.top), '--top', 0);
        const r = await runText(reference, generated, {
          n,
          tokenizer: o.tokenizer as TokenizerName,
          smoothing: parseSmoothing(String(o.smoothing)),
          lines: Boolean(o.lines),
          pairs: Boolean(o.pairs),
          lowercase: Boolean(o.lowercase),
          top,
          json: Boolean(o.json),
        });
        process.stdout.write(o.json ? textJson(r, { reference, generated }) : textTable(r, { generated, reference }));
      }),
    );
  return withExamples(cmd, [
    'klscope text reference.txt generated.txt --lines --n 2',
    'klscope text --reference human/ --generated outputs/ --n 3 --tokenizer bpe --json',
    'klscope text ref_zh.txt model_zh.txt --lines --tokenizer word --smoothing 0',
    'klscope text ref.txt hyp.txt --pairs --n 1 --smoothing 0.1',
  ]);
}
