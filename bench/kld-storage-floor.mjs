// The 16-bit .kld storage floor: what llama.cpp would read as KLD between a stored row and the
// exact distribution it came from (Zipf-like logits with noise), per token and on the mean.
// Usage: node bench/kld-storage-floor.mjs
import { encodeKldRow, decodeKldValue, kldLayout } from '../dist/io/kld.js';
let s = 12345; const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-300)) * Math.cos(2 * Math.PI * rnd());
for (const V of [257, 32000]) {
  const rows = V > 1000 ? 200 : 2000;
  let sumKl = 0, maxKl = -Infinity, maxErr = 0, sumAbsKl = 0;
  const out = new Uint16Array(kldLayout(512, V, 1).nv);
  for (let r = 0; r < rows; r++) {
    const logits = new Float32Array(V);
    for (let i = 0; i < V; i++) logits[i] = -1.1 * Math.log(1 + i) + 2 * gauss();
    let m = -Infinity; for (const x of logits) m = Math.max(m, x);
    let z = 0; for (const x of logits) z += Math.exp(x - m);
    const lse = m + Math.log(z);
    encodeKldRow(logits, out);
    // recompute scale/min as the writer does: read back through the same path as a file would
    // (encodeKldRow writes codes only; scale/min come from the logits' log-softmax window)
    const lp = Float64Array.from(logits, (x) => x - lse);
    const head = new Float32Array(out.buffer, 0, 2);
    const scale = head[0], min = head[1];
    let kl = 0;
    for (let i = 0; i < V; i++) {
      const code = out[4 + i];
      const dec = min + scale * code;
      if (decodeKldValue(scale, min, code) <= -16) continue;
      const p = Math.exp(dec);
      if (code > 0) maxErr = Math.max(maxErr, Math.abs(dec - lp[i]) / scale);
      kl += p * (dec - lp[i]);
    }
    sumKl += kl; sumAbsKl += Math.abs(kl); maxKl = Math.max(maxKl, Math.abs(kl));
  }
  console.log(`V=${V} rows=${rows}: mean KL(stored‖exact) as llama.cpp sums it ${(sumKl / rows).toExponential(2)}, mean |KL| ${(sumAbsKl / rows).toExponential(2)}, max |KL| per token ${maxKl.toExponential(2)}, max |Δlog p|/scale ${maxErr.toFixed(3)}`);
}
