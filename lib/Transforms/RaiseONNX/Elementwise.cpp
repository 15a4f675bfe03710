//===- Elementwise.cpp - element-wise nodes to arith ----------------------===//
//
// What the structural patterns leave of a decoder is mostly its residual
// additions. Add, Sub, Mul and Div of two float tensors are the upstream
// arith ops on tensors of the result's static type. An operand of that
// type (up to dynamic dimensions) is taken as it is; a constant that
// broadcasts to it (numpy rules) becomes, when it has one value, that
// splat of the result's type, else an accel.broadcast of it to the
// result's type (a bias or scale row; the repeated tensor is never
// materialised), and so does a constant row of the result's own
// [1, .., 1, F] shape. A constant is dense or a dense_resource blob. A
// computed operand that broadcasts stays a node. This runs as a second
// phase, after the structural patterns have seen the graph: they match
// `onnx.node` producers.
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "../../Dialect/Accel/VerifyHelpers.h"
#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Transforms/RaiseONNX.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/bit.h"

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

/// The one value of a constant that has one, or null: a dense splat, or an
/// fp32 dense_resource blob whose values are all equal (the importer keeps
/// an initializer of more than 1024 elements as a blob, splat or not).
Attribute splatOf(ElementsAttr value) {
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(value))
    return dense.isSplat() ? dense.getSplatValue<Attribute>() : Attribute();
  auto blob = dyn_cast_or_null<DenseF32ResourceElementsAttr>(value);
  std::optional<ArrayRef<float>> values =
      blob ? blob.tryGetAsArrayRef() : std::nullopt;
  if (!values || values->empty() ||
      llvm::any_of(*values, [&](float v) {
        return llvm::bit_cast<uint32_t>(v) !=
               llvm::bit_cast<uint32_t>(values->front());
      }))
    return {};
  return FloatAttr::get(blob.getElementType(), values->front());
}

/// `input` as an operand of `type`, or nothing if it is not a float tensor
/// of `type`'s element type that is `type` or a constant that broadcasts to
/// it.
std::optional<Operand> operandOf(Value input, RankedTensorType type) {
  auto inputType = rankedFloat(input);
  if (!inputType || inputType.getElementType() != type.getElementType())
    return std::nullopt;
  // Any constant: a dense one or a dense_resource blob (a hidden size's
  // row).
  ElementsAttr value;
  matchPattern(input, m_Constant(&value));
  Attribute splat = splatOf(value);
  if (succeeded(verifyCompatibleShape(inputType, type))) {
    if (!value || (splat && isa<DenseElementsAttr>(value)))
      return Operand{input, Operand::Same, {}};
    if (splat)
      return Operand{input, Operand::Splat, splat};
    // A row of the result's own shape [1, .., 1, F] (a graph of one row)
    // is as much a row as a [F] one.
    if (llvm::all_of(type.getShape().drop_back(),
                     [](int64_t dim) { return dim == 1; }))
      return Operand{input, Operand::Broadcast, {}};
    return Operand{input, Operand::Same, {}};
  }
  if (!value || !inputType.hasStaticShape() ||
      inputType.getRank() > type.getRank())
    return std::nullopt;
  ArrayRef<int64_t> outer = type.getShape().take_back(inputType.getRank());
  for (auto [dim, to] : llvm::zip(inputType.getShape(), outer))
    if (dim != 1 && dim != to)
      return std::nullopt;
  if (splat)
    return Operand{input, Operand::Splat, splat};
  return Operand{input, Operand::Broadcast, {}};
}

/// The result type of element-wise node `op` that the raise makes its
/// operands, or null if it does not raise `op` whatever its operands.
RankedTensorType elementwiseType(NodeOp op) {
  if (!op.getDomain().empty() ||
      !llvm::is_contained({"Add", "Sub", "Mul", "Div"}, op.getOpType()) ||
      op.getInputs().size() != 2 || op.getNumResults() != 1)
    return {};
  auto type = rankedFloat(op.getResult(0));
  if (!type || !type.hasStaticShape())
    return {};
  return type;
}

/// How a diagnostic names `input`: 'its ONNX name', else the result of 'its
/// op's location name', else its op's kind and result number, or its input
/// number.
std::string operandName(Value input) {
  if (auto arg = dyn_cast<BlockArgument>(input)) {
    auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    auto onnxName = fn ? fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                         "onnx.name")
                       : StringAttr();
    return onnxName ? "'" + onnxName.getValue().str() + "'"
                    : "input " + std::to_string(arg.getArgNumber());
  }
  if (std::string at = locationName(input.getDefiningOp()->getLoc());
      !at.empty())
    return "the result of '" + at + "'";
  // No name to quote (an .mlir input's op at loc(unknown)): its kind.
  auto def = cast<OpResult>(input);
  auto kind = def.getOwner()->getAttrOfType<StringAttr>("op_type");
  return (kind ? kind.getValue() : def.getOwner()->getName().getStringRef())
             .str() +
         "'s result " + std::to_string(def.getResultNumber());
}

template <typename ArithOp>
struct ElementwiseToArith : NodePattern {
  ElementwiseToArith(MLIRContext *context, StringRef opType)
      : NodePattern(context, opType) {}

  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    RankedTensorType type = elementwiseType(op);
    if (!type)
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
      if (operand.kind == Operand::Same && input.getType() == type)
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

std::string accel::raise::elementwiseUnraisedReason(Operation *node) {
  auto op = dyn_cast<NodeOp>(node);
  RankedTensorType type = op ? elementwiseType(op) : RankedTensorType();
  if (!type)
    return "";
  using detail::shapeStr;
  for (Value input : op.getInputs()) {
    if (operandOf(input, type))
      continue;
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "its operand " << operandName(input) << " ";
    auto inputType = rankedFloat(input);
    if (!inputType)
      os << "of type " << input.getType()
         << " is not a ranked float tensor";
    else if (inputType.getElementType() != type.getElementType())
      os << shapeStr(inputType.getShape()) << " has element type "
         << inputType.getElementType() << ", the result "
         << type.getElementType();
    else if (!matchPattern(input, m_Constant()))
      os << shapeStr(inputType.getShape()) << " broadcasts to "
         << shapeStr(type.getShape())
         << " and is not a constant: the engine repeats only a constant row";
    else
      os << shapeStr(inputType.getShape())
         << " is a constant that does not broadcast to "
         << shapeStr(type.getShape());
    return text;
  }
  return "";
}

void accel::raise::populateElementwisePatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ElementwiseToArith<arith::AddFOp>>(context, "Add");
  patterns.add<ElementwiseToArith<arith::SubFOp>>(context, "Sub");
  patterns.add<ElementwiseToArith<arith::MulFOp>>(context, "Mul");
  patterns.add<ElementwiseToArith<arith::DivFOp>>(context, "Div");
}
