import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KdTree } from './kdTree.js';
import { seededRandom } from '../random.js';

describe('k-d tree', () => {
  test('k nearest distances equal a brute-force scan (with duplicates and exclusions)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }), // above 10 dimensions the tree is a single scanned leaf
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 1000 }),
        (d, n, k, seed) => {
          // Coordinates on a coarse grid so that ties and duplicate points are common.
          const rnd = seededRandom(seed);
          const pts = Float64Array.from({ length: n * d }, () => Math.floor(rnd() * 6));
          const tree = new KdTree(pts, n, d, 3);
          const groups = Int32Array.from({ length: n }, (_, i) => i % 5);
          for (let i = 0; i < Math.min(n, 15); i++) {
            const excl = i % 5;
            const got = tree.knn(pts, i * d, k, groups, excl);
            const all: number[] = [];
            for (let j = 0; j < n; j++) {
              if (groups[j] === excl) continue;
              let sq = 0;
              for (let c = 0; c < d; c++) sq += (pts[j * d + c]! - pts[i * d + c]!) ** 2;
              all.push(Math.sqrt(sq));
            }
            all.sort((a, b) => a - b);
            assert.deepEqual(Array.from(got.dist), all.slice(0, k));
            got.index.forEach((j) => assert.notEqual(groups[j], excl));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
  test('a query point not in the tree', () => {
    const t = new KdTree(new Float64Array([0, 0, 1, 0, 5, 5, 2, 2]), 4, 2);
    const r = t.knn(new Float64Array([0.9, 0.1]), 0, 2);
    assert.deepEqual(Array.from(r.index), [1, 0]);
    assert.ok(Math.abs(r.dist[0]! - Math.hypot(0.1, 0.1)) < 1e-15);
  });
});
