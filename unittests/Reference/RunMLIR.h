//===- RunMLIR.h - parse MLIR text and run it on the executor ---*- C++ -*-===//

#ifndef ACCEL_UNITTESTS_REFERENCE_RUNMLIR_H
#define ACCEL_UNITTESTS_REFERENCE_RUNMLIR_H

#include "accel/InitAccel.h"
#include "accel/Reference/Executor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace accel::reference::testing {

/// How a function is run: `run` (fp32 reference) or `runGolden`.
using FunctionRunner = llvm::Expected<std::vector<Tensor>> (*)(
    mlir::func::FuncOp, llvm::ArrayRef<Tensor>);

/// Parses `source` (a module) and runs its first function on `inputs` with
/// `runner`.
inline llvm::Expected<std::vector<Tensor>>
runMLIR(llvm::StringRef source, llvm::ArrayRef<Tensor> inputs,
        FunctionRunner runner = run) {
  mlir::DialectRegistry registry;
  accel::registerAccelDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "parse error: " + diagnostics);
  auto functions = module->getOps<mlir::func::FuncOp>();
  if (functions.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no function");
  return runner(*functions.begin(), inputs);
}

/// Runs `source` and returns its single result, failing the test on error.
inline Tensor runOne(llvm::StringRef source, llvm::ArrayRef<Tensor> inputs) {
  llvm::Expected<std::vector<Tensor>> results = runMLIR(source, inputs);
  if (!results) {
    ADD_FAILURE() << llvm::toString(results.takeError());
    return Tensor(DType::F32, {0});
  }
  EXPECT_EQ(results->size(), 1u);
  return results->empty() ? Tensor(DType::F32, {0}) : results->front();
}

/// The message of a run that must fail.
inline std::string runError(llvm::StringRef source,
                            llvm::ArrayRef<Tensor> inputs) {
  llvm::Expected<std::vector<Tensor>> results = runMLIR(source, inputs);
  if (results) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(results.takeError());
}

inline std::vector<float> floatsOf(const Tensor &t) {
  return std::vector<float>(t.getFloats().begin(), t.getFloats().end());
}

inline std::vector<int64_t> intsOf(const Tensor &t) {
  return std::vector<int64_t>(t.getInts().begin(), t.getInts().end());
}

inline std::vector<int64_t> shapeOf(const Tensor &t) {
  return std::vector<int64_t>(t.getShape().begin(), t.getShape().end());
}

/// Element-wise comparison within `tolerance` (absolute).
inline void expectNear(const Tensor &actual, const std::vector<float> &expected,
                       float tolerance = 1e-5f) {
  ASSERT_EQ(actual.getNumElements(), static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(actual.getDouble(i), expected[i], tolerance) << "element " << i;
}

} // namespace accel::reference::testing

#endif // ACCEL_UNITTESTS_REFERENCE_RUNMLIR_H
