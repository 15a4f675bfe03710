//===- ErrorsTest.cpp - the executor reports, never aborts ----------------===//

#include "RunMLIR.h"

using namespace accel::reference;
using namespace accel::reference::testing;

namespace {

bool contains(const std::string &text, llvm::StringRef part) {
  return llvm::StringRef(text).contains(part);
}

const char *kIdentity = R"mlir(
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = onnx.node "Identity"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
})mlir";

TEST(Errors, WrongInputCountAndShape) {
  std::string count = runError(kIdentity, {});
  EXPECT_TRUE(contains(count, "takes 1 arguments, got 0 inputs")) << count;
  std::string shape = runError(kIdentity, {Tensor({3}, {1, 2, 3})});
  EXPECT_TRUE(contains(shape, "input #0")) << shape;
  EXPECT_TRUE(contains(shape, "tensor<2xf32>")) << shape;
  std::string dtype = runError(kIdentity, {Tensor(DType::I64, {2}, {1, 2})});
  EXPECT_TRUE(contains(dtype, "input #0")) << dtype;
}

TEST(Errors, UnsupportedOpNamesTheNode) {
  std::string message = runError(R"mlir(
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = onnx.node "NoSuchOp"(%x) : (tensor<2xf32>) -> tensor<2xf32> loc("/layer.0/NoSuchOp")
  return %0 : tensor<2xf32>
})mlir",
                                 {Tensor({2}, {1, 2})});
  EXPECT_TRUE(contains(message, "'/layer.0/NoSuchOp'")) << message;
  EXPECT_TRUE(contains(message, "onnx.node \"NoSuchOp\"")) << message;
  EXPECT_TRUE(contains(message, "unsupported op")) << message;
}

TEST(Errors, ResultThatContradictsItsTypeIsReported) {
  std::string message = runError(R"mlir(
func.func @f(%x: tensor<2xf32>) -> tensor<3xf32> {
  %0 = onnx.node "Identity"(%x) : (tensor<2xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
})mlir",
                                 {Tensor({2}, {1, 2})});
  EXPECT_TRUE(contains(message, "result #0")) << message;
}

TEST(Errors, BadIndicesShapesAndSizes) {
  std::string gather = runError(R"mlir(
func.func @f(%x: tensor<2xf32>) -> tensor<1xf32> {
  %i = arith.constant dense<[2]> : tensor<1xi64>
  %0 = onnx.node "Gather"(%x, %i) : (tensor<2xf32>, tensor<1xi64>) -> tensor<1xf32>
  return %0 : tensor<1xf32>
})mlir",
                                {Tensor({2}, {1, 2})});
  EXPECT_TRUE(contains(gather, "out of range")) << gather;

  std::string reshape = runError(R"mlir(
func.func @f(%x: tensor<2xf32>) -> tensor<?xf32> {
  %s = arith.constant dense<[3]> : tensor<1xi64>
  %0 = onnx.node "Reshape"(%x, %s) : (tensor<2xf32>, tensor<1xi64>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
})mlir",
                                 {Tensor({2}, {1, 2})});
  EXPECT_TRUE(contains(reshape, "cannot reshape")) << reshape;

  std::string huge = runError(R"mlir(
func.func @f() -> tensor<?x?xf32> {
  %s = arith.constant dense<[1000000000, 1000000000]> : tensor<2xi64>
  %0 = onnx.node "ConstantOfShape"(%s) : (tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
})mlir",
                              {});
  EXPECT_TRUE(contains(huge, "more than the executor's")) << huge;

  std::string missing = runError(R"mlir(
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = onnx.node "Add"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
})mlir",
                                 {Tensor({2}, {1, 2})});
  EXPECT_TRUE(contains(missing, "input #1 is required")) << missing;
}

TEST(Errors, QuantizedOpsNeedTheGoldenModel) {
  std::string message = runError(R"mlir(
func.func @f(%x: tensor<1x64xf32>, %w: tensor<4x64xi4>, %s: tensor<4x2xf16>) -> tensor<1x4xf32> {
  %0 = accel.linear %x, %w scales(%s : tensor<4x2xf16>)
         {weight_quant = #accel.quant<bits = 4, group = 32, symmetric>}
         : tensor<1x64xf32>, tensor<4x64xi4> -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
})mlir",
                                 {Tensor({1, 64}, std::vector<float>(64)),
                                  Tensor(DType::I8, {4, 64}, std::vector<int64_t>(256)),
                                  Tensor({4, 2}, std::vector<float>(8), DType::F16)});
  // The i4 argument itself cannot be held.
  EXPECT_TRUE(contains(message, "quantized golden model")) << message;
  EXPECT_TRUE(contains(message, "input #1")) << message;
}

TEST(Errors, EmbeddingIdOutOfRange) {
  std::string message = runError(R"mlir(
func.func @f(%ids: tensor<1xi64>, %t: tensor<2x2xf32>) -> tensor<1x2xf32> {
  %0 = accel.embedding %ids, %t : tensor<1xi64>, tensor<2x2xf32> -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
})mlir",
                                 {Tensor(DType::I64, {1}, {5}),
                                  Tensor({2, 2}, {1, 2, 3, 4})});
  EXPECT_TRUE(contains(message, "outside the vocabulary")) << message;
}

TEST(Errors, QuantizedLinearWithFloatInputsIsUnsupported) {
  std::string message = runError(R"mlir(
func.func @f(%x: tensor<1x64xf32>, %s: tensor<4x2xf16>) -> tensor<1x4xf32> {
  %w = arith.constant dense<1> : tensor<4x64xi8>
  %0 = accel.linear %x, %w scales(%s : tensor<4x2xf16>)
         {weight_quant = #accel.quant<bits = 8, group = 32, symmetric>}
         : tensor<1x64xf32>, tensor<4x64xi8> -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
})mlir",
                                 {Tensor({1, 64}, std::vector<float>(64)),
                                  Tensor({4, 2}, std::vector<float>(8), DType::F16)});
  EXPECT_TRUE(contains(message, "quantized golden model")) << message;
  EXPECT_TRUE(contains(message, "accel.linear")) << message;
}

} // namespace
