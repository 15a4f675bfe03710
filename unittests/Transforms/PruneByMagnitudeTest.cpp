//===- PruneByMagnitudeTest.cpp - accel-quantize's N:M magnitude pruning --===//
//
// pruneByMagnitude (lib/Transforms/Calibration.h), which accel-quantize
// runs before round-to-nearest, must keep exactly the weights accel-prune's
// selection keeps (selectNMByMagnitude: keepHighest of the magnitudes, NaN
// lowest, ties to the lower position) and zero the others, at every N of
// M = 4, 8 and 16, over rows whose groups are not a multiple of the vector
// lanes keepHighestMagnitudes compares at once, with ±0, subnormals,
// infinities, NaN and ties among random values.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Transforms/Calibration.h"

#include "llvm/ADT/bit.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace accel::compression;

namespace {

/// A weight of `rows` x `cols` random values, a fifth of them special or
/// tied with a neighbour.
FloatWeight randomWeight(int64_t rows, int64_t cols, std::mt19937 &rng) {
  const float special[] = {0.0f,
                           -0.0f,
                           std::numeric_limits<float>::denorm_min(),
                           -std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(),
                           -std::numeric_limits<float>::quiet_NaN(),
                           std::numeric_limits<float>::max(),
                           1.0f,
                           -1.0f};
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> pick(0, 9);
  std::uniform_int_distribution<size_t> which(0, std::size(special) - 1);
  FloatWeight w;
  w.rows = rows;
  w.cols = cols;
  w.values.resize(rows * cols);
  for (size_t i = 0; i < w.values.size(); ++i) {
    int kind = pick(rng);
    if (kind == 0)
      w.values[i] = special[which(rng)];
    else if (kind == 1 && i > 0)
      w.values[i] = -w.values[i - 1];
    else
      w.values[i] = normal(rng);
  }
  return w;
}

TEST(PruneByMagnitude, KeepsWhatAccelPruneSelects) {
  std::mt19937 rng(20261126);
  for (unsigned m : {4u, 8u, 16u})
    for (unsigned n = 1; n <= m; ++n)
      // 1 to 19 groups a row: short of, at and past the lanes.
      for (int64_t groups : {1, 3, 7, 8, 9, 19}) {
        FloatWeight w = randomWeight(5, groups * m, rng);
        std::vector<uint8_t> keep = selectNMByMagnitude(w, n, m);
        FloatWeight pruned = w;
        pruneByMagnitude(pruned, n, m);
        for (size_t i = 0; i < w.values.size(); ++i) {
          uint32_t expected =
              keep[i] ? llvm::bit_cast<uint32_t>(w.values[i]) : 0u;
          ASSERT_EQ(llvm::bit_cast<uint32_t>(pruned.values[i]), expected)
              << n << ":" << m << ", " << groups << " groups a row, value "
              << i << " (" << w.values[i] << ")";
        }
        // Every group keeps exactly N.
        for (size_t g = 0; g < keep.size(); g += m) {
          unsigned kept = 0;
          for (unsigned j = 0; j < m; ++j)
            kept += keep[g + j];
          ASSERT_EQ(kept, n) << n << ":" << m;
        }
      }
}

} // namespace
