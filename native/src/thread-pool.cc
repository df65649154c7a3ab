// The thread pool, instruction-set selection and per-thread scratch arena.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "common.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SKIPLAB_X86 1
#endif

namespace skiplab {

// ---- instruction set ------------------------------------------------------------------------

bool cpuSupports(Isa isa) {
#ifdef SKIPLAB_X86
  __builtin_cpu_init();
  switch (isa) {
    case Isa::Portable: return true;
    case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512Bf16: return cpuSupports(Isa::Avx512) && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bf16");
  }
  return false;
#else
  return isa == Isa::Portable;
#endif
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512Bf16: return "avx512bf16";
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "portable";
  }
}

static Isa detectIsa() {
  const char* forced = std::getenv("SKIPLAB_NATIVE_ISA");
  if (forced && *forced) {
    // An unsupported or unknown request falls back to the best available below; the
    // TypeScript side reports the ISA actually in use, so a test can notice.
    for (Isa isa : kIsas) {
      if (!std::strcmp(forced, isaName(isa)) && cpuSupports(isa)) return isa;
    }
  }
  Isa best = Isa::Portable;
  for (Isa isa : kIsas) {
    if (cpuSupports(isa)) best = isa;
  }
  return best;
}

static Isa currentIsa = detectIsa();

Isa activeIsa() { return currentIsa; }

bool setIsa(Isa isa) {
  if (!cpuSupports(isa)) return false;
  currentIsa = isa;
  return true;
}

// ---- scratch --------------------------------------------------------------------------------

namespace {
struct AlignedBuffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~AlignedBuffer() { std::free(data); }
  float* reserve(size_t floats) {
    if (floats > capacity) {
      std::free(data);
      size_t grown = floats + floats / 4 + 64;
      size_t bytes = (grown * sizeof(float) + 63) / 64 * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      capacity = data ? grown : 0;
    }
    return data;
  }
};
thread_local AlignedBuffer scratchBuffers[static_cast<int>(ScratchSlot::Count)];
}  // namespace

float* scratch(ScratchSlot slot, size_t floats) {
  return scratchBuffers[static_cast<int>(slot)].reserve(floats);
}

// ---- thread pool ----------------------------------------------------------------------------

namespace {

thread_local bool insideRegion = false;

class Pool {
 public:
  explicit Pool(int threads) : threads_(threads < 1 ? 1 : threads) {
    for (int t = 1; t < threads_; t++) workers_.emplace_back([this, t] { workerLoop(t); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int size() const { return threads_; }

  void run(int parts, void (*body)(void*, int), void* context) {
    body_ = body;
    context_ = context;
    parts_ = parts;
    const int active = parts < threads_ ? parts : threads_;
    pending_.store(active - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    insideRegion = true;
    for (int part = 0; part < parts; part += threads_) body(context, part);
    insideRegion = false;
    // The calling thread waits for the others: spin briefly (parts are usually short), then
    // yield so a busy shared machine is not starved.
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
      if (spins < 4000) {
#ifdef SKIPLAB_X86
        _mm_pause();
#endif
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  void workerLoop(int index) {
    insideRegion = true;
    uint64_t seen = 0;  // the generation at construction: a job published before this thread starts is not missed
    for (;;) {
      // Spin up to 300 µs for the next job before sleeping. In a training step ninety per cent of
      // the gaps between kernels are under 60 µs and nearly all under 1 ms, and waking a sleeping
      // thread costs tens of µs on a VM; a longer spin would take the core from the garbage
      // collector's helper threads. Timed, because a pause lasts 10 to 140 cycles by CPU model.
      uint64_t now = seen;
      const auto spinUntil = std::chrono::steady_clock::now() + std::chrono::microseconds(300);
      for (int spins = 0;; spins++) {
        now = generation_.load(std::memory_order_acquire);
        if (now != seen) break;
#ifdef SKIPLAB_X86
        _mm_pause();
#endif
        if ((spins & 63) == 63 && std::chrono::steady_clock::now() >= spinUntil) break;
      }
      if (now == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        now = generation_.load();
      }
      seen = now;
      if (stopping_) return;
      if (index < parts_) {
        // Part p always runs on thread p mod size: a fixed assignment.
        for (int part = index; part < parts_; part += threads_) body_(context_, part);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  bool stopping_ = false;
  void (*body_)(void*, int) = nullptr;
  void* context_ = nullptr;
  int parts_ = 0;
};

int defaultThreads() {
  const char* env = std::getenv("SKIPLAB_THREADS");
  if (env && *env) {
    int n = std::atoi(env);
    if (n >= 1 && n <= 256) return n;
  }
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

Pool* pool = nullptr;

Pool& thePool() {
  if (!pool) pool = new Pool(defaultThreads());
  return *pool;
}

}  // namespace

int threadCount() { return thePool().size(); }

void setThreadCount(int threads) {
  if (threads < 1) threads = defaultThreads();
  if (pool && pool->size() == threads) return;
  delete pool;
  pool = new Pool(threads);
}

bool inParallelRegion() { return insideRegion; }

void runParts(int parts, void (*body)(void*, int), void* context) {
  thePool().run(parts, body, context);
}

}  // namespace skiplab
