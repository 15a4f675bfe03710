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

/// The integer attribute `name` of `node`, or `fallback`.
int64_t intAttr(NodeOp node, llvm::StringRef name, int64_t fallback);

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

/// Adds the patterns of each group to `patterns`.
void populateFoldPatterns(mlir::RewritePatternSet &patterns);
void populateLinearPatterns(mlir::RewritePatternSet &patterns);
void populateNormPatterns(mlir::RewritePatternSet &patterns);
void populateActivationPatterns(mlir::RewritePatternSet &patterns);
void populateAttentionPatterns(mlir::RewritePatternSet &patterns);
/// The second phase: what is left of element-wise arithmetic.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);

} // namespace accel::raise

#endif // ACCEL_LIB_TRANSFORMS_RAISEONNX_MATCH_H
