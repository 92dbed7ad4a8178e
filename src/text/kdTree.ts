import { ArgumentError } from '../errors.js';
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
  // Query scratch: the depth is at most ~log2(n) + 1, and each level adds one entry.
  private readonly stackNode = new Int32Array(256);
  private readonly stackBound = new Float64Array(256);

  constructor(points: Float64Array, n: number, d: number, leafSize = 12) {
    if (points.length < n * d) throw new ArgumentError(`KdTree: ${points.length} values cannot hold ${n} points of dimension ${d}`);
    this.pts = points;
    this.n = n;
    this.d = d;
    // Above ~10 dimensions a k-d tree prunes almost nothing: one leaf makes it a plain scan.
    this.leafSize = d > 10 ? Math.max(1, n) : Math.max(1, leafSize);
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
    const { pts, idx, d, lo, hi: hiArr, dim, val, left, right } = this;
    // Bounded max-heap of squared distances (root = the current k-th best).
    const hd = new Float64Array(k);
    const hx = new Int32Array(k);
    let size = 0;
    // Explicit stack of (node, lower bound on the squared distance to its cell): no recursion
    // and no closures in the hot loop. The near child is pushed last so it is searched first.
    const stackNode = this.stackNode;
    const stackBound = this.stackBound;
    let sp = 0;
    if (this.n > 0) {
      stackNode[0] = 0;
      stackBound[0] = 0;
      sp = 1;
    }
    while (sp > 0) {
      sp--;
      const node = stackNode[sp]!;
      if (size === k && stackBound[sp]! > hd[0]!) continue;
      const dm = dim[node]!;
      if (dm >= 0) {
        const diff = q[qOff + dm]! - val[node]!;
        const near = diff < 0 ? left[node]! : right[node]!;
        const far = diff < 0 ? right[node]! : left[node]!;
        // A cell on the other side of the splitting plane is at least |diff| away.
        stackNode[sp] = far;
        stackBound[sp] = diff * diff;
        stackNode[sp + 1] = near;
        stackBound[sp + 1] = 0;
        sp += 2;
        continue;
      }
      for (let t = lo[node]!, end = hiArr[node]!; t < end; t++) {
        const i = idx[t]!;
        if (groups !== undefined && groups[i] === excludeGroup) continue;
        let s = 0;
        const o = i * d;
        for (let j = 0; j < d; j++) {
          const x = pts[o + j]! - q[qOff + j]!;
          s += x * x;
        }
        if (size < k) {
          // Sift up.
          let c = size++;
          while (c > 0) {
            const p = (c - 1) >> 1;
            if (hd[p]! >= s) break;
            hd[c] = hd[p]!;
            hx[c] = hx[p]!;
            c = p;
          }
          hd[c] = s;
          hx[c] = i;
        } else if (s < hd[0]!) {
          // Replace the root and sift down.
          let c = 0;
          for (;;) {
            const l = 2 * c + 1;
            if (l >= k) break;
            const r = l + 1;
            const m = r < k && hd[r]! > hd[l]! ? r : l;
            if (hd[m]! <= s) break;
            hd[c] = hd[m]!;
            hx[c] = hx[m]!;
            c = m;
          }
          hd[c] = s;
          hx[c] = i;
        }
      }
    }
    // Heap to ascending order (insertion sort: k is small).
    const dist = new Float64Array(size);
    const index = new Int32Array(size);
    for (let t = 0; t < size; t++) {
      const dv = hd[t]!;
      const iv = hx[t]!;
      let r = t;
      while (r > 0 && (dist[r - 1]! > dv || (dist[r - 1] === dv && index[r - 1]! > iv))) {
        dist[r] = dist[r - 1]!;
        index[r] = index[r - 1]!;
        r--;
      }
      dist[r] = dv;
      index[r] = iv;
    }
    for (let t = 0; t < size; t++) dist[t] = Math.sqrt(dist[t]!);
    return { dist, index };
  }
}
