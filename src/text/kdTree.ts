/** Result of a k-nearest-neighbour query: distances (ascending) and point indices. */
export interface Neighbours {
  /** Euclidean distances, ascending. */
  dist: Float64Array;
  index: Int32Array;
}

/**
 * A k-d tree over n points in d dimensions (row-major Float64Array), for exact k-nearest-
 * neighbour queries in about O(log n) per query in low dimensions (it degrades gracefully to a
 * scan in high dimensions). Splits on the widest dimension at the median; leaves hold up to
 * `leafSize` points.
 *
 * @example
 * const t = new KdTree(new Float64Array([0, 0, 1, 0, 5, 5]), 3, 2);
 * t.knn(new Float64Array([0.9, 0]), 0, 1).index; // Int32Array [1]
 */
export class KdTree {
  readonly n: number;
  readonly d: number;
  private readonly pts: Float64Array;
  private readonly idx: Int32Array;
  // Node arrays: [start, end) of idx, split dimension (-1 for a leaf), split value, children.
  private readonly lo: number[] = [];
  private readonly hi: number[] = [];
  private readonly dim: number[] = [];
  private readonly val: number[] = [];
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  private readonly leafSize: number;

  constructor(points: Float64Array, n: number, d: number, leafSize = 12) {
    if (points.length < n * d) throw new RangeError(`KdTree: ${points.length} values cannot hold ${n} points of dimension ${d}`);
    this.pts = points;
    this.n = n;
    this.d = d;
    this.leafSize = Math.max(1, leafSize);
    this.idx = new Int32Array(n);
    for (let i = 0; i < n; i++) this.idx[i] = i;
    if (n > 0) this.build(0, n);
  }

  private build(start: number, end: number): number {
    const node = this.lo.length;
    this.lo.push(start);
    this.hi.push(end);
    this.dim.push(-1);
    this.val.push(0);
    this.left.push(-1);
    this.right.push(-1);
    if (end - start <= this.leafSize) return node;
    // Widest dimension of this cell's points.
    const { pts, idx, d } = this;
    let best = 0;
    let spread = -1;
    for (let j = 0; j < d; j++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = start; i < end; i++) {
        const v = pts[idx[i]! * d + j]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (mx - mn > spread) {
        spread = mx - mn;
        best = j;
      }
    }
    if (spread <= 0) return node; // all points equal: keep as a leaf
    const mid = (start + end) >> 1;
    this.select(start, end - 1, mid, best);
    this.dim[node] = best;
    this.val[node] = pts[idx[mid]! * d + best]!;
    const l = this.build(start, mid);
    const r = this.build(mid, end);
    this.left[node] = l;
    this.right[node] = r;
    return node;
  }

  /** Quickselect: puts the k-th smallest (by coordinate j) at position k of idx[lo..hi]. */
  private select(lo: number, hi: number, k: number, j: number): void {
    const { pts, idx, d } = this;
    while (hi > lo) {
      const pivot = pts[idx[(lo + hi) >> 1]! * d + j]!;
      let a = lo;
      let b = hi;
      while (a <= b) {
        while (pts[idx[a]! * d + j]! < pivot) a++;
        while (pts[idx[b]! * d + j]! > pivot) b--;
        if (a <= b) {
          const t = idx[a]!;
          idx[a] = idx[b]!;
          idx[b] = t;
          a++;
          b--;
        }
      }
      if (k <= b) hi = b;
      else if (k >= a) lo = a;
      else return;
    }
  }

  /**
   * The k nearest points to the query point `q[qOff .. qOff + d)`. With `groups`, points whose
   * group equals `excludeGroup` are skipped (leave-one-out: groups = point indices; bootstrap:
   * groups = the original index each copy came from). Fewer than k are returned only when the
   * tree has fewer eligible points.
   */
  knn(q: Float64Array, qOff: number, k: number, groups?: Int32Array, excludeGroup = -1): Neighbours {
    const { pts, idx, d } = this;
    // Bounded max-heap of squared distances.
    const hd = new Float64Array(k);
    const hi = new Int32Array(k);
    let size = 0;
    const push = (dist: number, i: number) => {
      if (size < k) {
        let c = size++;
        while (c > 0) {
          const p = (c - 1) >> 1;
          if (hd[p]! >= dist) break;
          hd[c] = hd[p]!;
          hi[c] = hi[p]!;
          c = p;
        }
        hd[c] = dist;
        hi[c] = i;
      } else if (dist < hd[0]!) {
        let c = 0;
        for (;;) {
          const l = 2 * c + 1;
          if (l >= k) break;
          const r = l + 1;
          const m = r < k && hd[r]! > hd[l]! ? r : l;
          if (hd[m]! <= dist) break;
          hd[c] = hd[m]!;
          hi[c] = hi[m]!;
          c = m;
        }
        hd[c] = dist;
        hi[c] = i;
      }
    };
    const visit = (node: number) => {
      const dm = this.dim[node]!;
      if (dm < 0) {
        for (let t = this.lo[node]!; t < this.hi[node]!; t++) {
          const i = idx[t]!;
          if (groups && groups[i] === excludeGroup) continue;
          let s = 0;
          const o = i * d;
          for (let j = 0; j < d; j++) {
            const x = pts[o + j]! - q[qOff + j]!;
            s += x * x;
          }
          if (size < k || s < hd[0]!) push(s, i);
        }
        return;
      }
      const diff = q[qOff + dm]! - this.val[node]!;
      const near = diff < 0 ? this.left[node]! : this.right[node]!;
      const far = diff < 0 ? this.right[node]! : this.left[node]!;
      visit(near);
      // The far cell can only hold a closer point if the splitting plane is within reach.
      if (size < k || diff * diff <= hd[0]!) visit(far);
    };
    if (this.n > 0) visit(0);
    // Heap to ascending order.
    const order = Array.from({ length: size }, (_, t) => t).sort((a, b) => hd[a]! - hd[b]!);
    const dist = new Float64Array(size);
    const index = new Int32Array(size);
    order.forEach((t, r) => {
      dist[r] = Math.sqrt(hd[t]!);
      index[r] = hi[t]!;
    });
    return { dist, index };
  }
}
