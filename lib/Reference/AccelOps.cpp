//===- AccelOps.cpp - the float accel ops on host tensors -----------------===//
//
// accel.linear, attention, rmsnorm, layernorm, rope, activation and
// embedding with float weights, as AccelOps.td defines them. Dot products,
// means and softmax sums accumulate in double in index order; each result
// element is rounded once to the result type. Quantized weights, quantized
// KV caches and accel.quantize/dequantize are the quantized golden model's.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "accel/Dialect/Accel/AccelOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

using namespace accel::reference;
using namespace accel::reference::detail;

namespace {
/// The operand tensors of one op, looked up by operand value.
class Operands {
public:
  Operands(mlir::Operation *op, llvm::ArrayRef<const Tensor *> tensors)
      : op(op), tensors(tensors) {}

  /// The tensor of `value`, or null when `value` is an absent optional.
  const Tensor *get(mlir::Value value) const {
    if (!value)
      return nullptr;
    for (auto [operand, tensor] : llvm::zip(op->getOperands(), tensors))
      if (operand == value)
        return tensor;
    return nullptr;
  }

private:
  mlir::Operation *op;
  llvm::ArrayRef<const Tensor *> tensors;
};
} // namespace

static llvm::Error needsGoldenModel(const llvm::Twine &what) {
  return fail("unsupported: " + what +
              " needs the quantized golden model, not the fp32 reference "
              "executor");
}

static llvm::Error requireFloat(const Tensor *t, llvm::StringRef name) {
  if (t && !t->isFloat())
    return fail(name + " must be a float tensor, got " + t->toString(0));
  return llvm::Error::success();
}

/// An error when any of `operands` (null for absent ones) is not float.
static llvm::Error
requireFloatOperands(std::initializer_list<const Tensor *> operands) {
  for (const Tensor *t : operands)
    if (llvm::Error error = requireFloat(t, "every operand"))
      return error;
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// linear
//===----------------------------------------------------------------------===//

static Results runLinear(accel::LinearOp op, const Operands &operands) {
  if (op.getWeightQuantAttr() || op.getScales() || op.getZeroPoints())
    return needsGoldenModel("a quantized weight");
  if (op.getActQuantAttr())
    return needsGoldenModel("activation quantization (act_quant)");
  const Tensor &x = *operands.get(op.getInput());
  const Tensor &w = *operands.get(op.getWeight());
  const Tensor *bias = operands.get(op.getBias());
  if (!w.isFloat())
    return needsGoldenModel("an integer weight");
  if (llvm::Error error = requireFloat(&x, "input"))
    return std::move(error);
  bool transposed = op.getTransposedWeight();
  if (w.getRank() != 2 || x.getRank() < 1)
    return fail("weight must be 2-D and input at least 1-D");
  int64_t n = transposed ? w.getDim(1) : w.getDim(0);
  int64_t k = transposed ? w.getDim(0) : w.getDim(1);
  if (x.getShape().back() != k || (bias && bias->getNumElements() != n))
    return fail("input " + formatShape(x.getShape()) + ", weight " +
                formatShape(w.getShape()) + " and bias do not agree");
  llvm::SmallVector<int64_t> shape(x.getShape());
  shape.back() = n;
  llvm::Expected<Tensor> result = allocate(x.getDType(), shape);
  if (!result)
    return result.takeError();
  int64_t rows = k ? x.getNumElements() / k
                   : countElements(x.getShape().drop_back()).value_or(0);
  std::vector<double> row(k);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t p = 0; p < k; ++p)
      row[p] = x.getDouble(r * k + p);
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; ++p)
        sum += row[p] * w.getDouble(transposed ? p * n + j : j * k + p);
      if (bias)
        sum += bias->getDouble(j);
      result->setDouble(r * n + j, sum);
    }
  }
  return single(std::move(*result));
}

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

/// `past` followed by `current` along dimension 1 of [B, S, C] tensors.
static llvm::Expected<Tensor> concatSequence(const Tensor *past,
                                             const Tensor &current) {
  if (!past)
    return current;
  if (past->getRank() != 3 || past->getDim(0) != current.getDim(0) ||
      past->getDim(2) != current.getDim(2))
    return fail("past " + formatShape(past->getShape()) +
                " does not fit the new keys/values " +
                formatShape(current.getShape()));
  int64_t b = current.getDim(0), p = past->getDim(1), s = current.getDim(1),
          c = current.getDim(2);
  Tensor result(current.getDType(), {b, p + s, c});
  for (int64_t bi = 0; bi < b; ++bi) {
    for (int64_t i = 0; i < p * c; ++i)
      result.setDouble(bi * (p + s) * c + i, past->getDouble(bi * p * c + i));
    for (int64_t i = 0; i < s * c; ++i)
      result.setDouble(bi * (p + s) * c + p * c + i,
                       current.getDouble(bi * s * c + i));
  }
  return result;
}

static Results runAttention(accel::AttentionOp op, const Operands &operands) {
  if (op.getKvQuantAttr())
    return needsGoldenModel("a quantized KV cache (kv_quant)");
  const Tensor &q = *operands.get(op.getQuery());
  const Tensor &kNew = *operands.get(op.getKey());
  const Tensor &vNew = *operands.get(op.getValue());
  const Tensor *pastK = operands.get(op.getPastKey());
  const Tensor *pastV = operands.get(op.getPastValue());
  for (const Tensor *t : {&q, &kNew, &vNew, pastK, pastV}) {
    if (llvm::Error error = requireFloat(t, "every operand"))
      return std::move(error);
    if (t && t->getRank() != 3)
      return fail("operands must be [B, T, heads * D], got " +
                  formatShape(t->getShape()));
  }
  int64_t heads = op.getNumHeads(), kvHeads = op.getNumKvHeads();
  if (heads % kvHeads != 0 || q.getDim(2) % heads != 0)
    return fail("heads(" + llvm::Twine(heads) + ", " + llvm::Twine(kvHeads) +
                ") do not divide the query width " + llvm::Twine(q.getDim(2)));
  int64_t d = q.getDim(2) / heads;
  if (kNew.getShape() != vNew.getShape() || kNew.getDim(2) != kvHeads * d ||
      kNew.getDim(0) != q.getDim(0))
    return fail("key/value " + formatShape(kNew.getShape()) +
                " do not fit the query " + formatShape(q.getShape()));
  llvm::Expected<Tensor> keys = concatSequence(pastK, kNew);
  if (!keys)
    return keys.takeError();
  llvm::Expected<Tensor> values = concatSequence(pastV, vNew);
  if (!values)
    return values.takeError();
  int64_t batch = q.getDim(0), queries = q.getDim(1);
  int64_t length = keys->getDim(1), past = pastK ? pastK->getDim(1) : 0;
  int64_t group = heads / kvHeads;
  double scale = op.getEffectiveScale();
  bool causal = op.getCausal();
  int64_t sink = 0, window = std::numeric_limits<int64_t>::max();
  if (accel::LambdaAttr lambda = op.getLambdaAttr()) {
    sink = lambda.getSink();
    window = lambda.getWindow();
  }
  Tensor result(q.getDType(), q.getShape());
  std::vector<double> scores(length);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      int64_t kvHead = h / group;
      for (int64_t t = 0; t < queries; ++t) {
        int64_t position = past + t;
        int64_t qBase = (b * queries + t) * heads * d + h * d;
        double maximum = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < length; ++j) {
          bool visible = !causal || (j <= position &&
                                     (j < sink || j > position - window));
          if (!visible) {
            scores[j] = -std::numeric_limits<double>::infinity();
            continue;
          }
          int64_t kBase = (b * length + j) * kvHeads * d + kvHead * d;
          double dot = 0.0;
          for (int64_t i = 0; i < d; ++i)
            dot += q.getDouble(qBase + i) * keys->getDouble(kBase + i);
          scores[j] = dot * scale;
          maximum = std::max(maximum, scores[j]);
        }
        double sum = 0.0;
        for (int64_t j = 0; j < length; ++j) {
          scores[j] = std::isinf(maximum) ? 0.0 : std::exp(scores[j] - maximum);
          sum += scores[j];
        }
        for (int64_t i = 0; i < d; ++i) {
          double out = 0.0;
          for (int64_t j = 0; j < length; ++j)
            if (scores[j] != 0.0)
              out += scores[j] *
                     values->getDouble((b * length + j) * kvHeads * d +
                                       kvHead * d + i);
          result.setDouble(qBase + i, sum > 0 ? out / sum : 0.0);
        }
      }
    }
  return single(std::move(result));
}

//===----------------------------------------------------------------------===//
// rmsnorm, layernorm
//===----------------------------------------------------------------------===//

static Results runNorm(const Tensor &x, const Tensor &weight,
                       const Tensor *bias, double epsilon, bool centered) {
  if (llvm::Error error = requireFloatOperands({&x, &weight, bias}))
    return std::move(error);
  if (x.getRank() < 1)
    return fail("input must have rank >= 1");
  int64_t h = x.getShape().back();
  if (weight.getNumElements() != h || (bias && bias->getNumElements() != h))
    return fail("weight/bias must have " + llvm::Twine(h) + " elements");
  Tensor result(x.getDType(), x.getShape());
  int64_t rows = h ? x.getNumElements() / h : 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t base = r * h;
    Moments moments = momentsOf(x, base, h, epsilon, centered);
    for (int64_t i = 0; i < h; ++i) {
      double v = (x.getDouble(base + i) - moments.mean) * moments.invStdDev *
                 weight.getDouble(i);
      if (bias)
        v += bias->getDouble(i);
      result.setDouble(base + i, v);
    }
  }
  return single(std::move(result));
}

//===----------------------------------------------------------------------===//
// rope
//===----------------------------------------------------------------------===//

static Results runRope(accel::RopeOp op, const Operands &operands) {
  const Tensor &x = *operands.get(op.getInput());
  const Tensor &cos = *operands.get(op.getCos());
  const Tensor &sin = *operands.get(op.getSin());
  if (llvm::Error error = requireFloatOperands({&x, &cos, &sin}))
    return std::move(error);
  int64_t heads = op.getNumHeads();
  if (x.getRank() != 3 || x.getDim(2) % heads != 0)
    return fail("input must be [B, T, heads * D], got " +
                formatShape(x.getShape()));
  int64_t batch = x.getDim(0), tokens = x.getDim(1), d = x.getDim(2) / heads;
  bool batched = cos.getRank() == 3;
  int64_t r = cos.getShape().empty() ? 0 : cos.getShape().back();
  bool fits = cos.getShape() == sin.getShape() &&
              (cos.getRank() == 2 || batched) && r % 2 == 0 && r <= d &&
              cos.getDim(cos.getRank() - 2) == tokens &&
              (!batched || cos.getDim(0) == batch);
  if (!fits)
    return fail("cos/sin " + formatShape(cos.getShape()) +
                " do not fit [T, R] or [B, T, R] for input " +
                formatShape(x.getShape()) + " and head size " +
                llvm::Twine(d));
  bool interleaved = op.getStyle() == accel::RopeStyle::Interleaved;
  Tensor result(x.getDType(), x.getShape());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < tokens; ++t) {
      int64_t table = ((batched ? b * tokens : 0) + t) * r;
      for (int64_t h = 0; h < heads; ++h) {
        int64_t base = ((b * tokens + t) * heads + h) * d;
        for (int64_t j = 0; j < d; ++j) {
          double v = x.getDouble(base + j);
          if (j < r) {
            double rotated;
            if (interleaved)
              rotated = j % 2 == 0 ? -x.getDouble(base + j + 1)
                                   : x.getDouble(base + j - 1);
            else
              rotated = j < r / 2 ? -x.getDouble(base + j + r / 2)
                                  : x.getDouble(base + j - r / 2);
            v = v * cos.getDouble(table + j) +
                rotated * sin.getDouble(table + j);
          }
          result.setDouble(base + j, v);
        }
      }
    }
  return single(std::move(result));
}

//===----------------------------------------------------------------------===//
// activation, embedding
//===----------------------------------------------------------------------===//

static double activate(accel::ActivationKind kind, double x) {
  switch (kind) {
  case accel::ActivationKind::SiLU:
    return x / (1.0 + std::exp(-x));
  case accel::ActivationKind::GeluErf:
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case accel::ActivationKind::GeluTanh: {
    constexpr double kSqrt2OverPi = 0.79788456080286535588;
    return 0.5 * x * (1.0 + std::tanh(kSqrt2OverPi * (x + 0.044715 * x * x * x)));
  }
  case accel::ActivationKind::ReLU:
    return x > 0 ? x : 0.0;
  }
  return x;
}

static Results runActivation(accel::ActivationOp op, const Operands &operands) {
  const Tensor &x = *operands.get(op.getInput());
  const Tensor *up = operands.get(op.getUp());
  if (llvm::Error error = requireFloatOperands({&x, up}))
    return std::move(error);
  if (up && up->getShape() != x.getShape())
    return fail("up " + formatShape(up->getShape()) +
                " must have the input's shape " + formatShape(x.getShape()));
  Tensor result(x.getDType(), x.getShape());
  for (int64_t i = 0, e = x.getNumElements(); i < e; ++i) {
    double v = activate(op.getKind(), x.getDouble(i));
    result.setDouble(i, up ? v * up->getDouble(i) : v);
  }
  return single(std::move(result));
}

static Results runEmbedding(accel::EmbeddingOp op, const Operands &operands) {
  const Tensor &ids = *operands.get(op.getIds());
  const Tensor &table = *operands.get(op.getTable());
  if (ids.isFloat() || table.getRank() != 2 || !table.isFloat())
    return fail("needs integer ids and a float [V, H] table");
  int64_t vocab = table.getDim(0), h = table.getDim(1);
  llvm::SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(h);
  llvm::Expected<Tensor> result = allocate(table.getDType(), shape);
  if (!result)
    return result.takeError();
  for (int64_t i = 0, e = ids.getNumElements(); i < e; ++i) {
    int64_t id = ids.getInt(i);
    if (id < 0 || id >= vocab)
      return fail("id " + llvm::Twine(id) + " at position " + llvm::Twine(i) +
                  " is outside the vocabulary [0, " + llvm::Twine(vocab) + ")");
    for (int64_t j = 0; j < h; ++j)
      result->copyElement(i * h + j, table, id * h + j);
  }
  return single(std::move(*result));
}

Results detail::runAccelOp(mlir::Operation *op,
                           llvm::ArrayRef<const Tensor *> tensors) {
  Operands operands(op, tensors);
  return llvm::TypeSwitch<mlir::Operation *, Results>(op)
      .Case([&](accel::LinearOp linear) { return runLinear(linear, operands); })
      .Case([&](accel::AttentionOp attention) {
        return runAttention(attention, operands);
      })
      .Case([&](accel::RMSNormOp norm) {
        return runNorm(*operands.get(norm.getInput()),
                       *operands.get(norm.getWeight()), nullptr,
                       norm.getEpsilonAttr().getValueAsDouble(),
                       /*centered=*/false);
      })
      .Case([&](accel::LayerNormOp norm) {
        return runNorm(*operands.get(norm.getInput()),
                       *operands.get(norm.getWeight()),
                       operands.get(norm.getBias()),
                       norm.getEpsilonAttr().getValueAsDouble(),
                       /*centered=*/true);
      })
      .Case([&](accel::RopeOp rope) { return runRope(rope, operands); })
      .Case([&](accel::ActivationOp activation) {
        return runActivation(activation, operands);
      })
      .Case([&](accel::EmbeddingOp embedding) {
        return runEmbedding(embedding, operands);
      })
      .Case<accel::QuantizeOp, accel::DequantizeOp>([](mlir::Operation *op) {
        return needsGoldenModel("'" + op->getName().getStringRef() + "'");
      })
      .Default([](mlir::Operation *op) -> Results {
        return fail("unsupported op: the reference executor does not "
                    "implement '" +
                    op->getName().getStringRef() + "'");
      });
}
