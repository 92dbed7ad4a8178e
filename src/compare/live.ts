// `klscope compare` on live GGUF models: the text is tokenized once with the base model and cut
// into chunks exactly as `llama-perplexity --kl-divergence` does; per chunk the base is evaluated
// once and every candidate against it, and each pair of rows streams into the same statistics,
// per-token output and summary as file inputs. Memory holds one chunk of logits per model.
import { readFileSync } from 'node:fs';
import { DataError, UsageError } from '../errors.js';
import { quoteBounded, readGguf, type GgufInfo } from '../io/gguf.js';
import { KldWriter } from '../io/kld.js';
import type { OutputGroup } from '../io/output.js';
import { decodeUtf8Strict } from '../io/textFiles.js';
import { batchStats, pickBackend } from '../kernels/index.js';
import type { BatchInput } from '../kernels/types.js';
import { CompareAccumulator, type RowBlock } from './accumulator.js';
import { kernelBlock } from './kernelRows.js';
import { loadLlamaRuntime, type LiveModel, type LlamaRuntime } from './llamaRuntime.js';
import { fusedBlock, FusedScratch } from './rowStats.js';
import { floatRowsSource, openSource, sideSpec } from './sources.js';
import type { CompareOptions, CompareRun, FloatRows, OpenedSource, RowSink, RowTokens, SideOptions, SourceSpec } from './types.js';

/** How a text's tokens are cut into chunks and which positions are scored. */
export interface ChunkPlan {
  /** n_ctx·n_chunk token ids, the chunks' first tokens as in the text (BOS goes in at evaluation). */
  tokens: Int32Array;
  nCtx: number;
  nChunk: number;
  /** First scored position of a chunk: n_ctx/2 (llama.cpp's second half) or 0 (every position). */
  first: number;
  /** Scored rows per chunk: n_ctx − 1 − first (position n_ctx − 1 has no next token). */
  rowsPerChunk: number;
}

/**
 * Cuts a tokenized text into chunks like llama-perplexity: n_chunk = ⌊tokens / n_ctx⌋ (at most
 * `chunks`), and it needs at least two chunks' worth of tokens. Row r of chunk c scores position
 * first + r against token c·n_ctx + first + r + 1.
 *
 * @example
 * const ids = new Int32Array(2048); // a tokenized text: 4 chunks of 512
 * const plan = planChunks(ids, { ctx: 512, score: 'second-half', name: 'wiki.txt' });
 * plan.rowsPerChunk; // 255
 */
export function planChunks(tokens: Int32Array, o: { ctx: number; chunks?: number; score?: 'second-half' | 'all'; name: string }): ChunkPlan {
  if (tokens.length < 2 * o.ctx) {
    throw new DataError(`${o.name}: the text is ${tokens.length} tokens; a context of ${o.ctx} needs at least ${2 * o.ctx} (two chunks, as llama-perplexity)`);
  }
  const nChunk = Math.min(Math.floor(tokens.length / o.ctx), o.chunks ?? Infinity);
  const first = o.score === 'all' ? 0 : Math.floor(o.ctx / 2);
  return { tokens: tokens.subarray(0, nChunk * o.ctx), nCtx: o.ctx, nChunk, first, rowsPerChunk: o.ctx - 1 - first };
}

/** Targets and positions of a plan's rows. */
function planTokens(p: ChunkPlan): RowTokens {
  return {
    nCtx: p.nCtx,
    targetOf: (row) => {
      const c = Math.floor(row / p.rowsPerChunk);
      return p.tokens[c * p.nCtx + p.first + (row - c * p.rowsPerChunk) + 1]!;
    },
    positionOf: (row) => p.first + (row % p.rowsPerChunk) + 1,
  };
}

/**
 * Checks that a candidate model can be compared with the base: the same n_vocab and the same
 * text for every token. A mismatch names the first differing id and both texts; sizes that
 * differ only by padding at the end get a message of their own.
 *
 * @example
 * checkVocabulary(readGguf('f16.gguf'), readGguf('q8_0.gguf')); // throws DataError on a mismatch
 */
export function checkVocabulary(base: Pick<GgufInfo, 'name' | 'nVocab'> & { tokens?: string[] }, cand: Pick<GgufInfo, 'name' | 'nVocab' | 'tokens'>): void {
  const bt = base.tokens;
  if (base.nVocab !== cand.nVocab) {
    const n = Math.min(base.nVocab, cand.nVocab);
    let same = !!bt;
    for (let i = 0; same && i < n; i++) same = bt![i] === cand.tokens[i];
    const big = base.nVocab > cand.nVocab ? base.name : cand.name;
    if (same) {
      throw new DataError(
        `padded vocabulary: ${base.name} has n_vocab ${base.nVocab}, ${cand.name} has ${cand.nVocab}; the first ${n} token texts agree, so ${big} only adds ${Math.abs(base.nVocab - cand.nVocab)} tokens at the end (padding or extra tokens); the distributions must have the same size (compare models converted with the same vocabulary)`,
      );
    }
    throw new DataError(`n_vocab mismatch: ${base.name} has ${base.nVocab}, ${cand.name} has ${cand.nVocab} (the models must share a vocabulary)`);
  }
  if (!bt) return;
  for (let i = 0; i < bt.length; i++) {
    if (bt[i] !== cand.tokens[i]) {
      throw new DataError(`vocabulary mismatch at token id ${i}: ${base.name} has ${quoteBounded(bt[i]!)}, ${cand.name} has ${quoteBounded(cand.tokens[i]!)} (the models must share a tokenizer)`);
    }
  }
}

/** Seconds spent in each part of a live run (for benchmarks and --json's "timing"). */
export interface LiveTiming {
  load: number;
  tokenize: number;
  /** The base model's evaluation (0 for a .kld base). */
  evalBase: number;
  /** Each candidate's evaluation. */
  evalCandidates: number[];
  /** Statistics: kernels or the fused .kld loop, accumulation, per-token output. */
  stats: number;
  /** Writing --save-base. */
  saveBase: number;
  total: number;
  /** Tokens each model evaluated (n_ctx·n_chunk). */
  tokensEvaluated: number;
}

/** A live GGUF side: sequential float rows, one chunk evaluated at a time. */
class LiveRows implements FloatRows {
  readonly dtype = 'f32' as const;
  readonly sequential = true;
  readonly rows: number;
  readonly cols: number;
  seconds = 0;
  private chunk = -1;
  private readonly buf: Float32Array;
  private readonly input: Int32Array;
  constructor(
    private readonly model: LiveModel,
    private readonly plan: ChunkPlan,
  ) {
    this.cols = model.nVocab;
    this.rows = plan.nChunk * plan.rowsPerChunk;
    this.buf = new Float32Array(plan.rowsPerChunk * this.cols);
    this.input = new Int32Array(plan.nCtx);
  }

  /** Evaluates the chunk holding rows [r0, r0 + n) (they must lie in one chunk). */
  async prepare(r0: number, n: number): Promise<void> {
    const p = this.plan;
    const c = Math.floor(r0 / p.rowsPerChunk);
    if (Math.floor((r0 + n - 1) / p.rowsPerChunk) !== c) throw new Error('LiveRows: a block must lie in one chunk');
    if (c === this.chunk) return;
    this.input.set(p.tokens.subarray(c * p.nCtx, (c + 1) * p.nCtx));
    // llama-perplexity puts BOS first in every chunk where the vocabulary adds one
    if (this.model.addBos) this.input[0] = this.model.bos;
    const t0 = performance.now();
    await this.model.evalChunk(this.input, p.first, this.buf);
    this.seconds += (performance.now() - t0) / 1000;
    this.chunk = c;
  }

  /** The prepared rows in place (no copy). */
  view(r0: number, n: number): Float32Array {
    const k = r0 - this.chunk * this.plan.rowsPerChunk;
    return this.buf.subarray(k * this.cols, (k + n) * this.cols);
  }

  read(r0: number, n: number, out: Float32Array | Float64Array): void {
    out.set(this.view(r0, n));
  }
}

interface GgufSide {
  spec: SourceSpec;
  info: GgufInfo;
  model: LiveModel;
  source?: OpenedSource & { kind: 'float'; floats: LiveRows };
}

function ggufSource(side: GgufSide, plan: ChunkPlan, runtime: LlamaRuntime): OpenedSource & { kind: 'float'; floats: LiveRows } {
  const { info, spec } = side;
  return floatRowsSource(spec, new LiveRows(side.model, plan), {
    tokens: planTokens(plan),
    extra: () => ({
      nCtx: plan.nCtx,
      nChunk: plan.nChunk,
      firstScored: plan.first,
      architecture: info.architecture,
      fileSize: info.fileSize,
      parameters: info.parameterCount,
      bitsPerWeight: info.bitsPerWeight,
      tokenizer: info.tokenizerFingerprint,
      runtime: runtime.name,
    }),
  });
}

/**
 * Checks a live context size: an integer of at least 4 tokens, within the model's trained
 * context where the GGUF states one.
 *
 * @example
 * checkContext(512, 'f16.gguf', readGguf('f16.gguf')); // throws a UsageError past llama.context_length
 */
export function checkContext(ctx: number, file?: string, info?: Pick<GgufInfo, 'contextLength'>): void {
  if (!Number.isInteger(ctx) || ctx < 4) throw new UsageError({ where: 'ctx', expected: 'an integer of at least 4 tokens', got: ctx });
  if (file && info?.contextLength !== undefined && ctx > info.contextLength) throw new UsageError({ where: 'ctx', expected: `at most ${info.contextLength} tokens (${file} was trained with a context of ${info.contextLength} tokens)`, got: ctx });
}

/** A GGUF model loaded with a context of `ctx` tokens, ready to give its rows over a chunk plan. */
export interface LiveSide {
  info: GgufInfo;
  model: LiveModel;
  runtime: LlamaRuntime;
  /** The model's scored rows over `plan`, a sequential float source (`prepare` evaluates a chunk). */
  rows(plan: ChunkPlan): OpenedSource & { kind: 'float'; floats: FloatRows & { prepare(r0: number, n: number): Promise<void>; seconds: number } };
  close(): Promise<void>;
}

/**
 * Loads one GGUF model as compare's live path does (the same runtime, context checks and BOS
 * handling per chunk), for a run whose chunks are planned elsewhere (a .klref reference).
 *
 * @example
 * const side = await openLiveSide({ path: 'f16.gguf', name: 'base', ctx: 512 });
 * const src = side.rows(planChunks(await side.model.tokenize(text), { ctx: 512, name: 'wiki.txt' }));
 */
export async function openLiveSide(o: { path: string; name: string; ctx: number; info?: GgufInfo; runtime?: 'auto' | 'native' | 'node-llama-cpp'; threads?: number }): Promise<LiveSide> {
  const info = o.info ?? readGguf(o.path, { name: o.path });
  checkContext(o.ctx, o.path, info);
  const runtime = await loadLlamaRuntime(o.runtime ?? 'auto');
  const model = await runtime.load(o.path, { nCtx: o.ctx, nVocab: info.nVocab, threads: o.threads, name: o.name });
  if (model.nVocab !== info.nVocab) {
    await model.close();
    throw new DataError(`${o.path}: llama.cpp reads n_vocab ${model.nVocab}, the GGUF token list has ${info.nVocab}`);
  }
  const side: GgufSide = { spec: { path: o.path, name: o.name, format: 'gguf' } as SourceSpec, info, model };
  return { info, model, runtime, rows: (plan) => ggufSource(side, plan, runtime), close: () => model.close() };
}

/** Options of {@link compareLive}: one base (a GGUF model or a .kld base file) and candidate models. */
export interface LiveCompareOptions extends Omit<CompareOptions, 'base' | 'candidate' | 'sink'> {
  base: string | SideOptions | SourceSpec;
  candidates: Array<string | SideOptions | SourceSpec>;
  /** One sink per candidate (e.g. a --per-token writer), or none. */
  sinks?: Array<RowSink | undefined>;
  sink?: RowSink;
  /**
   * The run's output group: `live.saveBase` is written there and appears with the run's other
   * outputs when the group commits. Without it the base file has a group of its own, committed
   * when its last row is written.
   */
  out?: OutputGroup;
}

/** One candidate's result of a live run. */
export interface LiveRun extends CompareRun {
  timing: LiveTiming;
  /** The candidate's GGUF metadata (file size, bits per weight) for the ladder. */
  model: { path: string; fileSize: number; bitsPerWeight: number; parameters: number };
}

function asSpec(s: string | SideOptions | SourceSpec, name: string, format?: string): SourceSpec {
  return typeof s === 'object' && 'name' in s && 'format' in s && typeof s.format === 'string' && (s.format as string) !== 'auto' ? (s as SourceSpec) : sideSpec(s as string | SideOptions, name, { format });
}

/** Reads the text of a live run: one line naming the file when it is unreadable, empty, blank or not UTF-8. */
export function readLiveText(file: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DataError(`${file}: cannot read the text (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length === 0) throw new DataError(`${file}: the text is empty`);
  const text = decodeUtf8Strict(bytes, file);
  if (text.trim() === '') throw new DataError(`${file}: the text is only whitespace`);
  return text;
}

/**
 * Compares live GGUF candidates with a base (a GGUF model evaluated once, or a llama.cpp .kld
 * base file whose tokens and chunks are used) over a text, chunk by chunk. Each candidate gets
 * its own accumulator; the base's rows are computed once per chunk.
 *
 * @example
 * const [q8] = await compareLive({ base: 'f16.gguf', candidates: ['q8_0.gguf'], live: { text: 'wiki.txt', ctx: 512 } });
 * q8.result.kld.mean; // llama-perplexity's "Mean KLD" for the pair
 */
export async function compareLive(opts: LiveCompareOptions): Promise<LiveRun[]> {
  const t0 = performance.now();
  const live = opts.live ?? {};
  const bspec = asSpec(opts.base, 'base', opts.format);
  if (opts.candidates.length === 0) throw new UsageError('no candidate model given');
  const cspecs = opts.candidates.map((c, i) => asSpec(c, opts.candidates.length > 1 ? `candidate ${i + 1}` : 'candidate', opts.format));
  if (bspec.format !== 'gguf' && bspec.format !== 'kld') {
    throw new UsageError(`a live comparison takes a GGUF model or a llama.cpp .kld file as its base; ${bspec.path} is ${bspec.format}`);
  }
  for (const c of cspecs) {
    if (c.format !== 'gguf') throw new UsageError(`with a live model, every candidate must be a GGUF model; ${c.path} is ${c.format} (compare saved runs two at a time)`);
  }
  if (opts.tokens) throw new UsageError('the tokens option does not apply to GGUF models: the text is tokenized with the base model');
  if (opts.rowRange) throw new UsageError('the rowRange option does not apply to GGUF models (use the chunks option)');
  const ctxGiven = live.ctx;
  // metadata first: a file that is not GGUF, a truncated one or a vocabulary mismatch fails before any model loads
  const cinfo = cspecs.map((c) => readGguf(c.path, { name: c.path }));
  const kldBase = bspec.format === 'kld' ? (openSource(bspec) as OpenedSource & { kind: 'kld' }) : null;
  const sides: GgufSide[] = [];
  let saver: KldWriter | undefined;
  try {
    const binfo = kldBase ? null : readGguf(bspec.path, { name: bspec.path });
    const baseVocab = binfo ? { name: bspec.path, nVocab: binfo.nVocab, tokens: binfo.tokens } : { name: bspec.path, nVocab: kldBase!.cols };
    for (const ci of cinfo) checkVocabulary(baseVocab, ci);
    let ctx: number;
    if (kldBase) {
      const h = kldBase.kld.header;
      if (live.text) throw new UsageError(`the text option does not apply with a .kld base: ${bspec.path} carries its tokens and chunks`);
      if (live.score === 'all') throw new UsageError(`the score option "all" does not apply with a .kld base: ${bspec.path} holds the second half of each chunk`);
      if (ctxGiven !== undefined && ctxGiven !== h.nCtx) throw new UsageError({ where: 'ctx', expected: `${h.nCtx}, the n_ctx ${bspec.path} was made with`, got: ctxGiven });
      if (live.saveBase) throw new UsageError('the saveBase option needs a GGUF base model (the base is already a .kld file)');
      ctx = h.nCtx;
    } else {
      if (!live.text) throw new UsageError('a GGUF base needs the text option FILE: the text to evaluate');
      ctx = ctxGiven ?? 512;
      if (live.saveBase && live.score === 'all') throw new UsageError("the saveBase option writes llama.cpp's file, which holds the second half of each chunk; drop the score option");
    }
    checkContext(ctx);
    for (const [spec, info] of [...(binfo ? [[bspec, binfo] as const] : []), ...cspecs.map((c, i) => [c, cinfo[i]!] as const)]) checkContext(ctx, spec.path, info);
    const text = kldBase ? undefined : readLiveText(live.text!);
    const runtime = await loadLlamaRuntime(live.runtime ?? 'auto');
    const tl = performance.now();
    const load = async (spec: SourceSpec, info: GgufInfo): Promise<GgufSide> => {
      const model = await runtime.load(spec.path, { nCtx: ctx, nVocab: info.nVocab, threads: live.threads, name: spec.name });
      const side = { spec, info, model };
      sides.push(side);
      if (model.nVocab !== info.nVocab) throw new DataError(`${spec.path}: llama.cpp reads n_vocab ${model.nVocab}, the GGUF token list has ${info.nVocab}`);
      return side;
    };
    const baseSide = binfo ? await load(bspec, binfo) : null;
    const candSides: GgufSide[] = [];
    for (let i = 0; i < cspecs.length; i++) candSides.push(await load(cspecs[i]!, cinfo[i]!));
    const loadSeconds = (performance.now() - tl) / 1000;

    const tt = performance.now();
    let plan: ChunkPlan;
    if (kldBase) {
      const h = kldBase.kld.header;
      const nChunk = Math.min(h.nChunk, live.chunks ?? Infinity);
      plan = { tokens: kldBase.kld.tokens.subarray(0, nChunk * h.nCtx), nCtx: h.nCtx, nChunk, first: h.first, rowsPerChunk: h.rowsPerChunk };
      for (let i = 0; i < plan.tokens.length; i++) {
        if (plan.tokens[i]! < 0 || plan.tokens[i]! >= h.nVocab) throw new DataError(`${bspec.path}: token ${i} of the token list is ${plan.tokens[i]}, outside n_vocab ${h.nVocab}`);
      }
    } else {
      plan = planChunks(await baseSide!.model.tokenize(text!), { ctx, chunks: live.chunks, score: live.score, name: live.text! });
    }
    const tokenizeSeconds = (performance.now() - tt) / 1000;
    const baseSrc = baseSide ? ggufSource(baseSide, plan, runtime) : kldBase!;
    const cands = candSides.map((s) => ggufSource(s, plan, runtime));
    const rows = plan.nChunk * plan.rowsPerChunk;
    const cols = baseSrc.cols;
    if (live.saveBase) {
      // an output of the run's group: an error or a signal leaves neither a partial file nor a temporary one
      saver = new KldWriter(live.saveBase, { nCtx: plan.nCtx, nVocab: cols, nChunk: plan.nChunk, tokens: plan.tokens, out: opts.out });
    }

    const accs = cands.map((c) => {
      const acc = new CompareAccumulator({ relativeAccuracy: opts.relativeAccuracy, retainLimit: opts.retainLimit, positionBinWidth: Math.max(1, Math.ceil(plan.nCtx / 1024)) });
      acc.inputs.push({ role: 'base', ...baseSrc.describe(), rowRange: [0, rows] }, { role: 'candidate', ...c.describe() });
      return acc;
    });
    const sinks = opts.sinks ?? [opts.sink];
    const tokens = baseSrc.tokens!;
    const targets = new Int32Array(plan.rowsPerChunk);
    const scratch = kldBase ? new FusedScratch(kldBase, cands[0]!, plan.rowsPerChunk) : null;
    let backendName: string | undefined;
    let statsSeconds = 0;
    let saveSeconds = 0;
    for (let c = 0; c < plan.nChunk; c++) {
      const r0 = c * plan.rowsPerChunk;
      const n = plan.rowsPerChunk;
      for (let k = 0; k < n; k++) targets[k] = tokens.targetOf(r0 + k);
      let p: Float32Array | undefined;
      if (baseSide) {
        const bs = baseSrc as ReturnType<typeof ggufSource>;
        await bs.floats.prepare(r0, n);
        p = bs.floats.view(r0, n);
        if (saver) {
          const ts = performance.now();
          for (let k = 0; k < n; k++) saver.writeLogits(p.subarray(k * cols, (k + 1) * cols));
          saveSeconds += (performance.now() - ts) / 1000;
        }
      }
      for (let j = 0; j < cands.length; j++) {
        const cs = cands[j]!;
        await cs.floats.prepare(r0, n);
        const ts = performance.now();
        let block: RowBlock;
        if (p) {
          const input: BatchInput = { p, q: cs.floats.view(r0, n), rows: n, cols, from: 'logits', targets };
          backendName ??= pickBackend(input, opts.backend).name;
          block = kernelBlock(input, await batchStats(input, { backend: opts.backend, threads: opts.threads }), { r0, positionOf: tokens.positionOf, names: [bspec.path, cspecs[j]!.path] });
        } else {
          block = fusedBlock({ base: kldBase!, cand: cs, r0, n, scratch: scratch! });
        }
        accs[j]!.addBlock(block);
        const sink = sinks[j];
        if (sink) await sink.write(block, (id) => baseVocab.tokens?.[id] ?? cinfo[j]!.tokens[id]);
        statsSeconds += (performance.now() - ts) / 1000;
      }
      opts.onProgress?.(r0 + n, rows);
      // let the event loop run once per chunk: signals, the progress bar's timer
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (saver) {
      const ts = performance.now();
      saver.close();
      saveSeconds += (performance.now() - ts) / 1000;
      saver = undefined;
    }
    const total = (performance.now() - t0) / 1000;
    const timing: LiveTiming = {
      load: loadSeconds,
      tokenize: tokenizeSeconds,
      evalBase: baseSide ? (baseSrc as ReturnType<typeof ggufSource>).floats.seconds : 0,
      evalCandidates: cands.map((c) => c.floats.seconds),
      stats: statsSeconds,
      saveBase: saveSeconds,
      total,
      tokensEvaluated: plan.nChunk * plan.nCtx,
    };
    return cands.map((cs, j) => {
      const acc = accs[j]!;
      notesForLive(acc, { kldBase: !!kldBase, runtime, backendName, plan });
      const info = cinfo[j]!;
      const vocabTexts = cinfo[j]!.tokens;
      return {
        accumulator: acc,
        result: acc.result(),
        rows,
        elements: rows * cols,
        bytes: 0,
        vocab: cols,
        tokenText: (id: number) => vocabTexts[id],
        timing,
        model: { path: cs.spec.path, fileSize: info.fileSize, bitsPerWeight: info.bitsPerWeight, parameters: info.parameterCount },
      };
    });
  } catch (e) {
    saver?.abort();
    throw e;
  } finally {
    kldBase?.close();
    for (const s of sides) await s.model.close();
  }
}

function notesForLive(acc: CompareAccumulator, o: { kldBase: boolean; runtime: LlamaRuntime; backendName?: string; plan: ChunkPlan }): void {
  const { plan } = o;
  acc.notes.push(
    `Live models (llama.cpp via ${o.runtime.name}): ${o.runtime.scores}; ${plan.nChunk} chunks of ${plan.nCtx} tokens, positions ${plan.first}…${plan.nCtx - 2} of each scored against the next token` +
      (plan.first > 0 ? ", as llama-perplexity --kl-divergence." : ' (every position).'),
  );
  if (o.kldBase) {
    acc.notes.push(
      "KL(base‖candidate) sums over the base's stored window (log p > −16 nats), exactly as llama-perplexity --kl-divergence with this base file; the candidate is live (float32 logits, log-softmax in float64).",
    );
    acc.notes.push("KL(candidate‖base) sums over the candidate's whole vocabulary; tokens the base stores at its floor code read as the floor value, an upper bound, so those terms are lower bounds.");
    acc.notes.push("JS and TVD compare the windowed distributions: tokens outside the base file's window (log p ≤ −16) count as 0.");
  } else {
    acc.notes.push(`Both sides are logits: per-token statistics from the fused kernel (${o.backendName ?? 'js'} backend), accumulated in float64; rounding noise below 0 is clamped to 0.`);
  }
}

