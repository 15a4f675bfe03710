//===- Calibration.h - helpers shared by the compression passes -*- C++ -*-===//
//
// Internal to lib/Transforms: what accel-prune and accel-quantize share —
// selecting ops by location, reading constant weights and writing new ones,
// the round-to-nearest quantizer of docs/NUMERICS.md §2, and collecting the
// inputs of linear layers over calibration tokens with the fp32 reference
// executor.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_TRANSFORMS_CALIBRATION_H
#define ACCEL_LIB_TRANSFORMS_CALIBRATION_H

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Reference/Golden.h"
#include "accel/Reference/Tensor.h"

#include "accel/Support/Diagnostics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Regex.h"

#include <algorithm>
#include <cmath>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace accel::compression {


/// Selects ops by their location name: `layers` (all if empty) and not
/// `exclude` (nothing if empty); both are unanchored regexes.
class OpSelector {
public:
  /// Fails (with `error` set) when a regex does not compile.
  static mlir::FailureOr<OpSelector> create(llvm::StringRef layers,
                                            llvm::StringRef exclude,
                                            std::string &error);
  bool selects(mlir::Operation *op) const;

private:
  std::shared_ptr<llvm::Regex> layers, exclude;
};

/// A linear layer's constant float weight, in its logical [N, K] layout.
struct FloatWeight {
  mlir::arith::ConstantOp constant;
  std::string name;       ///< the initializer name (location or resource key)
  int64_t rows = 0;       ///< N
  int64_t cols = 0;       ///< K
  bool transposed = false; ///< stored [K, N]
  std::vector<float> values; ///< [N, K] row-major

  float at(int64_t n, int64_t k) const { return values[n * cols + k]; }
  /// The logical index (n, k) of stored element `i`.
  int64_t logicalIndex(int64_t storedIndex) const;
};

/// The weight of `op` if it is a float constant; failure (and no diagnostic)
/// otherwise. An f32 dense_resource blob is read directly (a [K, N] one
/// transposed block by block, rows spread over threads).
mlir::FailureOr<FloatWeight> readFloatWeight(LinearOp op);

/// Logical rows [first, end) of `op`'s weight (a FloatWeight of end - first
/// rows), read as readFloatWeight reads them all: a band of a large weight
/// at a time, its floats are never whole in memory.
mlir::FailureOr<FloatWeight> readFloatRows(LinearOp op, int64_t first,
                                           int64_t end);

/// True if `op`'s weight is a statically shaped float constant, the weights
/// readFloatWeight reads (checked without reading them).
bool hasFloatConstantWeight(LinearOp op);

/// `weight`'s values [N, K] in its stored layout (transposed back to [K, N]
/// when it is stored so), each replaced by `select(logical index, value)`.
std::vector<float>
storedValues(const FloatWeight &weight,
             llvm::function_ref<float(int64_t, float)> select);

/// Sets `kept[j]` for the `n` of the `M` (4, 8 or 16) scores that are
/// highest (NaN lowest; ties: the lower index), clears it for the others:
/// the N:M selection of accel-prune (docs/NUMERICS.md §3) in one group.
/// Score j is kept when fewer than `n` scores precede it in that order (the
/// same set as taking the highest n times, without its unpredictable
/// branches; M a constant, so that the compiler unrolls it).
template <unsigned M, typename T>
inline void keepHighest(const T *group, unsigned n, uint8_t *kept) {
  T scores[M];
  for (unsigned j = 0; j < M; ++j)
    scores[j] = std::isnan(group[j]) ? T(-1) : group[j];
  for (unsigned j = 0; j < M; ++j) {
    unsigned ahead = 0;
    for (unsigned i = 0; i < M; ++i)
      ahead += unsigned(scores[i] > scores[j]) |
               (unsigned(scores[i] == scores[j]) & unsigned(i < j));
    kept[j] = ahead < n;
  }
}

/// Calls `body(std::integral_constant<unsigned, M>())` with the group size
/// `m` (4, 8 or 16) as the constant M.
template <typename Body> inline void withGroupSize(unsigned m, Body body) {
  if (m == 4)
    body(std::integral_constant<unsigned, 4>());
  else if (m == 8)
    body(std::integral_constant<unsigned, 8>());
  else
    body(std::integral_constant<unsigned, 16>());
}

/// Keeps, in every aligned group of `m` along K of each row, the `n`
/// positions of highest `score(r, k)` (keepHighest). Returns the keep mask
/// [rows, cols] (one byte per weight, so rows can be written from several
/// threads). `score` is inlined (a call per weight was a seventh of a
/// compile).
template <typename Score>
std::vector<uint8_t> selectNM(int64_t rows, int64_t cols, unsigned n,
                              unsigned m, Score score) {
  using T = decltype(score(int64_t(0), int64_t(0)));
  std::vector<uint8_t> keep(rows * cols, 0);
  withGroupSize(m, [&](auto size) {
    constexpr unsigned M = decltype(size)::value;
    llvm::parallelFor(0, rows, [&](int64_t r) {
      T group[M];
      for (int64_t g = 0; g < cols; g += M) {
        for (unsigned j = 0; j < M; ++j)
          group[j] = score(r, g + j);
        keepHighest<M>(group, n, &keep[r * cols + g]);
      }
    });
  });
  return keep;
}

/// |w|: accel-prune's default criterion (as float: its order is that of
/// the exact |double(w)|).
inline float magnitude(float w) { return std::fabs(w); }

/// selectNM by magnitude.
inline std::vector<uint8_t> selectNMByMagnitude(const FloatWeight &w,
                                                unsigned n, unsigned m) {
  return selectNM(w.rows, w.cols, n, m, [&](int64_t r, int64_t k) {
    return magnitude(w.at(r, k));
  });
}

/// Groups of M that keepHighestMagnitudes selects at once, one per vector
/// lane.
constexpr int64_t kMagnitudeLanes = 8;

/// keepHighest of the magnitudes of `groups` aligned groups of M (4, 8 or
/// 16) values, `kept` a byte per value: kMagnitudeLanes groups at a time, a
/// group per vector lane, on integer keys in the order of the magnitudes
/// (|w|'s bits plus one; NaN 0, the lowest). Value i precedes value j when
/// key i > key j, or key i == key j and i < j: key i > key j - 1 (every key
/// is below 2^31). At 8:16 it takes a third of keepHighest's time on the
/// magnitudes, whose float comparisons compiled to branches.
template <unsigned M>
inline void keepHighestMagnitudes(const float *values, int64_t groups,
                                  unsigned n, uint8_t *kept) {
  constexpr int64_t L = kMagnitudeLanes;
  for (int64_t g = 0; g < groups; g += L) {
    int64_t lanes = std::min<int64_t>(L, groups - g);
    int32_t keys[M][L] = {};
    for (int64_t l = 0; l < lanes; ++l)
      for (unsigned j = 0; j < M; ++j) {
        uint32_t bits = llvm::bit_cast<uint32_t>(values[(g + l) * M + j]) &
                        0x7fffffffu;
        keys[j][l] = bits > 0x7f800000u ? 0 : int32_t(bits + 1);
      }
    uint8_t keep[M][L];
    for (unsigned j = 0; j < M; ++j) {
      int32_t ahead[L] = {};
      for (unsigned i = 0; i < M; ++i) {
        int32_t tie = i < j;
        for (int64_t l = 0; l < L; ++l)
          ahead[l] += keys[i][l] > keys[j][l] - tie;
      }
      for (int64_t l = 0; l < L; ++l)
        keep[j][l] = ahead[l] < int32_t(n);
    }
    for (int64_t l = 0; l < lanes; ++l)
      for (unsigned j = 0; j < M; ++j)
        kept[(g + l) * M + j] = keep[j][l];
  }
}

/// Prunes `w` in place as accel-prune by magnitude writes it: in every
/// aligned group of `m` along K, the weights selectNMByMagnitude does not
/// keep become +0. Groups of 4 are selected one at a time (keepHighest:
/// faster there than keepHighestMagnitudes, whose lanes win at 8 and 16).
inline void pruneByMagnitude(FloatWeight &w, unsigned n, unsigned m) {
  withGroupSize(m, [&](auto size) {
    constexpr unsigned M = decltype(size)::value;
    llvm::parallelFor(0, w.rows, [&](int64_t r) {
      float *row = &w.values[r * w.cols];
      if constexpr (M == 4) {
        for (int64_t g = 0; g < w.cols; g += M) {
          float group[M];
          uint8_t kept[M];
          for (unsigned j = 0; j < M; ++j)
            group[j] = magnitude(row[g + j]);
          keepHighest<M>(group, n, kept);
          for (unsigned j = 0; j < M; ++j)
            row[g + j] = kept[j] ? row[g + j] : 0.0f;
        }
      } else {
        constexpr int64_t span = M * kMagnitudeLanes;
        uint8_t kept[span];
        for (int64_t g = 0; g < w.cols; g += span) {
          int64_t count = std::min<int64_t>(span, w.cols - g);
          keepHighestMagnitudes<M>(row + g, count / M, n, kept);
          for (int64_t k = 0; k < count; ++k)
            row[g + k] = kept[k] ? row[g + k] : 0.0f;
        }
      }
    });
  });
}

/// Erases `constant` if nothing uses it. A dense_resource blob it held is
/// released (an mmapped model slice unmapped, a heap blob freed) when no
/// other op of its function refers to the same attribute and the function
/// is the only one of its module: a compressed 7B model then never holds
/// two forms of all its weights at once.
void eraseIfDead(mlir::arith::ConstantOp constant);

/// A float elements attribute of `type` holding `values` (row-major, rounded
/// to the element type; converted in parallel). More than 1024 elements: a DenseResourceElementsAttr
/// on a new heap blob keyed `name`; otherwise a DenseElementsAttr.
mlir::ElementsAttr makeFloatElements(mlir::RankedTensorType type,
                                     llvm::ArrayRef<float> values,
                                     llvm::StringRef name);
/// An integer elements attribute of `type` (signless iB, B <= 64) whose
/// element i is the low B bits of `bitsOf(i)` (called from several threads).
/// A dense_resource blob holds elements of B < 8 bits packed (IntElements.h);
/// a dense<> attribute one byte each, its raw layout.
mlir::ElementsAttr
makeIntElements(mlir::RankedTensorType type,
                llvm::function_ref<uint64_t(uint64_t)> bitsOf,
                llvm::StringRef name);
/// A zeroed blob for `count` integers of B <= 8 bits packed as a
/// quantized weight's blob holds them (IntElements.h): mapped memory of its
/// own when large, like the blobs of makeFloatElements and makeIntElements.
mlir::AsmResourceBlob allocatePackedInts(uint64_t count, unsigned bits);
/// makeIntElements of the integers `packed` (allocatePackedInts) holds: a
/// large constant keeps the blob itself (no copy).
mlir::ElementsAttr makePackedIntElements(mlir::RankedTensorType type,
                                         mlir::AsmResourceBlob packed,
                                         llvm::StringRef name);

/// NUMERICS §2 round-to-nearest, as the golden model computes it.
using reference::golden::GroupParams;
using reference::golden::groupParams;
using reference::golden::quantizeValue;
/// f32(S) × f32(q − z).
float dequantize(int64_t q, GroupParams params);

/// Reads a calibration file: one sequence of whitespace-separated token ids
/// per line (empty lines skipped).
mlir::FailureOr<std::vector<std::vector<int64_t>>>
readCalibrationTokens(llvm::StringRef path, std::string &error);

/// Runs a copy of `fn` (whose only argument must be the integer token ids,
/// `[B, T]`) on the fp32 reference executor over `tokens` (cut into chunks
/// of T tokens when T is static, batched by B when B is static) and calls
/// `visit(i, x)` with the input `x` (`[..., K]`, f32) that `probes[i]` (a
/// linear op's input) took in each run. `fn` itself is not changed. The
/// copy runs without `act_quant` and `kv_quant` (the executor is fp32); a
/// quantized weight in `fn` makes the run fail.
mlir::LogicalResult
collectLinearInputs(mlir::func::FuncOp fn, llvm::ArrayRef<LinearOp> probes,
                    const std::vector<std::vector<int64_t>> &tokens,
                    llvm::function_ref<void(size_t, const reference::Tensor &)>
                        visit,
                    std::string &error);

} // namespace accel::compression

#endif // ACCEL_LIB_TRANSFORMS_CALIBRATION_H
