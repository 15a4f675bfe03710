//===- Norm.cpp - raising RMSNorm and LayerNorm ---------------------------===//
//
// RMSNorm as exporters write it:
//   w * (x * rsqrt(mean(x^2) + eps))      rsqrt as Reciprocal(Sqrt) or 1/Sqrt
//   w * (x / sqrt(mean(x^2) + eps))
// with x^2 as Pow(x, 2) or Mul(x, x), the mean a ReduceMean over the last
// axis keeping it; and LayerNorm both as the LayerNormalization node and in
// its decomposition (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * g + b.
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "accel/Dialect/Accel/AccelOps.h"

using namespace mlir;
using namespace accel;
using namespace accel::raise;

namespace {

/// Matches `square(x)`: Pow(x, 2) or Mul(x, x).
bool isSquareOf(Value value, Value x) {
  if (NodeOp pow = producer(value, "Pow"))
    return pow.getInputs()[0] == x && isScalar(pow.getInputs()[1], 2.0);
  if (NodeOp mul = producer(value, "Mul"))
    return mul.getInputs()[0] == x && mul.getInputs()[1] == x;
  return false;
}

/// Matches `sqrt(mean(square(x)) + eps)` and returns eps.
std::optional<double> matchRootMeanSquare(Value value, Value x) {
  NodeOp sqrt = producer(value, "Sqrt");
  NodeOp add = sqrt ? producer(sqrt.getInputs()[0], "Add") : NodeOp();
  if (!add)
    return std::nullopt;
  for (unsigned i = 0; i < 2; ++i) {
    NodeOp mean = producer(add.getInputs()[i], "ReduceMean");
    std::optional<double> eps = scalar(add.getInputs()[1 - i]);
    auto xType = rankedFloat(x);
    if (mean && eps && xType && reducesInnermost(mean, xType.getRank()) &&
        isSquareOf(mean.getInputs()[0], x))
      return eps;
  }
  return std::nullopt;
}

/// `rms` behind an inverse: Reciprocal(rms) or Div(1, rms).
Value inverseOf(Value value) {
  if (NodeOp reciprocal = producer(value, "Reciprocal"))
    return reciprocal.getInputs()[0];
  if (NodeOp div = producer(value, "Div"); div &&
      isScalar(div.getInputs()[0], 1.0))
    return div.getInputs()[1];
  return {};
}

/// Matches `x / rms` or `x * (1 / rms)` where rms = sqrt(mean(sq) + eps) of
/// a value `x` the matcher finds; returns x and eps.
std::optional<std::pair<Value, double>> matchNormalized(Value value,
                                                        bool centered);

/// Matches the centering `x - mean(x)`; returns x.
Value matchCentered(Value d) {
  NodeOp sub = producer(d, "Sub");
  if (!sub)
    return {};
  Value x = sub.getInputs()[0];
  NodeOp mean = producer(sub.getInputs()[1], "ReduceMean");
  auto xType = rankedFloat(x);
  if (!mean || !xType || mean.getInputs()[0] != x ||
      !reducesInnermost(mean, xType.getRank()))
    return {};
  return x;
}

std::optional<std::pair<Value, double>> matchNormalized(Value value,
                                                        bool centered) {
  auto finish = [&](Value numerator,
                    Value rms) -> std::optional<std::pair<Value, double>> {
    std::optional<double> eps = matchRootMeanSquare(rms, numerator);
    if (!eps)
      return std::nullopt;
    if (!centered)
      return std::make_pair(numerator, *eps);
    if (Value x = matchCentered(numerator))
      return std::make_pair(x, *eps);
    return std::nullopt;
  };
  if (NodeOp div = producer(value, "Div"))
    return finish(div.getInputs()[0], div.getInputs()[1]);
  if (NodeOp mul = producer(value, "Mul")) {
    for (unsigned i = 0; i < 2; ++i) {
      if (Value rms = inverseOf(mul.getInputs()[i]))
        if (auto result = finish(mul.getInputs()[1 - i], rms))
          return result;
    }
  }
  return std::nullopt;
}

/// A rank-1 float constant of `h` elements.
bool isChannelParam(Value value, int64_t h) {
  auto attr = constant(value);
  auto type = attr ? dyn_cast<RankedTensorType>(attr.getType()) : nullptr;
  return type && type.getRank() == 1 && type.getDimSize(0) == h &&
         isa<FloatType>(type.getElementType());
}

/// `w * x` in either order with a channel parameter w: the weight applied
/// before the normalisation. Returns x and w if `rms` is rms(x).
std::optional<std::pair<Value, Value>> matchWeightFirst(Value product,
                                                        Value rms,
                                                        double &eps) {
  NodeOp mul = producer(product, "Mul");
  if (!mul || !rms)
    return std::nullopt;
  for (unsigned j = 0; j < 2; ++j) {
    Value w = mul.getInputs()[j], x = mul.getInputs()[1 - j];
    RankedTensorType xType = rankedFloat(x);
    if (!xType || !isChannelParam(w, xType.getShape().back()))
      continue;
    if (std::optional<double> found = matchRootMeanSquare(rms, x)) {
      eps = *found;
      return std::make_pair(x, w);
    }
  }
  return std::nullopt;
}

Value createRMSNorm(PatternRewriter &rewriter, Operation *root, Value x,
                    Value weight, double eps) {
  auto norm = rewriter.create<RMSNormOp>(
      root->getLoc(), resultType(root, rankedFloat(x)), x, weight,
      rewriter.getF32FloatAttr(eps));
  replaceKeepingType(rewriter, root, norm.getResult());
  return norm.getResult();
}

/// (w * x) * (1 / rms(x)) -> accel.rmsnorm(x, w).
struct RaiseRMSNormWeightFirst : NodePattern {
  RaiseRMSNormWeightFirst(MLIRContext *context) : NodePattern(context, "Mul") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      double eps = 0;
      auto match = matchWeightFirst(op.getInputs()[i],
                                    inverseOf(op.getInputs()[1 - i]), eps);
      if (!match)
        continue;
      createRMSNorm(rewriter, op, match->first, match->second, eps);
      return success();
    }
    return failure();
  }
};

/// (w * x) / rms(x) -> accel.rmsnorm(x, w).
struct RaiseRMSNormWeightFirstDiv : NodePattern {
  RaiseRMSNormWeightFirstDiv(MLIRContext *context)
      : NodePattern(context, "Div") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    double eps = 0;
    auto match = matchWeightFirst(op.getInputs()[0], op.getInputs()[1], eps);
    if (!match)
      return failure();
    createRMSNorm(rewriter, op, match->first, match->second, eps);
    return success();
  }
};

/// Mul(w, normalized(x)) -> accel.rmsnorm(x, w).
struct RaiseRMSNorm : NodePattern {
  RaiseRMSNorm(MLIRContext *context) : NodePattern(context, "Mul") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      auto normalized = matchNormalized(op.getInputs()[1 - i], false);
      if (!normalized)
        continue;
      auto [x, eps] = *normalized;
      RankedTensorType xType = rankedFloat(x);
      Value weight = op.getInputs()[i];
      if (matchCentered(x) || !isChannelParam(weight, xType.getShape().back()))
        continue;
      createRMSNorm(rewriter, op, x, weight, eps);
      return success();
    }
    return failure();
  }
};

/// LayerNormalization over the last axis with constant scale (and bias).
struct RaiseLayerNormNode : NodePattern {
  RaiseLayerNormNode(MLIRContext *context)
      : NodePattern(context, "LayerNormalization") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    Value x = op.getInputs()[0];
    RankedTensorType xType = rankedFloat(x);
    if (!xType || op.getNumResults() != 1 ||
        !isChannelParam(op.getInputs()[1], xType.getShape().back()))
      return failure();
    int64_t axis = op.getIntAttr("axis", -1);
    if (axis != -1 && axis != xType.getRank() - 1)
      return failure();
    Value bias;
    if (op.hasInput(2)) {
      bias = op.getInputs()[2];
      if (!isChannelParam(bias, xType.getShape().back()))
        return failure();
    }
    auto norm = rewriter.create<LayerNormOp>(
        op.getLoc(), resultType(op, xType), x, op.getInputs()[1], bias,
        rewriter.getF32FloatAttr(op.getFloatAttr("epsilon", 1e-5f)));
    replaceKeepingType(rewriter, op, norm.getResult());
    return success();
  }
};

/// Add(Mul(normalized(x - mean(x)), g), b), or the Mul alone ->
/// accel.layernorm.
struct RaiseLayerNormDecomposed : NodePattern {
  // Tried before RaiseRMSNorm, which would otherwise take the centered
  // value for its input.
  RaiseLayerNormDecomposed(MLIRContext *context)
      : NodePattern(context, "Mul", /*benefit=*/2) {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      auto normalized = matchNormalized(op.getInputs()[1 - i], true);
      if (!normalized)
        continue;
      auto [x, eps] = *normalized;
      RankedTensorType xType = rankedFloat(x);
      int64_t h = xType.getShape().back();
      Value gamma = op.getInputs()[i];
      if (!isChannelParam(gamma, h))
        continue;
      Operation *root = op;
      Value beta;
      if (NodeOp add = soleUser(op.getResult(0), "Add")) {
        Value other = otherOperand(add, op.getResult(0));
        if (other && isChannelParam(other, h)) {
          beta = other;
          root = add;
        }
      }
      rewriter.setInsertionPoint(root);
      auto norm = rewriter.create<LayerNormOp>(
          root->getLoc(), resultType(root, xType), x, gamma, beta,
          rewriter.getF32FloatAttr(eps));
      replaceKeepingType(rewriter, root, norm.getResult());
      if (root != op.getOperation())
        rewriter.eraseOp(op);
      return success();
    }
    return failure();
  }
};

} // namespace

void accel::raise::populateNormPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseLayerNormDecomposed, RaiseRMSNorm, RaiseRMSNormWeightFirst,
               RaiseRMSNormWeightFirstDiv, RaiseLayerNormNode>(
      patterns.getContext());
  patterns.add<FoldBiasInto<LayerNormOp>>(
      patterns.getContext(),
      [](LayerNormOp op) { return op.getType().getShape().back(); });
}
