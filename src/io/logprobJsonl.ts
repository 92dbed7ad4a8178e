import { jsonlLines } from './jsonlLines.js';
import { DataError, quote } from '../errors.js';
import { clampLogProbability, isLogProbability } from '../rows/values.js';

/** One sampled sequence: per-token log-probabilities under the reference p and the sampler q. */
export interface LogprobSequence {
  logp: Float64Array;
  logq: Float64Array;
  /** 1-based line number in the source. */
  line: number;
}

function numbers(v: unknown, key: string, where: string, allowMinusInfinity: boolean): Float64Array {
  if (!Array.isArray(v)) throw new DataError(`${where}: "${key}" must be an array of log-probabilities, got ${v === undefined ? 'nothing' : quote(v).slice(0, 40)}`);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    const num = typeof x === 'number' ? x : x === '-Infinity' ? -Infinity : NaN;
    // A log-probability is <= 0; a hair above is rounding, a clear positive is the wrong kind of input.
    if (!isLogProbability(num)) {
      throw new DataError(`${where}: ${key}[${i}] = ${quote(x)}: expected a log-probability <= 0 (a number, or "-Infinity")`);
    }
    if (num === -Infinity && !allowMinusInfinity) {
      throw new DataError(`${where}: ${key}[${i}] = -Infinity: a token sampled from q must have q > 0`);
    }
    out[i] = clampLogProbability(num);
  }
  return out;
}

/**
 * Parses one JSONL line `{"logp": [...], "logq": [...]}`: logq are the log-probabilities of the
 * sampled tokens under the sampling policy q, logp under the reference p. Both arrays must have
 * the same length (>= 1). Returns null for a blank line.
 *
 * @example
 * parseLogprobLine('{"logp": [-1.2, -0.3], "logq": [-1.0, -0.4]}', 1, 'rollouts.jsonl');
 */
export function parseLogprobLine(text: string, line: number, name: string): LogprobSequence | null {
  if (text.trim() === '') return null;
  const where = `${name} line ${line}`;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DataError(`${where}: malformed JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError(`${where}: expected an object {"logp": [...], "logq": [...]}`);
  const o = v as Record<string, unknown>;
  const logp = numbers(o.logp, 'logp', where, true);
  const logq = numbers(o.logq, 'logq', where, false);
  if (logp.length !== logq.length) throw new DataError(`${where}: logp has ${logp.length} values, logq has ${logq.length} (one per sampled token in both)`);
  if (logp.length === 0) throw new DataError(`${where}: empty sequence (logp and logq have no values)`);
  return { logp, logq, line };
}

/**
 * Streams the sequences of a JSONL file line by line (bounded memory). Blank lines are skipped.
 *
 * @example
 * for await (const s of readLogprobJsonl('data/samples/rollouts.jsonl')) console.log(s.logp.length);
 */
export async function* readLogprobJsonl(file: string, name = file): AsyncGenerator<LogprobSequence> {
  for await (const { text, line } of jsonlLines(file, name)) {
    const s = parseLogprobLine(text, line, name);
    if (s) yield s;
  }
}
