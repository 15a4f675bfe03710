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

static Results runLinear(accel::LinearOp op, const AccelOperands &operands) {
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
  llvm::Expected<LinearShape> shape = linearShape(x, w, bias, transposed);
  if (!shape)
    return shape.takeError();
  int64_t n = shape->n, k = shape->k, rows = shape->rows;
  llvm::Expected<Tensor> result = allocate(x.getDType(), shape->resultShape);
  if (!result)
    return result.takeError();
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
  if (llvm::Error error = checkPastFits(*past, current))
    return std::move(error);
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

static Results runAttention(accel::AttentionOp op,
                            const AccelOperands &operands) {
  if (op.getKvQuantAttr())
    return needsGoldenModel("a quantized KV cache (kv_quant)");
  const Tensor &q = *operands.get(op.getQuery());
  const Tensor &kNew = *operands.get(op.getKey());
  const Tensor &vNew = *operands.get(op.getValue());
  const Tensor *pastK = operands.get(op.getPastKey());
  const Tensor *pastV = operands.get(op.getPastValue());
  if (llvm::Error error = checkAttentionOperands(
          {&q, &kNew, &vNew, pastK, pastV},
          [](const Tensor *t) { return requireFloat(t, "every operand"); }))
    return std::move(error);
  int64_t heads = op.getNumHeads(), kvHeads = op.getNumKvHeads();
  llvm::Expected<int64_t> headDim =
      attentionHeadDim(heads, kvHeads, q, kNew, vNew);
  if (!headDim)
    return headDim.takeError();
  int64_t d = *headDim;
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
  llvm::Expected<int64_t> width = normWidth(x, weight, bias);
  if (!width)
    return width.takeError();
  int64_t h = *width;
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

static Results runRope(accel::RopeOp op, const AccelOperands &operands) {
  const Tensor &x = *operands.get(op.getInput());
  const Tensor &cos = *operands.get(op.getCos());
  const Tensor &sin = *operands.get(op.getSin());
  if (llvm::Error error = requireFloatOperands({&x, &cos, &sin}))
    return std::move(error);
  int64_t heads = op.getNumHeads();
  llvm::Expected<RopeShape> shape = ropeShape(heads, x, cos, sin);
  if (!shape)
    return shape.takeError();
  int64_t batch = shape->batch, tokens = shape->tokens, d = shape->headDim,
          r = shape->rotary;
  bool batched = shape->batched;
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

static Results runActivation(accel::ActivationOp op,
                             const AccelOperands &operands) {
  const Tensor &x = *operands.get(op.getInput());
  const Tensor *up = operands.get(op.getUp());
  if (llvm::Error error = requireFloatOperands({&x, up}))
    return std::move(error);
  if (llvm::Error error = checkUpShape(up, x))
    return std::move(error);
  Tensor result(x.getDType(), x.getShape());
  for (int64_t i = 0, e = x.getNumElements(); i < e; ++i) {
    double v = activate(op.getKind(), x.getDouble(i));
    result.setDouble(i, up ? v * up->getDouble(i) : v);
  }
  return single(std::move(result));
}

static Results runEmbedding(accel::EmbeddingOp op,
                            const AccelOperands &operands) {
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
    llvm::Expected<int64_t> id = embeddingId(ids, i, vocab);
    if (!id)
      return id.takeError();
    for (int64_t j = 0; j < h; ++j)
      result->copyElement(i * h + j, table, *id * h + j);
  }
  return single(std::move(*result));
}

Results detail::runAccelOp(mlir::Operation *op,
                           llvm::ArrayRef<const Tensor *> tensors) {
  AccelOperands operands(op, tensors);
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
