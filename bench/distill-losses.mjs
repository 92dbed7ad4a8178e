// Benchmark of the TF.js divergence losses of src/train (value + gradient w.r.t. the student
// logits) on the wasm backend, against the pure-JS cpu backend in the same process, and of the
// tfjs-wasm matMul with transposeA against an explicit transpose (what the student's gradient uses).
// Usage: node bench/distill-losses.mjs [--reps 5]
// Prints a Markdown table: elements (tokens × vocabulary) per second and the wasm/cpu ratio.
import { initTf, tf } from '../dist/train/backend.js';
import { forwardKlLoss, reverseKlLoss, jsdLoss, tvdLoss } from '../dist/train/losses.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const reps = Number(arg('reps', '5'));
const info = await initTf();
if (info.backend !== 'wasm') console.error(`warning: wasm backend unavailable (${info.fallbackReason}); ratios are meaningless`);

const losses = { forwardKlLoss, reverseKlLoss, jsdLoss, tvdLoss };
const shapes = [
  [4096, 32],
  [64, 32000],
];

function time(fn) {
  fn(); // warm-up (kernel compilation, allocation)
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) fn();
  return (performance.now() - t0) / reps / 1000;
}

function lossStep(loss, t, s) {
  return () => {
    const g = tf.grad((z) => loss(t, z))(s);
    g.dataSync();
    g.dispose();
  };
}

const rows = [];
for (const [n, V] of shapes) {
  const results = {};
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const t = tf.randomNormal([n, V], 0, 3, 'float32', 1);
    const s = tf.randomNormal([n, V], 0, 3, 'float32', 2);
    for (const [name, loss] of Object.entries(losses)) results[`${name}|${backend}`] = time(lossStep(loss, t, s));
    t.dispose();
    s.dispose();
  }
  for (const name of Object.keys(losses)) {
    const w = results[`${name}|wasm`];
    const c = results[`${name}|cpu`];
    rows.push(`| ${name} | ${n} × ${V} | ${((n * V) / w / 1e6).toFixed(1)} | ${((n * V) / c / 1e6).toFixed(1)} | ${(c / w).toFixed(1)}× |`);
  }
}
await tf.setBackend('wasm');
console.log(`backend: ${tf.getBackend()}, ${reps} repetitions after a warm-up; value + gradient w.r.t. the student logits\n`);
console.log('| loss | tokens × vocab | wasm M elements/s | cpu M elements/s | wasm / cpu |');
console.log('|---|---|---|---|---|');
console.log(rows.join('\n'));

// The student's gradient: onehot(ids)ᵀ · dy with [B × C] one-hots, C = 1024 contexts.
const a = tf.randomNormal([1024, 1024], 0, 1, 'float32', 3);
const b = tf.randomNormal([1024, 32], 0, 1, 'float32', 4);
const run = (f) => () => {
  const c = f();
  c.dataSync();
  c.dispose();
};
const tA = time(run(() => tf.matMul(a, b, true, false)));
const tT = time(run(() => tf.tidy(() => tf.matMul(tf.transpose(a), b))));
console.log(`\nmatMul(aᵀ, b), a: 1024 × 1024, b: 1024 × 32 on wasm: transposeA ${(tA * 1000).toFixed(2)} ms, explicit transpose ${(tT * 1000).toFixed(2)} ms (${(tA / tT).toFixed(1)}× faster)`);
