//===- GoldenTest.cpp - the golden model's primitives and ops -------------===//
//
// The golden model (docs/NUMERICS.md) primitive by primitive: exp_a against
// fp32 bit patterns computed by hand (step by step in fp32: t, n, f, Horner,
// 2^n), activation and group quantization, exact group dot products, the
// quantized linear (per token and with activation groups) and attention
// with GQA + causal + Λ + a 4-bit KV cache + past against direct
// computations written here. Compiled with -ffp-contract=off.
//
//===----------------------------------------------------------------------===//

#include "RunMLIR.h"

#include "accel/Reference/Golden.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace accel::reference;
namespace g = accel::reference::golden;

namespace {

uint32_t bitsOf(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}

llvm::Expected<std::vector<Tensor>> runGoldenMLIR(llvm::StringRef source,
                                                  llvm::ArrayRef<Tensor> inputs) {
  return accel::reference::testing::runMLIR(source, inputs, runGolden);
}

std::vector<float> runOneGolden(llvm::StringRef source,
                                llvm::ArrayRef<Tensor> inputs) {
  llvm::Expected<std::vector<Tensor>> results = runGoldenMLIR(source, inputs);
  if (!results) {
    ADD_FAILURE() << llvm::toString(results.takeError());
    return {};
  }
  llvm::ArrayRef<float> values = results->front().getFloats();
  return std::vector<float>(values.begin(), values.end());
}

/// Deterministic pseudo-random floats in [-scale, scale].
std::vector<float> pseudoRandom(size_t n, unsigned seed, float scale) {
  std::vector<float> out(n);
  uint32_t state = seed * 2654435761u + 12345u;
  for (float &v : out) {
    state = state * 1664525u + 1013904223u;
    v = (static_cast<float>(state >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
  }
  return out;
}

void expectBitEqual(llvm::ArrayRef<float> got, llvm::ArrayRef<float> want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(bitsOf(got[i]), bitsOf(want[i]))
        << "element " << i << ": golden " << got[i] << ", expected " << want[i];
}

} // namespace

//===----------------------------------------------------------------------===//
// Scalars
//===----------------------------------------------------------------------===//

TEST(GoldenScalars, ExpAHandComputedBits) {
  // exp_a(0): t = 0, n = 0, f = 0, p = c0 = 1.
  EXPECT_EQ(bitsOf(g::expA(0.0f)), 0x3F800000u);
  // exp_a(-1): t = -1.44269504 (0xBFB8AA3B), n = -1, f = -0.44269504,
  // p = 0.7357589 (0x3F3C5AB2), times 2^-1.
  EXPECT_EQ(bitsOf(g::expA(-1.0f)), 0x3EBC5AB2u);
  // exp_a(1): n = 1, f = 0.44269504, p = 1.3591409 (0x3FADF854), times 2.
  EXPECT_EQ(bitsOf(g::expA(1.0f)), 0x402DF854u);
  EXPECT_EQ(bitsOf(g::expA(-0.5f)), 0x3F1B4598u);
  // exp_a(-10): t = -14.426950, n = -14, f = -0.42695045.
  EXPECT_EQ(bitsOf(g::expA(-10.0f)), 0x383E6BCEu);
  EXPECT_EQ(bitsOf(g::expA(3.3f)), 0x41D8E6ACu);
  EXPECT_EQ(bitsOf(g::expA(87.5f)), 0x7E96BABAu);
  EXPECT_EQ(bitsOf(g::expA(-86.9f)), 0x00C60F8Bu);
  // The cut-offs.
  EXPECT_EQ(bitsOf(g::expA(-87.5f)), 0u);
  EXPECT_EQ(g::expA(88.5f), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(g::expA(std::nanf(""))));
  // Close to the true exponential over the softmax range.
  for (float x = -10.0f; x <= 0.0f; x += 0.01f)
    EXPECT_NEAR(g::expA(x) / std::exp(double(x)), 1.0, 6e-7) << x;
}

TEST(GoldenScalars, RoundingAndActivations) {
  EXPECT_EQ(g::rne(2.5f), 2.0f);
  EXPECT_EQ(g::rne(-3.5f), -4.0f);
  EXPECT_EQ(g::rne(0.5f), 0.0f);
  EXPECT_EQ(bitsOf(g::relu(-0.0f)), bitsOf(-0.0f));
  EXPECT_EQ(bitsOf(g::relu(-2.0f)), 0u);
  EXPECT_TRUE(std::isnan(g::relu(std::nanf(""))));
  EXPECT_EQ(g::erfA(0.0f), 0.0f);
  for (float x = -6.0f; x <= 6.0f; x += 0.125f) {
    double silu = x / (1.0 + std::exp(-double(x)));
    double geluTanh =
        0.5 * x *
        (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * double(x) * x * x)));
    double geluErf = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    EXPECT_NEAR(g::silu(x), silu, 1e-5 * (1 + std::fabs(silu))) << x;
    EXPECT_NEAR(g::geluTanh(x), geluTanh, 1e-5 * (1 + std::fabs(geluTanh))) << x;
    EXPECT_NEAR(g::geluErf(x), geluErf, 2e-6 * (1 + std::fabs(x))) << x;
  }
  // The tanh form, one rounded op at a time, at x = 1.
  float x = 1.0f;
  float u = 0.797884583f * (x + 0.044715f * ((x * x) * x));
  float t = 1.0f - 2.0f / (g::expA(2.0f * u) + 1.0f);
  EXPECT_EQ(bitsOf(g::geluTanh(x)), bitsOf((0.5f * x) * (1.0f + t)));
}

TEST(GoldenScalars, GreedyToken) {
  float nan = std::nanf("");
  EXPECT_EQ(g::greedyToken({1.0f, 3.0f, 3.0f, 2.0f}), 1);
  EXPECT_EQ(g::greedyToken({nan, -1.0f, nan, 0.0f}), 3);
  EXPECT_EQ(g::greedyToken({nan, nan}), 0);
  EXPECT_EQ(g::greedyToken({-0.0f, 0.0f}), 0);
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

TEST(GoldenQuant, Activation) {
  // a = 127: s_x = 1; ties go to even (-63.5 -> -64, 0.5 -> 0, 2.5 -> 2).
  std::vector<float> x = {127.0f, -63.5f, 0.5f, 1.5f, 2.5f, -126.6f, 0.0f};
  std::vector<int32_t> q(x.size());
  std::vector<float> s(1);
  g::quantizeActivation(x, 0, 8, q, s);
  EXPECT_EQ(s[0], 1.0f);
  EXPECT_EQ(q, (std::vector<int32_t>{127, -64, 0, 2, 2, -127, 0}));
  // All zeros: s_x = 1.
  std::vector<float> zeros(4, 0.0f);
  std::vector<int32_t> qz(4);
  g::quantizeActivation(zeros, 0, 8, qz, s);
  EXPECT_EQ(s[0], 1.0f);
  EXPECT_EQ(qz, std::vector<int32_t>(4, 0));
  // A maximum so small that a / 127 underflows to 0 (the smallest
  // subnormal): s_x = 1 too, and the row quantizes to zeros.
  std::vector<float> tiny = {std::numeric_limits<float>::denorm_min(),
                             -std::numeric_limits<float>::denorm_min()};
  std::vector<int32_t> qt(2);
  g::quantizeActivation(tiny, 0, 8, qt, s);
  EXPECT_EQ(s[0], 1.0f);
  EXPECT_EQ(qt, std::vector<int32_t>(2, 0));
  // Groups of 2: s = 254/127 = 2 and 508/127 = 4, not rounded to fp16.
  std::vector<float> y = {254.0f, 1.0f, -508.0f, 6.0f};
  std::vector<int32_t> qy(4);
  std::vector<float> sy(2);
  g::quantizeActivation(y, 2, 8, qy, sy);
  EXPECT_EQ(sy, (std::vector<float>{2.0f, 4.0f}));
  EXPECT_EQ(qy, (std::vector<int32_t>{127, 0, -127, 2}));
  // s_x = a / 127 in fp32, then x / s_x rounded.
  std::vector<float> w = {0.3f, -0.1f, 0.7f};
  std::vector<int32_t> qw(3);
  g::quantizeActivation(w, 0, 8, qw, s);
  EXPECT_EQ(bitsOf(s[0]), bitsOf(0.7f / 127.0f));
  EXPECT_EQ(qw[0], static_cast<int32_t>(std::nearbyint(0.3f / s[0])));
  EXPECT_EQ(qw[1], static_cast<int32_t>(std::nearbyint(-0.1f / s[0])));
  EXPECT_EQ(qw[2], 127);
}

TEST(GoldenQuant, WeightGroups) {
  // Asymmetric 2-bit: lo = -1, hi = 2, s = 1, z = 1, q = rne(w) + 1.
  std::vector<int32_t> q(4);
  g::GroupParams p = g::quantizeGroup({-1.0f, 0.0f, 0.5f, 2.0f}, 2, false, q);
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 1);
  EXPECT_EQ(q, (std::vector<int32_t>{0, 1, 1, 3}));
  // Symmetric 4-bit: P = 7, s = 1.
  std::vector<int32_t> qs(3);
  p = g::quantizeGroup({-7.0f, 3.5f, 0.25f}, 4, true, qs);
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  EXPECT_EQ(qs, (std::vector<int32_t>{-7, 4, 0}));
  // The scale is rounded to fp16 (0.1 / 255 is not an fp16 value).
  std::vector<int32_t> q8(2);
  p = g::quantizeGroup({0.0f, 0.1f}, 8, false, q8);
  _Float16 half = static_cast<_Float16>(0.1f / 255.0f);
  EXPECT_EQ(bitsOf(p.scale), bitsOf(static_cast<float>(half)));
  EXPECT_EQ(p.zeroPoint, 0);
  EXPECT_EQ(q8[1], static_cast<int32_t>(std::nearbyint(0.1f / p.scale)));
  // All zeros: s = 1, z = 0; tiny ranges clamp to 2^-24.
  std::vector<int32_t> q0(2);
  p = g::quantizeGroup({0.0f, 0.0f}, 4, false, q0);
  EXPECT_EQ(p.scale, 1.0f);
  p = g::quantizeGroup({0.0f, 1e-12f}, 4, false, q0);
  EXPECT_EQ(p.scale, 0x1p-24f);
}

TEST(GoldenQuant, GroupDot) {
  EXPECT_EQ(g::groupDot({1, -2, 3}, {3, 0, 1}, 1), 1 * 2 + (-2) * (-1) + 3 * 0);
  // The bound of §4: 127 × 255 × 65536 < 2^31.
  std::vector<int32_t> x(65536, 127), w(65536, 255);
  EXPECT_EQ(g::groupDot(x, w, 0), 127 * 255 * 65536);
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

namespace {
const char *kQuantLinear = R"mlir(
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[0, 15, 3, 8, 1, 2, 14, 7],
                             [5, 5, 5, 5, 0, 9, 12, 4],
                             [15, 0, 15, 0, 6, 6, 7, 8]]> : tensor<3x8xi4>
  %s = arith.constant dense<[[0.5, 0.125], [0.0999755859, 2.0], [1.5, 0.25]]> : tensor<3x2xf16>
  %z = arith.constant dense<[[8, 7], [5, 0], [0, 15]]> : tensor<3x2xi4>
  %b = arith.constant dense<[0.25, -1.0, 3.0]> : tensor<3xf32>
  %y = accel.linear %x, %w scales(%s : tensor<3x2xf16>) zero_points(%z : tensor<3x2xi4>)
         bias(%b : tensor<3xf32>)
         {weight_quant = #accel.quant<bits = 4, group = 4, asymmetric>,
          act_quant = #accel.quant<bits = 8, ACT, symmetric>}
         : tensor<2x8xf32>, tensor<3x8xi4> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
)mlir";

/// §4 written out for the test: q, S, z as above.
std::vector<float> directLinear(const std::vector<float> &x, int64_t actGroup) {
  const int32_t w[3][8] = {{0, 15, 3, 8, 1, 2, 14, 7},
                           {5, 5, 5, 5, 0, 9, 12, 4},
                           {15, 0, 15, 0, 6, 6, 7, 8}};
  const float s[3][2] = {{0.5f, 0.125f},
                         {static_cast<float>(static_cast<_Float16>(0.0999755859f)),
                          2.0f},
                         {1.5f, 0.25f}};
  const int32_t z[3][2] = {{8, 7}, {5, 0}, {0, 15}};
  const float bias[3] = {0.25f, -1.0f, 3.0f};
  std::vector<float> y;
  for (int r = 0; r < 2; ++r) {
    int32_t q[8];
    float sx[8];
    for (int a0 = 0; a0 < 8; a0 += actGroup) {
      float a = 0;
      for (int k = a0; k < a0 + actGroup; ++k)
        a = std::max(a, std::fabs(x[r * 8 + k]));
      float scale = a == 0 ? 1.0f : a / 127.0f;
      for (int k = a0; k < a0 + actGroup; ++k) {
        q[k] = static_cast<int32_t>(std::min(
            127.0f, std::max(-127.0f, std::nearbyint(x[r * 8 + k] / scale))));
        sx[k] = scale;
      }
    }
    for (int n = 0; n < 3; ++n) {
      float value;
      if (actGroup == 8) {
        int32_t acc0 = 0, acc1 = 0;
        for (int k = 0; k < 4; ++k)
          acc0 += q[k] * (w[n][k] - z[n][0]);
        for (int k = 4; k < 8; ++k)
          acc1 += q[k] * (w[n][k] - z[n][1]);
        float t = float(acc0) * s[n][0];
        t = t + float(acc1) * s[n][1];
        value = t * sx[0];
      } else { // actGroup == 2: blocks of 2 inside the weight groups of 4
        value = 0;
        for (int b0 = 0; b0 < 8; b0 += 2) {
          int32_t acc = 0;
          for (int k = b0; k < b0 + 2; ++k)
            acc += q[k] * (w[n][k] - z[n][b0 / 4]);
          float term = (float(acc) * s[n][b0 / 4]) * sx[b0];
          value = b0 == 0 ? term : value + term;
        }
      }
      y.push_back(value + bias[n]);
    }
  }
  return y;
}
} // namespace

TEST(GoldenLinear, QuantizedPerTokenAndActivationGroups) {
  std::vector<float> x = pseudoRandom(16, 1, 3.0f);
  x[9] = 0.0f;
  for (auto [act, group] :
       {std::pair<const char *, int64_t>{"per_channel", 8}, {"group = 2", 2}}) {
    std::string source = kQuantLinear;
    source.replace(source.find("ACT"), 3, act);
    std::vector<float> got = runOneGolden(source, {Tensor({2, 8}, x)});
    expectBitEqual(got, directLinear(x, group));
  }
}

TEST(GoldenLinear, FloatWeightSequentialSum) {
  // Σ from the first product: 1e8 + 1 - 1e8 in fp32 is 0, not 1.
  const char *source = R"mlir(
func.func @f(%x: tensor<1x3xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<[[1.0e8, 1.0, -1.0e8]]> : tensor<1x3xf32>
  %y = accel.linear %x, %w : tensor<1x3xf32>, tensor<1x3xf32> -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
)mlir";
  std::vector<float> got = runOneGolden(source, {Tensor({1, 3}, {1.0f, 1.0f, 1.0f})});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], 0.0f);
}

TEST(GoldenLinear, SymmetricI8AndSparsityClaim) {
  // Symmetric 8-bit weights read signed; act_quant per token.
  const char *source = R"mlir(
func.func @f(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[-127, 0, 64, 0], [0, 3, 0, -2]]> : tensor<2x4xi8>
  %s = arith.constant dense<[[0.5], [0.25]]> : tensor<2x1xf16>
  %y = accel.linear %x, %w scales(%s : tensor<2x1xf16>)
         {weight_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>}
         : tensor<1x4xf32>, tensor<2x4xi8> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
)mlir";
  std::vector<float> got =
      runOneGolden(source, {Tensor({1, 4}, {127.0f, -1.0f, 2.0f, 0.5f})});
  // s_x = 1, q = {127, -1, 2, 0}.
  expectBitEqual(got, {float(-127 * 127 + 2 * 64) * 0.5f,
                       float(-1 * 3) * 0.25f});
  // Three non-zero weights in a group of 4 contradict 2:4.
  std::string broken = source;
  broken.replace(broken.find("[-127, 0, 64, 0]"), 16, "[-127, 1, 64, 0]");
  llvm::Expected<std::vector<Tensor>> run =
      runGoldenMLIR(broken, {Tensor({1, 4}, {1.0f, 1.0f, 1.0f, 1.0f})});
  ASSERT_FALSE(run);
  EXPECT_NE(llvm::toString(run.takeError()).find("sparsity 2:4"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

namespace {
const char *kAttention = R"mlir(
func.func @f(%q: tensor<1x5x16xf32>, %k: tensor<1x5x8xf32>, %v: tensor<1x5x8xf32>,
             %pk: tensor<1x2x8xf32>, %pv: tensor<1x2x8xf32>) -> tensor<1x5x16xf32> {
  %o = accel.attention %q, %k, %v past(%pk, %pv : tensor<1x2x8xf32>, tensor<1x2x8xf32>)
         heads(4, 2) causal
         {lambda = #accel.lambda<sink = 1, window = 2>,
          kv_quant = #accel.quant<bits = 4, group = 2, asymmetric>}
         : tensor<1x5x16xf32>, tensor<1x5x8xf32>, tensor<1x5x8xf32> -> tensor<1x5x16xf32>
  return %o : tensor<1x5x16xf32>
}
)mlir";

const char *kAttentionNoPast = R"mlir(
func.func @f(%q: tensor<1x7x16xf32>, %k: tensor<1x7x8xf32>, %v: tensor<1x7x8xf32>)
    -> tensor<1x7x16xf32> {
  %o = accel.attention %q, %k, %v heads(4, 2) causal
         {lambda = #accel.lambda<sink = 1, window = 2>,
          kv_quant = #accel.quant<bits = 4, group = 2, asymmetric>}
         : tensor<1x7x16xf32>, tensor<1x7x8xf32>, tensor<1x7x8xf32> -> tensor<1x7x16xf32>
  return %o : tensor<1x7x16xf32>
}
)mlir";

float localExpA(float x) {
  if (x < -87.0f)
    return 0.0f;
  float t = x * 1.44269504f;
  float n = std::nearbyint(t);
  float f = t - n;
  float p = 0.000154035297f;
  for (float c : {0.00133335579f, 0.00961812865f, 0.0555041097f, 0.240226507f,
                  0.693147182f}) {
    p = p * f;
    p = p + c;
  }
  p = p * f;
  p = p + 1.0f;
  return std::ldexp(p, static_cast<int>(n));
}

/// 4-bit asymmetric groups of 2 of `v` (§5): integers, f32(S), z.
void quantizeInts(const std::vector<float> &v, std::vector<int> &q,
                  std::vector<float> &scales, std::vector<int> &zeros) {
  q.resize(v.size());
  for (size_t i = 0; i < v.size(); i += 2) {
    float lo = std::min(0.0f, std::min(v[i], v[i + 1]));
    float hi = std::max(0.0f, std::max(v[i], v[i + 1]));
    float s = (hi - lo) / 15.0f;
    if (s == 0.0f)
      s = 1.0f;
    s = std::min(std::max(s, 0x1p-24f), 65504.0f);
    float S = static_cast<float>(static_cast<_Float16>(s));
    float z = std::min(std::max(std::nearbyint(-lo / S), 0.0f), 15.0f);
    for (size_t k = i; k < i + 2; ++k)
      q[k] = static_cast<int>(
          std::min(std::max(std::nearbyint(v[k] / S) + z, 0.0f), 15.0f));
    scales.push_back(S);
    zeros.push_back(static_cast<int>(z));
  }
}

/// `v` quantized that way and read back (the cache write and read of §5).
void quantizeAndRead(std::vector<float> &v) {
  std::vector<int> q, zeros;
  std::vector<float> scales;
  quantizeInts(v, q, scales, zeros);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = scales[i / 2] * static_cast<float>(q[i] - zeros[i / 2]);
}

/// Direct attention: 7 positions (2 past), 4 heads over 2 KV heads of D = 4,
/// sink 1, window 2.
std::vector<float> directAttention(const std::vector<float> &q,
                                   std::vector<float> k, std::vector<float> v,
                                   int64_t past) {
  const int64_t length = 7, d = 4, queries = length - past;
  quantizeAndRead(k);
  quantizeAndRead(v);
  float scale = 1.0f / std::sqrt(4.0f);
  std::vector<float> out(queries * 16, 0.0f);
  for (int64_t t = 0; t < queries; ++t)
    for (int64_t h = 0; h < 4; ++h) {
      int64_t p = past + t, kvh = h / 2;
      std::vector<int64_t> seen;
      for (int64_t j = 0; j <= p; ++j)
        if (j < 1 || j > p - 2)
          seen.push_back(j);
      std::vector<float> e;
      for (int64_t j : seen) {
        float dot = q[t * 16 + h * d] * k[j * 8 + kvh * d];
        for (int64_t i = 1; i < d; ++i)
          dot = dot + q[t * 16 + h * d + i] * k[j * 8 + kvh * d + i];
        e.push_back(dot * scale);
      }
      float m = *std::max_element(e.begin(), e.end());
      float z = 0;
      for (size_t j = 0; j < e.size(); ++j) {
        e[j] = localExpA(e[j] - m);
        z = j == 0 ? e[j] : z + e[j];
      }
      for (int64_t i = 0; i < d; ++i) {
        float o = 0;
        for (size_t j = 0; j < seen.size(); ++j) {
          float term = (e[j] / z) * v[seen[j] * 8 + kvh * d + i];
          o = j == 0 ? term : o + term;
        }
        out[t * 16 + h * d + i] = o;
      }
    }
  return out;
}
} // namespace

TEST(GoldenAttention, GQACausalLambdaKV4WithPast) {
  std::vector<float> q = pseudoRandom(7 * 16, 2, 2.0f);
  std::vector<float> k = pseudoRandom(7 * 8, 3, 1.5f);
  std::vector<float> v = pseudoRandom(7 * 8, 4, 1.0f);
  k[5] = k[4] = 0.0f; // an all-zero group: s = 1
  std::vector<float> qNew(q.begin() + 2 * 16, q.end());
  std::vector<float> got = runOneGolden(
      kAttention,
      {Tensor({1, 5, 16}, qNew),
       Tensor({1, 5, 8}, std::vector<float>(k.begin() + 16, k.end())),
       Tensor({1, 5, 8}, std::vector<float>(v.begin() + 16, v.end())),
       Tensor({1, 2, 8}, std::vector<float>(k.begin(), k.begin() + 16)),
       Tensor({1, 2, 8}, std::vector<float>(v.begin(), v.begin() + 16))});
  expectBitEqual(got, directAttention(qNew, k, v, /*past=*/2));

  // The same seven tokens in one prefill give the same last five rows:
  // past rows are quantized when read exactly like new ones.
  std::vector<float> all = runOneGolden(
      kAttentionNoPast,
      {Tensor({1, 7, 16}, q), Tensor({1, 7, 8}, k), Tensor({1, 7, 8}, v)});
  expectBitEqual(all, directAttention(q, k, v, /*past=*/0));
  expectBitEqual(llvm::ArrayRef<float>(all).drop_front(2 * 16), got);
}

namespace {
/// int8 quantization of `x` (NUMERICS §4 step 1, one group): the scale.
float int8Quantize(const std::vector<float> &x, std::vector<int> &q) {
  float a = 0;
  for (float v : x)
    a = std::max(a, std::fabs(v));
  float s = a / 127.0f;
  if (s == 0.0f)
    s = 1.0f;
  q.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    q[i] = static_cast<int>(
        std::min(std::max(std::nearbyint(x[i] / s), -127.0f), 127.0f));
  return s;
}

/// NUMERICS §6.5 written out for directAttention's shapes (7 positions,
/// 4 heads over 2 KV heads of D = 4, groups of 2, sink 1, window 2).
std::vector<float> directInt8Attention(const std::vector<float> &q,
                                       const std::vector<float> &k,
                                       const std::vector<float> &v) {
  const int64_t d = 4;
  std::vector<int> kq, kz, vq, vz;
  std::vector<float> ks, vs;
  quantizeInts(k, kq, ks, kz);
  quantizeInts(v, vq, vs, vz);
  float scale = 1.0f / std::sqrt(4.0f);
  std::vector<float> out(7 * 16, 0.0f);
  for (int64_t p = 0; p < 7; ++p)
    for (int64_t h = 0; h < 4; ++h) {
      int64_t kvh = h / 2;
      std::vector<int64_t> seen;
      for (int64_t j = 0; j <= p; ++j)
        if (j < 1 || j > p - 2)
          seen.push_back(j);
      std::vector<int> q8;
      float sq = int8Quantize(
          std::vector<float>(q.begin() + p * 16 + h * d,
                             q.begin() + p * 16 + h * d + d),
          q8);
      std::vector<float> e;
      for (int64_t j : seen) {
        float t = 0;
        for (int64_t g = 0; g < 2; ++g) {
          int64_t at = j * 8 + kvh * d + 2 * g;
          int acc = q8[2 * g] * (kq[at] - kz[at / 2]) +
                    q8[2 * g + 1] * (kq[at + 1] - kz[at / 2]);
          float product = static_cast<float>(acc) * ks[at / 2];
          t = g == 0 ? product : t + product;
        }
        e.push_back((t * sq) * scale);
      }
      float m = *std::max_element(e.begin(), e.end());
      float z = 0;
      for (size_t j = 0; j < e.size(); ++j) {
        e[j] = localExpA(e[j] - m);
        z = j == 0 ? e[j] : z + e[j];
      }
      for (float &x : e)
        x = x / z;
      for (int64_t g = 0; g < 2; ++g) {
        std::vector<float> w;
        for (size_t j = 0; j < seen.size(); ++j)
          w.push_back(e[j] * vs[(seen[j] * 8 + kvh * d + 2 * g) / 2]);
        std::vector<int> w8;
        float sw = int8Quantize(w, w8);
        for (int64_t i = 2 * g; i < 2 * g + 2; ++i) {
          int c = 0;
          for (size_t j = 0; j < seen.size(); ++j) {
            int64_t at = seen[j] * 8 + kvh * d + i;
            c += w8[j] * (vq[at] - vz[at / 2]);
          }
          out[p * 16 + h * d + i] = static_cast<float>(c) * sw;
        }
      }
    }
  return out;
}
} // namespace

TEST(GoldenAttention, Int8AttentionIsNumerics65) {
  std::vector<float> q = pseudoRandom(7 * 16, 5, 2.0f);
  std::vector<float> k = pseudoRandom(7 * 8, 6, 1.5f);
  std::vector<float> v = pseudoRandom(7 * 8, 7, 1.0f);
  q[16] = q[17] = q[18] = q[19] = 0.0f; // an all-zero query head: s_q = 1
  std::string module = kAttentionNoPast;
  module.replace(module.find("kv_quant"), 0, "int8_attention, ");
  std::vector<float> got = runOneGolden(
      module.c_str(),
      {Tensor({1, 7, 16}, q), Tensor({1, 7, 8}, k), Tensor({1, 7, 8}, v)});
  std::vector<float> want = directInt8Attention(q, k, v);
  expectBitEqual(got, want);
  // Close to, not equal to, the fp32 form of §6.
  std::vector<float> f32 = directAttention(q, k, v, /*past=*/0);
  double worst = 0;
  for (size_t i = 0; i < f32.size(); ++i)
    worst = std::max(worst, double(std::fabs(got[i] - f32[i])));
  EXPECT_GT(worst, 0.0);
  EXPECT_LT(worst, 0.05);
}

//===----------------------------------------------------------------------===//
// Norms, rope, arith
//===----------------------------------------------------------------------===//

TEST(GoldenOps, NormsRopeArith) {
  const char *source = R"mlir(
func.func @f(%x: tensor<1x2x4xf32>) -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) {
  %w = arith.constant dense<[1.0, 0.5, 2.0, -1.0]> : tensor<4xf32>
  %b = arith.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %cos = arith.constant dense<[[0.5, 0.25], [0.75, 1.0]]> : tensor<2x2xf32>
  %sin = arith.constant dense<[[0.125, -0.5], [0.3, 0.6]]> : tensor<2x2xf32>
  %r = accel.rmsnorm %x, %w epsilon(1.0e-5) : tensor<1x2x4xf32>, tensor<4xf32>
  %l = accel.layernorm %x, %w bias(%b : tensor<4xf32>) epsilon(1.0e-5) : tensor<1x2x4xf32>, tensor<4xf32>
  %e = accel.rope rotate_half %x, %cos, %sin heads(1) : tensor<1x2x4xf32>, tensor<2x2xf32>
  %s = arith.addf %r, %e : tensor<1x2x4xf32>
  return %r, %l, %s : tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
}
)mlir";
  std::vector<float> x = {0.3f, -1.7f, 2.2f, 0.9f, 5.0f, 0.1f, -0.4f, 1e-3f};
  llvm::Expected<std::vector<Tensor>> run =
      runGoldenMLIR(source, {Tensor({1, 2, 4}, x)});
  ASSERT_TRUE(bool(run)) << llvm::toString(run.takeError());
  const float w[4] = {1.0f, 0.5f, 2.0f, -1.0f}, b[4] = {0.1f, 0.2f, 0.3f, 0.4f};
  const float cosT[2][2] = {{0.5f, 0.25f}, {0.75f, 1.0f}};
  const float sinT[2][2] = {{0.125f, -0.5f}, {0.3f, 0.6f}};
  std::vector<float> rms, ln, sum;
  for (int t = 0; t < 2; ++t) {
    const float *row = &x[t * 4];
    float ss = row[0] * row[0];
    for (int k = 1; k < 4; ++k)
      ss = ss + row[k] * row[k];
    float r = 1.0f / std::sqrt(ss / 4.0f + 1e-5f);
    float mu = row[0];
    for (int k = 1; k < 4; ++k)
      mu = mu + row[k];
    mu = mu / 4.0f;
    float var = (row[0] - mu) * (row[0] - mu);
    for (int k = 1; k < 4; ++k)
      var = var + (row[k] - mu) * (row[k] - mu);
    float rl = 1.0f / std::sqrt(var / 4.0f + 1e-5f);
    for (int k = 0; k < 4; ++k) {
      rms.push_back((row[k] * r) * w[k]);
      ln.push_back(((row[k] - mu) * rl) * w[k] + b[k]);
      // R = 2: rotate_half pairs element 0 with element 1.
      float rot = k < 1 ? -row[k + 1] : row[k - 1];
      float rope = k < 2 ? row[k] * cosT[t][k] + rot * sinT[t][k] : row[k];
      sum.push_back(rms.back() + rope);
    }
  }
  expectBitEqual((*run)[0].getFloats(), rms);
  expectBitEqual((*run)[1].getFloats(), ln);
  expectBitEqual((*run)[2].getFloats(), sum);
}

TEST(GoldenOps, Fp32Only) {
  // NUMERICS.md defines fp32 activations only.
  llvm::Expected<std::vector<Tensor>> run = runGoldenMLIR(
      R"mlir(
func.func @f(%x: tensor<1x2xf16>) -> tensor<1x2xf16> {
  %y = arith.addf %x, %x : tensor<1x2xf16>
  return %y : tensor<1x2xf16>
})mlir",
      {Tensor({1, 2}, {1.0f, 2.0f}, DType::F16)});
  ASSERT_FALSE(run);
  EXPECT_NE(llvm::toString(run.takeError()).find("fp32"), std::string::npos);
}
