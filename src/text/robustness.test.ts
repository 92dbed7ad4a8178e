import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { segmentLinear } from './tokenize.js';
import { samplesDivergence } from './samplesKl.js';
import { knnKl } from './knnKl.js';
import { histogramKl } from './histogramKl.js';
import { MonteCarloKl } from './monteCarlo.js';
import { createRng } from '../random.js';
import { quote, showValue } from '../errors.js';

describe('text segmentation in linear time', () => {
  test('segmentLinear gives exactly the segments of one call on the whole text (fast-check, 40 texts of 5–12k characters, across window seams)', () => {
    const pieces = ['lorem ', 'ipsum. ', "don't ", '3.14 ', '1,000 ', 'e\u0301', '🇫🇷', '🇩🇪', '👩‍👩‍👧', '日本語の', 'テキスト。', 'ภาษาไทย', '\r\n', '\n\n', '  ', 'x', '_', '—', 'a'.repeat(60), ' '];
    const text = fc.array(fc.constantFrom(...pieces), { minLength: 900, maxLength: 1400 }).map((p) => p.join(''));
    for (const g of ['word', 'grapheme'] as const) {
      const seg = new Intl.Segmenter('en', { granularity: g });
      fc.assert(
        fc.property(text, (t) => {
          const whole = Array.from(seg.segment(t), (s) => s.segment);
          assert.deepEqual([...segmentLinear(seg, t)], whole);
        }),
        { numRuns: 20, seed: 201 },
      );
    }
  });

  test('one segment longer than a window (a 20,000-character token) stays whole', () => {
    const seg = new Intl.Segmenter('en', { granularity: 'word' });
    const t = 'a ' + 'b'.repeat(20_000) + ' c';
    assert.deepEqual([...segmentLinear(seg, t)], ['a', ' ', 'b'.repeat(20_000), ' ', 'c']);
  });
});

describe('samples: impossible values are handled or labelled', () => {
  const gauss = (n: number, d: number, seed: number, scale = 1) => {
    const r = createRng(seed);
    return { data: Float64Array.from({ length: n * d }, () => r.normal() * scale), rows: n, cols: d };
  };

  test('a set against an exact copy of itself gives KL 0 both ways (cross-set duplicates set aside)', () => {
    const a = gauss(300, 2, 5);
    const r = samplesDivergence(a, { ...a, data: a.data.slice() }, { bootstrap: 0 });
    assert.ok(Math.abs(r.knn.forward) < 1e-12, String(r.knn.forward));
    assert.ok(Math.abs(r.knn.reverse) < 1e-12, String(r.knn.reverse));
    assert.equal(r.knn.forwardWarning, null);
  });

  test('values beyond 1e154 do not overflow: the estimate equals that of the rescaled data', () => {
    const a = gauss(200, 2, 6);
    const b = gauss(200, 2, 7, 1.5);
    const big = (m: typeof a) => ({ ...m, data: m.data.map((x) => x * 2 ** 600) });
    const small = knnKl(a, b);
    const large = knnKl(big(a), big(b));
    assert.ok(Number.isFinite(large));
    assert.ok(Math.abs(large - small) < 1e-9, `${large} vs ${small}`);
    const r = samplesDivergence(big(a), big(b), { bootstrap: 0 });
    assert.ok(Number.isFinite(r.knn.forward) && Number.isFinite(r.gaussian.forward));
  });

  test('16-D data with 2,000 samples: the estimate carries a warning; a negative one says so', () => {
    const a = gauss(2000, 16, 8);
    const b = gauss(2000, 16, 9, 1.1);
    const r = samplesDivergence(a, b, { bootstrap: 0 });
    assert.match(r.knn.forwardWarning ?? '', /likely biased: d = 16 is above ln n = 7\.6|negative/);
    assert.match(r.knn.reverseWarning ?? '', /likely biased|negative/);
    const low = samplesDivergence(gauss(300, 1, 10), gauss(300, 1, 11), { bootstrap: 0 });
    if (low.knn.forward < 0) assert.match(low.knn.forwardWarning ?? '', /^negative/);
  });

  test('histogram bins are bounded', () => {
    assert.throws(() => histogramKl([0, 1], [0, 1], { bins: 1e11 }), /bins: expected an integer in \[1, 1000000\], got 100000000000/);
  });
});

describe('estimate: an infinite estimator has no NaN', () => {
  test('a −∞ log p gives mean ∞ and a null stderr', () => {
    const mc = new MonteCarloKl();
    mc.add(new Float64Array([-1, -Infinity, -0.5]), new Float64Array([-1.1, -2, -0.4]));
    const r = mc.result();
    assert.equal(r.k1.mean, Infinity);
    assert.equal(r.k1.stderr, null);
  });
});

describe('error messages quote bounded input', () => {
  test('a 1,000,000-character value is cut at 80 characters with its length stated', () => {
    const q = quote('x'.repeat(1_000_000));
    assert.ok(q.length < 120);
    assert.match(q, /… \(1000000 characters\)$/);
    assert.equal(showValue(NaN), 'NaN');
    assert.equal(showValue(undefined), 'nothing');
  });
});
