// Single-thread CPU time of the native kernel per regime, for profiling (callgrind, objdump):
//   node bench/native-cpu-data.mjs /tmp/klscope-cpu          # 32 rows × 128256 per regime
//   g++ -std=c++17 -O3 -ffp-contract=fast -fno-math-errno -march=znver3 -Wno-psabi \
//       -DKERNEL='"../native/kernel.h"' bench/native-cpu.cc -o /tmp/native-cpu   # or -march=native
//   DATA=/tmp/klscope-cpu /tmp/native-cpu 5                  # REG=lm-1e-2 MEAS=kl ROWS=2 narrow it
// Prints Melem per CPU-second (best of N) and a checksum of the results per regime and measure set.
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <vector>
#include <string>
#include KERNEL
static double cpu() { timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char** argv) {
  const int V = 128256; int T = getenv("ROWS") ? atoi(getenv("ROWS")) : 32; const char* only = getenv("REG"); const char* onlym = getenv("MEAS");
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  const char* regs[] = {"synthetic", "lm-1e-3", "lm-1e-2", "lm-1e-1"};
  std::vector<float> buf((size_t)2 * 32 * V);
  for (auto r : regs) {
    std::string fn = std::string(getenv("DATA") ? getenv("DATA") : "/tmp/klscope-cpu") + "/" + r + ".f32";
    FILE* f = fopen(fn.c_str(), "rb"); if (only && std::string(only) != r) { fclose(f); continue; }
    fread(buf.data(), 4, buf.size(), f); fclose(f);
    const float* P = buf.data(); const float* Q = P + (size_t)32 * V;
    for (int all = 0; all < 2; all++) {
      if (onlym && (std::string(onlym) == "all") != (bool)all) continue;
      double best = 1e30, cs = 0; int fast = 0;
      for (int k = 0; k < reps; k++) {
        double t0 = cpu(); cs = 0; fast = 0;
        for (int i = 0; i < T; i++) {
          klk::RowResult x = klk::fused_row<float>(P + (size_t)i * V, Q + (size_t)i * V, V, 0, false, 1e-3, -1, all);
          cs += x.forward + x.reverse + x.entropyP + (all ? x.js + x.tvd : 0);
        }
        double t = cpu() - t0; if (t < best) best = t;
      }
      printf("%-10s %-3s %8.1f Melem/cpu-s  cs=%.12g\n", r, all ? "all" : "kl", (double)T * V / best / 1e6, cs);
    }
  }
}
