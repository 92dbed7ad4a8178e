import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeKldValue } from '../io/kld.js';
import { createRowBlock, windowThresholdCode } from './rowStats.js';

describe('rowStats', () => {
  test('windowThresholdCode is the first code llama.cpp sums (linear scan, property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.001, noNaN: true }), fc.double({ min: -40, max: -0.01, noNaN: true }), (s, m) => {
        const scale = Math.fround(s);
        const min = Math.fround(m);
        let first = 65536;
        for (let c = 0; c <= 65535; c++) {
          if (decodeKldValue(scale, min, c) > -16) {
            first = c;
            break;
          }
        }
        assert.equal(windowThresholdCode(scale, min), first);
      }),
      { numRuns: 60 },
    );
    // a flat row (scale 0): all tokens in the window when min_log_prob > −16, none otherwise
    assert.equal(windowThresholdCode(0, -Math.log(32000)), 0);
    assert.equal(windowThresholdCode(0, -17), 65536);
  });

  test('createRowBlock starts without targets', () => {
    const b = createRowBlock(3, 10);
    assert.equal(b.row0, 10);
    assert.deepEqual([...b.target], [-1, -1, -1]);
    assert.ok(Number.isNaN(b.logpTarget[2]!));
  });
});
