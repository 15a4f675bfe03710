//===- AttrTest.cpp - the compression attributes ---------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace accel;

namespace {

class AttrTest : public ::testing::Test {
protected:
  AttrTest() { context.getOrLoadDialect<AccelDialect>(); }
  MLIRContext context;
};

TEST_F(AttrTest, QuantRanges) {
  struct Case {
    unsigned bits;
    bool symmetric;
    int64_t min, max;
  } cases[] = {{2, false, 0, 3},    {2, true, -1, 1},   {3, false, 0, 7},
               {3, true, -3, 3},    {4, false, 0, 15},  {4, true, -7, 7},
               {8, false, 0, 255},  {8, true, -127, 127}};
  for (const Case &c : cases) {
    auto quant = QuantAttr::get(&context, c.bits, int64_t(32), c.symmetric);
    EXPECT_EQ(quant.getMinValue(), c.min) << c.bits << "-bit";
    EXPECT_EQ(quant.getMaxValue(), c.max) << c.bits << "-bit";
  }
}

TEST_F(AttrTest, QuantGroups) {
  auto perChannel = QuantAttr::get(&context, 8u, int64_t(0), true);
  EXPECT_TRUE(perChannel.isPerChannel());
  EXPECT_EQ(perChannel.getEffectiveGroupSize(4096), 4096);
  auto grouped = QuantAttr::get(&context, 2u, int64_t(128), false);
  EXPECT_FALSE(grouped.isPerChannel());
  EXPECT_EQ(grouped.getEffectiveGroupSize(4096), 128);
}

TEST_F(AttrTest, GetCheckedRejectsBadSettings) {
  std::vector<std::string> errors;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    errors.push_back(diag.str());
    return success();
  });
  auto emit = [&] { return emitError(UnknownLoc::get(&context)); };
  EXPECT_FALSE(QuantAttr::getChecked(emit, &context, 5u, int64_t(32), false));
  EXPECT_FALSE(SparsityAttr::getChecked(emit, &context, 3u, 2u));
  EXPECT_FALSE(LambdaAttr::getChecked(emit, &context, int64_t(4), int64_t(0)));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "quantization bits must be 2, 3, 4 or 8, got 5");
  EXPECT_EQ(errors[1], "N:M sparsity needs M in {4, 8, 16}, got 2");
  EXPECT_EQ(errors[2], "Λ attention needs window >= 1, got 0");
}

TEST_F(AttrTest, SparsityAndLambdaHelpers) {
  EXPECT_TRUE(SparsityAttr::get(&context, 4u, 4u).isDense());
  EXPECT_FALSE(SparsityAttr::get(&context, 2u, 4u).isDense());
  EXPECT_EQ(LambdaAttr::get(&context, int64_t(4), int64_t(1020)).getSpan(), 1024);
}

} // namespace
