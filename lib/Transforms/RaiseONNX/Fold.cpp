//===- Fold.cpp - folding ONNX shape plumbing -----------------------------===//
//
// Exported decoders compute reshape targets, masks and position ids from the
// input's shape (Shape, Gather, Unsqueeze, Concat, Range, ConstantOfShape,
// Trilu, Where, Equal, Cast, ...). Once the input's dimensions are static,
// every such node has constant inputs: it is folded by running it on the
// reference executor, so the raising patterns see the constants (a causal
// mask is then a constant they can check).
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "accel/Reference/Executor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace accel;
using namespace accel::raise;

namespace {

/// Folded results larger than this stay computed (a causal mask of 2K x 2K
/// tokens is 4M elements).
constexpr int64_t kMaxFoldedElements = int64_t(1) << 22;

/// A tensor as a dense attribute of `type`'s element type and the tensor's
/// shape.
DenseElementsAttr toAttribute(const reference::Tensor &tensor, Type element) {
  auto type = RankedTensorType::get(tensor.getShape(), element);
  int64_t n = tensor.getNumElements();
  if (auto floatType = dyn_cast<FloatType>(element)) {
    SmallVector<APFloat> values;
    values.reserve(n);
    for (int64_t i = 0; i < n; ++i) {
      APFloat value(tensor.getDouble(i));
      bool lost;
      value.convert(floatType.getFloatSemantics(),
                    APFloat::rmNearestTiesToEven, &lost);
      values.push_back(value);
    }
    return DenseElementsAttr::get(type, values);
  }
  unsigned width = element.getIntOrFloatBitWidth();
  SmallVector<APInt> values;
  values.reserve(n);
  for (int64_t i = 0; i < n; ++i)
    values.push_back(APInt(width, uint64_t(tensor.getInt(i)),
                           /*isSigned=*/!element.isUnsignedInteger()));
  return DenseElementsAttr::get(type, values);
}

/// Runs `op` alone: constant inputs with their values, other inputs (which
/// must be statically shaped) as zeros.
FailureOr<std::vector<reference::Tensor>> evaluate(NodeOp op) {
  OpBuilder builder(op.getContext());
  auto module = ModuleOp::create(op.getLoc());
  OwningOpRef<ModuleOp> owner(module);
  if (auto parent = op->getParentOfType<ModuleOp>())
    if (Attribute opset = parent->getAttr("onnx.opset"))
      module->setAttr("onnx.opset", opset);
  SmallVector<Type> argTypes;
  std::vector<reference::Tensor> args;
  for (Value input : op.getInputs()) {
    if (constant(input) || isa<NoneType>(input.getType()))
      continue;
    auto type = cast<RankedTensorType>(input.getType());
    std::optional<reference::DType> dtype =
        reference::dtypeFromMLIR(type.getElementType());
    if (!dtype)
      return failure();
    argTypes.push_back(type);
    args.emplace_back(*dtype, type.getShape());
  }
  builder.setInsertionPointToEnd(module.getBody());
  auto func = builder.create<func::FuncOp>(
      op.getLoc(), "fold",
      builder.getFunctionType(argTypes, TypeRange(op->getResultTypes())));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  unsigned next = 0;
  // A constant input may stand behind tensor.casts: the executor takes the
  // constant itself.
  for (Value input : op.getInputs()) {
    if (constant(input) || isa<NoneType>(input.getType()))
      mapping.map(input, builder.clone(*stripCasts(input).getDefiningOp())
                             ->getResult(0));
    else
      mapping.map(input, entry->getArgument(next++));
  }
  Operation *clone = builder.clone(*op, mapping);
  builder.create<func::ReturnOp>(op.getLoc(), clone->getResults());
  llvm::Expected<std::vector<reference::Tensor>> results =
      reference::run(func, args);
  if (!results) {
    llvm::consumeError(results.takeError());
    return failure();
  }
  return std::move(*results);
}

/// Inputs this large are not run to learn a result shape.
constexpr int64_t kMaxRefinedElements = int64_t(1) << 20;

/// A node whose result types ONNX shape inference left (partly) unknown,
/// but whose shape-deciding inputs (integers, booleans) are constants and
/// whose float inputs are statically shaped, gets its result types from a
/// run on zeros: a reshape to a folded target shape, a transpose of a
/// known tensor, and so on.
struct RefineNodeTypes : public OpRewritePattern<NodeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    StringRef type = op.getOpType();
    if (!op.getDomain().empty() || !reference::isSupportedONNXOp(type) ||
        type == "NonZero" || type == "Unique" || op.getNumResults() == 0 ||
        llvm::all_of(op.getResultTypes(), [](Type t) {
          auto ranked = dyn_cast<RankedTensorType>(t);
          return !isa<TensorType>(t) || (ranked && ranked.hasStaticShape());
        }))
      return failure();
    int64_t elements = 0;
    for (Value input : op.getInputs()) {
      if (constant(input) || isa<NoneType>(input.getType()))
        continue;
      auto ranked = dyn_cast<RankedTensorType>(input.getType());
      if (!ranked || !ranked.hasStaticShape() ||
          !isa<FloatType>(ranked.getElementType()))
        return failure();
      elements += ranked.getNumElements();
    }
    if (elements > kMaxRefinedElements)
      return failure();
    FailureOr<std::vector<reference::Tensor>> results = evaluate(op);
    if (failed(results) || results->size() != op.getNumResults())
      return failure();
    SmallVector<Type> refined;
    for (auto [result, tensor] : llvm::zip(op.getResults(), *results)) {
      auto old = dyn_cast<TensorType>(result.getType());
      refined.push_back(old ? RankedTensorType::get(tensor.getShape(),
                                                     old.getElementType())
                            : result.getType());
    }
    rewriter.setInsertionPoint(op);
    auto newOp = rewriter.create<NodeOp>(op.getLoc(), refined,
                                         op.getOpType(), op.getDomain(),
                                         op.getInputs());
    newOp->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    SmallVector<Value> replacements;
    for (auto [oldResult, newResult] :
         llvm::zip(op.getResults(), newOp.getResults())) {
      Value value = newResult;
      if (value.getType() != oldResult.getType())
        value = rewriter.create<tensor::CastOp>(op.getLoc(),
                                                oldResult.getType(), value);
      replacements.push_back(value);
    }
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

/// Nodes over weights that are not folded though their inputs are
/// constants: a Gather from a float [V, H] table is an embedding lookup
/// (learned positions, for one), kept so that the table stays whole for
/// positions the traced length did not reach; a Transpose of a float matrix
/// is a weight's layout, which accel.linear takes as it is (folding would
/// copy the weight).
bool isWeightView(NodeOp op) {
  auto data = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  if (!data || !isa<FloatType>(data.getElementType()) || data.getRank() != 2)
    return false;
  if (op.getOpType() == "Gather")
    return op.getIntAttr("axis", 0) == 0;
  return op.getOpType() == "Transpose";
}

/// A node whose inputs are all constants (or absent) is replaced by its
/// value.
struct FoldConstantNode : public OpRewritePattern<NodeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getDomain().empty() ||
        !reference::isSupportedONNXOp(op.getOpType()) ||
        op.getNumResults() == 0)
      return failure();
    for (Value input : op.getInputs())
      if (!isa<NoneType>(input.getType()) && !constant(input))
        return failure();
    if (isWeightView(op))
      return failure();
    FailureOr<std::vector<reference::Tensor>> results = evaluate(op);
    if (failed(results))
      return failure();
    SmallVector<Value> replacements;
    for (auto [result, tensor] : llvm::zip(op.getResults(), *results)) {
      auto type = dyn_cast<TensorType>(result.getType());
      if (!type || tensor.getNumElements() > kMaxFoldedElements)
        return failure();
      replacements.push_back(rewriter.create<arith::ConstantOp>(
          op.getLoc(), toAttribute(tensor, type.getElementType())));
    }
    for (auto [result, value] : llvm::zip(op.getResults(), replacements)) {
      Value replacement = value;
      if (replacement.getType() != result.getType())
        replacement = rewriter.create<tensor::CastOp>(op.getLoc(),
                                                      result.getType(), value);
      rewriter.replaceAllUsesWith(result, replacement);
    }
    rewriter.eraseOp(op);
    return success();
  }
};

/// The dimensions [start, end) a Shape node of a rank-`rank` input reports
/// (ONNX's `start` and `end`, negative from the back, clamped).
std::pair<int64_t, int64_t> shapeRange(NodeOp shape, int64_t rank) {
  auto clamp = [&](int64_t i) {
    i = i < 0 ? i + rank : i;
    return std::clamp<int64_t>(i, 0, rank);
  };
  return {clamp(shape.getIntAttr("start", 0)), clamp(shape.getIntAttr("end", rank))};
}

/// Shape(x) of a statically shaped x (with ONNX's start / end).
struct FoldShape : NodePattern {
  FoldShape(MLIRContext *context) : NodePattern(context, "Shape") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
    if (!type || !type.hasStaticShape())
      return failure();
    auto [start, end] = shapeRange(op, type.getRank());
    SmallVector<int64_t> dims;
    for (int64_t i = start; i < end; ++i)
      dims.push_back(type.getDimSize(i));
    auto value = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(dims.size())}, rewriter.getI64Type()),
        ArrayRef<int64_t>(dims));
    auto folded = rewriter.create<arith::ConstantOp>(op.getLoc(), value);
    replaceKeepingType(rewriter, op, folded);
    return success();
  }
};

/// Gather(Shape(x), i): the dimensions picked are static even where others
/// of x are not (a dynamic batch beside a fixed sequence length).
struct FoldShapeElement : NodePattern {
  FoldShapeElement(MLIRContext *context) : NodePattern(context, "Gather") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    NodeOp shape = producer(op.getInputs()[0], "Shape");
    auto indices = intValues(op.getInputs()[1]);
    auto indexType = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
    auto type = shape ? dyn_cast<RankedTensorType>(shape.getInputs()[0].getType())
                      : RankedTensorType();
    if (!type || !indices || !indexType || indexType.getRank() > 1 ||
        op.getIntAttr("axis", 0) != 0)
      return failure();
    auto [start, end] = shapeRange(shape, type.getRank());
    SmallVector<int64_t> dims;
    for (int64_t index : *indices) {
      int64_t i = index < 0 ? index + (end - start) : index;
      if (i < 0 || start + i >= end || type.isDynamicDim(start + i))
        return failure();
      dims.push_back(type.getDimSize(start + i));
    }
    auto valueType = RankedTensorType::get(indexType.getShape(),
                                           rewriter.getI64Type());
    auto folded = rewriter.create<arith::ConstantOp>(
        op.getLoc(), DenseElementsAttr::get(valueType, ArrayRef<int64_t>(dims)));
    replaceKeepingType(rewriter, op, folded);
    return success();
  }
};

/// Identity, and Cast to the type the input already has, pass it through.
struct RemoveIdentity : public OpRewritePattern<NodeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getDomain().empty() || op.getNumResults() != 1 ||
        op.getInputs().empty())
      return failure();
    Value input = op.getInputs()[0];
    bool identity = op.getOpType() == "Identity";
    if (op.getOpType() == "Cast") {
      auto from = dyn_cast<TensorType>(input.getType());
      auto to = dyn_cast<TensorType>(op.getResult(0).getType());
      identity = from && to && from.getElementType() == to.getElementType();
    }
    if (!identity)
      return failure();
    replaceKeepingType(rewriter, op, input);
    return success();
  }
};

/// An onnx.node takes any tensor type: a tensor.cast feeding it (left by a
/// raised or folded producer that knows its shape better) is bypassed.
struct BypassCastIntoNode : public OpRewritePattern<NodeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (llvm::none_of(op.getInputs(),
                      [](Value v) { return stripCasts(v) != v; }))
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      for (OpOperand &operand : op->getOpOperands())
        operand.set(stripCasts(operand.get()));
    });
    return success();
  }
};

} // namespace

void accel::raise::populateFoldPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldConstantNode, RemoveIdentity, BypassCastIntoNode>(
      patterns.getContext());
  patterns.add<FoldShape, FoldShapeElement, RefineNodeTypes>(
      patterns.getContext());
}
