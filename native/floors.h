// The machine's floors for the fused kernel, measured with the kernel's own vectors: a plain read
// of float32 rows (GB/s) and the throughput of the kernel's float32 exp (vexp_neg), once on
// values held in registers and once over the rows (load + exp). The benchmark puts each
// backend's Melem/s against them: the `kl` path reads every row twice (8 bytes per element pair
// per read) and takes two exps per element pair.
#pragma once
#include <chrono>
#include <thread>
#include <vector>

#include "kernel.h"

namespace klk {

struct Floors {
  double readGBs, expRegMexps, expRowsMexps;
};

static inline double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Sum of x[0, n) with four independent vector sums (the read, not the adds, is the limit).
__attribute__((noinline)) static float read_sum(const float* x, size_t n) {
  vf s0 = vf{}, s1 = vf{}, s2 = vf{}, s3 = vf{};
  size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    vf a, b, c, d;
    std::memcpy(&a, x + i, sizeof a);
    std::memcpy(&b, x + i + W, sizeof b);
    std::memcpy(&c, x + i + 2 * W, sizeof c);
    std::memcpy(&d, x + i + 3 * W, sizeof d);
    s0 += a; s1 += b; s2 += c; s3 += d;
  }
  vf s = (s0 + s1) + (s2 + s3);
  float t = 0;
  for (int k = 0; k < W; k++) t += s[k];
  for (; i < n; i++) t += x[i];
  return t;
}

// iters rounds of four independent chains y <- -16 e^y (y stays in [-16, 0]): 4 W exps a round.
__attribute__((noinline)) static float exp_reg(long iters) {
  vf y0 = splat(-0.5f), y1 = splat(-1.5f), y2 = splat(-3.f), y3 = splat(-7.f);
  for (long k = 0; k < iters; k++) {
    y0 = vexp_neg(y0) * -16.f;
    y1 = vexp_neg(y1) * -16.f;
    y2 = vexp_neg(y2) * -16.f;
    y3 = vexp_neg(y3) * -16.f;
  }
  vf s = (y0 + y1) + (y2 + y3);
  float t = 0;
  for (int k = 0; k < W; k++) t += s[k];
  return t;
}

// e^(x - m) summed over the rows: the kernel's exp fed from memory.
__attribute__((noinline)) static float exp_rows(const float* x, size_t n) {
  vf s0 = vf{}, s1 = vf{};
  const vf m = splat(30.f);
  size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    vf a, b;
    std::memcpy(&a, x + i, sizeof a);
    std::memcpy(&b, x + i + W, sizeof b);
    s0 += vexp_neg(vmin(a - m, vf{}));
    s1 += vexp_neg(vmin(b - m, vf{}));
  }
  vf s = s0 + s1;
  float t = 0;
  for (int k = 0; k < W; k++) t += s[k];
  return t;
}

// Best of `reps` timed runs of f over `threads` threads, each on its share; returns seconds.
template <typename F>
static double best_time(int threads, int reps, F f) {
  double best = 1e300;
  for (int r = 0; r < reps; r++) {
    double t0 = now_s();
    std::vector<std::thread> pool;
    for (int k = 1; k < threads; k++) pool.emplace_back([&f, k] { f(k); });
    f(0);
    for (auto& t : pool) t.join();
    double t = now_s() - t0;
    best = t < best ? t : best;
  }
  return best;
}

/** The floors on `threads` threads: read and exp over x[0, n), exp in registers. */
static Floors measure_floors(const float* x, size_t n, int threads, int reps) {
  Floors out{};
  volatile float sink = 0;
  const size_t share = n / (size_t)threads / (4 * W) * (4 * W);
  double tRead = best_time(threads, reps, [&](int k) { sink = sink + read_sum(x + k * share, share); });
  out.readGBs = (double)share * threads * sizeof(float) / tRead / 1e9;
  double tRows = best_time(threads, reps, [&](int k) { sink = sink + exp_rows(x + k * share, share); });
  out.expRowsMexps = (double)share * threads / tRows / 1e6;
  const long iters = 1 << 22;
  double tReg = best_time(threads, reps, [&](int) { sink = sink + exp_reg(iters); });
  out.expRegMexps = (double)iters * 4 * W * threads / tReg / 1e6;
  return out;
}

}  // namespace klk
