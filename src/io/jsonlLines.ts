import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkRegularFile, readError } from './readFile.js';

/** One non-blank line of a JSONL file and its 1-based line number in the file (blank lines counted). */
export interface JsonlLine {
  text: string;
  line: number;
}

/**
 * Streams the non-blank lines of a JSONL file (`-` is standard input) in bounded memory, each
 * with its line number in the file, so errors after blank lines name the right line. A read
 * error is a DataError naming the file.
 *
 * @example
 * for await (const { text, line } of jsonlLines('rollouts.jsonl', 'rollouts.jsonl')) JSON.parse(text);
 */
export async function* jsonlLines(file: string, name = file): AsyncGenerator<JsonlLine> {
  if (file !== '-') checkRegularFile(file, name);
  const stream = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => stream.on('error', (e: Error) => reject(readError(name, e))));
  failed.catch(() => {});
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  let line = 0;
  try {
    while (true) {
      const r = await Promise.race([it.next(), failed]);
      if (r.done) return;
      line++;
      if (r.value.trim() !== '') yield { text: r.value, line };
    }
  } finally {
    rl.close();
    if (file !== '-') (stream as ReturnType<typeof createReadStream>).destroy();
  }
}
