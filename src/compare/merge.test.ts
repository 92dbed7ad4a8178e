import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompareAccumulator } from './accumulator.js';
import { createRowBlock } from './rowStats.js';
import { mergeSummaryFiles } from './merge.js';

describe('mergeSummaryFiles', () => {
  test('merging merged summaries again gives the same exact sums (hierarchical merge)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'klscope-merge-'));
    const files: string[] = [];
    const whole = new CompareAccumulator();
    for (let k = 0; k < 4; k++) {
      const b = createRowBlock(30, 30 * k);
      for (let i = 0; i < 30; i++) {
        // values of very different magnitudes: a plain running sum would depend on the order
        b.forward[i] = 10 ** (-(i % 9)) * (1 + k);
        b.reverse[i] = 1e-3 * i;
        b.position[i] = i;
      }
      const a = new CompareAccumulator();
      a.addBlock(b);
      whole.addBlock(b);
      const f = path.join(dir, `p${k}.json`);
      writeFileSync(f, JSON.stringify(a.toSummary()));
      files.push(f);
    }
    const ab = mergeSummaryFiles(files.slice(0, 2));
    writeFileSync(path.join(dir, 'ab.json'), JSON.stringify(ab.toSummary()));
    const all = mergeSummaryFiles([path.join(dir, 'ab.json'), files[3]!, files[2]!]);
    assert.equal(all.result().kld.mean, whole.result().kld.mean);
    assert.equal(all.result().kld.stderr, whole.result().kld.stderr);
    assert.equal(all.result().tokens, 120);
    assert.throws(() => mergeSummaryFiles([path.join(dir, 'nope.json')]), /nope\.json: expected a readable regular file, got no such file \(ENOENT\)/);
    assert.throws(() => mergeSummaryFiles([]), /no summaries to merge/);
    rmSync(dir, { recursive: true, force: true });
  });
});
