// The kernels' result slots come from the measure table: the generated layout files must be up to
// date with it, and every backend must put each measure in its own slot. The row below has all
// its results distinct, so a result written to another measure's slot fails by name.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../testing/cli.js';
import { KERNEL_F64_SLOTS, KERNEL_INT_SLOTS } from '../rows/measureTable.js';
import { availableBackends, batchStatsSync, closeWorkers } from './index.js';
import { STAT_F64_KEYS, type StatF64Key } from './types.js';

after(closeWorkers);

test('assembly/slots.ts and native/slots.h are what scripts/slots.mjs makes of the measure table', () => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/slots.mjs'), '--check'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const as = readFileSync(path.join(repoRoot, 'assembly/slots.ts'), 'utf8');
  [...KERNEL_F64_SLOTS, ...KERNEL_INT_SLOTS].forEach((s, i) => {
    const name = s.key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
    assert.match(as, new RegExp(`SLOT_${name}: usize = ${8 * i};`), s.key);
  });
});

test('the C++ RowResult has one field per slot of the table, no more', () => {
  const h = readFileSync(path.join(repoRoot, 'native/kernel.h'), 'utf8');
  const body = /struct RowResult \{([^}]*)\}/.exec(h)?.[1] ?? '';
  const fields = [...body.matchAll(/(?:double|int32_t|bool)\s+([^;]+);/g)].flatMap((m) => m[1]!.split(',').map((f) => f.trim()));
  assert.deepEqual(fields.sort(), [...KERNEL_F64_SLOTS, ...KERNEL_INT_SLOTS].map((s) => s.native as string).sort());
});

// P = (0.7, 0.2, 0.1), Q = (0.2, 0.3, 0.5) as float32, target 1; the expected values are the
// definitions in float64 on the float32-rounded inputs.
const P = [0.7, 0.2, 0.1].map(Math.fround);
const Q = [0.2, 0.3, 0.5].map(Math.fround);
const sum = (f: (i: number) => number) => f(0) + f(1) + f(2);
const kl = (a: number[], b: number[]) => sum((i) => a[i]! * Math.log(a[i]! / b[i]!));
const h = (a: number[]) => -sum((i) => a[i]! * Math.log(a[i]!));
const M = P.map((p, i) => (p + Q[i]!) / 2);
const EXPECTED: Record<StatF64Key, number> = {
  forward: kl(P, Q),
  reverse: kl(Q, P),
  entropyP: h(P),
  entropyQ: h(Q),
  crossEntropyPQ: h(P) + kl(P, Q),
  crossEntropyQP: h(Q) + kl(Q, P),
  jsDivergence: (kl(P, M) + kl(Q, M)) / 2,
  tvd: sum((i) => Math.abs(P[i]! - Q[i]!)) / 2,
  logpTarget: Math.log(P[1]!),
  logqTarget: Math.log(Q[1]!),
};

test('each backend writes each measure into its own slot (a row whose results all differ), and flags an invalid row', () => {
  const vals = STAT_F64_KEYS.map((k) => EXPECTED[k]);
  for (let i = 0; i < vals.length; i++) for (let j = i + 1; j < vals.length; j++) assert.ok(Math.abs(vals[i]! - vals[j]!) > 1e-2, `${STAT_F64_KEYS[i]} and ${STAT_F64_KEYS[j]} too close to tell apart`);
  // row 1 has a NaN: every float64 slot NaN, argmaxes −1, invalid 1
  const input = {
    p: new Float32Array([...P, NaN, 0.5, 0.5]),
    q: new Float32Array([...Q, 0.2, 0.3, 0.5]),
    rows: 2,
    cols: 3,
    from: 'probs' as const,
    targets: new Int32Array([1, 1]),
  };
  const backends = availableBackends();
  assert.ok(backends.includes('wasm'), 'the wasm kernel is built');
  for (const backend of backends) {
    const s = batchStatsSync(input, { backend });
    for (const k of STAT_F64_KEYS) {
      assert.ok(Math.abs(s[k][0]! - EXPECTED[k]) <= 1e-5 * Math.max(1, Math.abs(EXPECTED[k])), `${backend}: ${k} = ${s[k][0]}, expected ${EXPECTED[k]}`);
      assert.ok(Number.isNaN(s[k][1]!), `${backend}: ${k} of the invalid row = ${s[k][1]}, expected NaN`);
    }
    assert.deepEqual([s.argmaxP[0], s.argmaxQ[0], s.invalid[0]], [0, 2, 0], `${backend}: argmaxP, argmaxQ, invalid of row 0`);
    assert.deepEqual([s.argmaxP[1], s.argmaxQ[1], s.invalid[1]], [-1, -1, 1], `${backend}: argmaxP, argmaxQ, invalid of row 1`);
  }
});
