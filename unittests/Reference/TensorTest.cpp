//===- TensorTest.cpp - host tensors and constant attributes --------------===//

#include "RunMLIR.h"

#include <cmath>
#include <cstring>

using namespace accel::reference;
using namespace accel::reference::testing;

namespace {

TEST(Tensor, HalfAndBFloatRoundToNearestEven) {
  EXPECT_EQ(roundToF16(1.0f + 0x1p-11f), 1.0f);
  EXPECT_EQ(roundToF16(1.0f + 3 * 0x1p-11f), 1.0f + 0x1p-9f);
  EXPECT_EQ(roundToF16(65504.0f), 65504.0f);
  EXPECT_EQ(roundToF16(65519.0f), 65504.0f);
  EXPECT_TRUE(std::isinf(roundToF16(65520.0f)));
  EXPECT_EQ(roundToF16(0x1p-25f), 0.0f);        // tie below the subnormals
  EXPECT_EQ(roundToF16(0x1.8p-25f), 0x1p-24f);  // above the tie
  EXPECT_EQ(roundToBF16(1.0f + 0x1p-8f), 1.0f);
  EXPECT_EQ(roundToBF16(1.0f + 3 * 0x1p-8f), 1.0f + 0x1p-6f);
  EXPECT_TRUE(std::isnan(roundToBF16(NAN)));
}

TEST(Tensor, HalfBitsConvertBothWays) {
  // Every f16 bit pattern is exact in float and comes back unchanged.
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    float value = f16BitsToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value))
      continue;
    EXPECT_EQ(floatToF16Bits(value), bits) << bits;
    EXPECT_EQ(roundToF16(value), value) << bits;
  }
  EXPECT_EQ(f16BitsToFloat(0x3c00u), 1.0f);
  EXPECT_EQ(f16BitsToFloat(0x0001u), 0x1p-24f);
  EXPECT_EQ(f16BitsToFloat(0xfbffu), -65504.0f);
  EXPECT_EQ(floatToF16Bits(1.0f + 3 * 0x1p-11f), 0x3c02u); // ties to even
  EXPECT_EQ(floatToF16Bits(65520.0f), 0x7c00u);
  EXPECT_EQ(floatToF16Bits(-0.0f), 0x8000u);
  EXPECT_EQ(floatToF16Bits(NAN) & 0x7e00u, 0x7e00u);
  // Rounding agrees with roundToF16 across the float range.
  for (uint64_t word = 0; word < 0x7f800000u; word += 0x1003u) {
    float value;
    uint32_t bits = static_cast<uint32_t>(word);
    std::memcpy(&value, &bits, sizeof(value));
    EXPECT_EQ(f16BitsToFloat(floatToF16Bits(value)), roundToF16(value)) << bits;
    EXPECT_EQ(f16BitsToFloat(floatToF16Bits(-value)), roundToF16(-value))
        << bits;
  }
}

TEST(Tensor, IntegersWrapToTheirType) {
  Tensor t(DType::U8, {3}, {255, 256, -1});
  EXPECT_EQ(intsOf(t), (std::vector<int64_t>{255, 0, 255}));
  EXPECT_EQ(intsOf(Tensor(DType::I8, {2}, {128, -129})),
            (std::vector<int64_t>{-128, 127}));
  Tensor f({3}, {2.9f, -2.9f, NAN});
  EXPECT_EQ(intsOf(f.castTo(DType::I32)), (std::vector<int64_t>{2, -2, 0}));
  EXPECT_EQ(Tensor(DType::U64, {1}, {-1}).getDouble(0), 0x1p64);
}

TEST(Tensor, PrintsTypeAndElidedValues) {
  Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.toString(4), "tensor<2x3xf32> [1, 2, 3, 4, ... (6 elements)]");
  EXPECT_EQ(Tensor(DType::Bool, {2}, {1, 0}).toString(), "tensor<2xi1> [1, 0]");
}

TEST(Tensor, ConstantsOfEveryElementType) {
  const char *source = R"mlir(
func.func @f() -> (tensor<2xf16>, tensor<2xbf16>, tensor<3xi1>, tensor<2xui8>, tensor<2x2xf32>, tensor<2xf64>) {
  %0 = arith.constant dense<[1.5, -65504.0]> : tensor<2xf16>
  %1 = arith.constant dense<[0.25, 3.0e+38]> : tensor<2xbf16>
  %2 = arith.constant dense<[true, false, true]> : tensor<3xi1>
  %3 = arith.constant dense<[200, 7]> : tensor<2xui8>
  %4 = arith.constant dense<2.5> : tensor<2x2xf32>
  %5 = arith.constant dense_resource<blob> : tensor<2xf64>
  return %0, %1, %2, %3, %4, %5 : tensor<2xf16>, tensor<2xbf16>, tensor<3xi1>, tensor<2xui8>, tensor<2x2xf32>, tensor<2xf64>
}
{-#
  dialect_resources: {
    builtin: {
      blob: "0x08000000000000000000F83F000000000000F0BF"
    }
  }
#-})mlir";
  auto results = runMLIR(source, {});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(floatsOf((*results)[0]), (std::vector<float>{1.5, -65504}));
  EXPECT_EQ((*results)[1].getDouble(0), 0.25);
  EXPECT_EQ((*results)[1].getDouble(1), static_cast<double>(roundToBF16(3.0e38f)));
  EXPECT_EQ(intsOf((*results)[2]), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ((*results)[3].getDType(), DType::U8);
  EXPECT_EQ(intsOf((*results)[3]), (std::vector<int64_t>{200, 7}));
  EXPECT_EQ(floatsOf((*results)[4]), (std::vector<float>{2.5, 2.5, 2.5, 2.5}));
  EXPECT_EQ((*results)[5].getDType(), DType::F64);
  EXPECT_EQ((*results)[5].getDoubles()[0], 1.5);
  EXPECT_EQ((*results)[5].getDoubles()[1], -1.0);
}

TEST(Tensor, FloatRowsOfConstants) {
  const char *source = R"mlir(
func.func @f() {
  %0 = arith.constant dense_resource<half> : tensor<2x2xf16>
  %1 = arith.constant dense_resource<brain> : tensor<2x2xbf16>
  %2 = arith.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>
  %3 = arith.constant dense_resource<short> : tensor<2x2xf16>
  return
}
{-#
  dialect_resources: {
    builtin: {
      half: "0x02000000003E00C00034FF7B",
      brain: "0x02000000C03F00C0803E4040",
      short: "0x02000000003E00C00034"
    }
  }
#-})mlir";
  mlir::DialectRegistry registry;
  accel::registerAccelDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  ASSERT_TRUE(bool(module));
  std::vector<mlir::Attribute> constants;
  module->walk([&](mlir::Operation *op) {
    if (mlir::Attribute value = op->getAttr("value"))
      constants.push_back(value);
  });
  ASSERT_EQ(constants.size(), 4u);
  auto rows = [](mlir::Attribute attr) {
    std::vector<std::vector<float>> out;
    llvm::Error error =
        forEachFloatRow(attr, [&](int64_t r, llvm::ArrayRef<float> row) {
          EXPECT_EQ(r, static_cast<int64_t>(out.size()));
          out.emplace_back(row.begin(), row.end());
        });
    EXPECT_FALSE(bool(error)) << llvm::toString(std::move(error));
    return out;
  };
  using Rows = std::vector<std::vector<float>>;
  EXPECT_EQ(rows(constants[0]), (Rows{{1.5, -2}, {0.25, 65504}}));
  EXPECT_EQ(rows(constants[1]), (Rows{{1.5, -2}, {0.25, 3}}));
  EXPECT_EQ(rows(constants[2]), (Rows{{1, 2, 3}, {4, 5, 6}}));
  llvm::Error error = forEachFloatRow(
      constants[3], [](int64_t, llvm::ArrayRef<float>) {
        ADD_FAILURE() << "a row of a blob of the wrong size";
      });
  EXPECT_EQ(llvm::toString(std::move(error)),
            "dense_resource 'short' holds 6 bytes, its type tensor<2x2xf16> "
            "needs 8");
}

TEST(Tensor, SupportedOpsAreSortedAndQueryable) {
  llvm::ArrayRef<llvm::StringLiteral> ops = supportedONNXOps();
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end(),
                             [](llvm::StringRef a, llvm::StringRef b) { return a < b; }));
  EXPECT_TRUE(isSupportedONNXOp("MatMul"));
  EXPECT_TRUE(isSupportedONNXOp("LayerNormalization"));
  EXPECT_FALSE(isSupportedONNXOp("Conv"));
}

} // namespace
