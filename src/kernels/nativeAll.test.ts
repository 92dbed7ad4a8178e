import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareStats, makeLmLogits } from './accuracy.js';
import { availableBackends, batchStatsSync, closeWorkers } from './index.js';
import { referenceBatchStats } from './reference.js';
import { softmaxRows } from '../testing/accuracyCases.js';
import { STAT_F64_KEYS, type BatchInput } from './types.js';

after(closeWorkers);

// measures 'all' on LM-like rows: peaked Zipf rows (entropy 0.3–4 nats) against close candidates
// (KL 1e-6 … 1e-1), where nearly every vector has |log p − log q| < 2 and the native kernel
// takes its division-free JS form (a polynomial in x² instead of u = (q−p)/(q+p) and a log1p).
// Every field against the float64 TypeScript reference, under the accuracy rule.
const hasNative = availableBackends().includes('native');

describe("native measures 'all' on LM-like rows (every field against the TS reference)", { skip: !hasNative }, () => {
  const cols = 128256;
  const rows = 2;
  const cases: { name: string; input: BatchInput }[] = [];
  for (const [k, kl] of [1e-6, 1e-4, 1e-3, 1e-2, 1e-1].entries()) {
    for (const entropy of [[0.3, 1.5], [1, 4]] as [number, number][]) {
      const { p, q } = makeLmLogits({ rows, cols, kl, entropy, seed: 90 + 7 * k + entropy[0] * 10 });
      const targets = new Int32Array([0, cols - 1]);
      const tag = `kl ${kl} H ${entropy.join('-')}`;
      cases.push({ name: `${tag} float32 logits`, input: { p, q, rows, cols, from: 'logits', measures: 'all', targets } });
      if (kl === 1e-3 || kl === 1e-1) {
        cases.push({ name: `${tag} float64 logits`, input: { p: Float64Array.from(p), q: Float64Array.from(q), rows, cols, from: 'logits', measures: 'all', targets } });
        const lp = softmaxRows(p, rows, cols, true);
        const lq = softmaxRows(q, rows, cols, true);
        cases.push({ name: `${tag} float32 logprobs`, input: { p: lp, q: lq, rows, cols, from: 'logprobs', measures: 'all', targets } });
      }
    }
  }

  test('every field within the rule, JS and TV included', () => {
    for (const c of cases) {
      const ref = referenceBatchStats(c.input);
      const got = batchStatsSync(c.input, { backend: 'native' });
      // the cases are what the test claims: close pairs, JS and TV present and not tiny
      for (let r = 0; r < rows; r++) {
        assert.ok(ref.jsDivergence[r]! > 0 && Number.isFinite(got.jsDivergence[r]!), `${c.name} row ${r}: JS present`);
        assert.ok(ref.tvd[r]! > 0 && Number.isFinite(got.tvd[r]!), `${c.name} row ${r}: TV present`);
      }
      const cmp = compareStats(ref, got);
      assert.deepEqual(cmp.mismatches, [], c.name);
    }
  });

  test('JS and TV are not mere placeholders: they track the reference at 1e-6 where ≥ 1e-4', () => {
    // a tighter look than the rule at the two fields the 'kl' path does not produce: a dropped
    // or wrong JS term moves JS by far more than this
    for (const c of cases) {
      const ref = referenceBatchStats(c.input);
      const got = batchStatsSync(c.input, { backend: 'native' });
      for (const k of ['jsDivergence', 'tvd'] as const) {
        assert.ok(STAT_F64_KEYS.includes(k));
        for (let r = 0; r < rows; r++) {
          const e = ref[k][r]!;
          const a = got[k][r]!;
          const ok = e >= 1e-4 ? Math.abs(a - e) <= 1e-6 * e : Math.abs(a - e) <= 1e-10;
          assert.ok(ok, `${c.name} row ${r} ${k}: ${a} vs ${e}`);
        }
      }
    }
  });
});
