import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { coarsenTopk, coarsenedMeasures, parseTopkLine } from './topk.js';
import { compareFiles } from './engine.js';
import { forwardKl, reverseKl } from '../divergence/kl.js';

const L = Math.log;
const top = (o: Record<string, number>) => Object.entries(o).map(([token, p]) => ({ token, logprob: L(p) }));

describe('top-k JSONL: coarsened estimator', () => {
  test('hand calculation: shared tokens plus one rest bucket', () => {
    const a = top({ a: 0.5, b: 0.3, c: 0.1 });
    const b = top({ a: 0.4, b: 0.2, d: 0.3 });
    const c = coarsenTopk(a, b);
    // shared {a, b}; rest: 1 − 0.8 = 0.2 on the base, 1 − 0.6 = 0.4 on the candidate
    assert.ok(Math.abs(c.restP - 0.2) < 1e-12 && Math.abs(c.restQ - 0.4) < 1e-12);
    const m = coarsenedMeasures(c);
    const fwd = 0.5 * L(0.5 / 0.4) + 0.3 * L(0.3 / 0.2) + 0.2 * L(0.2 / 0.4); // 0.0945818…
    const rev = 0.4 * L(0.4 / 0.5) + 0.2 * L(0.2 / 0.3) + 0.4 * L(0.4 / 0.2);
    const tvd = 0.5 * (0.1 + 0.1 + 0.2);
    const mid = (p: number, q: number) => p * L((2 * p) / (p + q)) + q * L((2 * q) / (p + q));
    const js = 0.5 * (mid(0.5, 0.4) + mid(0.3, 0.2) + mid(0.2, 0.4));
    assert.ok(Math.abs(m.forward - fwd) < 1e-12, `${m.forward} vs ${fwd}`);
    assert.ok(Math.abs(m.reverse - rev) < 1e-12);
    assert.ok(Math.abs(m.tvd - tvd) < 1e-12);
    assert.ok(Math.abs(m.js - js) < 1e-12);
    // a lower bound on the KL of any full distributions with these top-k lists (data processing)
    const P = [0.5, 0.3, 0.1, 0.05, 0.05]; // a b c d e
    const Q = [0.4, 0.2, 0.05, 0.3, 0.05];
    assert.ok(m.forward <= forwardKl(P, Q));
    assert.ok(m.reverse <= reverseKl(P, Q));
  });

  test('lines: arrays or objects of top logprobs; bad values are named with the line', () => {
    const x = parseTopkLine('{"token":"a","logprob":-0.5,"top_logprobs":{"a":-0.5,"b":-1.5}}', 'f.jsonl', 3);
    assert.deepEqual(x.top, [{ token: 'a', logprob: -0.5 }, { token: 'b', logprob: -1.5 }]);
    assert.throws(() => parseTopkLine('{"token":"a","logprob":0.5,"top_logprobs":[]}', 'f.jsonl', 3), /f\.jsonl: line 3: "logprob" is 0\.5, expected a log-probability <= 0/);
    assert.throws(() => parseTopkLine('{"token":"a","logprob":-1,"top_logprobs":[{"token":"a","logprob":-0.1},{"token":"b","logprob":-0.2}]}', 'f.jsonl', 4), /sum to .* more than 1/);
    assert.throws(() => parseTopkLine('nope', 'f.jsonl', 9), /line 9 is not JSON/);
  });

  test('compare on two JSONL files: statistics from per-line hand formulas', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'klscope-topk-'));
    const n = 14;
    const A: string[] = [];
    const B: string[] = [];
    const expected: number[] = [];
    const nll: number[] = [];
    const nllB: number[] = [];
    let same = 0;
    for (let t = 0; t < n; t++) {
      const pa = 0.5 + 0.02 * t;
      const pb = 0.45 + 0.03 * (t % 5);
      const qa = t % 4 === 0 ? 0.2 : 0.55; // every 4th position the candidate prefers "b"
      const qb = t % 4 === 0 ? 0.6 : 0.3;
      const pTop = { x: pa, y: Math.min(pb, 0.98 - pa) };
      const qTop = { x: qa, y: qb };
      A.push(JSON.stringify({ token: 'x', logprob: L(pa), top_logprobs: top(pTop) }));
      B.push(JSON.stringify({ token: 'x', logprob: L(qa), top_logprobs: top(qTop) }));
      const p1 = pTop.y;
      const restP = 1 - pa - p1;
      const restQ = 1 - qa - qb;
      expected.push(pa * L(pa / qa) + p1 * L(p1 / qb) + restP * L(restP / restQ));
      nll.push(-L(qa));
      nllB.push(-L(pa));
      if ((pa >= p1) === (qa >= qb)) same++;
    }
    writeFileSync(path.join(dir, 'a.jsonl'), A.join('\n') + '\n');
    writeFileSync(path.join(dir, 'b.jsonl'), B.join('\n') + '\n');
    const run = await compareFiles({ base: path.join(dir, 'a.jsonl'), candidate: path.join(dir, 'b.jsonl') });
    const r = run.result;
    assert.equal(r.tokens, n);
    const mean = expected.reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(r.kld.mean! - mean) < 1e-12);
    assert.equal(r.sameTop.p, same / n);
    const mq = nll.reduce((s, v) => s + v, 0) / n;
    const mb = nllB.reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(r.ppl!.candidate - Math.exp(mq)) < 1e-9);
    assert.ok(Math.abs(r.ppl!.lnRatio - (mq - mb)) < 1e-12);
    assert.ok(r.notes.some((x) => x.includes('LOWER BOUNDS')));
    assert.equal(r.estimator, 'topk-lower-bound');
    // token mismatch and line count mismatch
    writeFileSync(path.join(dir, 'c.jsonl'), B.slice(0, 5).join('\n') + '\n' + B[5]!.replace('"token":"x"', '"token":"z"') + '\n');
    await assert.rejects(compareFiles({ base: path.join(dir, 'a.jsonl'), candidate: path.join(dir, 'c.jsonl') }), /token mismatch at position 5 \(line 6\): base has "x", candidate has "z"/);
    writeFileSync(path.join(dir, 'd.jsonl'), B.slice(0, 9).join('\n'));
    await assert.rejects(compareFiles({ base: path.join(dir, 'a.jsonl'), candidate: path.join(dir, 'd.jsonl') }), /line count mismatch: candidate ends after 9 positions/);
    rmSync(dir, { recursive: true, force: true });
  });
});
