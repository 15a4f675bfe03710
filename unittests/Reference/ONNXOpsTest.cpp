//===- ONNXOpsTest.cpp - onnx.node kernels of the reference executor ------===//

#include "RunMLIR.h"

#include <cmath>

using namespace accel::reference;
using namespace accel::reference::testing;

namespace {

Tensor iota(llvm::ArrayRef<int64_t> shape, float start = 1.0f) {
  std::vector<float> values(*countElements(shape));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = start + static_cast<float>(i);
  return Tensor(shape, values);
}

TEST(ONNXOps, AddBroadcastsBothWays) {
  const char *source = R"mlir(
func.func @f(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1xf32>, %d: tensor<1x3xf32>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = onnx.node "Add"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = onnx.node "Add"(%c, %d) : (tensor<2x1xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
})mlir";
  auto results = runMLIR(source, {iota({2, 3}), Tensor({3}, {10, 20, 30}),
                                  Tensor({2, 1}, {1, 2}),
                                  Tensor({1, 3}, {10, 20, 30})});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(floatsOf((*results)[0]),
            (std::vector<float>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(floatsOf((*results)[1]),
            (std::vector<float>{11, 21, 31, 12, 22, 32}));
}

TEST(ONNXOps, IntegerDivTruncatesAndModFollowsDivisor) {
  const char *source = R"mlir(
func.func @f(%a: tensor<2xi64>, %b: tensor<2xi64>) -> (tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) {
  %0 = onnx.node "Div"(%a, %b) : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %1 = onnx.node "Mod"(%a, %b) : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %2 = onnx.node "Mod"(%a, %b) {fmod = 1 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0, %1, %2 : tensor<2xi64>, tensor<2xi64>, tensor<2xi64>
})mlir";
  auto results = runMLIR(source, {Tensor(DType::I64, {2}, {-7, 7}),
                                  Tensor(DType::I64, {2}, {2, -2})});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(intsOf((*results)[0]), (std::vector<int64_t>{-3, -3}));
  EXPECT_EQ(intsOf((*results)[1]), (std::vector<int64_t>{1, -1}));
  EXPECT_EQ(intsOf((*results)[2]), (std::vector<int64_t>{-1, 1}));
}

TEST(ONNXOps, MatMulBatchedAndOneDimensional) {
  const char *source = R"mlir(
func.func @f(%a: tensor<2x2x3xf32>, %b: tensor<3x2xf32>, %v: tensor<3xf32>, %m: tensor<2x3xf32>)
    -> (tensor<2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<f32>) {
  %0 = onnx.node "MatMul"(%a, %b) : (tensor<2x2x3xf32>, tensor<3x2xf32>) -> tensor<2x2x2xf32>
  %1 = onnx.node "MatMul"(%v, %b) : (tensor<3xf32>, tensor<3x2xf32>) -> tensor<2xf32>
  %2 = onnx.node "MatMul"(%m, %v) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2xf32>
  %3 = onnx.node "MatMul"(%v, %v) : (tensor<3xf32>, tensor<3xf32>) -> tensor<f32>
  return %0, %1, %2, %3 : tensor<2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<f32>
})mlir";
  Tensor a({2, 2, 3}, {1, 2, 3, 4, 5, 6, 1, 0, 0, 0, 1, 0});
  auto results = runMLIR(source, {a, iota({3, 2}), Tensor({3}, {1, 2, 3}),
                                  iota({2, 3})});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(floatsOf((*results)[0]),
            (std::vector<float>{22, 28, 49, 64, 1, 2, 3, 4}));
  EXPECT_EQ(floatsOf((*results)[1]), (std::vector<float>{22, 28}));
  EXPECT_EQ(floatsOf((*results)[2]), (std::vector<float>{14, 32}));
  EXPECT_EQ(shapeOf((*results)[3]), std::vector<int64_t>{});
  EXPECT_EQ(floatsOf((*results)[3]), (std::vector<float>{14}));
}

TEST(ONNXOps, GemmTransposesScalesAndBroadcastsC) {
  const char *source = R"mlir(
func.func @f(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>, %c: tensor<4xf32>, %at: tensor<3x2xf32>, %bt: tensor<3x4xf32>)
    -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = onnx.node "Gemm"(%a, %b, %c) {alpha = 2.0 : f32, beta = 0.5 : f32, transB = 1 : i64}
         : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %n = onnx.none
  %1 = onnx.node "Gemm"(%at, %bt, %n) {transA = 1 : i64}
         : (tensor<3x2xf32>, tensor<3x4xf32>, none) -> tensor<2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
})mlir";
  Tensor b({4, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1});
  Tensor at({3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor bt({3, 4}, {1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1});
  auto results = runMLIR(source, {iota({2, 3}), b, Tensor({4}, {10, 20, 30, 40}),
                                  at, bt});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(floatsOf((*results)[0]),
            (std::vector<float>{7, 14, 21, 32, 13, 20, 27, 50}));
  EXPECT_EQ(floatsOf((*results)[1]),
            (std::vector<float>{1, 2, 3, 6, 4, 5, 6, 15}));
}

const char *kSoftmax = R"mlir(
module attributes {onnx.opset = {"ai.onnx" = OPSET : i64}} {
func.func @f(%x: tensor<1x2x2xf32>) -> (tensor<1x2x2xf32>, tensor<1x2x2xf32>) {
  %0 = onnx.node "Softmax"(%x) {axis = 1 : i64} : (tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
  %1 = onnx.node "Softmax"(%x) : (tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
  return %0, %1 : tensor<1x2x2xf32>, tensor<1x2x2xf32>
}
})mlir";

std::string withOpset(const char *source, int opset) {
  std::string text = source;
  text.replace(text.find("OPSET"), 5, std::to_string(opset));
  return text;
}

TEST(ONNXOps, SoftmaxFollowsTheOpset) {
  Tensor x({1, 2, 2}, {0, 1, 2, 3});
  auto v13 = runMLIR(withOpset(kSoftmax, 13), {x});
  ASSERT_TRUE(bool(v13)) << llvm::toString(v13.takeError());
  // Opset 13: one softmax per position of every other axis.
  expectNear((*v13)[0], {0.1192029f, 0.1192029f, 0.8807971f, 0.8807971f});
  expectNear((*v13)[1], {0.2689414f, 0.7310586f, 0.2689414f, 0.7310586f});
  auto v11 = runMLIR(withOpset(kSoftmax, 11), {x});
  ASSERT_TRUE(bool(v11)) << llvm::toString(v11.takeError());
  // Before 13: flattened to [1, 4] at axis 1, default axis 1.
  std::vector<float> flat{0.0320586f, 0.0871443f, 0.2368828f, 0.6439143f};
  expectNear((*v11)[0], flat);
  expectNear((*v11)[1], flat);
}

TEST(ONNXOps, ReduceAxesKeepdimsAndOpsets) {
  const char *source = R"mlir(
module attributes {onnx.opset = {"ai.onnx" = 13 : i64}} {
func.func @f(%x: tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2xf32>, tensor<1x1xf32>, tensor<2x3xf32>, tensor<3xf32>) {
  %axes = arith.constant dense<[1]> : tensor<1xi64>
  %n = onnx.none
  %0 = onnx.node "ReduceSum"(%x, %axes) : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %1 = onnx.node "ReduceSum"(%x, %axes) {keepdims = 0 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2xf32>
  %2 = onnx.node "ReduceSum"(%x, %n) : (tensor<2x3xf32>, none) -> tensor<1x1xf32>
  %3 = onnx.node "ReduceSum"(%x) {noop_with_empty_axes = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = onnx.node "ReduceMean"(%x) {axes = array<i64: 0>, keepdims = 0 : i64} : (tensor<2x3xf32>) -> tensor<3xf32>
  return %0, %1, %2, %3, %4 : tensor<2x1xf32>, tensor<2xf32>, tensor<1x1xf32>, tensor<2x3xf32>, tensor<3xf32>
}
})mlir";
  auto results = runMLIR(source, {iota({2, 3})});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(shapeOf((*results)[0]), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(floatsOf((*results)[0]), (std::vector<float>{6, 15}));
  EXPECT_EQ(floatsOf((*results)[1]), (std::vector<float>{6, 15}));
  EXPECT_EQ(floatsOf((*results)[2]), (std::vector<float>{21}));
  EXPECT_EQ(floatsOf((*results)[3]), floatsOf(iota({2, 3})));
  EXPECT_EQ(floatsOf((*results)[4]), (std::vector<float>{2.5, 3.5, 4.5}));
}

TEST(ONNXOps, ReduceMaxTakesAxesAsInputFromOpset18) {
  const char *source = R"mlir(
module attributes {onnx.opset = {"ai.onnx" = 18 : i64}} {
func.func @f(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %axes = arith.constant dense<[-1]> : tensor<1xi64>
  %0 = onnx.node "ReduceMax"(%x, %axes) {keepdims = 0 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
})mlir";
  EXPECT_EQ(floatsOf(runOne(source, {iota({2, 3})})),
            (std::vector<float>{3, 6}));
}

TEST(ONNXOps, GatherTakesNegativeIndices) {
  const char *source = R"mlir(
func.func @f(%x: tensor<3x2xf32>) -> (tensor<2x2xf32>, tensor<3x1x1xf32>) {
  %i = arith.constant dense<[-1, 0]> : tensor<2xi64>
  %j = arith.constant dense<[[-1]]> : tensor<1x1xi32>
  %0 = onnx.node "Gather"(%x, %i) : (tensor<3x2xf32>, tensor<2xi64>) -> tensor<2x2xf32>
  %1 = onnx.node "Gather"(%x, %j) {axis = 1 : i64} : (tensor<3x2xf32>, tensor<1x1xi32>) -> tensor<3x1x1xf32>
  return %0, %1 : tensor<2x2xf32>, tensor<3x1x1xf32>
})mlir";
  auto results = runMLIR(source, {iota({3, 2})});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(floatsOf((*results)[0]), (std::vector<float>{5, 6, 1, 2}));
  EXPECT_EQ(floatsOf((*results)[1]), (std::vector<float>{2, 4, 6}));
}

TEST(ONNXOps, SliceWithNegativeStepsAndClampedBounds) {
  const char *source = R"mlir(
func.func @f(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x3xf32>) {
  %starts = arith.constant dense<[0, 3]> : tensor<2xi64>
  %ends = arith.constant dense<[2, -1000]> : tensor<2xi64>
  %axes = arith.constant dense<[0, 1]> : tensor<2xi64>
  %steps = arith.constant dense<[1, -2]> : tensor<2xi64>
  %0 = onnx.node "Slice"(%x, %starts, %ends, %axes, %steps)
         : (tensor<2x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x2xf32>
  %s = arith.constant dense<[-3]> : tensor<1xi64>
  %e = arith.constant dense<[9223372036854775807]> : tensor<1xi64>
  %a = arith.constant dense<[-1]> : tensor<1xi64>
  %1 = onnx.node "Slice"(%x, %s, %e, %a)
         : (tensor<2x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x2xf32>, tensor<2x3xf32>
})mlir";
  auto results = runMLIR(source, {iota({2, 4}, 0.0f)});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(floatsOf((*results)[0]), (std::vector<float>{3, 1, 7, 5}));
  EXPECT_EQ(floatsOf((*results)[1]), (std::vector<float>{1, 2, 3, 5, 6, 7}));
}

TEST(ONNXOps, CastRoundsToEvenAndTruncatesToIntegers) {
  const char *source = R"mlir(
func.func @f(%x: tensor<5xf32>) -> (tensor<5xf16>, tensor<5xbf16>, tensor<5xi32>, tensor<5xi1>) {
  %0 = onnx.node "Cast"(%x) {to = 10 : i64} : (tensor<5xf32>) -> tensor<5xf16>
  %1 = onnx.node "Cast"(%x) {to = 16 : i64} : (tensor<5xf32>) -> tensor<5xbf16>
  %2 = onnx.node "Cast"(%x) {to = 6 : i64} : (tensor<5xf32>) -> tensor<5xi32>
  %3 = onnx.node "Cast"(%x) {to = 9 : i64} : (tensor<5xf32>) -> tensor<5xi1>
  return %0, %1, %2, %3 : tensor<5xf16>, tensor<5xbf16>, tensor<5xi32>, tensor<5xi1>
})mlir";
  Tensor x({5}, {1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f, 65520.0f, -2.7f, 0.0f});
  auto results = runMLIR(source, {x});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  std::vector<float> f16 = floatsOf((*results)[0]);
  EXPECT_EQ(f16[0], 1.0f);
  EXPECT_EQ(f16[1], 1.001953125f);
  EXPECT_TRUE(std::isinf(f16[2]));
  EXPECT_EQ(f16[3], -2.69921875f);
  std::vector<float> bf16 = floatsOf((*results)[1]);
  EXPECT_EQ(bf16[0], 1.0f);
  EXPECT_EQ(bf16[2], 65536.0f);
  EXPECT_EQ(intsOf((*results)[2]), (std::vector<int64_t>{1, 1, 65520, -2, 0}));
  EXPECT_EQ(intsOf((*results)[3]), (std::vector<int64_t>{1, 1, 1, 1, 0}));
}

TEST(ONNXOps, RoundIsHalfToEven) {
  const char *source = R"mlir(
func.func @f(%x: tensor<5xf32>) -> tensor<5xf32> {
  %0 = onnx.node "Round"(%x) : (tensor<5xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
})mlir";
  EXPECT_EQ(floatsOf(runOne(source, {Tensor({5}, {0.5, 1.5, 2.5, -1.5, 2.6})})),
            (std::vector<float>{0, 2, 2, -2, 3}));
}

TEST(ONNXOps, EinsumContractsAndTransposes) {
  const char *source = R"mlir(
func.func @f(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> (tensor<2x2xf32>, tensor<3x2xf32>, tensor<f32>) {
  %0 = onnx.node "Einsum"(%a, %b) {equation = "ij,jk->ik"} : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  %1 = onnx.node "Einsum"(%a) {equation = "ij->ji"} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %2 = onnx.node "Einsum"(%a) {equation = "ij->"} : (tensor<2x3xf32>) -> tensor<f32>
  return %0, %1, %2 : tensor<2x2xf32>, tensor<3x2xf32>, tensor<f32>
})mlir";
  auto results = runMLIR(source, {iota({2, 3}), iota({3, 2})});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(floatsOf((*results)[0]), (std::vector<float>{22, 28, 49, 64}));
  EXPECT_EQ(floatsOf((*results)[1]), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(floatsOf((*results)[2]), (std::vector<float>{21}));
}

} // namespace
