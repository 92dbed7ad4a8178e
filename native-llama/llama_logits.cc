// A small binding to llama.cpp's C API (the libllama shipped by node-llama-cpp): load a GGUF
// model, tokenize a text, and evaluate one chunk returning the logits of every requested
// position as one Float32Array. node-llama-cpp's own API hands distributions over one JS Map
// per position, which costs far more than the evaluation itself; here the logits are copied
// straight out of llama.cpp's output buffer.
#include <napi.h>
#include <llama.h>
#include <ggml-backend.h>

#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {

std::mutex g_log_mutex;
std::string g_last_error;  // the first error line llama.cpp logged since the last take (the cause)
bool g_verbose = false;

void log_cb(ggml_log_level level, const char* text, void*) {
  if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
    std::lock_guard<std::mutex> lock(g_log_mutex);
    std::string line(text);
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && level == GGML_LOG_LEVEL_ERROR && g_last_error.empty()) g_last_error = line;
  }
  if (g_verbose) fputs(text, stderr);
}

std::string take_last_error() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::string e = g_last_error;
  g_last_error.clear();
  return e;
}

bool g_backends_loaded = false;

class Model : public Napi::ObjectWrap<Model> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Model",
                       {InstanceMethod("tokenize", &Model::Tokenize), InstanceMethod("evalChunk", &Model::EvalChunk),
                        InstanceMethod("tokenText", &Model::TokenText), InstanceMethod("close", &Model::Close)});
  }

  // new Model(path, { nCtx, threads })
  explicit Model(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Model>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
      Napi::TypeError::New(env, "Model(path, { nCtx, threads })").ThrowAsJavaScriptException();
      return;
    }
    std::string path = info[0].As<Napi::String>().Utf8Value();
    Napi::Object o = info[1].As<Napi::Object>();
    int n_ctx = o.Get("nCtx").As<Napi::Number>().Int32Value();
    int threads = o.Get("threads").As<Napi::Number>().Int32Value();
    take_last_error();
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    model_ = llama_model_load_from_file(path.c_str(), mp);
    if (!model_) {
      std::string e = take_last_error();
      Napi::Error::New(env, "cannot load the model" + (e.empty() ? std::string() : ": " + e)).ThrowAsJavaScriptException();
      return;
    }
    vocab_ = llama_model_get_vocab(model_);
    n_vocab_ = llama_vocab_n_tokens(vocab_);
    n_ctx_ = n_ctx;
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = n_ctx;
    cp.n_ubatch = n_ctx < 512 ? n_ctx : 512;
    cp.n_seq_max = 1;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.no_perf = true;
    ctx_ = llama_init_from_model(model_, cp);
    if (!ctx_) {
      std::string e = take_last_error();
      llama_model_free(model_);
      model_ = nullptr;
      Napi::Error::New(env, "cannot create a context of " + std::to_string(n_ctx) + " tokens" + (e.empty() ? std::string() : ": " + e))
          .ThrowAsJavaScriptException();
      return;
    }
    batch_ = llama_batch_init(n_ctx, 0, 1);
    has_batch_ = true;
    Napi::Object self = info.This().As<Napi::Object>();
    self.Set("nVocab", Napi::Number::New(env, n_vocab_));
    self.Set("nCtxTrain", Napi::Number::New(env, llama_model_n_ctx_train(model_)));
    self.Set("addBos", Napi::Boolean::New(env, llama_vocab_get_add_bos(vocab_)));
    self.Set("bos", Napi::Number::New(env, llama_vocab_bos(vocab_)));
    self.Set("sizeBytes", Napi::Number::New(env, static_cast<double>(llama_model_size(model_))));
    self.Set("nParams", Napi::Number::New(env, static_cast<double>(llama_model_n_params(model_))));
  }

  ~Model() override { Free(); }

 private:
  void Free() {
    if (has_batch_) llama_batch_free(batch_);
    has_batch_ = false;
    if (ctx_) llama_free(ctx_);
    ctx_ = nullptr;
    if (model_) llama_model_free(model_);
    model_ = nullptr;
  }

  bool Alive(Napi::Env env) {
    if (ctx_) return true;
    Napi::Error::New(env, "the model is closed").ThrowAsJavaScriptException();
    return false;
  }

  // tokenize(text): Int32Array, with the model's special tokens (BOS where it adds one), as
  // llama-perplexity tokenizes its input; control tokens in the text stay plain text.
  Napi::Value Tokenize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Alive(env)) return env.Null();
    std::string text = info[0].As<Napi::String>().Utf8Value();
    if (text.size() > INT32_MAX) {
      Napi::Error::New(env, "text too long to tokenize at once").ThrowAsJavaScriptException();
      return env.Null();
    }
    std::vector<llama_token> out(text.size() + 2);
    int n = llama_tokenize(vocab_, text.data(), (int32_t)text.size(), out.data(), (int32_t)out.size(), true, false);
    if (n < 0 && n != INT32_MIN) {
      out.resize(-n);
      n = llama_tokenize(vocab_, text.data(), (int32_t)text.size(), out.data(), (int32_t)out.size(), true, false);
    }
    if (n < 0) {
      Napi::Error::New(env, "tokenization failed").ThrowAsJavaScriptException();
      return env.Null();
    }
    Napi::Int32Array a = Napi::Int32Array::New(env, n);
    std::memcpy(a.Data(), out.data(), sizeof(int32_t) * n);
    return a;
  }

  Napi::Value TokenText(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Alive(env)) return env.Null();
    int id = info[0].As<Napi::Number>().Int32Value();
    if (id < 0 || id >= n_vocab_) return env.Undefined();
    const char* t = llama_vocab_get_text(vocab_, id);
    return Napi::String::New(env, t ? t : "");
  }

  // evalChunk(tokens: Int32Array, first: number, out: Float32Array): evaluates the tokens as one
  // sequence from position 0 on an empty memory, with outputs at positions first … n−1 as
  // llama-perplexity asks for them, and writes the logits of positions first … n−2 (those that
  // predict a next token) into out ((n − 1 − first)·n_vocab floats, row-major).
  Napi::Value EvalChunk(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Alive(env)) return env.Null();
    Napi::Int32Array tokens = info[0].As<Napi::Int32Array>();
    int first = info[1].As<Napi::Number>().Int32Value();
    Napi::Float32Array out = info[2].As<Napi::Float32Array>();
    int n = (int)tokens.ElementLength();
    if (n < 2 || n > n_ctx_ || first < 0 || first >= n - 1) {
      Napi::RangeError::New(env, "evalChunk: expected 2..n_ctx tokens and 0 <= first < n - 1").ThrowAsJavaScriptException();
      return env.Null();
    }
    size_t need = (size_t)(n - 1 - first) * (size_t)n_vocab_;
    if (out.ElementLength() < need) {
      Napi::RangeError::New(env, "evalChunk: output buffer too small").ThrowAsJavaScriptException();
      return env.Null();
    }
    const int32_t* tk = tokens.Data();
    for (int i = 0; i < n; i++) {
      if (tk[i] < 0 || tk[i] >= n_vocab_) {
        Napi::RangeError::New(env, "evalChunk: token " + std::to_string(tk[i]) + " at " + std::to_string(i) + " is outside the vocabulary")
            .ThrowAsJavaScriptException();
        return env.Null();
      }
    }
    llama_memory_clear(llama_get_memory(ctx_), true);
    batch_.n_tokens = n;
    for (int i = 0; i < n; i++) {
      batch_.token[i] = tk[i];
      batch_.pos[i] = i;
      batch_.n_seq_id[i] = 1;
      batch_.seq_id[i][0] = 0;
      batch_.logits[i] = i >= first ? 1 : 0;
    }
    int rc = llama_decode(ctx_, batch_);
    if (rc != 0) {
      std::string e = take_last_error();
      Napi::Error::New(env, "llama_decode failed (code " + std::to_string(rc) + ")" + (e.empty() ? std::string() : ": " + e))
          .ThrowAsJavaScriptException();
      return env.Null();
    }
    float* dst = out.Data();
    for (int i = first; i < n - 1; i++) {
      const float* row = llama_get_logits_ith(ctx_, i);
      if (!row) {
        Napi::Error::New(env, "no logits for position " + std::to_string(i)).ThrowAsJavaScriptException();
        return env.Null();
      }
      std::memcpy(dst + (size_t)(i - first) * n_vocab_, row, sizeof(float) * n_vocab_);
    }
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Free();
    return info.Env().Undefined();
  }

  llama_model* model_ = nullptr;
  llama_context* ctx_ = nullptr;
  const llama_vocab* vocab_ = nullptr;
  llama_batch batch_{};
  bool has_batch_ = false;
  int n_vocab_ = 0;
  int n_ctx_ = 0;
};

// init(backendDir, verbose): loads the CPU backends once (the prebuilt build ships one per
// instruction set and picks the best at run time).
Napi::Value InitLlama(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  g_verbose = info.Length() > 1 && info[1].ToBoolean().Value();
  if (!g_backends_loaded) {
    llama_log_set(log_cb, nullptr);
    std::string dir = info[0].As<Napi::String>().Utf8Value();
    ggml_backend_load_all_from_path(dir.c_str());
    llama_backend_init();
    g_backends_loaded = true;
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, InitLlama));
  exports.Set("Model", Model::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(klscope_llama, Init)
