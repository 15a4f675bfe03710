//===- RaiseONNX.cpp - accel-raise-onnx -----------------------------------===//
//
// Raises imported ONNX decoder subgraphs to accel ops. The patterns live in
// lib/Transforms/RaiseONNX/, one file per family; this file runs them.
//
//===----------------------------------------------------------------------===//

#include "RaiseONNX/Match.h"

#include "accel/Dialect/Accel/AccelDialect.h"
#include "accel/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace accel {
#define GEN_PASS_DEF_RAISEONNX
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;

namespace {

struct RaiseONNXPass : public accel::impl::RaiseONNXBase<RaiseONNXPass> {
  using RaiseONNXBase::RaiseONNXBase;

  LogicalResult initialize(MLIRContext *context) override {
    RewritePatternSet set(context);
    raise::populateFoldPatterns(set);
    raise::populateLinearPatterns(set);
    raise::populateNormPatterns(set);
    raise::populateActivationPatterns(set);
    raise::populateAttentionPatterns(set);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    GreedyRewriteConfig config;
    config.maxIterations = 16;
    // Bounded: a pattern set that cycles is a bug to report, not to hang on.
    config.maxNumRewrites = 1 << 20;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), patterns, config))) {
      getOperation().emitError("accel-raise-onnx did not converge");
      return signalPassFailure();
    }
    if (!reportUnraised)
      return;
    getOperation().walk([](onnxir::NodeOp node) {
      StringRef type = node.getOpType();
      if (node.getDomain().empty() &&
          (type == "MatMul" || type == "Gemm" || type == "Softmax"))
        node.emitWarning() << type
                           << " was not raised to an accel op: the engine "
                              "cannot run it";
    });
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
