// Shared types of the compare area: what a source is, the options of a comparison and what it
// returns. Sources, the engine, the top-k and live pipelines all import from here, so none of
// them imports another for its types.
import type { KldFile } from '../io/kld.js';
import type { FloatDtype } from '../io/npyRows.js';
import type { TopkPosition } from '../io/topkJsonl.js';
import type { CompareAccumulator, CompareResult, RowBlock } from './accumulator.js';
import type { BackendName } from '../kernels/types.js';

export type { TopkPosition };

import type { CompareFormat } from './sources.js';
export type { CompareFormat };

/** One side as the caller names it: a path, and optionally its format and tensor. */
export interface SideOptions {
  path: string;
  /** 'auto' (default) detects it from the extension or the first bytes. */
  format?: string;
  /** Tensor name in a .safetensors file. */
  tensor?: string;
}

/** How to open one side again (also in a worker thread). */
export interface SourceSpec {
  path: string;
  /** Name used in messages (the role or the argument). */
  name: string;
  format: CompareFormat;
  tensor?: string;
}

/** Where each row's token sits: the token it predicts and its position in the context window. */
export interface RowTokens {
  /** Tokens per context window (chunk). */
  nCtx: number;
  targetOf(row: number): number;
  positionOf(row: number): number;
}

/**
 * Float rows read in blocks: a file of logits (.npy, .safetensors) or a live model. A
 * `sequential` reader is read front to back only (a model evaluates chunk after chunk), and
 * `prepare` must be awaited before `read` of those rows.
 */
export interface FloatRows {
  readonly rows: number;
  readonly cols: number;
  readonly dtype: FloatDtype;
  readonly sequential?: boolean;
  prepare?(r0: number, n: number): Promise<void>;
  read(r0: number, n: number, out: Float32Array | Float64Array): void;
}

/** What every source has: its spec, its shape, its own description and a close. */
export interface SourceCommon {
  spec: SourceSpec;
  /** Scored rows (token positions); unknown (NaN) for a stream until it has been read. */
  rows: number;
  /** Vocabulary size; 0 for top-k streams, whose tokens are strings. */
  cols: number;
  /** Targets and positions, when the source carries its tokens (.kld files, live models). */
  tokens?: RowTokens;
  /** The JSON `inputs` entry of this side. */
  describe(): Record<string, unknown>;
  close(): void;
}


/**
 * One opened side. Each kind is one way of reading rows, and the row-pair code handles each
 * pair of kinds: 'kld' raw 16-bit rows (llama.cpp's files), 'float' logit rows (.npy,
 * .safetensors, live GGUF models), 'topk' a stream of truncated distributions (JSONL). A new
 * format of an existing kind is one entry in the format table of sources.ts; a new kind (say a
 * compact reference of top-k plus tail bounds) adds a variant here and its pair rule.
 */
export type OpenedSource =
  | (SourceCommon & { kind: 'kld'; kld: KldFile })
  | (SourceCommon & { kind: 'float'; floats: FloatRows })
  | (SourceCommon & { kind: 'topk'; positions(): AsyncGenerator<TopkPosition>; bytesRead(): number });

/** A side read in row blocks (random access, or front to back when `floats.sequential`). */
export type RowSource = Extract<OpenedSource, { kind: 'kld' | 'float' }>;

/** Receives per-token results in row order (e.g. the --per-token writer). */
export interface RowSink {
  write(block: RowBlock, tokenText?: (id: number) => string | undefined): void | Promise<void>;
}

/** Options of a live model evaluation (GGUF inputs). */
export interface LiveOptions {
  /** The text to evaluate (a path, UTF-8); needed unless the base is a .kld file. */
  text?: string;
  /** Tokens per chunk (default 512). */
  ctx?: number;
  /** At most this many chunks (default: all the text gives). */
  chunks?: number;
  /** 'second-half' (llama.cpp's rows, default) or 'all' (every position but each chunk's first token). */
  score?: 'second-half' | 'all';
  /** Write the live base's distributions as a llama.cpp .kld base file. */
  saveBase?: string;
  /** Threads for the models' evaluation (default: all cores). */
  threads?: number;
  /** 'native' (the klscope_llama binding), 'node-llama-cpp' (its public API) or 'auto'. */
  runtime?: 'auto' | 'native' | 'node-llama-cpp';
}

/** Options of {@link compareFiles}. */
export interface CompareOptions {
  /** The reference (llama.cpp's base): a path, or `{ path, format, tensor }`. */
  base: string | SideOptions;
  /** The model compared with it. */
  candidate: string | SideOptions;
  /** Format of sides that do not give their own; default autodetected. */
  format?: string;
  /** Tensor name of .safetensors sides that do not give their own. */
  tensor?: string;
  /** Token ids for .npy/.safetensors inputs: T + 1 ids, row t predicts token t + 1. */
  tokens?: string;
  /** Only rows [start, end) (to split a run into shards). */
  rowRange?: [number, number];
  /** Threads (default: all cores). */
  threads?: number;
  /** Kernel backend for logit pairs (default auto). */
  backend?: BackendName | 'auto';
  /** Relative accuracy of the quantile sketches (default 0.005). */
  relativeAccuracy?: number;
  /** Keep up to this many per-token values for exact quantiles (default 2^21). */
  retainLimit?: number;
  sink?: RowSink;
  onProgress?: (done: number, total: number) => void;
  /**
   * .kld inputs below this many elements (rows × vocabulary) run on the current thread: a worker
   * costs about 0.25 s of start-up and JIT warm-up. Default 2^26 (tests set 0 to use workers).
   */
  minWorkerElements?: number;
  /** Live models (GGUF sides). */
  live?: LiveOptions;
}

/** What {@link compareFiles} returns. */
export interface CompareRun {
  accumulator: CompareAccumulator;
  result: CompareResult;
  /** Rows compared. */
  rows: number;
  /** Elements (rows × vocabulary) per side. */
  elements: number;
  /** Bytes read from both inputs. */
  bytes: number;
  vocab: number;
  /** Token strings for ids (JSONL inputs, live models), else undefined. */
  tokenText?: (id: number) => string | undefined;
}
