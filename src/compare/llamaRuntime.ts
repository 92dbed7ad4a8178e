// Running GGUF models for `klscope compare`: two interchangeable runtimes behind one interface.
// 'native' is klscope's small binding over llama.cpp's C API (build/Release/klscope_llama.node,
// linked to the libllama that node-llama-cpp ships): one call evaluates a chunk and returns every
// scored position's logits in one Float32Array. 'node-llama-cpp' uses that package's public API,
// whose per-position probability Maps are far slower; it is the fallback where the binding was
// not built. Both are loaded lazily, so every other command works without them.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError, UsageError } from '../errors.js';

/** A loaded model with one context of `nCtx` tokens. */
export interface LiveModel {
  readonly nVocab: number;
  readonly nCtxTrain: number;
  readonly addBos: boolean;
  readonly bos: number;
  /** Tokens of a text with the model's special tokens (BOS where it adds one), as llama-perplexity tokenizes. */
  tokenize(text: string): Promise<Int32Array>;
  /**
   * Evaluates a chunk of n tokens as one sequence from position 0 and writes into `out` the
   * next-token scores of positions first … n−2, those with a next token ((n − 1 − first)·nVocab
   * floats): logits (native) or log-probabilities (node-llama-cpp); both read the same after a
   * log-softmax.
   */
  evalChunk(tokens: Int32Array, first: number, out: Float32Array): Promise<void>;
  close(): Promise<void>;
}

/** A way to load models. */
export interface LlamaRuntime {
  readonly name: 'native' | 'node-llama-cpp';
  /** What the scores are, for the report's notes. */
  readonly scores: string;
  load(file: string, opts: { nCtx: number; nVocab: number; threads?: number; name: string }): Promise<LiveModel>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const PKG = 'node-llama-cpp';
const INSTALL = `npm install ${PKG}@3.21.1`;

interface NativeModel {
  nVocab: number;
  nCtxTrain: number;
  addBos: boolean;
  bos: number;
  tokenize(text: string): Int32Array;
  evalChunk(tokens: Int32Array, first: number, out: Float32Array): void;
  close(): void;
}
interface NativeBinding {
  init(libDir: string, verbose: boolean): void;
  Model: new (file: string, o: { nCtx: number; threads: number }) => NativeModel;
}

/** The directory of node-llama-cpp's prebuilt llama.cpp libraries for this platform, if installed. */
function prebuiltDir(): string | null {
  const plat = `${process.platform}-${process.arch}`;
  const dirs = [path.join(root, 'node_modules/@node-llama-cpp', plat, 'bins', plat)];
  try {
    // the package's entry point lies under its folder; its exports hide package.json
    let d = path.dirname(require.resolve(`@node-llama-cpp/${plat}`));
    for (let i = 0; i < 4 && !existsSync(path.join(d, 'bins')); i++) d = path.dirname(d);
    dirs.push(path.join(d, 'bins', plat));
  } catch {
    // not installed next to klscope
  }
  return dirs.find((d) => existsSync(d)) ?? null;
}

function loadError(e: unknown, file: string, name: string): DataError {
  const msg = (e as Error).message ?? String(e);
  // llama.cpp reports allocation failures with the size it tried
  const mem = /(?:failed to allocate|cannot allocate|out of memory)[^\n]*?(\d+(?:\.\d+)?\s*[MG]i?B)/i.exec(msg);
  if (mem) return new DataError(`${name} ${file}: the model does not fit in memory (it needed ${mem[1]}): ${msg.split('\n')[0]}`);
  return new DataError(`${name} ${file}: ${msg.split('\n')[0]}`);
}

function nativeRuntime(): LlamaRuntime | null {
  const addon = path.join(root, 'build/Release/klscope_llama.node');
  const dir = prebuiltDir();
  if (!existsSync(addon) || !dir) return null;
  let b: NativeBinding;
  try {
    b = require(addon) as NativeBinding;
    b.init(dir, process.env.KLSCOPE_LLAMA_VERBOSE === '1');
  } catch {
    return null;
  }
  return {
    name: 'native',
    scores: 'float32 logits read from llama.cpp’s output buffer (klscope_llama binding)',
    async load(file, o) {
      let m: NativeModel;
      try {
        m = new b.Model(file, { nCtx: o.nCtx, threads: o.threads ?? availableParallelism() });
      } catch (e) {
        throw loadError(e, file, o.name);
      }
      return {
        nVocab: m.nVocab,
        nCtxTrain: m.nCtxTrain,
        addBos: m.addBos,
        bos: m.bos,
        tokenize: async (text) => m.tokenize(text),
        async evalChunk(tokens, first, out) {
          try {
            m.evalChunk(tokens, first, out);
          } catch (e) {
            throw new DataError(`${o.name} ${file}: ${(e as Error).message}`);
          }
        },
        close: async () => m.close(),
      };
    },
  };
}

// The slice of node-llama-cpp's API used here, typed locally: the package is optional, so the
// build must not need its type declarations.
interface NlSequence {
  clearHistory(): Promise<void>;
  controlledEvaluate(items: Array<number | [number, { generateNext: { probabilities: true } }]>): Promise<Array<undefined | { next: { probabilities?: Map<number, number> } }>>;
}
interface NlModel {
  trainContextSize: number;
  tokens: { bos: number | null; shouldPrependBosToken: boolean };
  tokenize(text: string, specialTokens?: boolean): number[];
  createContext(o: { contextSize: number; batchSize: number; sequences: number; threads?: number }): Promise<{ getSequence(): NlSequence; dispose(): Promise<void> }>;
  dispose(): Promise<void>;
}
interface NlModule {
  getLlama(o: { build: 'never'; gpu: false; logLevel: unknown; progressLogs: boolean }): Promise<{ loadModel(o: { modelPath: string; gpuLayers: number }): Promise<NlModel> }>;
  LlamaLogLevel: { error: unknown };
}

async function nodeLlamaRuntime(): Promise<LlamaRuntime | null> {
  let nl: NlModule;
  try {
    nl = (await import(PKG)) as NlModule;
  } catch {
    return null;
  }
  let llama: Awaited<ReturnType<NlModule['getLlama']>>;
  try {
    llama = await nl.getLlama({ build: 'never', gpu: false, logLevel: nl.LlamaLogLevel.error, progressLogs: false });
  } catch {
    return null;
  }
  return {
    name: 'node-llama-cpp',
    scores: 'float32 probabilities from node-llama-cpp’s controlledEvaluate, renormalised in float64',
    async load(file, o) {
      let model: NlModel;
      let context: Awaited<ReturnType<NlModel['createContext']>>;
      try {
        model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
        context = await model.createContext({ contextSize: o.nCtx, batchSize: o.nCtx, sequences: 1, threads: o.threads });
      } catch (e) {
        throw loadError(e, file, o.name);
      }
      const seq = context.getSequence();
      // n_vocab from the file's token list (the caller read the GGUF header)
      const n = o.nVocab;
      return {
        nVocab: n,
        nCtxTrain: model.trainContextSize,
        addBos: model.tokens.shouldPrependBosToken,
        bos: model.tokens.bos ?? -1,
        async tokenize(text) {
          const t = model.tokenize(text, false);
          const bos = model.tokens.bos;
          return Int32Array.from(model.tokens.shouldPrependBosToken && bos !== null ? [bos, ...t] : t);
        },
        async evalChunk(chunk, first, out) {
          // without the last token: its position predicts nothing, and a sequence filling the
          // whole context makes node-llama-cpp change the last position's distribution
          const tokens = chunk.subarray(0, chunk.length - 1);
          await seq.clearHistory();
          const items = Array.from(tokens, (t, i): number | [number, { generateNext: { probabilities: true } }] => (i >= first ? [t, { generateNext: { probabilities: true } }] : t));
          const res = await seq.controlledEvaluate(items);
          for (let i = first; i < tokens.length; i++) {
            // log-probabilities: a log-softmax of them renormalises the float32 values in float64
            const row = out.subarray((i - first) * n, (i - first + 1) * n);
            row.fill(-Infinity);
            const probs = res[i]?.next.probabilities;
            if (!probs) throw new DataError(`${o.name} ${file}: no distribution for position ${i}`);
            for (const [tok, p] of probs) if (p > 0) row[tok] = Math.log(p);
          }
        },
        async close() {
          await context.dispose();
          await model.dispose();
        },
      };
    },
  };
}

let cached: Promise<LlamaRuntime> | undefined;

/**
 * The runtime for GGUF models: the native binding when it was built, else node-llama-cpp's
 * public API; a DataError naming the package and how to install it when neither loads.
 *
 * @example
 * const rt = await loadLlamaRuntime();
 * const m = await rt.load('tiny.gguf', { nCtx: 128, nVocab: 384, name: 'base' });
 */
export function loadLlamaRuntime(which: 'auto' | 'native' | 'node-llama-cpp' = 'auto'): Promise<LlamaRuntime> {
  if (which !== 'auto') return pick(which);
  cached ??= pick('auto');
  return cached;
}

async function pick(which: 'auto' | 'native' | 'node-llama-cpp'): Promise<LlamaRuntime> {
  if (which !== 'node-llama-cpp') {
    const n = nativeRuntime();
    if (n) return n;
    if (which === 'native') throw new UsageError(`the klscope_llama binding is not built here (node scripts/build-llama.mjs builds it; it needs ${PKG} and a C++ compiler)`);
  }
  const r = await nodeLlamaRuntime();
  if (r) return r;
  throw new DataError(`GGUF models need the optional package ${PKG}, which cannot load here: install it with \`${INSTALL}\``);
}
