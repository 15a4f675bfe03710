//===- Linear.cpp - raising linear layers and embeddings ------------------===//
//
// MatMul or Gemm by a constant weight becomes accel.linear (a weight stored
// [K, N] as MatMul takes it is used in place: `transposed`); a constant bias
// added to its result joins it; a Gather from a constant table by token ids
// becomes accel.embedding. A fused QKV projection is one linear whose result
// the graph then splits: once attention is raised, the Split of a linear's
// result along its features becomes one linear per part (the weight and bias
// cut along N), which the engine runs like any other.
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "../Calibration.h"

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Reference/Executor.h"
#include "accel/Support/Diagnostics.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

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

/// The float values of a constant, row-major.
std::optional<std::vector<float>> floatValues(Value value) {
  ElementsAttr attr = constant(value);
  if (!attr)
    return std::nullopt;
  llvm::Expected<std::vector<float>> values =
      reference::floatsFromAttribute(attr);
  if (!values) {
    llvm::consumeError(values.takeError());
    return std::nullopt;
  }
  return std::move(*values);
}

/// Split(linear(x), sizes) along the features -> one linear per part.
struct SplitLinear : NodePattern {
  SplitLinear(MLIRContext *context) : NodePattern(context, "Split") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    auto linear = op.getInputs()[0].getDefiningOp<LinearOp>();
    if (!linear || !linear->hasOneUse() || linear.getWeightQuantAttr() ||
        linear.getScales())
      return failure();
    auto type = linear.getResult().getType();
    int64_t axis = op.getIntAttr("axis", 0);
    if (axis < 0)
      axis += type.getRank();
    int64_t n = linear.getOutFeatures(), k = linear.getInFeatures();
    if (axis != type.getRank() - 1 || ShapedType::isDynamic(n) ||
        ShapedType::isDynamic(k))
      return failure();
    SmallVector<int64_t> sizes;
    if (op.hasInput(1)) {
      std::optional<SmallVector<int64_t>> given = intValues(op.getInputs()[1]);
      if (!given)
        return failure();
      sizes = *given;
    } else {
      int64_t parts = op.getNumResults();
      if (n % parts != 0)
        return failure();
      sizes.assign(parts, n / parts);
    }
    int64_t total = 0;
    for (int64_t size : sizes)
      total += size;
    if (sizes.size() != op.getNumResults() || total != n)
      return failure();
    std::optional<std::vector<float>> weight = floatValues(linear.getWeight());
    std::optional<std::vector<float>> bias;
    if (linear.getBias() && !(bias = floatValues(linear.getBias())))
      return failure();
    if (!weight)
      return failure();
    bool transposed = linear.getTransposedWeight();
    auto weightType = linear.getWeight().getType();
    std::string name = locationName(op.getLoc());
    SmallVector<Value> parts;
    int64_t first = 0;
    for (auto [index, size] : llvm::enumerate(sizes)) {
      // The part's rows [first, first + size) of the [N, K] weight, kept in
      // the layout the linear had.
      std::vector<float> part(size * k);
      for (int64_t r = 0; r < size; ++r)
        for (int64_t c = 0; c < k; ++c)
          part[transposed ? c * size + r : r * k + c] =
              (*weight)[transposed ? c * n + first + r : (first + r) * k + c];
      auto partType = RankedTensorType::get(
          transposed ? SmallVector<int64_t>{k, size}
                     : SmallVector<int64_t>{size, k},
          weightType.getElementType());
      std::string partName = name + ".part" + std::to_string(index);
      Value w = rewriter.create<arith::ConstantOp>(
          linear.getLoc(), cast<TypedAttr>(compression::makeFloatElements(
                               partType, part, partName)));
      Value b;
      if (bias) {
        auto biasType = RankedTensorType::get(
            {size}, cast<RankedTensorType>(linear.getBias().getType())
                        .getElementType());
        b = rewriter.create<arith::ConstantOp>(
            linear.getLoc(),
            cast<TypedAttr>(compression::makeFloatElements(
                biasType,
                ArrayRef<float>(*bias).slice(first, size),
                partName + ".bias")));
      }
      parts.push_back(rewriter.create<LinearOp>(
          linear.getLoc(), linearResultType(linear.getInput().getType(), size),
          linear.getInput(), w, Value(), Value(), b, QuantAttr(), QuantAttr(),
          SparsityAttr(), transposed));
      first += size;
    }
    SmallVector<Value> results;
    for (auto [result, part] : llvm::zip(op.getResults(), parts))
      results.push_back(result.getType() == part.getType()
                            ? part
                            : rewriter.create<tensor::CastOp>(
                                  op.getLoc(), result.getType(), part));
    rewriter.replaceOp(op, results);
    rewriter.eraseOp(linear);
    return success();
  }
};

} // namespace

void accel::raise::populateSplitLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<SplitLinear>(patterns.getContext());
}

void accel::raise::populateLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseMatMul, RaiseGemm, RaiseEmbedding>(patterns.getContext());
  patterns.add<FoldBiasInto<LinearOp>>(
      patterns.getContext(), [](LinearOp op) { return op.getOutFeatures(); });
}
