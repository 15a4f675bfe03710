//===- Match.h - matching ONNX subgraphs ------------------------*- C++ -*-===//
//
// Small matchers over `onnx.node` graphs shared by the raising patterns:
// "the value is produced by a node of this op type", "the value is a
// constant", "the value is the scalar c". They look at producers only (never
// at names), so they match whatever exporter wrote the graph.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_TRANSFORMS_RAISEONNX_MATCH_H
#define ACCEL_LIB_TRANSFORMS_RAISEONNX_MATCH_H

#include "accel/Dialect/ONNX/ONNXDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace accel::raise {

using onnxir::NodeOp;

/// The onnx.node of type `type` that produces `value`, or null.
NodeOp producer(mlir::Value value, llvm::StringRef type);

/// The constant behind `value` (an arith.constant), or null.
mlir::ElementsAttr constant(mlir::Value value);

/// The value of a constant with one element (any shape), as a double.
std::optional<double> scalar(mlir::Value value);

/// True if `value` is a scalar constant within 1e-3 relative of `expected`.
bool isScalar(mlir::Value value, double expected);

/// Integer elements of a small constant (shapes, axes, permutations).
std::optional<llvm::SmallVector<int64_t>> intValues(mlir::Value value);

/// The axes a reduction node reduces over (the `axes` attribute, or the
/// axes input from opset 18 / ReduceSum 13); nullopt if not constant.
std::optional<llvm::SmallVector<int64_t>> reductionAxes(NodeOp node);

/// True if the node reduces over exactly the innermost axis of its
/// rank-`rank` input, keeping dimensions.
bool reducesInnermost(NodeOp node, int64_t rank);

/// The other operand of a binary node, given one of them; null if `known`
/// is not an operand.
mlir::Value otherOperand(NodeOp node, mlir::Value known);

/// A ranked float tensor type, or null.
mlir::RankedTensorType rankedFloat(mlir::Value value);

/// `value`'s only user, if it is an onnx.node of type `type`.
NodeOp soleUser(mlir::Value value, llvm::StringRef type);


/// The type a raised op replacing `op` should produce: `op`'s own result
/// type, with the dimensions it leaves dynamic taken from `computed`, when
/// it is ranked like `computed`; else `computed`.
mlir::RankedTensorType resultType(mlir::Operation *op,
                                  mlir::RankedTensorType computed);

/// `value` with any tensor.cast producers looked through.
mlir::Value stripCasts(mlir::Value value);

/// Replaces `op`'s single result by `value`, through a tensor.cast when the
/// raised op knows more (or less) about the shape than the node did.
void replaceKeepingType(mlir::PatternRewriter &rewriter, mlir::Operation *op,
                        mlir::Value value);

/// Base of the raising patterns: matches onnx.node ops of one op type.
struct NodePattern : public mlir::OpRewritePattern<NodeOp> {
  NodePattern(mlir::MLIRContext *context, llvm::StringRef opType,
              mlir::PatternBenefit benefit = 1)
      : OpRewritePattern(context, benefit), opType(opType) {}

  mlir::LogicalResult
  matchAndRewrite(NodeOp op, mlir::PatternRewriter &rewriter) const final {
    if (op.getOpType() != opType || !op.getDomain().empty())
      return mlir::failure();
    return raise(op, rewriter);
  }
  virtual mlir::LogicalResult raise(NodeOp op,
                                    mlir::PatternRewriter &rewriter) const = 0;

private:
  std::string opType;
};

/// A bias: a rank-1 constant of `n` elements of type `element`.
bool isBias(mlir::Value bias, int64_t n, mlir::Type element);

/// Add(op, b) or Add(b, op), with `op` an accel op that takes an optional
/// bias and has none yet (accel.linear, accel.layernorm) and b a constant of
/// `width(op)` elements -> `op` with that bias. Whichever of the two was
/// raised first, the shift ends up in the op.
template <typename OpTy>
struct FoldBiasInto : NodePattern {
  using Width = int64_t (*)(OpTy);
  FoldBiasInto(mlir::MLIRContext *context, Width width)
      : NodePattern(context, "Add"), width(width) {}
  mlir::LogicalResult raise(NodeOp op,
                            mlir::PatternRewriter &rewriter) const override {
    if (op.getInputs().size() != 2)
      return mlir::failure();
    for (unsigned i = 0; i < 2; ++i) {
      auto target = stripCasts(op.getInputs()[i]).getDefiningOp<OpTy>();
      mlir::Value bias = op.getInputs()[1 - i];
      if (!target || target.getBias() || !target->hasOneUse() ||
          !isBias(bias, width(target), target.getType().getElementType()))
        continue;
      rewriter.modifyOpInPlace(target, [&] {
        target.getBiasMutable().assign(bias);
        target->setLoc(rewriter.getFusedLoc({target->getLoc(), op.getLoc()}));
      });
      replaceKeepingType(rewriter, op, target.getResult());
      return mlir::success();
    }
    return mlir::failure();
  }

private:
  Width width;
};

/// Adds the patterns of each group to `patterns`.
void populateFoldPatterns(mlir::RewritePatternSet &patterns);
void populateLinearPatterns(mlir::RewritePatternSet &patterns);
void populateNormPatterns(mlir::RewritePatternSet &patterns);
void populateActivationPatterns(mlir::RewritePatternSet &patterns);
void populateAttentionPatterns(mlir::RewritePatternSet &patterns);
/// The second phase: what is left of element-wise arithmetic.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
/// Also the second phase (after attention, which matches fused QKV as it
/// is): a Split of a linear's features into one linear per part.
void populateSplitLinearPatterns(mlir::RewritePatternSet &patterns);

} // namespace accel::raise

#endif // ACCEL_LIB_TRANSFORMS_RAISEONNX_MATCH_H
