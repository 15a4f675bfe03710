//===- RoundToNearestTest.cpp - the compiler's quantizer vs the golden ----===//
//
// accel-quantize's round-to-nearest (lib/Transforms/RoundToNearest.cpp)
// must give the golden model's groupParams and quantizeValue bit for bit:
// every width and both formats, over groups of extremes (±0, subnormals,
// the f16 limits, FLT_MAX, infinities, NaN), ties, tails shorter than a
// vector, and random bit patterns.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Transforms/RoundToNearest.h"

#include "accel/Reference/Golden.h"

#include "llvm/ADT/bit.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace accel;
using namespace accel::reference;

namespace {

/// Checks quantizeGroup against the golden functions on `values`.
void expectGolden(const std::vector<float> &values, unsigned bits,
                  bool symmetric) {
  std::vector<uint8_t> q(values.size(), 0xee);
  golden::GroupParams fast =
      compression::quantizeGroup(values, bits, symmetric, q.data());
  golden::GroupParams params = golden::groupParams(values, bits, symmetric);
  ASSERT_EQ(llvm::bit_cast<uint32_t>(fast.scale),
            llvm::bit_cast<uint32_t>(params.scale))
      << bits << " bits, symmetric " << symmetric;
  ASSERT_EQ(fast.zeroPoint, params.zeroPoint);
  for (size_t i = 0; i < values.size(); ++i) {
    int32_t expected =
        golden::quantizeValue(values[i], params, bits, symmetric);
    ASSERT_EQ(unsigned(q[i]), unsigned(expected) & ((1u << bits) - 1))
        << "value " << values[i] << " (bits 0x" << std::hex
        << llvm::bit_cast<uint32_t>(values[i]) << std::dec << "), " << bits
        << " bits, symmetric " << symmetric << ", scale " << params.scale
        << ", zero point " << params.zeroPoint;
  }
}

void expectGoldenAllFormats(const std::vector<float> &values) {
  for (unsigned bits : {2u, 3u, 4u, 8u})
    for (bool symmetric : {false, true})
      expectGolden(values, bits, symmetric);
}

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kMax = std::numeric_limits<float>::max();

/// Values at the edges of fp32 and of the f16 scales.
std::vector<float> extremes() {
  return {0.0f,     -0.0f,    0x1p-149f, -0x1p-149f, 0x1p-127f, -0x1p-127f,
          0x1p-126f, -0x1p-126f, 0x1p-24f, -0x1p-24f, 0x1p-25f, -0x1p-25f,
          1.0f,     -1.0f,    65504.0f, -65504.0f,  65520.0f, -65520.0f,
          1e30f,    -1e30f,   kMax,     -kMax,      kInf,     -kInf,
          kNaN,     -kNaN,    0.5f,     -0.5f,      1.5f,     -2.5f};
}

TEST(RoundToNearest, Extremes) {
  std::vector<float> all = extremes();
  // Each extreme alone, beside ordinary values, and all together.
  for (float x : all) {
    expectGoldenAllFormats({x});
    expectGoldenAllFormats({x, 0.25f, -0.75f, 3.0f, x, -1.0f, 0.0f, 2.0f,
                            1.0f, x});
  }
  expectGoldenAllFormats(all);
  expectGoldenAllFormats(std::vector<float>(128, kNaN));
  expectGoldenAllFormats(std::vector<float>(128, 0.0f));
  expectGoldenAllFormats(std::vector<float>(128, -0.0f));
  expectGoldenAllFormats(std::vector<float>(128, kInf));
  expectGoldenAllFormats(std::vector<float>(128, -kInf));
  expectGoldenAllFormats(std::vector<float>(17, 0x1p-149f));
}

TEST(RoundToNearest, Ties) {
  // Groups whose scale comes out S = 1/8 exactly, with values halfway
  // between two multiples of S (w / S ends in .5: rounded to even).
  const float s = 0.125f;
  for (unsigned bits : {2u, 3u, 4u, 8u}) {
    int top = (1 << bits) - 1, p = (1 << (bits - 1)) - 1;
    // Asymmetric: lo = -S, hi = S (2^B - 2): scale S, zero point 1.
    std::vector<float> values = {-s, s * float(top - 1)};
    for (int k = -1; k < top - 1; ++k)
      values.push_back((float(k) + 0.5f) * s);
    expectGolden(values, bits, /*symmetric=*/false);
    // Symmetric: amax = S P.
    values = {s * float(p), -s * float(p)};
    for (int k = 0; k < p; ++k) {
      values.push_back((float(k) + 0.5f) * s);
      values.push_back(-(float(k) + 0.5f) * s);
    }
    expectGolden(values, bits, /*symmetric=*/true);
  }
}

TEST(RoundToNearest, Random) {
  std::mt19937 random(2026);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::uniform_int_distribution<uint32_t> word;
  std::vector<float> all = extremes();
  for (int trial = 0; trial < 3000; ++trial) {
    // Group sizes around the vector width and the usual 128.
    size_t size = std::vector<size_t>{1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 64,
                                      127, 128, 129}[trial % 14];
    std::vector<float> values(size);
    for (float &v : values) {
      uint32_t pick = word(random) % 16;
      if (pick == 0)
        v = llvm::bit_cast<float>(word(random)); // any bit pattern
      else if (pick == 1)
        v = all[word(random) % all.size()];
      else
        v = normal(random) * (trial % 3 == 0 ? 1e-6f : 1.0f);
    }
    expectGoldenAllFormats(values);
  }
}

} // namespace
