//===- AccelCanonicalize.cpp - canonicalization patterns ------------------===//
//
// Canonical forms of accel ops: operands and settings that change nothing
// are dropped, so that later passes see one spelling of each computation.
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace accel;

namespace {

/// A bias or shift that is a constant zero adds nothing.
bool isZeroConstant(Value value) {
  return value && matchPattern(value, m_AnyZeroFloat());
}

/// linear(x, w, bias = 0) -> linear(x, w).
struct DropZeroLinearBias : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    if (!isZeroConstant(op.getBias()))
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.getBiasMutable().clear(); });
    return success();
  }
};

/// sparsity<m:m> is dense: the attribute says nothing.
struct DropDenseSparsity : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    SparsityAttr sparsity = op.getSparsityAttr();
    if (!sparsity || !sparsity.isDense())
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.removeSparsityAttr(); });
    return success();
  }
};

/// layernorm(x, w, bias = 0) -> layernorm(x, w).
struct DropZeroLayerNormBias : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    if (!isZeroConstant(op.getBias()))
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.getBiasMutable().clear(); });
    return success();
  }
};

/// A past KV cache of static length 0 contributes no keys: attention over
/// it is attention without it.
struct DropEmptyPast : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Value pastKey = op.getPastKey();
    if (!pastKey || cast<RankedTensorType>(pastKey.getType()).getDimSize(1) != 0)
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.getPastKeyMutable().clear();
      op.getPastValueMutable().clear();
    });
    return success();
  }
};

} // namespace

void LinearOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<DropZeroLinearBias, DropDenseSparsity>(context);
}

void LayerNormOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<DropZeroLayerNormBias>(context);
}

void AttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<DropEmptyPast>(context);
}
