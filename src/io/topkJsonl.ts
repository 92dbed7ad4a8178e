import { shortNumber } from '../words.js';
import { DataError, quote, showValue } from '../errors.js';
import { SUM_TOLERANCE_FLOAT32 } from '../rows/tolerance.js';
import { clampLogProbability, isLogProbability } from '../rows/values.js';

/** One token position of a top-k logprob JSONL file (OpenAI-compatible APIs, vLLM, llama.cpp server). */
export interface TopkPosition {
  token: string;
  logprob: number;
  top: Array<{ token: string; logprob: number }>;
}

/**
 * Parses one JSONL line `{"token", "logprob", "top_logprobs": [{"token", "logprob"}, ...]}`
 * (`top_logprobs` may also be an object {token: logprob}). Errors name the file and line.
 *
 * @example
 * parseTopkLine('{"token":"a","logprob":-0.1,"top_logprobs":[{"token":"a","logprob":-0.1}]}', 'x.jsonl', 1);
 */
export function parseTopkLine(line: string, name: string, lineNo: number): TopkPosition {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(line) as Record<string, unknown>;
  } catch (e) {
    throw new DataError(`${name}: line ${lineNo} is not JSON (${(e as Error).message})`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new DataError({ where: `${name}: line ${lineNo}`, expected: 'an object {"token", "logprob", "top_logprobs"}', got: quote(line) });
  const lp = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !isLogProbability(v)) {
      throw new DataError(`${name}: line ${lineNo}: ${what} is ${v === undefined ? 'missing' : typeof v === 'number' ? showValue(v) : quote(v)}, expected a log-probability <= 0`);
    }
    return clampLogProbability(v);
  };
  if (typeof j.token !== 'string') throw new DataError(`${name}: line ${lineNo}: "token" is missing or not a string`);
  const raw = j.top_logprobs;
  let top: Array<{ token: string; logprob: number }>;
  if (Array.isArray(raw)) {
    top = raw.map((e, k) => {
      const o = e as { token?: unknown; logprob?: unknown };
      if (typeof o?.token !== 'string') throw new DataError(`${name}: line ${lineNo}: top_logprobs[${k}].token is missing or not a string`);
      return { token: o.token, logprob: lp(o.logprob, `top_logprobs[${k}].logprob`) };
    });
  } else if (raw && typeof raw === 'object') {
    top = Object.entries(raw as Record<string, unknown>).map(([t, v]) => ({ token: t, logprob: lp(v, `top_logprobs[${JSON.stringify(t)}]`) }));
  } else throw new DataError(`${name}: line ${lineNo}: "top_logprobs" is missing (expected a list of {"token", "logprob"})`);
  let mass = 0;
  const seen = new Set<string>();
  for (const t of top) {
    if (seen.has(t.token)) throw new DataError(`${name}: line ${lineNo}: token ${quote(t.token)} appears twice in top_logprobs`);
    seen.add(t.token);
    mass += Math.exp(t.logprob);
  }
  // printed log-probabilities carry about float32 precision: their sum gets its tolerance
  if (mass > 1 + SUM_TOLERANCE_FLOAT32) throw new DataError(`${name}: line ${lineNo}: the top_logprobs probabilities sum to ${shortNumber(mass)}, more than 1`);
  return { token: j.token, logprob: lp(j.logprob, '"logprob"'), top };
}

export { jsonlLines } from './jsonlLines.js';
