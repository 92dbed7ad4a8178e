// Benchmark of `klscope compare A.gguf B.gguf --text FILE`: tokens/s and where the time goes.
// Usage: node bench/live.mjs [--merges 1000] [--embd 256] [--ff 768] [--layers 4] [--ctx 256]
//        [--chunks 8] [--threads 1] [--nl-chunks 2]
// Writes a generated llama model and a perturbed copy (src/testing/tinyLlama.ts; random weights,
// a vocabulary of about --merges + 400 pieces learnt from README.md, which is also the text) into a temporary directory, then measures in one process:
//   1. compare through the klscope_llama binding: each model's evaluation (llama_decode plus
//      copying the chunk's logits out), klscope's statistics (fused kernel + accumulation);
//   2. the copy alone (the "getting the distributions" part of 1), timed as a Float32Array copy
//      of the same size;
//   3. node-llama-cpp's public API on --nl-chunks chunks: evaluation alone (no outputs) against
//      evaluation with every scored position's probability Map.
// Prints a Markdown table; the shared machine is noisy, so read ratios within a run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { compareLive } from '../dist/compare/live.js';
import { loadLlamaRuntime } from '../dist/compare/llamaRuntime.js';
import { writeTinyLlama } from '../dist/testing/tinyLlama.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 ? process.argv[i + 1] : def);
};
const cfg = { merges: arg('merges', 1000), nEmbd: arg('embd', 256), nFf: arg('ff', 768), nLayer: arg('layers', 4), ctx: arg('ctx', 256), chunks: arg('chunks', 8), threads: arg('threads', 1), nlChunks: arg('nl-chunks', 2) };
const dir = mkdtempSync(path.join(tmpdir(), 'klscope-bench-live-'));
const s = (x) => x.toFixed(3);
try {
  const t0 = performance.now();
  // the vocabulary is learnt from the project's README (plain English and code), which is also the text
  const corpus = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../README.md'), 'utf8');
  const m = writeTinyLlama({ dir, weights: 'random', text: corpus, merges: cfg.merges, nEmbd: cfg.nEmbd, nFf: cfg.nFf, nLayer: cfg.nLayer, nHead: cfg.nEmbd / 32, contextLength: Math.max(512, cfg.ctx) });
  const V = m.weights.base.hparams.nVocab;
  const text = path.join(dir, 'text.txt');
  // enough text for the chunks: the training paragraph with numbered sentences, repeated
  let body = corpus;
  while (body.length < cfg.ctx * cfg.chunks * 8) body += `\n${corpus}`;
  writeFileSync(text, body);
  process.stderr.write(`models written (V = ${V}) in ${s((performance.now() - t0) / 1000)} s\n`);

  const live = { text, ctx: cfg.ctx, chunks: cfg.chunks, threads: cfg.threads, runtime: 'native' };
  // warm-up (page cache, JIT), then the measured run
  await compareLive({ base: m.paths.base, candidates: [m.paths.perturbed], live: { ...live, chunks: 1 }, threads: cfg.threads });
  const [run] = await compareLive({ base: m.paths.base, candidates: [m.paths.perturbed], live, threads: cfg.threads });
  const t = run.timing;
  const evalBoth = t.evalBase + t.evalCandidates[0];
  const rowsPerChunk = cfg.ctx - 1 - cfg.ctx / 2;
  // the copy out of llama.cpp's buffer is part of each evaluation above: time it alone
  const src = new Float32Array((cfg.ctx - 1 - cfg.ctx / 2) * V).fill(1.5);
  const dst = new Float32Array(src.length);
  const reps = 2 * cfg.chunks;
  const tc = performance.now();
  for (let i = 0; i < reps; i++) dst.set(src);
  const copy = (performance.now() - tc) / 1000;

  // node-llama-cpp: the same chunks with and without the probability Maps
  const rt = await loadLlamaRuntime('node-llama-cpp');
  const nl = await rt.load(m.paths.base, { nCtx: cfg.ctx, nVocab: V, threads: cfg.threads, name: 'base' });
  const native = await (await loadLlamaRuntime('native')).load(m.paths.base, { nCtx: cfg.ctx, nVocab: V, threads: cfg.threads, name: 'base' });
  const ids = await native.tokenize(body);
  const out = new Float32Array(rowsPerChunk * V);
  const time = async (f) => {
    const a = performance.now();
    for (let c = 0; c < cfg.nlChunks; c++) await f(ids.subarray(c * cfg.ctx, (c + 1) * cfg.ctx - 1));
    return (performance.now() - a) / 1000 / cfg.nlChunks;
  };
  const nlProbs = await time((chunk) => nl.evalChunk(chunk, cfg.ctx / 2, out));
  // evaluation alone: the last position's probabilities only (one Map instead of rowsPerChunk)
  const nlEval = await time((chunk) => nl.evalChunk(chunk, chunk.length - 1, out));
  const nativeChunk = await time((chunk) => native.evalChunk(chunk, cfg.ctx / 2, out));
  await nl.close();
  await native.close();

  const scored = run.rows;
  const evaluated = t.tokensEvaluated;
  const lines = [
    `Generated llama models: V = ${V}, n_embd ${cfg.nEmbd}, n_ff ${cfg.nFf}, ${cfg.nLayer} layers, F32; n_ctx ${cfg.ctx}, ${cfg.chunks} chunks (${scored} scored tokens, ${evaluated} evaluated per model); ${cfg.threads} thread(s); ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)}.`,
    '',
    '| part (klscope_llama binding) | seconds | share of the two evaluations |',
    '|---|---:|---:|',
    `| base model evaluation (llama_decode + logits copy) | ${s(t.evalBase)} | |`,
    `| candidate model evaluation (llama_decode + logits copy) | ${s(t.evalCandidates[0])} | |`,
    `| of which copying the logits out (Float32Array copy of the same size) | ${s(copy)} | ${((100 * copy) / evalBoth).toFixed(1)} % |`,
    `| klscope's statistics (fused kernel, accumulation) | ${s(t.stats)} | ${((100 * t.stats) / evalBoth).toFixed(1)} % |`,
    `| **distributions + statistics over the evaluations** | ${s(copy + t.stats)} | **${((100 * (copy + t.stats)) / (evalBoth - copy)).toFixed(1)} %** |`,
    `| whole compare (tokenize, ${cfg.chunks} chunks; load ${s(t.load)} s) | ${s(t.total)} | |`,
    '',
    `Throughput: ${Math.round(scored / (t.total - t.load))} scored tokens/s, ${Math.round((2 * evaluated) / (t.total - t.load))} evaluated tokens/s (both models).`,
    '',
    '| one chunk of the base model | seconds |',
    '|---|---:|',
    `| klscope_llama: evaluation + all ${rowsPerChunk} scored rows' logits | ${s(nativeChunk)} |`,
    `| node-llama-cpp: evaluation, one probability Map | ${s(nlEval)} |`,
    `| node-llama-cpp: evaluation + ${rowsPerChunk} probability Maps | ${s(nlProbs)} |`,
    `| node-llama-cpp's Maps alone, per position | ${((1000 * (nlProbs - nlEval)) / (rowsPerChunk - 1)).toFixed(3)} ms |`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
