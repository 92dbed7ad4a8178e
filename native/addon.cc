// Node binding of the fused kernel: runs rows [start, end) of a batch, optionally split over
// std::threads (the arrays are read and written in place; nothing is copied).
#include <napi.h>

#include <thread>
#include <vector>

#include "floors.h"
#include "kernel.h"
#include "kld.h"
#include "slots.h"
#include "klbounds.h"
#include "klref.h"

namespace {

struct Job {
  const void* p;
  const void* q;
  bool f64;
  int cols;
  int kind;
  bool normalize;
  bool all;
  double tol;
  const int32_t* targets;
  double* f[klk::kF64Slots];
  int32_t* argP;
  int32_t* argQ;
  uint8_t* invalid;
};

template <typename T>
void runRows(const Job& j, int start, int end) {
  const T* P = static_cast<const T*>(j.p);
  const T* Q = static_cast<const T*>(j.q);
  for (int r = start; r < end; r++) {
    size_t off = (size_t)r * (size_t)j.cols;
    int32_t t = j.targets ? j.targets[r] : -1;
    // the next row pair of this range is fetched into the caches while this one computes
    const T* nP = r + 1 < end ? P + off + j.cols : nullptr;
    const T* nQ = r + 1 < end ? Q + off + j.cols : nullptr;
    klk::RowResult x = klk::fused_row<T>(P + off, Q + off, j.cols, j.kind, j.normalize, j.tol, t, j.all, nP, nQ);
#define KLK_STORE(field, slot) j.f[slot][r] = x.field;
    KLK_F64_SLOTS(KLK_STORE)
#undef KLK_STORE
    j.argP[r] = x.argmaxP;
    j.argQ[r] = x.argmaxQ;
    j.invalid[r] = x.invalid ? 1 : 0;
  }
}

void runRange(const Job& j, int start, int end) {
  if (j.f64) runRows<double>(j, start, end);
  else runRows<float>(j, start, end);
}

// Element pointer of a typed array; works for SharedArrayBuffer-backed arrays too.
void* dataOf(const Napi::Value& v) {
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value ab;
  napi_get_typedarray_info(v.Env(), v, &type, &length, &data, &ab, &offset);
  return data;
}

// run(p, q, f64, cols, kind, normalize, tol, targets|null, outs[kSlots] in the order of slots.h, start, end, threads, all)
Napi::Value Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Job j;
  j.p = dataOf(info[0]);
  j.q = dataOf(info[1]);
  j.f64 = info[2].As<Napi::Boolean>().Value();
  j.cols = info[3].As<Napi::Number>().Int32Value();
  j.kind = info[4].As<Napi::Number>().Int32Value();
  j.normalize = info[5].As<Napi::Boolean>().Value();
  j.tol = info[6].As<Napi::Number>().DoubleValue();
  j.targets = info[7].IsNull() || info[7].IsUndefined() ? nullptr : static_cast<const int32_t*>(dataOf(info[7]));
  Napi::Array outs = info[8].As<Napi::Array>();
  for (uint32_t k = 0; k < (uint32_t)klk::kF64Slots; k++) j.f[k] = static_cast<double*>(dataOf(outs.Get(k)));
  j.argP = static_cast<int32_t*>(dataOf(outs.Get((uint32_t)klk::kSlotArgmaxP)));
  j.argQ = static_cast<int32_t*>(dataOf(outs.Get((uint32_t)klk::kSlotArgmaxQ)));
  j.invalid = static_cast<uint8_t*>(dataOf(outs.Get((uint32_t)klk::kSlotInvalid)));
  int start = info[9].As<Napi::Number>().Int32Value();
  int end = info[10].As<Napi::Number>().Int32Value();
  int threads = info[11].As<Napi::Number>().Int32Value();
  j.all = info.Length() < 13 || info[12].As<Napi::Boolean>().Value();
  int rows = end - start;
  if (threads > rows) threads = rows;
  if (threads <= 1) {
    runRange(j, start, end);
    return env.Undefined();
  }
  std::vector<std::thread> pool;
  for (int k = 1; k < threads; k++) {
    int a = start + (int)((long long)rows * k / threads);
    int b = start + (int)((long long)rows * (k + 1) / threads);
    pool.emplace_back([&j, a, b] { runRange(j, a, b); });
  }
  runRange(j, start, start + (int)((long long)rows / threads));
  for (auto& t : pool) t.join();
  return env.Undefined();
}

// kldRows(rawA, rawB, rowBytes, cols, n, heads, out[, threads]): rows [0, n) of two blocks of raw
// .kld rows (8-byte head, then cols uint16 codes). heads holds per row scaleA, minA, thresholdA,
// scaleB, minB, thresholdB (validated by the caller); out gets per row forward, reverse, twice JS,
// sum |p − q|, argmax A, argmax B, window mass A, window mass B (kld::rows in kld.h).
Napi::Value KldRows(const Napi::CallbackInfo& info) {
  const uint8_t* ra = static_cast<const uint8_t*>(dataOf(info[0]));
  const uint8_t* rb = static_cast<const uint8_t*>(dataOf(info[1]));
  size_t rowBytes = (size_t)info[2].As<Napi::Number>().Int64Value();
  int cols = info[3].As<Napi::Number>().Int32Value();
  int n = info[4].As<Napi::Number>().Int32Value();
  const double* heads = static_cast<const double*>(dataOf(info[5]));
  double* out = static_cast<double*>(dataOf(info[6]));
  int threads = info.Length() > 7 && info[7].IsNumber() ? info[7].As<Napi::Number>().Int32Value() : 1;
  kld::rows(ra, rb, rowBytes, cols, n, heads, out, threads);
  return info.Env().Undefined();
}

// floors(rows: Float32Array, threads, reps) -> { readGBs, expRegMexps, expRowsMexps } (floors.h)
Napi::Value FloorsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::TypedArray t = info[0].As<Napi::TypedArray>();
  const float* x = static_cast<const float*>(dataOf(info[0]));
  klk::Floors f = klk::measure_floors(x, t.ElementLength(), info[1].As<Napi::Number>().Int32Value(), info[2].As<Napi::Number>().Int32Value());
  Napi::Object o = Napi::Object::New(env);
  o.Set("readGBs", f.readGBs);
  o.Set("expRegMexps", f.expRegMexps);
  o.Set("expRowsMexps", f.expRowsMexps);
  return o;
}

// The nine per-row parameters of a candidate pass, in the order src/compare/bounds.ts writes them:
// scale, min, window threshold code, loF, log loF, loR, log loR, cap, nOut.
static void setTailParams(klref::TailIn& in, const double* p) {
  in.scale = p[0];
  in.min = p[1];
  in.thr = (int)p[2];
  in.loF = p[3];
  in.logLoF = p[4];
  in.loR = p[5];
  in.logLoR = p[6];
  in.cap = (int)p[7];
  in.nOut = (int)p[8];
}

// klrefRow(codes, ids, logp, counts, expHi, expLo, params, heap, out, bounds): one .kld
// candidate row against a reference row. params holds klbounds.h's BOUNDS_PARAMS numbers (the
// code pass reads the first nine: scale, min, threshold code, loF, log loF, loR, log loR, cap,
// nOut). bounds false: only the code pass (klref.h), its ten results to out; true: the row's
// certified bounds too (klbounds.h), BOUNDS_OUT results, from the top-k log-probabilities logp.
Napi::Value KlrefRow(const Napi::CallbackInfo& info) {
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value ab;
  napi_get_typedarray_info(info.Env(), info[0], &type, &length, &data, &ab, &offset);
  const double* p = static_cast<const double*>(dataOf(info[6]));
  klref::TailIn in;
  in.codes = static_cast<const uint16_t*>(data);
  in.V = (int)length;
  napi_get_typedarray_info(info.Env(), info[1], &type, &length, &data, &ab, &offset);
  in.ids = static_cast<const int32_t*>(data);
  in.k = (int)length;
  in.counts = static_cast<uint32_t*>(dataOf(info[3]));
  in.expHi = static_cast<const double*>(dataOf(info[4]));
  in.expLo = static_cast<const double*>(dataOf(info[5]));
  setTailParams(in, p);
  in.heap = static_cast<double*>(dataOf(info[7]));
  double* out = static_cast<double*>(dataOf(info[8]));
  if (info[9].As<Napi::Boolean>().Value()) klref::row_bounds(in, static_cast<const double*>(dataOf(info[2])), p, out);
  else klref::tail_pass(in, out);
  return info.Env().Undefined();
}

// klrefBoundsRows(raw, ids, logp, counts, exp, params, heap, out, n, V) -> Promise<void>:
// klrefRow with bounds for n rows on a libuv thread-pool thread, so JavaScript can finish other rows
// meanwhile. With P = BOUNDS_PARAMS, row j reads its V codes at byte params[Pj + 9] of raw, its
// k = ids.length / n ids at ids[k·j] and their log-probabilities at logp[params[Pj + 28]], its
// exp tables at exp[512j] (expHi) and exp[512j + 256] (expLo), writes its least likely values at
// heap[params[Pj + 10]] and its results at out[BOUNDS_OUT·j]. The arrays are held (and must not be
// touched by JavaScript) until the promise settles; the sizes are checked by the caller
// (src/kernels/nativeBackend.ts). counts is this call's own: two calls in flight need two.
class KlrefRowsWorker : public Napi::AsyncWorker {
 public:
  KlrefRowsWorker(const Napi::CallbackInfo& info) : Napi::AsyncWorker(info.Env()), deferred_(Napi::Promise::Deferred::New(info.Env())) {
    for (int i = 0; i < 8; i++) held_.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
    raw_ = static_cast<const uint8_t*>(dataOf(info[0]));
    ids_ = static_cast<const int32_t*>(dataOf(info[1]));
    logp_ = static_cast<const double*>(dataOf(info[2]));
    counts_ = static_cast<uint32_t*>(dataOf(info[3]));
    exp_ = static_cast<const double*>(dataOf(info[4]));
    params_ = static_cast<const double*>(dataOf(info[5]));
    heap_ = static_cast<double*>(dataOf(info[6]));
    out_ = static_cast<double*>(dataOf(info[7]));
    n_ = info[8].As<Napi::Number>().Int32Value();
    V_ = info[9].As<Napi::Number>().Int32Value();
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    napi_get_typedarray_info(info.Env(), info[1], &type, &length, &data, &ab, &offset);
    k_ = n_ > 0 ? (int)(length / (size_t)n_) : 0;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    for (int j = 0; j < n_; j++) {
      const double* p = params_ + klref::BOUNDS_PARAMS * (size_t)j;
      klref::TailIn in;
      in.codes = reinterpret_cast<const uint16_t*>(raw_ + (size_t)p[9]);
      in.V = V_;
      in.ids = ids_ + (size_t)k_ * j;
      in.k = k_;
      in.counts = counts_;
      in.expHi = exp_ + 512 * (size_t)j;
      in.expLo = exp_ + 512 * (size_t)j + 256;
      setTailParams(in, p);
      in.heap = heap_ + (size_t)p[10];
      klref::row_bounds(in, logp_ + (size_t)p[28], p, out_ + klref::BOUNDS_OUT * (size_t)j);
    }
  }
  void OnOK() override {
    held_.clear();
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override {
    held_.clear();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> held_;
  const uint8_t* raw_;
  const int32_t* ids_;
  const double* logp_;
  uint32_t* counts_;
  const double* exp_;
  const double* params_;
  double* heap_;
  double* out_;
  int n_, V_, k_;
};

Napi::Value KlrefBoundsRows(const Napi::CallbackInfo& info) {
  auto* w = new KlrefRowsWorker(info);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// Which SIMD the compiler targeted, for the benchmark table.
Napi::Value Simd(const Napi::CallbackInfo& info) {
#if defined(__AVX512F__)
  const char* s = "avx512";
#elif defined(__AVX2__)
  const char* s = "avx2";
#elif defined(__ARM_NEON)
  const char* s = "neon";
#elif defined(__SSE2__)
  const char* s = "sse2";
#else
  const char* s = "scalar";
#endif
  return Napi::String::New(info.Env(), s);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("kldRows", Napi::Function::New(env, KldRows));
  exports.Set("klrefRow", Napi::Function::New(env, KlrefRow));
  // the row layout of klbounds.h, for the loader to check against its own (a stale build differs)
  exports.Set("klrefBoundsParams", Napi::Number::New(env, klref::BOUNDS_PARAMS));
  exports.Set("klrefBoundsOut", Napi::Number::New(env, klref::BOUNDS_OUT));
  exports.Set("klrefBoundsRows", Napi::Function::New(env, KlrefBoundsRows));
  exports.Set("simd", Napi::Function::New(env, Simd));
  exports.Set("floors", Napi::Function::New(env, FloorsJs));
  return exports;
}

}  // namespace

NODE_API_MODULE(klscope_kernels, Init)
