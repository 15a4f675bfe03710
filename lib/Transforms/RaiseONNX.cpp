//===- RaiseONNX.cpp - accel-raise-onnx -----------------------------------===//
//
// Raises imported ONNX decoder subgraphs to accel ops. The patterns live in
// lib/Transforms/RaiseONNX/, one file per family; this file runs them.
//
//===----------------------------------------------------------------------===//

#include "RaiseONNX/Match.h"

#include "accel/Dialect/Accel/AccelDialect.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringExtras.h"

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
    RewritePatternSet fold(context);
    raise::populateFoldPatterns(fold);
    foldPatterns = FrozenRewritePatternSet(std::move(fold));
    RewritePatternSet set(context);
    raise::populateFoldPatterns(set);
    raise::populateLinearPatterns(set);
    raise::populateNormPatterns(set);
    raise::populateActivationPatterns(set);
    raise::populateAttentionPatterns(set);
    patterns = FrozenRewritePatternSet(std::move(set));
    RewritePatternSet elementwise(context);
    raise::populateElementwisePatterns(elementwise);
    raise::populateSplitLinearPatterns(elementwise);
    elementwisePatterns = FrozenRewritePatternSet(std::move(elementwise));
    return success();
  }

  void runOnOperation() override {
    GreedyRewriteConfig config;
    config.maxIterations = 16;
    // Bounded: a pattern set that cycles is a bug to report, not to hang on.
    config.maxNumRewrites = 1 << 20;
    // Shape plumbing folded first (so that every pattern sees constants
    // where there are constants), then the structural patterns, then what is
    // left of the arithmetic.
    for (const FrozenRewritePatternSet *phase :
         {&foldPatterns, &patterns, &elementwisePatterns}) {
      if (failed(applyPatternsAndFoldGreedily(getOperation(), *phase,
                                              config))) {
        getOperation().emitError("accel-raise-onnx did not converge");
        return signalPassFailure();
      }
    }
    refineResultTypes();
    if (!reportUnraised)
      return;
    std::string dynamic = dynamicDimensions();
    getOperation().walk([&](onnxir::NodeOp node) {
      StringRef type = node.getOpType();
      if (!node.getDomain().empty() ||
          (type != "MatMul" && type != "Gemm" && type != "Softmax"))
        return;
      InFlightDiagnostic warning =
          node.emitWarning() << type
                             << " was not raised to an accel op: the engine "
                                "cannot run it";
      if (!dynamic.empty())
        warning.attachNote()
            << "the inputs have dynamic dimensions (" << dynamic
            << "): give them sizes (" << optionReference("dim", "the import")
            << ") so that shapes and masks fold and attention can be raised";
    });
  }

  /// Results returned through a tensor.cast that forgets shape information
  /// (the types ONNX declared for the graph outputs) are returned as the
  /// raised ops computed them: the function type becomes as static as the
  /// computation is.
  void refineResultTypes() {
    func::FuncOp func = getOperation();
    if (func.getBody().empty())
      return;
    auto ret = dyn_cast<func::ReturnOp>(func.getBody().back().getTerminator());
    if (!ret)
      return;
    SmallVector<Type> results(func.getResultTypes());
    bool changed = false;
    for (OpOperand &operand : ret->getOpOperands()) {
      Value source = raise::stripCasts(operand.get());
      auto refined = dyn_cast<RankedTensorType>(source.getType());
      if (source == operand.get() || !refined ||
          failed(verifyCompatibleShape(refined, operand.get().getType())))
        continue;
      operand.set(source);
      results[operand.getOperandNumber()] = refined;
      changed = true;
    }
    if (changed)
      func.setType(FunctionType::get(func.getContext(),
                                     func.getArgumentTypes(), results));
  }

  /// Attention is raised only where masks and reshapes fold to constants,
  /// which needs static dimensions: the dynamic ones' names, if any.
  std::string dynamicDimensions() {
    func::FuncOp func = getOperation();
    SmallVector<std::string> names;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto type = dyn_cast<RankedTensorType>(func.getArgumentTypes()[i]);
      if (!type || type.hasStaticShape())
        continue;
      auto params = func.getArgAttrOfType<ArrayAttr>(i, "onnx.dim_params");
      for (int64_t d = 0; d < type.getRank(); ++d) {
        if (!type.isDynamicDim(d))
          continue;
        StringRef name;
        if (params && d < int64_t(params.size()))
          name = cast<StringAttr>(params[d]).getValue();
        names.push_back(name.empty() ? "?" : name.str());
      }
    }
    return llvm::join(names, ", ");
  }

  FrozenRewritePatternSet foldPatterns;
  FrozenRewritePatternSet patterns;
  FrozenRewritePatternSet elementwisePatterns;
};

} // namespace
