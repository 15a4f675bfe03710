//===- Linear.cpp - raising linear layers and embeddings ------------------===//
//
// MatMul or Gemm by a constant weight becomes accel.linear (a weight stored
// [K, N] as MatMul takes it is used in place: `transposed`); a constant bias
// added to its result joins it; a Gather from a constant table by token ids
// becomes accel.embedding. A fused QKV projection is one linear whose result
// the graph then splits: the linear is raised, the Split stays.
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "accel/Dialect/Accel/AccelOps.h"

using namespace mlir;
using namespace accel;
using namespace accel::raise;

namespace {

/// The shape of `input` with its innermost dimension replaced by `n`.
RankedTensorType linearResultType(RankedTensorType input, int64_t n) {
  SmallVector<int64_t> shape(input.getShape());
  shape.back() = n;
  return RankedTensorType::get(shape, input.getElementType());
}

/// True if `x`'s innermost dimension is the weight's K.
bool fitsLinear(RankedTensorType x, RankedTensorType w, bool transposed) {
  int64_t k = w.getDimSize(transposed ? 0 : 1);
  int64_t xk = x.getShape().back();
  return ShapedType::isDynamic(k) || ShapedType::isDynamic(xk) || k == xk;
}

/// A rank-2 float constant weight, directly or through Transpose(perm=1,0).
/// Sets `transposed` when the weight is stored [K, N].
Value matchWeight(Value b, bool &transposed) {
  if (auto attr = constant(b)) {
    auto type = dyn_cast<RankedTensorType>(attr.getType());
    if (type && type.getRank() == 2 && isa<FloatType>(type.getElementType())) {
      transposed = true;
      return b;
    }
  }
  if (NodeOp t = producer(b, "Transpose")) {
    auto perm = dyn_cast_or_null<DenseI64ArrayAttr>(t.getOnnxAttr("perm"));
    Value source = t.getInputs()[0];
    bool inner = false;
    if (perm && perm.asArrayRef() == ArrayRef<int64_t>{1, 0} &&
        matchWeight(source, inner) && inner) {
      transposed = false;
      return source;
    }
  }
  return {};
}

/// MatMul(x, W) with a constant W -> accel.linear.
struct RaiseMatMul : NodePattern {
  RaiseMatMul(MLIRContext *context) : NodePattern(context, "MatMul") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    Value x = stripCasts(op.getInputs()[0]);
    RankedTensorType xType = rankedFloat(x);
    bool transposed = false;
    Value weight = matchWeight(op.getInputs()[1], transposed);
    if (!xType || xType.getRank() < 2 || !weight)
      return failure();
    auto wType = cast<RankedTensorType>(weight.getType());
    if (wType.getElementType() != xType.getElementType() ||
        !fitsLinear(xType, wType, transposed))
      return failure();
    int64_t n = wType.getDimSize(transposed ? 1 : 0);
    auto linear = rewriter.create<LinearOp>(
        op.getLoc(), resultType(op, linearResultType(xType, n)), x, weight, Value(), Value(),
        Value(), QuantAttr(), QuantAttr(), SparsityAttr(), transposed);
    replaceKeepingType(rewriter, op, linear.getResult());
    return success();
  }
};

/// Gemm(A, B, C) with alpha = beta = 1, A not transposed, B constant.
struct RaiseGemm : NodePattern {
  RaiseGemm(MLIRContext *context) : NodePattern(context, "Gemm") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    if (op.getFloatAttr("alpha", 1.0f) != 1.0f ||
        op.getFloatAttr("beta", 1.0f) != 1.0f ||
        op.getIntAttr("transA", 0) != 0)
      return failure();
    Value x = stripCasts(op.getInputs()[0]);
    RankedTensorType xType = rankedFloat(x);
    auto wAttr = constant(op.getInputs()[1]);
    if (!xType || xType.getRank() != 2 || !wAttr)
      return failure();
    auto wType = cast<RankedTensorType>(wAttr.getType());
    bool transposed = op.getIntAttr("transB", 0) == 0;
    int64_t n = wType.getDimSize(transposed ? 1 : 0);
    Value bias;
    if (op.hasInput(2)) {
      bias = op.getInputs()[2];
      if (!isBias(bias, n, xType.getElementType()))
        return failure();
    }
    if (!fitsLinear(xType, wType, transposed))
      return failure();
    auto linear = rewriter.create<LinearOp>(
        op.getLoc(), resultType(op, linearResultType(xType, n)), x,
        op.getInputs()[1], Value(),
        Value(), bias, QuantAttr(), QuantAttr(), SparsityAttr(), transposed);
    replaceKeepingType(rewriter, op, linear.getResult());
    return success();
  }
};

/// Gather(table, ids) along axis 0 of a constant [V, H] table.
struct RaiseEmbedding : NodePattern {
  RaiseEmbedding(MLIRContext *context) : NodePattern(context, "Gather") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    auto table = constant(op.getInputs()[0]);
    auto tableType = table ? dyn_cast<RankedTensorType>(table.getType())
                           : RankedTensorType();
    Value idsValue = stripCasts(op.getInputs()[1]);
    auto ids = dyn_cast<RankedTensorType>(idsValue.getType());
    if (!tableType || tableType.getRank() != 2 ||
        !isa<FloatType>(tableType.getElementType()) || !ids ||
        !(ids.getElementType().isSignlessInteger(64) ||
          ids.getElementType().isSignlessInteger(32)) ||
        ids.getRank() < 1 || op.getIntAttr("axis", 0) != 0)
      return failure();
    SmallVector<int64_t> shape(ids.getShape());
    shape.push_back(tableType.getDimSize(1));
    auto embedding = rewriter.create<EmbeddingOp>(
        op.getLoc(),
        resultType(op, RankedTensorType::get(shape, tableType.getElementType())),
        idsValue, op.getInputs()[0]);
    replaceKeepingType(rewriter, op, embedding.getResult());
    return success();
  }
};

} // namespace

void accel::raise::populateLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseMatMul, RaiseGemm, RaiseEmbedding>(patterns.getContext());
  patterns.add<FoldBiasInto<LinearOp>>(
      patterns.getContext(), [](LinearOp op) { return op.getOutFeatures(); });
}
