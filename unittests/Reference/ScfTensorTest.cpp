//===- ScfTensorTest.cpp - loops, index arithmetic and slices -------------===//
//
// scf.for with iter_args (any trip count), integer/index arith, and tensor
// extract/extract_slice/insert_slice/empty, in both modes of the executor.
//
//===----------------------------------------------------------------------===//

#include "RunMLIR.h"

#include "accel/Reference/Golden.h"

using namespace accel::reference;
using namespace accel::reference::testing;

namespace {

Tensor index(int64_t value) { return Tensor(DType::I64, {}, {value}); }

const char *kSumLoop = R"mlir(
func.func @f(%lb: index, %ub: index, %step: index) -> (index, i64) {
  %c0 = arith.constant 0 : index
  %r = scf.for %i = %lb to %ub step %step iter_args(%acc = %c0) -> (index) {
    %n = arith.addi %acc, %i : index
    scf.yield %n : index
  }
  %w = arith.index_cast %r : index to i64
  return %r, %w : index, i64
})mlir";

TEST(ScfTensor, ForSumsItsInductionVariableAnyTripCount) {
  struct Case {
    int64_t lb, ub, step, sum;
  };
  for (Case c : {Case{1, 10, 3, 1 + 4 + 7}, Case{0, 1, 1, 0}, Case{5, 5, 1, 0},
                 Case{7, 2, 1, 0}, Case{-3, 3, 2, -3 - 1 + 1}})
    for (FunctionRunner runner : {run, runGolden}) {
      llvm::Expected<std::vector<Tensor>> results =
          runMLIR(kSumLoop, {index(c.lb), index(c.ub), index(c.step)}, runner);
      ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
      EXPECT_EQ(intsOf((*results)[0]), std::vector<int64_t>{c.sum});
      EXPECT_EQ((*results)[0].getRank(), 0);
      EXPECT_EQ(intsOf((*results)[1]), std::vector<int64_t>{c.sum});
    }
}

TEST(ScfTensor, IntegerArithCompareSelectAndExtract) {
  const char *source = R"mlir(
func.func @f(%a: index, %b: index, %t: tensor<2x3xi64>, %p: tensor<i64>)
    -> (index, index, index, index, i1, index, i64, index, i32) {
  %q = arith.divsi %a, %b : index
  %r = arith.remsi %a, %b : index
  %mx = arith.maxsi %a, %b : index
  %mn = arith.minsi %a, %b : index
  %lt = arith.cmpi slt, %a, %b : index
  %sel = arith.select %lt, %a, %b : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %e = tensor.extract %t[%c1, %c2] : tensor<2x3xi64>
  %pv = tensor.extract %p[] : tensor<i64>
  %pi = arith.index_cast %pv : i64 to index
  %m = arith.muli %pi, %c2 : index
  %c7 = arith.constant 2147483647 : i32
  %c1i = arith.constant 1 : i32
  %wrap = arith.addi %c7, %c1i : i32
  return %q, %r, %mx, %mn, %lt, %sel, %e, %m, %wrap
      : index, index, index, index, i1, index, i64, index, i32
})mlir";
  Tensor table(DType::I64, {2, 3}, {1, 2, 3, 4, 5, 6});
  llvm::Expected<std::vector<Tensor>> results = runMLIR(
      source, {index(-7), index(2), table, Tensor(DType::I64, {}, {21})});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  std::vector<int64_t> got;
  for (const Tensor &t : *results)
    got.push_back(t.getInts()[0]);
  // divsi and remsi truncate toward zero; i32 wraps.
  EXPECT_EQ(got,
            (std::vector<int64_t>{-3, -1, 2, -7, 1, -7, 6, 42, -2147483648LL}));
  EXPECT_EQ((*results)[4].getDType(), DType::Bool);
  EXPECT_EQ((*results)[8].getDType(), DType::I32);
}

// Tiles of 2 rows, each doubled, written into an empty tensor; the input is
// read by every iteration and once more after the loop.
const char *kTiles = R"mlir(
func.func @f(%x: tensor<1x6x2xf32>) -> (tensor<1x6x2xf32>, tensor<1x6x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c2 = arith.constant 2 : index
  %init = tensor.empty() : tensor<1x6x2xf32>
  %out = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %init) -> (tensor<1x6x2xf32>) {
    %row = arith.muli %i, %c2 : index
    %tile = tensor.extract_slice %x[0, %row, 0] [1, 2, 2] [1, 1, 1] : tensor<1x6x2xf32> to tensor<2x2xf32>
    %twice = arith.addf %tile, %tile : tensor<2x2xf32>
    %next = tensor.insert_slice %twice into %acc[0, %row, 0] [1, 2, 2] [1, 1, 1] : tensor<2x2xf32> into tensor<1x6x2xf32>
    scf.yield %next : tensor<1x6x2xf32>
  }
  %again = arith.addf %x, %x : tensor<1x6x2xf32>
  return %out, %again : tensor<1x6x2xf32>, tensor<1x6x2xf32>
})mlir";

TEST(ScfTensor, TiledLoopWithSlicesInBothModes) {
  std::vector<float> x = {0.5f, -1.0f, 2.0f,  3.5f, -4.0f, 0.25f,
                          1.0f, 2.0f,  -3.0f, 4.0f, 5.5f,  -6.0f};
  std::vector<float> twice;
  for (float v : x)
    twice.push_back(v + v);
  for (FunctionRunner runner : {run, runGolden}) {
    llvm::Expected<std::vector<Tensor>> results =
        runMLIR(kTiles, {Tensor({1, 6, 2}, x)}, runner);
    ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
    EXPECT_EQ(floatsOf((*results)[0]), twice);
    EXPECT_EQ(floatsOf((*results)[1]), twice);
  }
}

TEST(ScfTensor, StridedAndRankReducingSlices) {
  const char *source = R"mlir(
func.func @f(%x: tensor<4x3xf32>, %y: tensor<2xf32>) -> (tensor<2xf32>, tensor<4x3xf32>) {
  %s = tensor.extract_slice %x[1, 0] [1, 2] [1, 2] : tensor<4x3xf32> to tensor<2xf32>
  %i = tensor.insert_slice %y into %x[0, 1] [2, 1] [2, 1] : tensor<2xf32> into tensor<4x3xf32>
  return %s, %i : tensor<2xf32>, tensor<4x3xf32>
})mlir";
  std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  llvm::Expected<std::vector<Tensor>> results =
      runMLIR(source, {Tensor({4, 3}, x), Tensor({2}, {-1.0f, -2.0f})});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(floatsOf((*results)[0]), (std::vector<float>{3, 5}));
  EXPECT_EQ(floatsOf((*results)[1]),
            (std::vector<float>{0, -1, 2, 3, 4, 5, 6, -2, 8, 9, 10, 11}));
}

TEST(ScfTensor, ErrorsNameTheOpAndTheIteration) {
  // Tiles 3 rows apart: the third one starts past the last row.
  std::string tiles = kTiles;
  tiles.replace(tiles.find("arith.muli %i, %c2"), 18, "arith.muli %i, %c3");
  std::string message = runError(tiles, {Tensor(DType::F32, {1, 6, 2})});
  EXPECT_NE(message.find("scf.for: in the iteration with induction variable 2"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("tensor.extract_slice: offset 6 with size 2 and "
                         "stride 1 is out of range for dimension 1 of size 6"),
            std::string::npos)
      << message;

  message = runError(kSumLoop, {index(0), index(4), index(0)});
  EXPECT_NE(message.find("the step is 0, must be > 0"), std::string::npos)
      << message;

  message = runError(R"mlir(
func.func @f(%a: index, %b: index) -> index {
  %q = arith.divsi %a, %b : index
  return %q : index
})mlir",
                     {index(3), index(0)});
  EXPECT_NE(message.find("arith.divsi: division by zero"), std::string::npos)
      << message;

  message = runError(R"mlir(
func.func @f(%t: tensor<3xf32>, %i: index) -> f32 {
  %e = tensor.extract %t[%i] : tensor<3xf32>
  return %e : f32
})mlir",
                     {Tensor(DType::F32, {3}), index(3)});
  EXPECT_NE(message.find("index 3 is out of range for dimension 0 of size 3"),
            std::string::npos)
      << message;

  // An index argument is a rank-0 i64 tensor.
  message =
      runError(kSumLoop, {Tensor(DType::I32, {}, {0}), index(1), index(1)});
  EXPECT_NE(message.find("input #0"), std::string::npos) << message;
}

} // namespace
