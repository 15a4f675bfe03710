//===- Elementwise.cpp - element-wise nodes to arith ----------------------===//
//
// What the structural patterns leave of a decoder is mostly its residual
// additions. Add, Sub, Mul and Div of two float tensors of one static type
// are the upstream arith ops on tensors; an operand that is a constant of
// one value (a scalar, or any splat that broadcasts to the result) becomes
// that splat of the result's type. Other broadcasting stays a node. This
// runs as a second phase, after the structural patterns have seen the
// graph: they match `onnx.node` producers.
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace accel;
using namespace accel::raise;

namespace {

template <typename ArithOp>
struct ElementwiseToArith : NodePattern {
  ElementwiseToArith(MLIRContext *context, StringRef opType)
      : NodePattern(context, opType) {}
  /// The one value of `input` when it is a splat constant whose shape
  /// broadcasts to `type` (numpy rules: trailing dimensions 1 or equal).
  static std::optional<Attribute> splatOf(Value input, RankedTensorType type) {
    auto inputType = rankedFloat(input);
    DenseElementsAttr value;
    if (!inputType || !inputType.hasStaticShape() ||
        inputType.getElementType() != type.getElementType() ||
        inputType.getRank() > type.getRank() ||
        !matchPattern(input, m_Constant(&value)) || !value.isSplat())
      return std::nullopt;
    ArrayRef<int64_t> outer = type.getShape().take_back(inputType.getRank());
    for (auto [dim, to] : llvm::zip(inputType.getShape(), outer))
      if (dim != 1 && dim != to)
        return std::nullopt;
    return value.getSplatValue<Attribute>();
  }

  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    if (op.getInputs().size() != 2 || op.getNumResults() != 1)
      return failure();
    auto type = rankedFloat(op.getResult(0));
    if (!type || !type.hasStaticShape() ||
        !llvm::all_of(op.getInputs(), [&](Value input) {
          auto inputType = rankedFloat(input);
          return splatOf(input, type) ||
                 (inputType &&
                  succeeded(verifyCompatibleShape(inputType, type)) &&
                  inputType.getElementType() == type.getElementType());
        }))
      return failure();
    SmallVector<Value> operands;
    for (Value input : op.getInputs()) {
      if (input.getType() == type)
        operands.push_back(input);
      else if (std::optional<Attribute> splat = splatOf(input, type))
        operands.push_back(rewriter.create<arith::ConstantOp>(
            op.getLoc(), DenseElementsAttr::get(type, *splat)));
      else
        operands.push_back(
            rewriter.create<tensor::CastOp>(op.getLoc(), type, input));
    }
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
