// Shared declarations of the native backend: instruction-set selection, the thread pool and the
// per-thread scratch arena. Kernels see raw float pointers and sizes only (like src/backend/).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace skiplab {

/**
 * Instruction sets, each including the ones before it. Avx512Bf16 adds AVX512-BF16's dot products
 * (VDPBF16PS) for convolutions with bf16 operands; its FP32 kernels are the AVX-512 ones.
 */
enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2, Avx512Bf16 = 3 };
/** The instruction set of the FP32 kernels under `isa`. */
inline Isa fp32Isa(Isa isa) { return isa == Isa::Avx512Bf16 ? Isa::Avx512 : isa; }
/** Every instruction set, in order. */
constexpr Isa kIsas[] = {Isa::Portable, Isa::Avx2, Isa::Avx512, Isa::Avx512Bf16};

/** The instruction set in use: the best the CPU supports, or SKIPLAB_NATIVE_ISA when set. */
Isa activeIsa();
/** Force an instruction set; returns false if the CPU cannot run it. */
bool setIsa(Isa isa);
const char* isaName(Isa isa);
bool cpuSupports(Isa isa);

/**
 * A fixed pool of std::threads (size = cores, SKIPLAB_THREADS overrides). `run` calls
 * body(part) for part in [0, parts) with part 0 on the calling thread. Parts are a static
 * partition chosen by the caller, so which thread computes which output never depends on timing:
 * results are bit-identical run to run at a fixed thread count.
 */
int threadCount();
void setThreadCount(int threads);
void runParts(int parts, void (*body)(void* context, int part), void* context);
/** True inside a parallel region: nested parallel calls run serially on the current thread. */
bool inParallelRegion();

template <class F>
void parallelParts(int parts, F&& body) {
  if (parts <= 1 || inParallelRegion()) {
    for (int p = 0; p < parts; p++) body(p);
    return;
  }
  runParts(parts, [](void* context, int part) { (*static_cast<F*>(context))(part); }, &body);
}

/**
 * Split [0, count) into contiguous ranges, at most one per thread and each at least `grain`
 * long, and call body(begin, end) for each in parallel.
 */
template <class F>
void parallelRange(int64_t count, int64_t grain, F&& body) {
  if (count <= 0) return;
  int64_t parts = grain > 0 ? (count + grain - 1) / grain : count;
  if (parts > threadCount()) parts = threadCount();
  if (inParallelRegion()) parts = 1;
  if (parts <= 1) {
    body(int64_t{0}, count);
    return;
  }
  parallelParts(static_cast<int>(parts), [&](int part) {
    body(count * part / parts, count * (part + 1) / parts);
  });
}

/**
 * Per-thread scratch that only grows: a kernel asks for `floats` floats in one of a few named
 * slots and gets memory that is reused call after call, so hot loops never allocate.
 */
enum class ScratchSlot { PackA = 0, PackB = 1, Column = 2, Partial = 3, EdgeTile = 4, ConvWeights = 5, ConvInput = 6, ConvOutput = 7, Bf16Input = 8, Bf16Output = 9, RoundedA = 10, RoundedB = 11, Mapped = 12, Count = 13 };
float* scratch(ScratchSlot slot, size_t floats);

// ---- GEMM (gemm.cc) ---------------------------------------------------------------------
/** C (m, n) = op(A) (m, k) · op(B) (k, n) [+ C]; A(i, p) = transA ? a[p*lda + i] : a[i*lda + p]. */
struct GemmProblem {
  int64_t m, n, k;
  const float* a;
  int64_t lda;
  bool transA;
  const float* b;
  int64_t ldb;
  bool transB;
  float* c;
  int64_t ldc;
  bool accumulate;
  /** Optional: op(B) already packed as gemmPackB would (NR-column panels of all k rows); b is then unused. */
  const float* packedB = nullptr;
};
/** Column width of the active ISA's B panels, for callers that pack B themselves (conv.cc). */
int gemmPanelWidth();
/** Single-threaded GEMM on the calling thread's scratch. */
void gemmSerial(const GemmProblem& problem);
/** GEMM split over output tiles across the pool. Each C element is computed by one thread in a
 * fixed order, so the result does not depend on the thread count. */
void gemmParallel(const GemmProblem& problem);

// ---- micro-kernels (gemm-kernels.cc) ----------------------------------------------------
/**
 * c (mr, NR) [+]= a (packed: k steps of mr values) · b (packed: k steps of NR values).
 * One function per row count 1..MR so edge rows cost nothing extra.
 */
using MicroKernel = void (*)(int64_t k, const float* a, const float* b, float* c, int64_t ldc, bool accumulate);
/**
 * panel[p·width + j] = src[j·ld + p] for j < cols, zero for cols ≤ j < width, p < k (width ≤ NR):
 * a B panel of a transposed operand, or an A panel of a plain one, transposed in registers (a
 * scalar loop writes one float per cache line).
 */
using TransposePack = void (*)(const float* src, int64_t ld, int64_t k, int cols, int width, float* panel);
struct KernelSet {
  int mr, nr;        // register tile
  int64_t kc, mc, nc; // cache blocking (BLIS names)
  MicroKernel byRows[17]; // byRows[r] handles an r-row tile, 1 <= r <= mr
  TransposePack transposePack = nullptr;  // null: packing transposes element by element
  // Register-tile loop order inside an A block. false: column tiles outer, so a kc × NR B
  // micro-panel stays in L1 while A micro-panels stream from L2 (needs kc·NR small against L1).
  // true: row tiles outer, so the small kc × MR A micro-panel stays in L1 and the kc × nc B
  // panel streams from L2 (needs kc·nc to fit L2), and C is visited row by row.
  bool rowTilesOuter = false;
};
const KernelSet& kernelSet(Isa isa);
/** FP32 FMA throughput of one thread running the ISA's FMA loop: flops performed. */
double fmaLoop(Isa isa, int64_t iterations);
/** The same with VDPBF16PS (AVX512-BF16; 2 flops per bf16 pair product): flops performed, 0 without the ISA. */
double bf16DotLoop(Isa isa, int64_t iterations);

}  // namespace skiplab
