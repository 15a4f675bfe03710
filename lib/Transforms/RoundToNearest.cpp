//===- RoundToNearest.cpp - the compiler's round-to-nearest quantizer -----===//
//
// Why each step gives the golden model's result:
// - The extremes. groupParams folds lo = min(0, w...) and hi = max(0, w...)
//   with std::min(lo, w) and std::max(hi, w), so a NaN never enters them
//   and +0 stays +0 unless a value passes it; its symmetric amax is
//   max(0, |w|...) = max(hi, -lo). Folding the same way lane by lane and
//   then across the lanes gives the same lo and hi, and groupParams of the
//   pair {lo, hi} the same scale and zero point as of the whole group.
// - The values. quantizeValue rounds r = rne(w / S) and clamps r (+ z) to
//   the format's range; a NaN r gives 0. Below, w / S is the same division;
//   clamping it to ±2^20 first changes no result (every value beyond lies
//   beyond the range, after adding a zero point below 256, on the same
//   side); adding and subtracting 1.5 * 2^23 then rounds to nearest even
//   exactly (|x| <= 2^22), and a NaN is replaced by a value that gives 0.
//
//===----------------------------------------------------------------------===//

#include "RoundToNearest.h"

#include <algorithm>
#include <cstring>

using namespace accel;
using namespace accel::compression;
using reference::golden::GroupParams;

namespace {

/// Values folded side by side when finding a group's extremes: a vector
/// (GCC's and Clang's vector extension; the compiler does not vectorise a
/// scalar min/max fold, whose NaN and signed-zero rules it must keep).
constexpr int64_t kLanes = 4;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
/// |w / S| beyond this lies outside every format's range.
constexpr float kClamp = 0x1p20f;
/// Adding and subtracting it rounds |x| <= 2^22 to nearest even.
constexpr float kRound = 0x1.8p23f;

} // namespace

GroupParams compression::quantizeGroup(llvm::ArrayRef<float> values,
                                       unsigned bits, bool symmetric,
                                       uint8_t *q) {
  const float *w = values.data();
  int64_t count = values.size();
  // std::min(lo, w) and std::max(hi, w), lane by lane.
  Lanes lanesLo = {}, lanesHi = {};
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    Lanes x;
    std::memcpy(&x, w + i, sizeof(x));
    lanesLo = x < lanesLo ? x : lanesLo;
    lanesHi = lanesHi < x ? x : lanesHi;
  }
  float extremes[2] = {0.0f, 0.0f};
  for (int64_t l = 0; l < kLanes; ++l) {
    extremes[0] = std::min(extremes[0], lanesLo[l]);
    extremes[1] = std::max(extremes[1], lanesHi[l]);
  }
  for (; i < count; ++i) {
    extremes[0] = std::min(extremes[0], w[i]);
    extremes[1] = std::max(extremes[1], w[i]);
  }
  GroupParams params =
      reference::golden::groupParams(extremes, bits, symmetric);

  float scale = params.scale;
  int32_t top = symmetric ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  int32_t bottom = symmetric ? -top : 0;
  int32_t zero = symmetric ? 0 : params.zeroPoint;
  // A NaN quotient: 0 when symmetric, below the range (0 after the clamp)
  // when asymmetric.
  float nanValue = symmetric ? 0.0f : -kClamp;
  uint8_t mask = uint8_t((1u << bits) - 1);
  for (int64_t j = 0; j < count; ++j) {
    float x = w[j] / scale;
    x = x != x ? nanValue : x;
    x = std::min(std::max(x, -kClamp), kClamp);
    float r = (x + kRound) - kRound;
    int32_t v = std::min(std::max(int32_t(r) + zero, bottom), top);
    q[j] = uint8_t(v) & mask;
  }
  return params;
}
