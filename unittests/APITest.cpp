//===- APITest.cpp - accel's small C++ API ---------------------------------===//

#include "accel/API/Module.h"

#include "gtest/gtest.h"

using accel::api::Module;

namespace {

const char *kAttention = R"mlir(
func.func @f(%q: tensor<1x4x64xf32>, %p: tensor<1x0x64xf32>) -> tensor<1x4x64xf32> {
  %0 = accel.attention %q, %q, %q past(%p, %p : tensor<1x0x64xf32>, tensor<1x0x64xf32>) heads(4, 4) causal
         : tensor<1x4x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32> -> tensor<1x4x64xf32>
  return %0 : tensor<1x4x64xf32>
}
)mlir";

TEST(API, ParseCountAndPrint) {
  llvm::Expected<Module> module = Module::parse(kAttention);
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  auto counts = module->opCounts();
  EXPECT_EQ(counts["accel.attention"], 1);
  EXPECT_EQ(counts["func.func"], 1);
  EXPECT_EQ(counts["func.return"], 1);
  EXPECT_NE(module->toMLIR().find("heads(4, 4) causal"), std::string::npos);
  EXPECT_NE(module->toMLIR(/*generic=*/true).find("\"accel.attention\""),
            std::string::npos);
}

TEST(API, ParseErrorsCarryLocations) {
  llvm::Expected<Module> module = Module::parse(
      "func.func @f(%x: tensor<2x4xf32>, %w: tensor<8x5xf32>) {\n"
      "  %0 = accel.linear %x, %w : tensor<2x4xf32>, tensor<8x5xf32> -> "
      "tensor<2x8xf32>\n  return\n}\n",
      "bad.mlir");
  ASSERT_FALSE(bool(module));
  std::string message = llvm::toString(module.takeError());
  EXPECT_NE(message.find("bad.mlir:2:8: error:"), std::string::npos)
      << message;
  EXPECT_NE(message.find("does not match the weight's K 5"), std::string::npos)
      << message;
}

TEST(API, RunPipeline) {
  llvm::Expected<Module> module = Module::parse(kAttention);
  ASSERT_TRUE(bool(module));
  // Shorthand and anchored pipelines both work.
  ASSERT_FALSE(bool(module->runPipeline("canonicalize")));
  EXPECT_EQ(module->toMLIR().find("past("), std::string::npos);
  ASSERT_FALSE(bool(module->runPipeline("builtin.module(func.func(cse))")));
}

TEST(API, BadPipelineIsAnError) {
  llvm::Expected<Module> module = Module::parse(kAttention);
  ASSERT_TRUE(bool(module));
  llvm::Error error = module->runPipeline("no-such-pass");
  ASSERT_TRUE(bool(error));
  EXPECT_NE(llvm::toString(std::move(error)).find("no-such-pass"),
            std::string::npos);
}

TEST(API, LoadMissingFile) {
  llvm::Expected<Module> module = Module::load("/nonexistent/model.mlir");
  ASSERT_FALSE(bool(module));
  EXPECT_NE(llvm::toString(module.takeError()).find("/nonexistent/model.mlir"),
            std::string::npos);
}

} // namespace
