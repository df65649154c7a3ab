// The Node-API surface of the native backend: unpacks typed arrays and numbers and calls the
// kernels. Argument checking lives in the TypeScript wrapper (src/backend/native/), which is
// typed against the Backend interface; here a wrong argument type raises a TypeError naming the
// function rather than crashing.
#include <napi.h>

#include <chrono>
#include <ctime>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstdlib>
#include <cstring>

#include "common.h"
#include "conv-bf16.h"
#include "conv.h"
#include "kernels.h"

namespace skiplab {
namespace {

struct Args {
  const Napi::CallbackInfo& info;
  const char* name;
  bool failed = false;

  void fail(const char* what, size_t i) {
    if (failed) return;
    failed = true;
    std::string message = std::string("skiplab native ") + name + ": argument " + std::to_string(i) + " must be " + what;
    Napi::TypeError::New(info.Env(), message).ThrowAsJavaScriptException();
  }
  float* f32(size_t i, bool nullable = false) {
    const Napi::Value v = info[i];
    if (nullable && (v.IsNull() || v.IsUndefined())) return nullptr;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      fail("a Float32Array", i);
      return nullptr;
    }
    return v.As<Napi::Float32Array>().Data();
  }
  int64_t length(size_t i) {
    const Napi::Value v = info[i];
    return v.IsTypedArray() ? static_cast<int64_t>(v.As<Napi::TypedArray>().ElementLength()) : 0;
  }
  int32_t* i32(size_t i) {
    const Napi::Value v = info[i];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      fail("an Int32Array", i);
      return nullptr;
    }
    return v.As<Napi::Int32Array>().Data();
  }
  double num(size_t i) {
    const Napi::Value v = info[i];
    if (!v.IsNumber()) {
      fail("a number", i);
      return 0;
    }
    return v.As<Napi::Number>().DoubleValue();
  }
  int64_t integer(size_t i) { return static_cast<int64_t>(num(i)); }
  bool flag(size_t i) { return info[i].ToBoolean().Value(); }
  /** A JS array of integers into `out`; returns its length. */
  int dims(size_t i, int64_t* out) {
    const Napi::Value v = info[i];
    if (!v.IsArray()) {
      fail("an array of integers", i);
      return 0;
    }
    const Napi::Array a = v.As<Napi::Array>();
    const uint32_t n = a.Length();
    if (n > static_cast<uint32_t>(kMaxRank)) {
      fail("an array of at most 16 integers", i);
      return 0;
    }
    for (uint32_t j = 0; j < n; j++) out[j] = static_cast<int64_t>(a.Get(j).As<Napi::Number>().DoubleValue());
    return static_cast<int>(n);
  }
  /** Optional arguments i, i+1, i+2 (Float32Arrays mean, scale, shift) and i+3 (relu flag) as a ChannelMap; false when absent. */
  bool channelMap(size_t i, ChannelMap* map) {
    if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return false;
    *map = ChannelMap{f32(i), f32(i + 1), f32(i + 2), info.Length() > i + 3 && flag(i + 3)};
    return !failed;
  }
  int axes(size_t i, int* out) {
    int64_t tmp[kMaxRank];
    const int n = dims(i, tmp);
    for (int j = 0; j < n; j++) out[j] = static_cast<int>(tmp[j]);
    return n;
  }
};

#define ARGS(NAME) Args args{info, NAME}
#define DONE \
  if (args.failed) return info.Env().Undefined(); \
  return info.Env().Undefined()

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("isa", isaName(activeIsa()));
  o.Set("threads", threadCount());
  Napi::Array supported = Napi::Array::New(info.Env());
  uint32_t k = 0;
  for (Isa isa : kIsas)
    if (cpuSupports(isa)) supported.Set(k++, isaName(isa));
  o.Set("supported", supported);
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  ARGS("setThreads");
  const int64_t n = args.integer(0);
  if (!args.failed) setThreadCount(static_cast<int>(n));
  return Napi::Number::New(info.Env(), threadCount());
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  const std::string name = info[0].ToString().Utf8Value();
  for (Isa isa : kIsas) {
    if (name == isaName(isa)) return Napi::Boolean::New(info.Env(), setIsa(isa));
  }
  return Napi::Boolean::New(info.Env(), false);
}

/** fmaPeak(iterations, threads[, cpuClock]): FP32 flops per second of the ISA's FMA loop on `threads` threads. */
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  ARGS("fmaPeak");
  const int64_t iterations = args.integer(0);
  const int parts = static_cast<int>(args.integer(1));
  if (args.failed) return info.Env().Undefined();
  // Third argument true: process CPU time ÷ parts instead of wall time (bench --clock cpu).
  const bool cpuClock = info.Length() > 2 && info[2].ToBoolean().Value();
  auto cpuSeconds = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  };
  const Isa isa = activeIsa();
  // Fourth argument true: the bf16 dot-product loop (0 flops where the ISA has none).
  const bool bf16 = info.Length() > 3 && info[3].ToBoolean().Value();
  double flops[256] = {};
  const auto start = std::chrono::steady_clock::now();
  const double cpuStart = cpuSeconds();
  parallelParts(parts < 1 ? 1 : parts, [&](int part) { flops[part] = bf16 ? bf16DotLoop(isa, iterations) : fmaLoop(isa, iterations); });
  const double seconds = cpuClock ? (cpuSeconds() - cpuStart) / (parts < 1 ? 1 : parts)
                                  : std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double total = 0;
  for (int p = 0; p < parts; p++) total += flops[p];
  return Napi::Number::New(info.Env(), total / seconds);
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  // gemm(batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate, a, b, c[, bf16])
  ARGS("gemm");
  const int64_t batch = args.integer(0), m = args.integer(1), n = args.integer(2), k = args.integer(3);
  const bool transA = args.flag(4), transB = args.flag(5);
  const int64_t sa = args.integer(6), sb = args.integer(7), sc = args.integer(8);
  const bool accumulate = args.flag(9);
  const float* a = args.f32(10);
  const float* b = args.f32(11);
  float* c = args.f32(12);
  if (args.failed) return info.Env().Undefined();
  if (info.Length() > 13 && args.flag(13)) {
    // bf16 operands: the FP32 product of rounded copies (src/backend/bf16.ts).
    const int64_t aLength = (batch - 1) * sa + m * k, bLength = (batch - 1) * sb + k * n;
    float* roundedA = scratch(ScratchSlot::RoundedA, static_cast<size_t>(aLength));
    float* roundedB = scratch(ScratchSlot::RoundedB, static_cast<size_t>(bLength));
    roundToBf16(a, aLength, roundedA);
    roundToBf16(b, bLength, roundedB);
    a = roundedA;
    b = roundedB;
  }
  auto problem = [&](int64_t t) {
    return GemmProblem{m, n, k, a + t * sa, transA ? m : k, transA, b + t * sb, transB ? k : n, transB, c + t * sc, n, accumulate};
  };
  const int threads = threadCount();
  if (batch >= threads && threads > 1 && sc != 0) {
    // Whole problems per thread: each C is written by one thread in a fixed order.
    parallelParts(threads, [&](int part) {
      for (int64_t t = batch * part / threads; t < batch * (part + 1) / threads; t++) gemmSerial(problem(t));
    });
  } else {
    for (int64_t t = 0; t < batch; t++) gemmParallel(problem(t));
  }
  DONE;
}

/** The 16 convolution dimensions at argument i; `precision` from the optional argument `flag` (true: bf16 operands). */
ConvShape convShape(Args& args, size_t i, size_t flag, Precision* precision) {
  int64_t d[kMaxRank] = {};
  const int n = args.dims(i, d);
  if (n != 16 && !args.failed) args.fail("16 convolution dimensions", i);
  *precision = args.info.Length() > flag && args.flag(flag) ? Precision::Bf16 : Precision::Fp32;
  return ConvShape{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]};
}

Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  ARGS("conv2dForward");  // (dims, x, w, bias|null, out[, bf16[, mapMean, mapScale, mapShift, mapRelu]])
  Precision precision;
  const ConvShape s = convShape(args, 0, 5, &precision);
  const float* x = args.f32(1);
  const float* w = args.f32(2);
  const float* bias = args.f32(3, true);
  float* out = args.f32(4);
  ChannelMap input{};
  const bool hasMap = args.channelMap(6, &input);
  if (!args.failed) conv2dForward(s, x, w, bias, out, precision, hasMap ? &input : nullptr);
  DONE;
}

Napi::Value Conv2dBackwardInput(const Napi::CallbackInfo& info) {
  ARGS("conv2dBackwardInput");  // (dims, dy, w, dx[, bf16])
  Precision precision;
  const ConvShape s = convShape(args, 0, 4, &precision);
  const float* dy = args.f32(1);
  const float* w = args.f32(2);
  float* dx = args.f32(3);
  if (!args.failed) conv2dBackwardInput(s, dy, w, dx, precision);
  DONE;
}

Napi::Value Conv2dBackwardWeight(const Napi::CallbackInfo& info) {
  ARGS("conv2dBackwardWeight");  // (dims, x, dy, dw[, bf16[, mapMean, mapScale, mapShift, mapRelu]])
  Precision precision;
  const ConvShape s = convShape(args, 0, 4, &precision);
  const float* x = args.f32(1);
  const float* dy = args.f32(2);
  float* dw = args.f32(3);
  ChannelMap input{};
  const bool hasMap = args.channelMap(5, &input);
  if (!args.failed) conv2dBackwardWeight(s, x, dy, dw, precision, hasMap ? &input : nullptr);
  DONE;
}

#include "addon-rest.inc"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#if defined(__GLIBC__)
  // Tensors are JS ArrayBuffers, which Node allocates with calloc. glibc serves blocks above
  // 128 KB-ish with fresh mmap pages, so every new activation costs thousands of page faults
  // plus kernel zeroing (a third of a ResNet-20 step's elementwise time). Raising the mmap and
  // trim thresholds lets freed activation buffers be reused from the heap, as PyTorch's caching
  // allocator does. SKIPLAB_NATIVE_MALLOC=default keeps glibc's behaviour.
  const char* mallocMode = std::getenv("SKIPLAB_NATIVE_MALLOC");
  if (!mallocMode || std::strcmp(mallocMode, "default") != 0) {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
  }
#endif
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward));
  exports.Set("conv2dBackwardInput", Napi::Function::New(env, Conv2dBackwardInput));
  exports.Set("conv2dBackwardWeight", Napi::Function::New(env, Conv2dBackwardWeight));
  registerRest(env, exports);
  return exports;
}

}  // namespace
}  // namespace skiplab

static Napi::Object InitSkiplab(Napi::Env env, Napi::Object exports) { return skiplab::Init(env, exports); }
NODE_API_MODULE(skiplab_native, InitSkiplab)
