//===- NumericsTest.cpp - the simulator's arithmetic, bit for bit ---------===//
//
// Expected bit patterns were computed independently with numpy
// (test/Sim/Inputs/simref.py: float32 scalars, one rounding per operation)
// and pasted here.
//
//===----------------------------------------------------------------------===//

#include "accel/Sim/Numerics.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace accel::sim::num;

namespace {

TEST(SimNumerics, ExpAMatchesNumpy) {
  std::pair<float, uint32_t> cases[] = {
      {0.0f, 0x3f800000},   {-1.0f, 0x3ebc5ab2},  {-0.5f, 0x3f1b4598},
      {-10.0f, 0x383e6bce}, {-86.9f, 0x00c60f8b}, {-87.0f, 0x00b336a0},
      {88.0f, 0x7ef88299},  {2.5f, 0x4142eb7f},   {0.1f, 0x3f8d763e},
      {-3.3f, 0x3d1712d0},  {1e-3f, 0x3f8020c9},
  };
  for (auto [x, expected] : cases)
    EXPECT_EQ(bitsOf(expA(x)), expected) << "exp_a(" << x << ")";
}

TEST(SimNumerics, ExpAEdges) {
  EXPECT_EQ(bitsOf(expA(-87.5f)), 0u);
  EXPECT_EQ(bitsOf(expA(-100.0f)), 0u);
  EXPECT_TRUE(std::isinf(expA(88.5f)));
  EXPECT_TRUE(std::isnan(expA(std::numeric_limits<float>::quiet_NaN())));
}

TEST(SimNumerics, ActivationsMatchNumpy) {
  struct Case {
    float x;
    uint32_t silu, gelut, gelue;
  } cases[] = {
      {-3.0f, 0xbe11b13a, 0xbb6e5f00, 0xbb84b4c0},
      {-0.25f, 0xbde02a67, 0xbdcd7702, 0xbdcd765f},
      {0.5f, 0x3e9f597f, 0x3eb1016e, 0x3eb103ae},
      {4.0f, 0x407b6541, 0x407ffeda, 0x407ffdec},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(bitsOf(silu(c.x)), c.silu) << c.x;
    EXPECT_EQ(bitsOf(geluTanh(c.x)), c.gelut) << c.x;
    EXPECT_EQ(bitsOf(geluErf(c.x)), c.gelue) << c.x;
  }
  EXPECT_EQ(bitsOf(relu(-0.0f)), 0x80000000u);
  EXPECT_EQ(bitsOf(relu(-2.0f)), 0u);
  EXPECT_EQ(bitsOf(erfA(-0.0f)), 0u);
}

TEST(SimNumerics, F16RoundsToNearestEven) {
  std::pair<uint32_t, uint16_t> cases[] = {
      {0x3f800000, 0x3c00}, // 1
      {0x3dcccccd, 0x2e66}, // 0.1
      {0x477fe000, 0x7bff}, // 65504
      {0x477fef00, 0x7bff}, // 65519 rounds down
      {0x477ff000, 0x7c00}, // 65520 overflows to inf
      {0x322bcc77, 0x0000}, // 1e-8 underflows
      {0x32fffae5, 0x0000}, // just below half the smallest subnormal
      {0x337ffae5, 0x0001}, // about the smallest subnormal
      {0x37fba882, 0x01f7}, // 3e-5, subnormal
      {0x387fda40, 0x03ff}, // 6.1e-5, largest subnormal after rounding
      {0xbf2aaaab, 0xb955}, // -2/3
      {0x3f801000, 0x3c00}, // 1 + 2^-11: tie to even (down)
      {0x3f803000, 0x3c02}, // 1 + 3 * 2^-11: tie to even (up)
      {0x80000000, 0x8000}, // -0
  };
  for (auto [x, expected] : cases)
    EXPECT_EQ(toF16(fromBits(x)), expected) << std::hex << x;
  EXPECT_EQ(bitsOf(fromF16(0x3c02)), 0x3f804000u);
  EXPECT_EQ(bitsOf(fromF16(0x0001)), 0x33800000u);
  EXPECT_EQ(bitsOf(fromF16(0x03ff)), 0x387fc000u);
  EXPECT_EQ(bitsOf(fromF16(0xfc00)), 0xff800000u);
  EXPECT_EQ(bitsOf(fromBF16(0x3f80)), 0x3f800000u);
  for (uint32_t h = 0; h < 0x7c00; ++h)
    EXPECT_EQ(toF16(fromF16(uint16_t(h))), h);
}

TEST(SimNumerics, QuantizersMatchNumpy) {
  {
    float w[] = {0.5f, -1.25f, 2.0f, 0.0f};
    int32_t q[4];
    GroupQuant g = quantizeGroup(w, 2, /*symmetric=*/false, true, q);
    EXPECT_EQ(g.f16, 15445);
    EXPECT_EQ(g.zero, 1);
    EXPECT_EQ(std::vector<int32_t>(q, q + 4),
              (std::vector<int32_t>{1, 0, 3, 1}));
  }
  {
    float w[] = {0.5f, -1.25f, 2.0f, 0.0f, 3.3f, -0.7f, 0.01f, 1.1f};
    int32_t q[8];
    GroupQuant g = quantizeGroup(w, 4, false, true, q);
    EXPECT_EQ(g.f16, 13530);
    EXPECT_EQ(g.zero, 4);
    EXPECT_EQ(std::vector<int32_t>(q, q + 8),
              (std::vector<int32_t>{6, 0, 11, 4, 15, 2, 4, 8}));
    int32_t qa[8];
    float s = quantizeActivation(w, 8, qa);
    EXPECT_EQ(bitsOf(s), 0x3cd4dcedu);
    EXPECT_EQ(std::vector<int32_t>(qa, qa + 8),
              (std::vector<int32_t>{19, -48, 77, 0, 127, -27, 0, 42}));
  }
  {
    float w[] = {0.5f, -1.25f, 2.0f, 0.0f};
    int32_t q[4];
    GroupQuant g = quantizeGroup(w, 4, /*symmetric=*/true, true, q);
    EXPECT_EQ(g.f16, 13458);
    EXPECT_EQ(std::vector<int32_t>(q, q + 4),
              (std::vector<int32_t>{2, -4, 7, 0}));
  }
  {
    float w[] = {0.0f, 0.0f};
    int32_t q[2];
    GroupQuant g = quantizeGroup(w, 4, false, true, q);
    EXPECT_EQ(g.f16, 0x3c00);
    EXPECT_EQ(g.zero, 0);
  }
}

TEST(SimNumerics, RneClamp) {
  EXPECT_EQ(rneClamp(2.5f, -127, 127), 2);
  EXPECT_EQ(rneClamp(3.5f, -127, 127), 4);
  EXPECT_EQ(rneClamp(-2.5f, -127, 127), -2);
  EXPECT_EQ(rneClamp(1e30f, -127, 127), 127);
  EXPECT_EQ(rneClamp(-1e30f, -127, 127), -127);
}

} // namespace
