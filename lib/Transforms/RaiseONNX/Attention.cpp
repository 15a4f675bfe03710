//===- Attention.cpp - raising attention and rotary embeddings ------------===//
//
// Attention as exporters write it, on head tensors [B, H, T, D]:
//
//   q4 = Transpose(Reshape(q, [B, T, H, D]), [0, 2, 1, 3])     head split
//   q4 = rope(q4, cos, sin)                                    optional
//   k4 = Reshape(Expand(Unsqueeze(k4, 2), ..), [B, H, S, D])   repeat_kv (GQA)
//   s  = MatMul(q4, Transpose(k4, [0, 1, 3, 2])) / c           or * c
//   s  = Add(s, mask) | Where(cond, s, -big)                   optional mask
//   o  = MatMul(Softmax(s, -1), v4)
//   out = Reshape(Transpose(o, [0, 2, 1, 3]), [B, T, H * D])   head merge
//
// becomes accel.attention on the merged-head projections (and accel.rope on
// them when the head tensors were rotated). Masks must be constants (the
// fold patterns make them so once the sequence length is static) and must be
// causal or absent; any other mask leaves the subgraph as it is.
//
// Rotary embeddings, rotate-half form:  x * cos + cat(-x2, x1) * sin, with
// x1, x2 the halves of the head dim; interleaved form: the pairs
// (x[2i], x[2i+1]) of Reshape(x, [.., D/2, 2]) rotated and stacked back.
//
//===----------------------------------------------------------------------===//

#include "Match.h"

#include "accel/Dialect/Accel/AccelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

using namespace mlir;
using namespace accel;
using namespace accel::raise;

namespace {

/// True if every dimension of `type` from `first` on is static (the batch
/// dimension 0 may stay dynamic).
bool staticFrom(RankedTensorType type, int64_t first) {
  return type && llvm::none_of(type.getShape().drop_front(first),
                               ShapedType::isDynamic);
}

std::optional<SmallVector<int64_t>> permutation(NodeOp transpose) {
  auto perm =
      dyn_cast_or_null<DenseI64ArrayAttr>(transpose.getOnnxAttr("perm"));
  if (!perm)
    return std::nullopt;
  return SmallVector<int64_t>(perm.asArrayRef());
}

NodeOp transposeOf(Value value, ArrayRef<int64_t> perm) {
  NodeOp t = producer(value, "Transpose");
  return t && permutation(t) == SmallVector<int64_t>(perm) ? t : NodeOp();
}

/// The axes of an Unsqueeze (attribute before opset 13, input after).
std::optional<SmallVector<int64_t>> unsqueezeAxes(NodeOp node) {
  if (auto axes = dyn_cast_or_null<DenseI64ArrayAttr>(node.getOnnxAttr("axes")))
    return SmallVector<int64_t>(axes.asArrayRef());
  if (node.hasInput(1))
    return intValues(node.getInputs()[1]);
  return std::nullopt;
}

/// Mul(a, b) in either order.
bool isMulOf(Value value, Value a, Value b) {
  NodeOp mul = producer(value, "Mul");
  return mul && ((mul.getInputs()[0] == a && mul.getInputs()[1] == b) ||
                 (mul.getInputs()[0] == b && mul.getInputs()[1] == a));
}

/// A constant broadcastable as [.., T, R] with leading ones, as [T, R].
DenseElementsAttr asTable(ElementsAttr attr, int64_t rows) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  auto type = dense ? dyn_cast<RankedTensorType>(dense.getType())
                    : RankedTensorType();
  if (!type || type.getRank() < 2 || !type.hasStaticShape() ||
      !isa<FloatType>(type.getElementType()))
    return {};
  ArrayRef<int64_t> shape = type.getShape();
  for (int64_t d : shape.drop_back(2))
    if (d != 1)
      return {};
  if (shape[shape.size() - 2] != rows)
    return {};
  return dense.reshape(
      RankedTensorType::get({rows, shape.back()}, type.getElementType()));
}

/// Repeats every column of a [T, R] table twice: [T, 2R].
DenseElementsAttr repeatColumns(DenseElementsAttr table) {
  auto type = cast<RankedTensorType>(table.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  SmallVector<APFloat> values(table.getValues<APFloat>().begin(),
                              table.getValues<APFloat>().end());
  SmallVector<APFloat> repeated;
  repeated.reserve(values.size() * 2);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      repeated.push_back(values[r * cols + c]);
      repeated.push_back(values[r * cols + c]);
    }
  return DenseElementsAttr::get(
      RankedTensorType::get({rows, 2 * cols}, type.getElementType()),
      repeated);
}

struct RopePlan {
  RopeStyle style;
  DenseElementsAttr cos, sin;
  Location loc;
};

/// A Slice of `x` along its last axis from `start` to `end` (an `end` at or
/// beyond the dimension counts as the end), unit step.
bool isLastAxisSlice(Value value, Value x, int64_t start, int64_t end) {
  NodeOp slice = producer(value, "Slice");
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!slice || slice.getInputs()[0] != x || !type ||
      slice.getInputs().size() < 4)
    return false;
  auto starts = intValues(slice.getInputs()[1]);
  auto ends = intValues(slice.getInputs()[2]);
  auto axes = intValues(slice.getInputs()[3]);
  std::optional<SmallVector<int64_t>> steps;
  if (slice.hasInput(4))
    steps = intValues(slice.getInputs()[4]);
  int64_t rank = type.getRank(), dim = type.getShape().back();
  if (!starts || !ends || !axes || starts->size() != 1 || axes->size() != 1 ||
      ((*axes)[0] != -1 && (*axes)[0] != rank - 1) ||
      (steps && (steps->size() != 1 || (*steps)[0] != 1)))
    return false;
  int64_t e = (*ends)[0] >= dim ? dim : (*ends)[0];
  return (*starts)[0] == start && e == end;
}

/// x * cos + Concat(-x[D/2:], x[:D/2]) * sin; returns x.
std::optional<std::pair<Value, RopePlan>> matchRotateHalf(Value value) {
  NodeOp add = producer(value, "Add");
  if (!add)
    return std::nullopt;
  for (unsigned i = 0; i < 2; ++i) {
    NodeOp cosMul = producer(add.getInputs()[i], "Mul");
    NodeOp sinMul = producer(add.getInputs()[1 - i], "Mul");
    if (!cosMul || !sinMul)
      continue;
    for (unsigned j = 0; j < 2; ++j) {
      Value x = cosMul.getInputs()[j];
      auto type = dyn_cast<RankedTensorType>(x.getType());
      if (!type || type.getRank() != 4 || !staticFrom(type, 1))
        continue;
      int64_t t = type.getDimSize(2), d = type.getDimSize(3);
      DenseElementsAttr cos = asTable(constant(cosMul.getInputs()[1 - j]), t);
      for (unsigned k = 0; k < 2 && cos; ++k) {
        NodeOp concat = producer(sinMul.getInputs()[k], "Concat");
        DenseElementsAttr sin =
            asTable(constant(sinMul.getInputs()[1 - k]), t);
        if (!concat || !sin || concat.getInputs().size() != 2 ||
            (concat.getIntAttr("axis", 0) != -1 && concat.getIntAttr("axis", 0) != 3))
          continue;
        NodeOp neg = producer(concat.getInputs()[0], "Neg");
        if (!neg || !isLastAxisSlice(neg.getInputs()[0], x, d / 2, d) ||
            !isLastAxisSlice(concat.getInputs()[1], x, 0, d / 2) ||
            cos.getType().getDimSize(1) != d || sin.getType() != cos.getType())
          continue;
        return std::make_pair(
            x, RopePlan{RopeStyle::RotateHalf, cos, sin, add.getLoc()});
      }
    }
  }
  return std::nullopt;
}

/// Gather(pairs, i, axis=-1) with a scalar index i.
bool isPairElement(Value value, Value pairs, int64_t index) {
  NodeOp gather = producer(value, "Gather");
  return gather && gather.getInputs()[0] == pairs &&
         (gather.getIntAttr("axis", 0) == -1 || gather.getIntAttr("axis", 0) == 4) &&
         isScalar(gather.getInputs()[1], double(index));
}

/// Reshape(Concat(Unsqueeze(x0 c - x1 s), Unsqueeze(x0 s + x1 c)), x's shape)
/// with x0, x1 the elements of Reshape(x, [.., D/2, 2]); returns x.
std::optional<std::pair<Value, RopePlan>> matchInterleaved(Value value) {
  NodeOp flatten = producer(value, "Reshape");
  NodeOp concat = flatten ? producer(flatten.getInputs()[0], "Concat")
                          : NodeOp();
  if (!concat || concat.getInputs().size() != 2)
    return std::nullopt;
  NodeOp u0 = producer(concat.getInputs()[0], "Unsqueeze");
  NodeOp u1 = producer(concat.getInputs()[1], "Unsqueeze");
  NodeOp sub = u0 ? producer(u0.getInputs()[0], "Sub") : NodeOp();
  NodeOp add = u1 ? producer(u1.getInputs()[0], "Add") : NodeOp();
  if (!sub || !add)
    return std::nullopt;
  // sub = x0 * cos - x1 * sin: find x0 and the pairs tensor.
  NodeOp mul0 = producer(sub.getInputs()[0], "Mul");
  if (!mul0)
    return std::nullopt;
  for (unsigned i = 0; i < 2; ++i) {
    Value x0 = mul0.getInputs()[i];
    NodeOp gather = producer(x0, "Gather");
    NodeOp pairsOp = gather ? producer(gather.getInputs()[0], "Reshape")
                            : NodeOp();
    if (!pairsOp)
      continue;
    Value pairs = gather.getInputs()[0];
    Value x = pairsOp.getInputs()[0];
    auto type = dyn_cast<RankedTensorType>(x.getType());
    if (!type || type.getRank() != 4 || !staticFrom(type, 1) ||
        flatten.getResult(0).getType() != x.getType() ||
        !isPairElement(x0, pairs, 0))
      continue;
    Value cosValue = mul0.getInputs()[1 - i], sinValue, x1;
    NodeOp mul1 = producer(sub.getInputs()[1], "Mul");
    if (!mul1)
      continue;
    for (unsigned j = 0; j < 2; ++j)
      if (isPairElement(mul1.getInputs()[j], pairs, 1)) {
        x1 = mul1.getInputs()[j];
        sinValue = mul1.getInputs()[1 - j];
      }
    int64_t t = type.getDimSize(2), d = type.getDimSize(3);
    DenseElementsAttr cos = asTable(constant(cosValue), t);
    DenseElementsAttr sin = x1 ? asTable(constant(sinValue), t) : nullptr;
    if (!cos || !sin || cos.getType() != sin.getType() ||
        cos.getType().getDimSize(1) != d / 2 ||
        !((isMulOf(add.getInputs()[0], x0, sinValue) &&
           isMulOf(add.getInputs()[1], x1, cosValue)) ||
          (isMulOf(add.getInputs()[1], x0, sinValue) &&
           isMulOf(add.getInputs()[0], x1, cosValue))))
      continue;
    return std::make_pair(x, RopePlan{RopeStyle::Interleaved,
                                      repeatColumns(cos), repeatColumns(sin),
                                      flatten.getLoc()});
  }
  return std::nullopt;
}

/// How a head tensor [B, H, T, D] was made from a merged [B, T, H' * D]
/// projection: split into H' heads, maybe rotated, maybe repeated H / H'
/// times.
struct HeadsPlan {
  Value merged;
  int64_t heads = 0;
  int64_t repeat = 1;
  std::optional<RopePlan> rope;
};

/// `split` = Reshape(m, [B, T, H, D]) of a merged [B, T, H * D] value m.
std::optional<HeadsPlan> matchMergedSplit(Value split) {
  NodeOp reshape = producer(split, "Reshape");
  if (!reshape)
    return std::nullopt;
  Value merged = stripCasts(reshape.getInputs()[0]);
  auto mergedType = rankedFloat(merged);
  auto splitType = dyn_cast<RankedTensorType>(reshape.getResult(0).getType());
  if (!mergedType || mergedType.getRank() != 3 || !splitType ||
      splitType.getRank() != 4 || !staticFrom(splitType, 1) ||
      mergedType.getShape().back() !=
          splitType.getDimSize(2) * splitType.getDimSize(3))
    return std::nullopt;
  HeadsPlan plan;
  plan.merged = merged;
  plan.heads = splitType.getDimSize(2);
  return plan;
}

std::optional<HeadsPlan> matchHeads(Value head) {
  // repeat_kv: Reshape(Expand(Unsqueeze(x, 2), [B, H', n, S, D]), [B, H, S, D])
  NodeOp reshape = producer(head, "Reshape");
  if (NodeOp expand =
          reshape ? producer(reshape.getInputs()[0], "Expand") : NodeOp()) {
    NodeOp unsqueeze = producer(expand.getInputs()[0], "Unsqueeze");
    auto axes = unsqueeze ? unsqueezeAxes(unsqueeze) : std::nullopt;
    auto out = dyn_cast<RankedTensorType>(reshape.getResult(0).getType());
    if (!axes || axes->size() != 1 || ((*axes)[0] != 2 && (*axes)[0] != -3) ||
        !out || out.getRank() != 4 || !staticFrom(out, 1))
      return std::nullopt;
    // The heads repeated are those of the tensor under the Unsqueeze: its
    // plan says how many there are, whatever types the exporter inferred.
    std::optional<HeadsPlan> inner = matchHeads(unsqueeze.getInputs()[0]);
    if (!inner || inner->repeat != 1 ||
        out.getDimSize(1) % inner->heads != 0)
      return std::nullopt;
    inner->repeat = out.getDimSize(1) / inner->heads;
    auto expanded = intValues(expand.getInputs()[1]);
    if (expanded && (expanded->size() != 5 || (*expanded)[1] != inner->heads ||
                     (*expanded)[2] != inner->repeat))
      return std::nullopt;
    return inner;
  }
  HeadsPlan plan;
  if (auto rope = matchRotateHalf(head)) {
    head = rope->first;
    plan.rope = rope->second;
  } else if (auto rope = matchInterleaved(head)) {
    head = rope->first;
    plan.rope = rope->second;
  }
  NodeOp transpose = transposeOf(head, {0, 2, 1, 3});
  std::optional<HeadsPlan> split =
      transpose ? matchMergedSplit(transpose.getInputs()[0]) : std::nullopt;
  if (!split)
    return std::nullopt;
  plan.merged = split->merged;
  plan.heads = split->heads;
  return plan;
}

Value buildHeads(PatternRewriter &rewriter, const HeadsPlan &plan) {
  if (!plan.rope)
    return plan.merged;
  const RopePlan &rope = *plan.rope;
  Value cos = rewriter.create<arith::ConstantOp>(rope.loc, rope.cos);
  Value sin = rewriter.create<arith::ConstantOp>(rope.loc, rope.sin);
  return rewriter.create<RopeOp>(rope.loc, plan.merged.getType(), rope.style,
                                 plan.merged, cos, sin, plan.heads);
}

enum class MaskKind { None, Causal, Unsupported };

/// Classifies a constant mask over [.., T, S] (query t at position S - T +
/// t): causal if it allows exactly the keys at or before each query.
/// `additive`: 0 allows, <= -1e4 (or -inf) forbids; otherwise a boolean
/// condition, true allows.
MaskKind classifyMask(ElementsAttr attr, int64_t t, int64_t s, bool additive) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  auto type = dense ? dyn_cast<RankedTensorType>(dense.getType())
                    : RankedTensorType();
  if (!type || !type.hasStaticShape() || type.getRank() < 2)
    return MaskKind::Unsupported;
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rows = shape[shape.size() - 2], cols = shape.back();
  for (int64_t d : shape.drop_back(2))
    if (d != 1)
      return MaskKind::Unsupported;
  if ((rows != 1 && rows != t) || (cols != 1 && cols != s))
    return MaskKind::Unsupported;
  SmallVector<double> values;
  if (additive) {
    for (APFloat v : dense.getValues<APFloat>())
      values.push_back(v.convertToDouble());
  } else if (type.getElementType().isInteger(1)) {
    for (bool v : dense.getValues<bool>())
      values.push_back(v ? 1.0 : 0.0);
  } else {
    return MaskKind::Unsupported;
  }
  bool causalFits = true, noneFits = true;
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < s; ++j) {
      double v = values[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
      bool allows = additive ? v == 0.0 : v != 0.0;
      bool forbids = additive ? v <= -1e4 : v == 0.0;
      if (j <= i + (s - t) ? !allows : !forbids)
        causalFits = false;
      noneFits &= allows;
    }
  if (noneFits)
    return MaskKind::None;
  return causalFits ? MaskKind::Causal : MaskKind::Unsupported;
}

struct RaiseAttention : NodePattern {
  RaiseAttention(MLIRContext *context) : NodePattern(context, "Reshape") {}
  LogicalResult raise(NodeOp op, PatternRewriter &rewriter) const override {
    auto outType = dyn_cast<RankedTensorType>(op.getResult(0).getType());
    NodeOp merge = transposeOf(op.getInputs()[0], {0, 2, 1, 3});
    NodeOp pv = merge ? producer(merge.getInputs()[0], "MatMul") : NodeOp();
    NodeOp softmax = pv ? producer(pv.getInputs()[0], "Softmax") : NodeOp();
    if ((outType && outType.getRank() != 3) || !softmax ||
        (softmax.getIntAttr("axis", -1) != -1 && softmax.getIntAttr("axis", -1) != 3))
      return failure();

    // Mask.
    Value scores = softmax.getInputs()[0];
    ElementsAttr mask;
    bool additive = true;
    if (NodeOp add = producer(scores, "Add")) {
      for (unsigned i = 0; i < 2 && !mask; ++i)
        if ((mask = constant(add.getInputs()[i])))
          scores = add.getInputs()[1 - i];
    } else if (NodeOp where = producer(scores, "Where")) {
      std::optional<double> fill = scalar(where.getInputs()[2]);
      mask = constant(where.getInputs()[0]);
      if (!mask || !fill || *fill > -1e4)
        return failure();
      additive = false;
      scores = where.getInputs()[1];
    }

    // Scale.
    std::optional<double> scale;
    if (NodeOp div = producer(scores, "Div")) {
      std::optional<double> c = scalar(div.getInputs()[1]);
      if (!c || *c == 0.0)
        return failure();
      scale = 1.0 / *c;
      scores = div.getInputs()[0];
    } else if (NodeOp mul = producer(scores, "Mul")) {
      for (unsigned i = 0; i < 2 && !scale; ++i)
        if ((scale = scalar(mul.getInputs()[i])))
          scores = mul.getInputs()[1 - i];
      if (!scale)
        return failure();
    }
    // K^T: Transpose(k4, [0, 1, 3, 2]), or the head split and the transpose
    // in one: Transpose(Reshape(k, [B, S, H, D]), [0, 2, 3, 1]).
    NodeOp qk = producer(scores, "MatMul");
    if (!qk)
      return failure();
    std::optional<HeadsPlan> k;
    if (NodeOp kt = transposeOf(qk.getInputs()[1], {0, 1, 3, 2}))
      k = matchHeads(kt.getInputs()[0]);
    else if (NodeOp kt = transposeOf(qk.getInputs()[1], {0, 2, 3, 1}))
      k = matchMergedSplit(kt.getInputs()[0]);
    std::optional<HeadsPlan> q = matchHeads(qk.getInputs()[0]);
    std::optional<HeadsPlan> v = matchHeads(pv.getInputs()[1]);
    if (!q || !k || !v || q->repeat != 1 ||
        q->rope.has_value() != k->rope.has_value())
      return failure();
    int64_t heads = q->heads, kvHeads = k->heads;
    if (v->heads != kvHeads || k->repeat != v->repeat ||
        kvHeads * k->repeat != heads || v->rope)
      return failure();
    auto qType = cast<RankedTensorType>(q->merged.getType());
    auto kType = cast<RankedTensorType>(k->merged.getType());
    if (!staticFrom(qType, 1) || !staticFrom(kType, 1))
      return failure();
    MaskKind kind = MaskKind::None;
    if (mask)
      kind = classifyMask(mask, qType.getDimSize(1), kType.getDimSize(1),
                          additive);
    if (kind == MaskKind::Unsupported)
      return rewriter.notifyMatchFailure(op, "mask is neither causal nor empty");

    Value query = buildHeads(rewriter, *q);
    Value key = buildHeads(rewriter, *k);
    Value value = v->merged;
    int64_t headDim = qType.getShape().back() / heads;
    FloatAttr scaleAttr;
    if (scale && std::abs(*scale * std::sqrt(double(headDim)) - 1.0) > 1e-6)
      scaleAttr = rewriter.getF32FloatAttr(*scale);
    auto attention = rewriter.create<AttentionOp>(
        softmax.getLoc(), resultType(op, qType), query, key, value, Value(),
        Value(), heads, kvHeads, kind == MaskKind::Causal, scaleAttr,
        LambdaAttr(), QuantAttr());
    replaceKeepingType(rewriter, op, attention.getResult());
    return success();
  }
};

} // namespace

void accel::raise::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseAttention>(patterns.getContext());
}
