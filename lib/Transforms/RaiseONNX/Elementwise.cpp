//===- Elementwise.cpp - element-wise nodes to arith ----------------------===//
//
// What the structural patterns leave of a decoder is mostly its residual
// additions. Add, Sub, Mul and Div of two float tensors of one static type
// (no broadcasting) are the upstream arith ops on tensors. This runs as a
// second phase, after the structural patterns have seen the graph: they
// match `onnx.node` producers.
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace accel;
using namespace accel::raise;

namespace {

template <typename ArithOp>
struct ElementwiseToArith : NodePattern {
  ElementwiseToArith(MLIRContext *context, StringRef opType)
      : NodePattern(context, opType) {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    if (op.getInputs().size() != 2 || op.getNumResults() != 1)
      return failure();
    auto type = rankedFloat(op.getResult(0));
    if (!type || !type.hasStaticShape() ||
        !llvm::all_of(op.getInputs(), [&](Value input) {
          auto inputType = rankedFloat(input);
          return inputType && succeeded(verifyCompatibleShape(inputType, type)) &&
                 inputType.getElementType() == type.getElementType();
        }))
      return failure();
    SmallVector<Value> operands;
    for (Value input : op.getInputs())
      operands.push_back(input.getType() == type
                             ? input
                             : rewriter.create<tensor::CastOp>(op.getLoc(),
                                                               type, input));
    rewriter.replaceOpWithNewOp<ArithOp>(op, operands[0], operands[1]);
    return success();
  }
};

} // namespace

void accel::raise::populateElementwisePatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ElementwiseToArith<arith::AddFOp>>(context, "Add");
  patterns.add<ElementwiseToArith<arith::SubFOp>>(context, "Sub");
  patterns.add<ElementwiseToArith<arith::MulFOp>>(context, "Mul");
  patterns.add<ElementwiseToArith<arith::DivFOp>>(context, "Div");
}
