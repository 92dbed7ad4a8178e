// Two-thread wall-clock Melem/s of the native kernel on 256 cold rows per regime (32 rows of
// bench/native-cpu-data.mjs tiled 8x: 256 MB per side, far past the caches), each thread giving
// the kernel its next row pair to prefetch (as native/addon.cc does); NEXT=0 builds without it.
//   node bench/native-cpu-data.mjs /tmp/klscope-cpu
//   g++ -std=c++17 -O3 -pthread -ffp-contract=fast -fno-math-errno -march=native -mprefer-vector-width=512 \
//       -Wno-psabi -DNEXT=1 -DKERNEL='"../native/kernel.h"' bench/native-mt.cc -o /tmp/native-mt
//   /tmp/native-mt 5            # ALL=1 for measures 'all', REG=lm-1e-2 for one regime
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <thread>
#include <vector>
#include <string>
#include KERNEL
int main(int argc, char** argv) {
  const int V = 128256, T = 256; int reps = argc > 1 ? atoi(argv[1]) : 5; bool all = getenv("ALL") != nullptr;
  const char* regs[] = {"synthetic", "lm-1e-3", "lm-1e-2", "lm-1e-1"};
  std::vector<float> buf((size_t)2 * 32 * V), P((size_t)T * V), Q((size_t)T * V);
  for (auto r : regs) {
    if (getenv("REG") && std::string(getenv("REG")) != r) continue;
    std::string fn = std::string(getenv("DATA") ? getenv("DATA") : "/tmp/klscope-cpu") + "/" + r + ".f32";
    FILE* f = fopen(fn.c_str(), "rb"); fread(buf.data(), 4, buf.size(), f); fclose(f);
    for (int i = 0; i < T; i++) for (int k = 0; k < V; k++) { P[(size_t)i * V + k] = buf[(size_t)(i % 32) * V + k]; Q[(size_t)i * V + k] = buf[(size_t)(32 + i % 32) * V + k]; }
    std::vector<double> out(T);
    double best = 1e30;
    for (int k = 0; k < reps; k++) {
      auto t0 = std::chrono::steady_clock::now();
      auto work = [&](int a, int b) { for (int i = a; i < b; i++) { const float* na = i + 1 < b ? &P[(size_t)(i + 1) * V] : nullptr; const float* nb = i + 1 < b ? &Q[(size_t)(i + 1) * V] : nullptr; klk::RowResult x = klk::fused_row<float>(&P[(size_t)i * V], &Q[(size_t)i * V], V, 0, false, 1e-3, -1, all, NEXT ? na : nullptr, NEXT ? nb : nullptr); out[i] = x.forward; } };
      std::thread th(work, T / 2, T); work(0, T / 2); th.join();
      double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); if (t < best) best = t;
    }
    printf("%-10s %s %7.0f Melem/s (2 threads)\n", r, all ? "all" : "kl ", (double)T * V / best / 1e6);
  }
}
