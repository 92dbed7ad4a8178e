// Row-loop harness for native/kld.h: kld::rows on the rows of two .kld files, CPU time per element pair (best of
// REPS), the column sums of the results, and optionally the raw per-row results (for comparing builds).
// Build: g++ -std=c++17 -O3 -ffp-contract=fast -fno-math-errno -march=native -mprefer-vector-width=512 -Inative bench/kld-rows.cc -o /tmp/kld-rows -lpthread
// Run:   /tmp/kld-rows base.kld candidate.kld ROWS(0 = all) REPS THREADS [out.bin]   (files: node bench/compare.mjs --keep --dir DIR)
// Also under valgrind --tool=callgrind for instruction counts that do not depend on the load.
#include "kld.h"
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>
static double cpu() { timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double wall() { timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static std::vector<uint8_t> load(const char* p) { FILE* f = fopen(p, "rb"); fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET); std::vector<uint8_t> b(n); fread(b.data(), 1, n, f); fclose(f); return b; }
static int thr(float s, float m) {
  auto dec = [&](int c) { float a = s * (float)c; return a + m; };
  if (dec(65535) <= -16.f) return 65536;
  if (dec(0) > -16.f) return 0;
  int lo = 0, hi = 65535;
  while (hi - lo > 1) { int mid = (lo + hi) / 2; if (dec(mid) > -16.f) hi = mid; else lo = mid; }
  return hi;
}
int main(int argc, char** argv) {
  auto A = load(argv[1]), B = load(argv[2]);
  int rowsMax = atoi(argv[3]), reps = atoi(argv[4]), threads = argc > 5 ? atoi(argv[5]) : 1;
  const char* dump = argc > 6 ? argv[6] : nullptr;
  int32_t* h = (int32_t*)A.data();
  int nCtx = h[2], V = h[3], nChunk = h[4];
  int first = nCtx / 2, rpc = nCtx - 1 - first, nv = 2 * ((V + 1) / 2) + 4;
  size_t rowBytes = nv * 2, off = 20 + 4 * (size_t)nCtx * nChunk;
  int rows = rpc * nChunk; if (rowsMax > 0 && rowsMax < rows) rows = rowsMax;
  std::vector<double> heads(6 * rows), out(8 * rows);
  const uint8_t* ra = A.data() + off; const uint8_t* rb = B.data() + off;
  for (int k = 0; k < rows; k++) {
    const float* fa = (const float*)(ra + k * rowBytes); const float* fb = (const float*)(rb + k * rowBytes);
    heads[6*k] = fa[0]; heads[6*k+1] = fa[1]; heads[6*k+2] = thr(fa[0], fa[1]);
    heads[6*k+3] = fb[0]; heads[6*k+4] = fb[1]; heads[6*k+5] = thr(fb[0], fb[1]);
  }
  double best = 1e9, bw = 1e9;
  for (int r = 0; r < reps; r++) {
    double c0 = cpu(), w0 = wall();
    kld::rows(ra, rb, rowBytes, V, rows, heads.data(), out.data(), threads);
    double c = cpu() - c0, w = wall() - w0; if (c < best) best = c; if (w < bw) bw = w;
  }
  double s[8] = {0};
  for (int k = 0; k < rows; k++) for (int j = 0; j < 8; j++) s[j] += out[8*k+j];
  printf("rows %d V %d: best CPU %.4f s = %.3f ns/pair, wall %.4f s; sums %.12g %.12g %.12g %.12g %g %g %.12g %.12g\n", rows, V, best, best / ((double)rows * V) * 1e9, bw, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
  if (dump) { FILE* f = fopen(dump, "wb"); fwrite(out.data(), 8, out.size(), f); fclose(f); }
}
