//===- AccelOpsTest.cpp - accel ops on the reference executor -------------===//
//
// Each op against a direct transcription of its definition in AccelOps.td.
//
//===----------------------------------------------------------------------===//

#include "RunMLIR.h"

#include <cmath>

using namespace accel::reference;
using namespace accel::reference::testing;

namespace {

/// Deterministic, irregular values in about [-1, 1].
Tensor wave(llvm::ArrayRef<int64_t> shape, float phase) {
  std::vector<float> values(*countElements(shape));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = std::sin(phase + 0.7f * static_cast<float>(i)) *
                (1.0f + 0.1f * static_cast<float>(i % 3));
  return Tensor(shape, values);
}

TEST(AccelOps, AttentionGQACausalPastLambda) {
  const char *source = R"mlir(
func.func @f(%q: tensor<1x2x8xf32>, %k: tensor<1x2x4xf32>, %v: tensor<1x2x4xf32>,
             %pk: tensor<1x3x4xf32>, %pv: tensor<1x3x4xf32>) -> tensor<1x2x8xf32> {
  %0 = accel.attention %q, %k, %v past(%pk, %pv : tensor<1x3x4xf32>, tensor<1x3x4xf32>)
         heads(4, 2) causal {lambda = #accel.lambda<sink = 1, window = 2>}
         : tensor<1x2x8xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32> -> tensor<1x2x8xf32>
  return %0 : tensor<1x2x8xf32>
})mlir";
  const int64_t heads = 4, kvHeads = 2, d = 2, t = 2, past = 3;
  Tensor q = wave({1, t, heads * d}, 0.1f), k = wave({1, t, kvHeads * d}, 1.3f),
         v = wave({1, t, kvHeads * d}, 2.2f);
  Tensor pk = wave({1, past, kvHeads * d}, 3.7f),
         pv = wave({1, past, kvHeads * d}, 4.1f);
  Tensor out = runOne(source, {q, k, v, pk, pv});

  // Keys and values: the past rows, then the new ones.
  auto keyAt = [&](int64_t j, int64_t c) {
    return j < past ? pk.getDouble(j * kvHeads * d + c)
                    : k.getDouble((j - past) * kvHeads * d + c);
  };
  auto valueAt = [&](int64_t j, int64_t c) {
    return j < past ? pv.getDouble(j * kvHeads * d + c)
                    : v.getDouble((j - past) * kvHeads * d + c);
  };
  std::vector<float> expected;
  for (int64_t ti = 0; ti < t; ++ti)
    for (int64_t h = 0; h < heads; ++h) {
      int64_t kvh = h / (heads / kvHeads), pos = past + ti;
      std::vector<double> weights;
      std::vector<int64_t> seen;
      for (int64_t j = 0; j <= pos; ++j) {
        if (!(j < 1 || j > pos - 2))
          continue; // outside sink 1 + window 2
        double dot = 0;
        for (int64_t i = 0; i < d; ++i)
          dot += q.getDouble(ti * heads * d + h * d + i) * keyAt(j, kvh * d + i);
        weights.push_back(std::exp(dot / std::sqrt(2.0)));
        seen.push_back(j);
      }
      ASSERT_EQ(seen.size(), 3u); // {0, pos-1, pos}
      double total = 0;
      for (double w : weights)
        total += w;
      for (int64_t i = 0; i < d; ++i) {
        double acc = 0;
        for (size_t s = 0; s < seen.size(); ++s)
          acc += weights[s] * valueAt(seen[s], kvh * d + i);
        expected.push_back(static_cast<float>(acc / total));
      }
    }
  expectNear(out, expected, 1e-6f);
}

const char *kRope = R"mlir(
func.func @f(%x: tensor<1x2x12xf32>, %c: tensor<2x4xf32>, %s: tensor<2x4xf32>) -> tensor<1x2x12xf32> {
  %0 = accel.rope STYLE %x, %c, %s heads(2) : tensor<1x2x12xf32>, tensor<2x4xf32>
  return %0 : tensor<1x2x12xf32>
})mlir";

/// The rope of AccelOps.td, written out for heads of 6 with 4 rotated.
std::vector<float> ropeByDefinition(const Tensor &x, const Tensor &c,
                                    const Tensor &s, bool interleaved) {
  const int64_t d = 6, r = 4;
  std::vector<float> out;
  for (int64_t t = 0; t < 2; ++t)
    for (int64_t h = 0; h < 2; ++h) {
      auto at = [&](int64_t j) { return x.getDouble(t * 12 + h * d + j); };
      for (int64_t j = 0; j < d; ++j) {
        if (j >= r) {
          out.push_back(at(j));
          continue;
        }
        double rot = interleaved ? (j % 2 == 0 ? -at(j + 1) : at(j - 1))
                                 : (j < r / 2 ? -at(j + r / 2) : at(j - r / 2));
        out.push_back(at(j) * c.getDouble(t * r + j) +
                      rot * s.getDouble(t * r + j));
      }
    }
  return out;
}

TEST(AccelOps, RopeBothStylesWithPartialRotation) {
  Tensor x = wave({1, 2, 12}, 0.3f), c = wave({2, 4}, 1.0f),
         s = wave({2, 4}, 2.0f);
  for (bool interleaved : {false, true}) {
    std::string text = kRope;
    text.replace(text.find("STYLE"), 5,
                 interleaved ? "interleaved" : "rotate_half");
    expectNear(runOne(text, {x, c, s}), ropeByDefinition(x, c, s, interleaved));
  }
}

TEST(AccelOps, LinearWithTransposedWeightAndBias) {
  const char *source = R"mlir(
func.func @f(%x: tensor<1x2x3xf32>, %w: tensor<2x3xf32>, %wt: tensor<3x2xf32>, %b: tensor<2xf32>)
    -> (tensor<1x2x2xf32>, tensor<1x2x2xf32>) {
  %0 = accel.linear %x, %w bias(%b : tensor<2xf32>) : tensor<1x2x3xf32>, tensor<2x3xf32> -> tensor<1x2x2xf32>
  %1 = accel.linear %x, %wt transposed : tensor<1x2x3xf32>, tensor<3x2xf32> -> tensor<1x2x2xf32>
  return %0, %1 : tensor<1x2x2xf32>, tensor<1x2x2xf32>
})mlir";
  Tensor x({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor w({2, 3}, {1, 0, 1, 0, 1, 0});
  Tensor wt({3, 2}, {1, 0, 0, 1, 1, 0});
  auto results = runMLIR(source, {x, w, wt, Tensor({2}, {0.5, -1})});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(floatsOf((*results)[0]), (std::vector<float>{4.5, 1, 10.5, 4}));
  EXPECT_EQ(floatsOf((*results)[1]), (std::vector<float>{4, 2, 10, 5}));
}

TEST(AccelOps, NormsActivationAndEmbedding) {
  const char *source = R"mlir(
func.func @f(%x: tensor<1x4xf32>, %w: tensor<4xf32>, %b: tensor<4xf32>, %ids: tensor<2xi64>, %table: tensor<3x4xf32>)
    -> (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<2x4xf32>) {
  %0 = accel.rmsnorm %x, %w epsilon(1.0e-06) : tensor<1x4xf32>, tensor<4xf32>
  %1 = accel.layernorm %x, %w bias(%b : tensor<4xf32>) epsilon(1.0e-05) : tensor<1x4xf32>, tensor<4xf32>
  %2 = accel.activation silu %x, %x : tensor<1x4xf32>, tensor<1x4xf32>
  %3 = accel.activation gelu_tanh %x : tensor<1x4xf32>
  %4 = accel.embedding %ids, %table : tensor<2xi64>, tensor<3x4xf32> -> tensor<2x4xf32>
  return %0, %1, %2, %3, %4 : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<2x4xf32>
})mlir";
  Tensor x({1, 4}, {1, -2, 3, 0.5});
  Tensor w({4}, {1, 2, 0.5, 1}), b({4}, {0, 1, 0, -1});
  auto results = runMLIR(source, {x, w, b, Tensor(DType::I64, {2}, {2, 0}),
                                  wave({3, 4}, 0.0f)});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  double rms = std::sqrt((1 + 4 + 9 + 0.25) / 4 + 1e-6);
  expectNear((*results)[0], {float(1 / rms), float(-4 / rms),
                             float(1.5 / rms), float(0.5 / rms)});
  double mean = 2.5 / 4, var = 0;
  for (double e : {1.0, -2.0, 3.0, 0.5})
    var += (e - mean) * (e - mean) / 4;
  double inv = 1 / std::sqrt(var + 1e-5);
  expectNear((*results)[1], {float((1 - mean) * inv), float((-2 - mean) * inv * 2 + 1),
                             float((3 - mean) * inv * 0.5), float((0.5 - mean) * inv - 1)});
  std::vector<float> swish, gelu;
  for (double e : {1.0, -2.0, 3.0, 0.5}) {
    swish.push_back(float(e / (1 + std::exp(-e)) * e));
    gelu.push_back(float(0.5 * e * (1 + std::tanh(std::sqrt(2 / M_PI) *
                                                  (e + 0.044715 * e * e * e)))));
  }
  expectNear((*results)[2], swish);
  expectNear((*results)[3], gelu);
  Tensor table = wave({3, 4}, 0.0f);
  std::vector<float> rows(table.getFloats().begin() + 8, table.getFloats().end());
  rows.insert(rows.end(), table.getFloats().begin(), table.getFloats().begin() + 4);
  EXPECT_EQ(floatsOf((*results)[4]), rows);
}

} // namespace
