//===- AccelOps.cpp - the float accel ops on host tensors -----------------===//
//
// accel.linear, rmsnorm, layernorm, rope, activation and embedding with
// float weights, and broadcast (for both modes), as AccelOps.td defines
// them (the attention family is in AccelAttention.cpp). Dot products and means accumulate in double in index
// order; each result element is rounded once to the result type. Quantized
// weights, quantized KV caches and accel.quantize/dequantize are the
// quantized golden model's.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "accel/Dialect/Accel/AccelOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace accel::reference;
using namespace accel::reference::detail;

llvm::Error detail::needsGoldenModel(const llvm::Twine &what) {
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

void detail::rotateRow(llvm::ArrayRef<double> x, llvm::ArrayRef<double> cos,
                       llvm::ArrayRef<double> sin, bool interleaved,
                       llvm::MutableArrayRef<double> y) {
  int64_t d = x.size(), r = cos.size();
  for (int64_t j = 0; j < d; ++j) {
    if (j >= r) {
      y[j] = x[j];
      continue;
    }
    double rotated;
    if (interleaved)
      rotated = j % 2 == 0 ? -x[j + 1] : x[j - 1];
    else
      rotated = j < r / 2 ? -x[j + r / 2] : x[j - r / 2];
    y[j] = x[j] * cos[j] + rotated * sin[j];
  }
}

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
  std::vector<double> row(d), cosRow(r), sinRow(r), rotated(d);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < tokens; ++t) {
      int64_t table = ((batched ? b * tokens : 0) + t) * r;
      for (int64_t j = 0; j < r; ++j) {
        cosRow[j] = cos.getDouble(table + j);
        sinRow[j] = sin.getDouble(table + j);
      }
      for (int64_t h = 0; h < heads; ++h) {
        int64_t base = ((b * tokens + t) * heads + h) * d;
        for (int64_t j = 0; j < d; ++j)
          row[j] = x.getDouble(base + j);
        rotateRow(row, cosRow, sinRow, interleaved, rotated);
        for (int64_t j = 0; j < d; ++j)
          result.setDouble(base + j, rotated[j]);
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

Results detail::runBroadcast(mlir::Operation *op, const Tensor &input) {
  auto type = llvm::cast<mlir::RankedTensorType>(op->getResult(0).getType());
  if (!type.hasStaticShape())
    return fail("needs a static result shape, got " + describeType(type));
  llvm::ArrayRef<int64_t> shape = type.getShape(), from = input.getShape();
  llvm::Expected<llvm::SmallVector<int64_t>> both =
      broadcastShapes({from, shape});
  if (!both)
    return both.takeError();
  if (llvm::ArrayRef<int64_t>(*both) != shape)
    return fail("input " + formatShape(from) + " does not broadcast to " +
                formatShape(shape));
  llvm::Expected<Tensor> result = allocate(input.getDType(), shape);
  if (!result)
    return result.takeError();
  BroadcastWalker walker(shape, {from});
  for (int64_t i = 0, e = result->getNumElements(); i < e; ++i, walker.next())
    result->copyElement(i, input, walker.offset(0));
  return single(std::move(*result));
}

Results detail::runAccelOp(mlir::Operation *op,
                           llvm::ArrayRef<const Tensor *> tensors) {
  AccelOperands operands(op, tensors);
  return llvm::TypeSwitch<mlir::Operation *, Results>(op)
      .Case([&](accel::LinearOp linear) { return runLinear(linear, operands); })
      .Case<accel::AttentionOp, accel::BandAttentionOp,
            accel::CacheAttentionOp>([&](mlir::Operation *attention) {
        return runAttentionOp(attention, operands);
      })
      .Case([&](accel::KVCacheWriteOp write) {
        return runKVCacheWrite(write, operands);
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
      .Case([&](accel::BroadcastOp broadcast) {
        return runBroadcast(broadcast, *operands.get(broadcast.getInput()));
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
