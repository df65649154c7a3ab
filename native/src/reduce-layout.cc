// Reductions and layout kernels (permute, copyRegion, gather/scatter of rows).
// Sums accumulate in double, as the reference does, so long sums agree with it closely.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common.h"
#include "kernels.h"

namespace skiplab {

namespace {

struct Split {
  int64_t kept[kMaxRank], keptStride[kMaxRank], reduced[kMaxRank], reducedStride[kMaxRank];
  int keptRank = 0, reducedRank = 0;
  int64_t keptCount = 1, reducedCount = 1;
};

Split splitAxes(const int64_t* shape, int rank, const int* axes, int axisCount) {
  Split s;
  int64_t strides[kMaxRank];
  for (int64_t i = rank - 1, acc = 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  for (int i = 0; i < rank; i++) {
    bool isReduced = false;
    for (int a = 0; a < axisCount; a++) isReduced |= axes[a] == i;
    if (isReduced) {
      s.reduced[s.reducedRank] = shape[i];
      s.reducedStride[s.reducedRank++] = strides[i];
      s.reducedCount *= shape[i];
    } else {
      s.kept[s.keptRank] = shape[i];
      s.keptStride[s.keptRank++] = strides[i];
      s.keptCount *= shape[i];
    }
  }
  return s;
}

/** Offset of the ordinal-th element of a multi-index space (row-major order). */
int64_t offsetOf(int64_t ordinal, const int64_t* dims, const int64_t* strides, int rank) {
  int64_t off = 0;
  for (int d = rank - 1; d >= 0; d--) {
    off += (ordinal % dims[d]) * strides[d];
    ordinal /= dims[d];
  }
  return off;
}

}  // namespace

void reduce(ReduceOp op, const float* x, const int64_t* shape, int rank, const int* axes, int axisCount, float* out) {
  const Split s = splitAxes(shape, rank, axes, axisCount);
  // Contiguous case (the common one): the reduced axes form one block (outer, reduced, inner).
  int sorted[kMaxRank];
  std::copy(axes, axes + axisCount, sorted);
  std::sort(sorted, sorted + axisCount);
  bool contiguous = true;
  for (int i = 1; i < axisCount; i++) contiguous &= sorted[i] == sorted[i - 1] + 1;
  if (contiguous) {
    const int first = axisCount ? sorted[0] : 0, last = axisCount ? sorted[axisCount - 1] : -1;
    int64_t outer = 1, reduced = 1, inner = 1;
    for (int i = 0; i < rank; i++) {
      if (i < first) outer *= shape[i];
      else if (i <= last) reduced *= shape[i];
      else inner *= shape[i];
    }
    const int64_t groups = outer * inner;
    parallelRange(outer, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, reduced * inner)), [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; o++) {
        const float* base = x + o * reduced * inner;
        float* dst = out + o * inner;
        if (op == ReduceOp::Max) {
          for (int64_t j = 0; j < inner; j++) dst[j] = reduced > 0 ? base[j] : -std::numeric_limits<float>::infinity();
          for (int64_t r = 1; r < reduced; r++) {
            const float* row = base + r * inner;
            for (int64_t j = 0; j < inner; j++) if (row[j] > dst[j] || std::isnan(row[j])) dst[j] = row[j];
          }
        } else {
          for (int64_t j = 0; j < inner; j++) {
            double acc = 0.0;
            for (int64_t r = 0; r < reduced; r++) acc += base[r * inner + j];
            dst[j] = static_cast<float>(op == ReduceOp::Mean ? acc / static_cast<double>(reduced) : acc);
          }
        }
      }
    });
    (void)groups;
    return;
  }
  parallelRange(s.keptCount, 64, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; g++) {
      const int64_t base = offsetOf(g, s.kept, s.keptStride, s.keptRank);
      double acc = op == ReduceOp::Max ? -std::numeric_limits<double>::infinity() : 0.0;
      int64_t index[kMaxRank] = {};
      int64_t off = base;
      for (int64_t r = 0; r < s.reducedCount; r++) {
        const double v = x[off];
        if (op == ReduceOp::Max) {
          if (v > acc || std::isnan(v)) acc = v;
        } else {
          acc += v;
        }
        // Advance the reduced multi-index (row-major, as the reference visits it).
        for (int d = s.reducedRank - 1; d >= 0; d--) {
          index[d]++;
          off += s.reducedStride[d];
          if (index[d] < s.reduced[d]) break;
          off -= s.reducedStride[d] * index[d];
          index[d] = 0;
        }
      }
      out[g] = static_cast<float>(op == ReduceOp::Mean ? acc / static_cast<double>(s.reducedCount) : acc);
    }
  });
}

void reduceMaxBackward(const float* x, const int64_t* shape, int rank, const int* axes, int axisCount, const float* dy, float* dx,
                       int64_t xLength) {
  std::memset(dx, 0, sizeof(float) * xLength);
  const Split s = splitAxes(shape, rank, axes, axisCount);
  // Each kept group owns its own elements of dx, so groups can run in parallel.
  parallelRange(s.keptCount, 64, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; g++) {
      const int64_t base = offsetOf(g, s.kept, s.keptStride, s.keptRank);
      float best = -std::numeric_limits<float>::infinity();
      int64_t bestOffset = -1;
      for (int64_t r = 0; r < s.reducedCount; r++) {
        const int64_t off = base + offsetOf(r, s.reduced, s.reducedStride, s.reducedRank);
        if (bestOffset < 0 || x[off] > best) {
          best = x[off];
          bestOffset = off;
        }
      }
      if (bestOffset >= 0) dx[bestOffset] += dy[g];
    }
  });
}

void permute(const float* x, const int64_t* shape, int rank, const int* perm, float* out) {
  if (rank == 0) {
    out[0] = x[0];
    return;
  }
  int64_t strides[kMaxRank], outShape[kMaxRank], src[kMaxRank];
  for (int64_t i = rank - 1, acc = 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  int64_t total = 1;
  for (int i = 0; i < rank; i++) {
    outShape[i] = shape[perm[i]];
    src[i] = strides[perm[i]];
    total *= outShape[i];
  }
  const int64_t inner = outShape[rank - 1];
  if (total == 0) return;
  const int64_t innerStride = src[rank - 1];
  parallelRange(total / inner, std::max<int64_t>(1, (1 << 15) / inner), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* from = x + offsetOf(r, outShape, src, rank - 1);
      float* to = out + r * inner;
      for (int64_t j = 0; j < inner; j++) to[j] = from[j * innerStride];
    }
  });
}

void copyRegion(const float* src, const int64_t* srcShape, const int64_t* srcStart, float* dst, const int64_t* dstShape,
                const int64_t* dstStart, const int64_t* region, int rank, bool accumulate) {
  for (int d = 0; d < rank; d++) if (region[d] == 0) return;
  int64_t ss[kMaxRank], ds[kMaxRank];
  for (int64_t i = rank - 1, a = 1, b = 1; i >= 0; i--) {
    ss[i] = a;
    ds[i] = b;
    a *= srcShape[i];
    b *= dstShape[i];
  }
  int64_t srcOff = 0, dstOff = 0;
  for (int d = 0; d < rank; d++) {
    srcOff += srcStart[d] * ss[d];
    dstOff += dstStart[d] * ds[d];
  }
  if (rank == 0) {
    dst[dstOff] = accumulate ? dst[dstOff] + src[srcOff] : src[srcOff];
    return;
  }
  // Trailing dimensions the region spans whole in both arrays are contiguous together: copy
  // them as one run (a channel concatenation of NCHW moves C·H·W floats per image, not W).
  int outer = rank - 1;
  int64_t inner = region[outer];
  while (outer > 0 && region[outer] == srcShape[outer] && region[outer] == dstShape[outer]) inner *= region[--outer];
  int64_t rows = 1;
  for (int d = 0; d < outer; d++) rows *= region[d];
  // Rows of the region never overlap in dst, so they can be copied in parallel.
  parallelRange(rows, std::max<int64_t>(1, (1 << 15) / inner), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* from = src + srcOff + offsetOf(r, region, ss, outer);
      float* to = dst + dstOff + offsetOf(r, region, ds, outer);
      if (accumulate) {
        for (int64_t j = 0; j < inner; j++) to[j] += from[j];
      } else {
        std::memcpy(to, from, sizeof(float) * inner);
      }
    }
  });
}

void gatherRows(const float* table, int64_t rowLength, const int32_t* indices, int64_t count, float* out) {
  for (int64_t r = 0; r < count; r++) std::memcpy(out + r * rowLength, table + indices[r] * rowLength, sizeof(float) * rowLength);
}

void scatterAddRows(const float* dy, int64_t rowLength, const int32_t* indices, int64_t count, float* table) {
  // Serial: repeated indices add into the same row, and the order of those additions is fixed.
  for (int64_t r = 0; r < count; r++) {
    float* to = table + static_cast<int64_t>(indices[r]) * rowLength;
    const float* from = dy + r * rowLength;
    for (int64_t j = 0; j < rowLength; j++) to[j] += from[j];
  }
}

}  // namespace skiplab
