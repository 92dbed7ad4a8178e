// klscope .klref candidate pass: one row of a .kld candidate (16-bit codes) against the base's
// top-k marks, for the certified bounds of a compact reference.
//
// It is the native twin of the code pass of tailPassCodes in src/compare/bounds.ts (the
// reference): the per-token loop counts every code into 65,536 bins; the top-k ids are taken out
// (their window mass summed), the largest code is the highest non-empty bin and the argmax its
// first token; one walk over the bins in increasing code order then gives every tail sum, the
// nOut smallest masses and the sorted least likely values. Every float64 operation is the reference's, in the same order,
// and contraction into fused multiply-adds is switched off below, so the results agree bit for
// bit with the JavaScript pass.
#pragma once
#include <cstdint>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace klref {

struct TailIn {
  const uint16_t* codes;
  int V;
  const int32_t* ids;   // the base's top-k ids
  int k;
  uint32_t* counts;     // 65,536 bins, zero on entry and on return
  const double* expHi;  // exp(min + 256·scale·hi), 256 entries
  const double* expLo;  // exp(scale·lo), 256 entries
  double scale, min;
  int thr;              // first code in the candidate's window (65536: none)
  double loF, logLoF, loR, logLoR;
  double* heap;         // receives the least likely tail values, increasing
  int cap;              // how many (−1: all tail tokens)
  int nOut;             // how many least likely tail tokens' masses SM sums
};

// First index of `code` in codes[0, V) (V − 1 if absent, as the reference's scan).
static inline int first_index(const uint16_t* codes, int V, int code) {
  int j = 0;
#if defined(__AVX2__)
  const __m256i want = _mm256_set1_epi16((short)code);
  for (; j + 16 <= V; j += 16) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + j));
    unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(v, want));
    if (m) return j + (__builtin_ctz(m) >> 1);
  }
#endif
  while (j < V - 1 && codes[j] != code) j++;
  return j;
}

// Bit i set where counts[g + i] is not 0, i in [0, 64): lets the walk visit only non-empty bins
// (a branch per bin would mispredict wherever the bins are sparse).
static inline uint64_t nonzero_mask(const uint32_t* counts) {
  uint64_t m = 0;
#if defined(__AVX2__)
  const __m256i zero = _mm256_setzero_si256();
  for (int t = 0; t < 8; t++) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(counts + 8 * t));
    unsigned z = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, zero)));
    m |= (uint64_t)(~z & 0xffu) << (8 * t);
  }
#else
  for (int i = 0; i < 64; i++) m |= (uint64_t)(counts[i] != 0) << i;
#endif
  return m;
}

// counts[code]++ for every token. A .kld row stores every token below its range at code 0, often
// most of the vocabulary (93–95 % of an LM row at V = 128,256), and increments of one bin in a row
// wait on each other (store to load), so code 0 is counted apart and only the other codes are
// counted one by one.
// AVX-512 (VBMI2): per 64 tokens two compares; a block without zeros is counted directly, any other
// block's nonzero codes are compressed into a small buffer that is counted one block later (a
// scalar load just after the wide store of its data would wait for the store to retire).
// AVX2: per 16 tokens a compare and a popcount of the zeros, then the others one by one.
static inline void count_codes(const uint16_t* codes, int V, uint32_t* counts) {
  int j = 0;
#if defined(__AVX512BW__) && defined(__AVX512VBMI2__)
  uint32_t zeros = 0;
  alignas(64) uint16_t buf[2][64];
  int pending = 0, cur = 0;
  const __m512i zero = _mm512_setzero_si512();
  for (; j + 64 <= V; j += 64) {
    const __m512i a = _mm512_loadu_si512(codes + j), b = _mm512_loadu_si512(codes + j + 32);
    const __mmask32 ma = _mm512_cmpneq_epi16_mask(a, zero), mb = _mm512_cmpneq_epi16_mask(b, zero);
    if ((ma & mb) == 0xffffffffu) {
      for (int t = 0; t < 64; t++) counts[codes[j + t]]++;
      continue;
    }
    const int na = __builtin_popcount(ma), n = na + __builtin_popcount(mb);
    zeros += (uint32_t)(64 - n);
    _mm512_storeu_si512(buf[cur], _mm512_maskz_compress_epi16(ma, a));
    _mm512_storeu_si512(buf[cur] + na, _mm512_maskz_compress_epi16(mb, b));  // na + 32 <= 64
    cur ^= 1;
    for (int t = 0; t < pending; t++) counts[buf[cur][t]]++;
    pending = n;
  }
  cur ^= 1;
  for (int t = 0; t < pending; t++) counts[buf[cur][t]]++;
  counts[0] += zeros;
#elif defined(__AVX2__)
  uint32_t zeros = 0;
  const __m256i zero = _mm256_setzero_si256();
  for (; j + 16 <= V; j += 16) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + j));
    unsigned z = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi16(v, zero)) & 0x55555555u;
    zeros += (uint32_t)__builtin_popcount(z);
    if (z == 0) {
      for (int t = 0; t < 16; t++) counts[codes[j + t]]++;
    } else {
      for (unsigned m = ~z & 0x55555555u; m; m &= m - 1) counts[codes[j + (__builtin_ctz(m) >> 1)]]++;
    }
  }
  counts[0] += zeros;
#endif
  for (; j < V; j++) counts[codes[j]]++;
}

// out: qT, qTw, sumF, sumR, cntW, argmax, sOut, sOutW, maxCode, top-k window mass.
static inline void tail_pass(const TailIn& in, double* out) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  const uint16_t* codes = in.codes;
  uint32_t* counts = in.counts;
  const int V = in.V;
  count_codes(codes, V, counts);
  int bestCode = 65535;
  while (bestCode > 0 && counts[bestCode] == 0) bestCode--;
  const int amax = first_index(codes, V, bestCode);
  double markW = 0;
  for (int i = 0; i < in.k; i++) {
    const int32_t id = in.ids[i];
    if (id < 0 || id >= V) continue;
    const int c = codes[id];
    counts[c]--;
    if (c >= in.thr) markW += in.expHi[c >> 8] * in.expLo[c & 255];
  }
  double qT = 0, qTw = 0, sumF = 0, sumR = 0, cntW = 0, sOut = 0, sOutW = 0;
  int size = 0;
  const int want = in.cap < 0 ? V : in.cap;
  // the nOut least likely tokens: whole bins while they fit (their mass is the h·q of qT, the
  // same product), then part of one; counted in integers (exact, as the reference's doubles)
  int64_t need = in.nOut;
  const bool hasF = in.loF > 0, hasR = in.loR > 0;
  for (int g = 0; g < 65536; g += 64) {
    for (uint64_t m = nonzero_mask(counts + g); m; m &= m - 1) {
    const int c = g + __builtin_ctzll(m);
    const uint32_t hc = counts[c];
    counts[c] = 0;
    const double h = hc;
    const double q = in.expHi[c >> 8] * in.expLo[c & 255];
    const double x = in.min + in.scale * c;
    const double hq = h * q;
    qT += hq;
    if (hasF) sumF += h * in.loF * (in.logLoF - x);
    const bool inW = c >= in.thr;
    if (inW) {
      qTw += hq;
      cntW += h;
      if (hasR) sumR += hq * (x - in.logLoR);
    }
    if (need > 0) {
      const double tq = (int64_t)hc < need ? hq : (double)need * q;
      sOut += tq;
      if (inW) sOutW += tq;
      need -= (int64_t)hc < need ? (int64_t)hc : need;
    }
    for (uint32_t t = 0; t < hc && size < want; t++) in.heap[size++] = x;
    }
  }
  out[0] = qT;
  out[1] = qTw;
  out[2] = sumF;
  out[3] = sumR;
  out[4] = cntW;
  out[5] = amax;
  out[6] = sOut;
  out[7] = sOutW;
  out[8] = bestCode;
  out[9] = markW;
}

}  // namespace klref

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
