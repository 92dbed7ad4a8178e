// Text segmentation throughput: klscope's windowed Intl.Segmenter (linear time) against one
// Intl.Segmenter call on the whole string (superlinear in Node 20), on the same text in one run.
// Usage: node bench/text-segment.mjs [MB]   (default 11 MB, the size that never finished before)
import { segmentLinear } from '../dist/text/tokenize.js';

const mb = Number(process.argv[2] ?? 11);
const unit = 'lorem ipsum dolor sit amet ';
const big = unit.repeat(Math.ceil((mb * 1e6) / unit.length));
const seg = new Intl.Segmenter('en', { granularity: 'word' });

function time(f) {
  const t0 = process.hrtime.bigint();
  const n = f();
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, n };
}
const count = (it) => {
  let n = 0;
  for (const _ of it) n++;
  return n;
};
const rows = [];
for (const size of [27_000, 108_000, 216_000]) {
  const t = big.slice(0, size);
  const whole = time(() => count(seg.segment(t)));
  const lin = time(() => count(segmentLinear(seg, t)));
  if (whole.n !== lin.n) throw new Error(`segment counts differ: ${whole.n} vs ${lin.n}`);
  rows.push({ bytes: size, wholeMBs: size / 1e6 / whole.s, windowedMBs: size / 1e6 / lin.s, speedup: whole.s / lin.s });
}
const full = time(() => count(segmentLinear(seg, big)));
for (const r of rows) console.log(`${(r.bytes / 1000).toFixed(0).padStart(4)} kB  whole-string ${r.wholeMBs.toFixed(3).padStart(8)} MB/s  windowed ${r.windowedMBs.toFixed(2).padStart(6)} MB/s  ratio ${r.speedup.toFixed(1)}x`);
console.log(`${(big.length / 1e6).toFixed(1)} MB windowed: ${full.s.toFixed(2)} s = ${(big.length / 1e6 / full.s).toFixed(2)} MB/s (${full.n} segments)`);
