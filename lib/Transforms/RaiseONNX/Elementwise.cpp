//===- Elementwise.cpp - element-wise nodes to arith ----------------------===//
//
// What the structural patterns leave of a decoder is mostly its residual
// additions. Add, Sub, Mul and Div of two float tensors are the upstream
// arith ops on tensors of the result's static type. An operand of that
// type (up to dynamic dimensions) is taken as it is; a constant that
// broadcasts to it (numpy rules) becomes, when it has one value, that
// splat of the result's type, else an accel.broadcast of it to the
// result's type (a bias or scale row; the repeated tensor is never
// materialised). A computed operand that broadcasts stays a node. This
// runs as a second phase, after the structural patterns have seen the
// graph: they match `onnx.node` producers.
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "accel/Dialect/Accel/AccelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace accel;
using namespace accel::raise;

namespace {

/// How an input becomes an operand of the result's type.
struct Operand {
  Value input;
  enum Kind { Same, Splat, Broadcast } kind;
  Attribute splat; ///< the one value of a Splat
};

/// `input` as an operand of `type`, or nothing if it is not a float tensor
/// of `type`'s element type that is `type` or a constant that broadcasts to
/// it.
std::optional<Operand> operandOf(Value input, RankedTensorType type) {
  auto inputType = rankedFloat(input);
  if (!inputType || inputType.getElementType() != type.getElementType())
    return std::nullopt;
  if (succeeded(verifyCompatibleShape(inputType, type)))
    return Operand{input, Operand::Same, {}};
  if (!inputType.hasStaticShape() || inputType.getRank() > type.getRank())
    return std::nullopt;
  ArrayRef<int64_t> outer = type.getShape().take_back(inputType.getRank());
  for (auto [dim, to] : llvm::zip(inputType.getShape(), outer))
    if (dim != 1 && dim != to)
      return std::nullopt;
  DenseElementsAttr value;
  if (!matchPattern(input, m_Constant(&value)))
    return std::nullopt;
  if (value.isSplat())
    return Operand{input, Operand::Splat, value.getSplatValue<Attribute>()};
  return Operand{input, Operand::Broadcast, {}};
}

template <typename ArithOp>
struct ElementwiseToArith : NodePattern {
  ElementwiseToArith(MLIRContext *context, StringRef opType)
      : NodePattern(context, opType) {}

  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    if (op.getInputs().size() != 2 || op.getNumResults() != 1)
      return failure();
    auto type = rankedFloat(op.getResult(0));
    if (!type || !type.hasStaticShape())
      return failure();
    SmallVector<Operand, 2> inputs;
    for (Value input : op.getInputs()) {
      std::optional<Operand> operand = operandOf(input, type);
      if (!operand)
        return failure();
      inputs.push_back(*operand);
    }
    SmallVector<Value, 2> operands;
    for (const Operand &operand : inputs) {
      Value input = operand.input;
      if (input.getType() == type)
        operands.push_back(input);
      else if (operand.kind == Operand::Splat)
        operands.push_back(rewriter.create<arith::ConstantOp>(
            op.getLoc(), DenseElementsAttr::get(type, operand.splat)));
      else if (operand.kind == Operand::Broadcast)
        operands.push_back(
            rewriter.create<BroadcastOp>(op.getLoc(), type, input));
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
