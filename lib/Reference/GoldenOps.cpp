//===- GoldenOps.cpp - the accel and arith ops of the golden model --------===//
//
// The golden mode of the executor (Executor.cpp runs the function; here are
// the ops it dispatches in that mode): every accel op, float or quantized,
// and the float arith ops, computed with the primitives of
// GoldenNumerics.cpp, and the constants of sub-byte integer types that the
// fp32 mode refuses. Compiled with -ffp-contract=off, like the primitives.
//
//===----------------------------------------------------------------------===//

#include "accel/Reference/Executor.h"
#include "accel/Reference/Golden.h"

#include "Kernels.h"

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Support/IntElements.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace accel::reference;
using namespace accel::reference::detail;
namespace golden = accel::reference::golden;

//===----------------------------------------------------------------------===//
// Constants and arith
//===----------------------------------------------------------------------===//

bool detail::isSubByteInteger(mlir::Type type) {
  auto intType = llvm::dyn_cast<mlir::IntegerType>(type);
  return intType && intType.isSignless() && intType.getWidth() > 1 &&
         intType.getWidth() < 8;
}

llvm::Expected<Tensor> detail::goldenConstant(mlir::Attribute attr) {
  auto typed = llvm::dyn_cast_or_null<mlir::TypedAttr>(attr);
  auto type = typed ? llvm::dyn_cast<mlir::RankedTensorType>(typed.getType())
                    : mlir::RankedTensorType();
  if (!type || !isSubByteInteger(type.getElementType()))
    return fromAttribute(attr);
  // iB, B < 8: the tensor holds the low B bits zero-extended (readers
  // interpret them per their scheme); a blob holds them packed or one per
  // byte (IntElements).
  if (!type.hasStaticShape())
    return fail("constant of type " + describeType(type) +
                " has no static shape");
  if (llvm::isa<mlir::DenseElementsAttr, mlir::DenseResourceElementsAttr>(
          attr)) {
    llvm::Expected<IntElements> elements = IntElements::get(attr);
    if (!elements)
      return elements.takeError();
    Tensor tensor(DType::I8, type.getShape());
    llvm::MutableArrayRef<int64_t> ints = tensor.getInts();
    for (uint64_t i = 0; i < elements->size(); ++i)
      ints[i] = int64_t((*elements)[i]);
    return tensor;
  }
  return fromAttribute(attr);
}

llvm::Error detail::requireF32(const Tensor *t, llvm::StringRef what) {
  if (t && t->getDType() != DType::F32)
    return fail("the golden model computes in fp32: " + what +
                " must be f32, got " + t->toString(0));
  return llvm::Error::success();
}

Results detail::runGoldenArith(mlir::Operation *op, const Tensor &lhs,
                               const Tensor &rhs) {
  if (lhs.getShape() != rhs.getShape() || lhs.getDType() != rhs.getDType())
    return fail("needs float operands of one type and shape, got " +
                lhs.toString(4) + " and " + rhs.toString(4));
  if (llvm::Error error = requireF32(&lhs, "every operand"))
    return std::move(error);
  Tensor result(DType::F32, lhs.getShape());
  llvm::ArrayRef<float> a = lhs.getFloats(), b = rhs.getFloats();
  llvm::MutableArrayRef<float> y = result.getFloats();
  for (size_t i = 0; i < y.size(); ++i)
    y[i] = llvm::TypeSwitch<mlir::Operation *, float>(op)
               .Case([&](mlir::arith::AddFOp) { return a[i] + b[i]; })
               .Case([&](mlir::arith::SubFOp) { return a[i] - b[i]; })
               .Case([&](mlir::arith::MulFOp) { return a[i] * b[i]; })
               .Default([&](mlir::Operation *) { return a[i] / b[i]; });
  return single(std::move(result));
}

//===----------------------------------------------------------------------===//
// accel ops
//===----------------------------------------------------------------------===//

/// A float tensor's values as fp32 (f16/bf16 values are exact in fp32).
static llvm::Expected<llvm::ArrayRef<float>> floatsOf(const Tensor &t,
                                                      llvm::StringRef what) {
  if (t.getStorage() != Storage::Float)
    return fail(what + " must be an f32, f16 or bf16 tensor, got " +
                t.toString(0));
  return t.getFloats();
}

/// A stored B-bit integer as the scheme reads it: the low B bits, unsigned
/// (asymmetric) or two's complement (symmetric).
static int32_t readStored(int64_t raw, unsigned bits, bool isSigned) {
  int64_t mask = (int64_t(1) << bits) - 1;
  int64_t v = raw & mask;
  if (isSigned && v >= (int64_t(1) << (bits - 1)))
    v -= int64_t(1) << bits;
  return static_cast<int32_t>(v);
}

static Results runLinear(accel::LinearOp op, const AccelOperands &operands) {
  const Tensor &x = *operands.get(op.getInput());
  const Tensor &w = *operands.get(op.getWeight());
  const Tensor *scales = operands.get(op.getScales());
  const Tensor *zeros = operands.get(op.getZeroPoints());
  const Tensor *biasTensor = operands.get(op.getBias());
  if (llvm::Error error = requireF32(&x, "the input"))
    return std::move(error);
  bool transposed = op.getTransposedWeight();
  llvm::Expected<LinearShape> shape = linearShape(x, w, biasTensor, transposed);
  if (!shape)
    return shape.takeError();
  int64_t n = shape->n, k = shape->k;
  const float *bias = nullptr;
  if (biasTensor) {
    llvm::Expected<llvm::ArrayRef<float>> b = floatsOf(*biasTensor, "bias");
    if (!b)
      return b.takeError();
    bias = b->data();
  }
  auto index = [&](int64_t row, int64_t col) {
    return transposed ? col * n + row : row * k + col;
  };

  // The weight: quantized (integer) or float.
  std::optional<golden::QuantizedWeight> qw;
  llvm::ArrayRef<float> wf;
  if (!w.isFloat()) {
    accel::QuantAttr quant = op.getWeightQuantAttr();
    if (!quant || !scales)
      return fail("an integer weight needs weight_quant and scales");
    bool symmetric = quant.getSymmetric();
    if (!symmetric && !zeros)
      return fail("an asymmetric weight needs zero_points");
    unsigned bits = quant.getBits();
    int64_t group = quant.getEffectiveGroupSize(k);
    if (group <= 0 || k % group != 0)
      return fail("weight group " + llvm::Twine(group) +
                  " does not divide K = " + llvm::Twine(k));
    int64_t groups = k / group;
    llvm::SmallVector<int64_t> paramShape{n, groups};
    if (scales->getShape() != llvm::ArrayRef<int64_t>(paramShape) ||
        (zeros && zeros->getShape() != llvm::ArrayRef<int64_t>(paramShape)))
      return fail("scales/zero_points must be " + formatShape(paramShape));
    llvm::Expected<llvm::ArrayRef<float>> s = floatsOf(*scales, "scales");
    if (!s)
      return s.takeError();
    if (zeros && zeros->isFloat())
      return fail("zero_points must be integers");
    qw.emplace();
    qw->rows = n, qw->cols = k, qw->group = group;
    qw->q.resize(n * k);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c)
        qw->q[r * k + c] = readStored(w.getInts()[index(r, c)], bits, symmetric);
    qw->scales.assign(s->begin(), s->end());
    qw->zeros.assign(n * groups, 0);
    if (!symmetric)
      for (int64_t i = 0; i < n * groups; ++i)
        qw->zeros[i] = readStored(zeros->getInts()[i], bits, /*signed=*/false);
    // N:M sparsity: the pruned positions contribute 0, which they do when
    // q == z; a group with more than N other positions breaks the claim.
    if (accel::SparsityAttr sparsity = op.getSparsityAttr();
        sparsity && !sparsity.isDense() && k % sparsity.getM() == 0) {
      int64_t m = sparsity.getM();
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c0 = 0; c0 < k; c0 += m) {
          int64_t kept = 0;
          for (int64_t c = c0; c < c0 + m; ++c)
            kept += qw->q[r * k + c] != qw->zeros[r * groups + c / group];
          if (kept > sparsity.getN())
            return fail("weight row " + llvm::Twine(r) + " has " +
                        llvm::Twine(kept) + " non-zero weights in [" +
                        llvm::Twine(c0) + ", " + llvm::Twine(c0 + m) +
                        "), more than its sparsity " +
                        llvm::Twine(sparsity.getN()) + ":" +
                        llvm::Twine(m) + " allows");
        }
    }
  } else {
    llvm::Expected<llvm::ArrayRef<float>> values = floatsOf(w, "weight");
    if (!values)
      return values.takeError();
    wf = *values;
  }

  accel::QuantAttr act = op.getActQuantAttr();
  int64_t actGroup = k;
  if (act) {
    if (!act.getSymmetric())
      return fail("asymmetric activation quantization is not defined by "
                  "docs/NUMERICS.md");
    actGroup = act.getEffectiveGroupSize(k);
    if (actGroup <= 0 || k % actGroup != 0)
      return fail("activation group " + llvm::Twine(actGroup) +
                  " does not divide K = " + llvm::Twine(k));
  }

  // Weight-only quantization (no act_quant): the dequantized weight
  // ŵ = f32(S) × f32(q − z) in the float product.
  std::vector<float> dequantized;
  if (qw && !act) {
    dequantized.resize(n * k);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c) {
        int64_t g = r * (k / qw->group) + c / qw->group;
        dequantized[r * k + c] =
            qw->scales[g] * static_cast<float>(qw->q[r * k + c] - qw->zeros[g]);
      }
  }
  auto weightAt = [&](int64_t r, int64_t c) -> float {
    if (!dequantized.empty())
      return dequantized[r * k + c];
    return wf[index(r, c)];
  };

  llvm::Expected<Tensor> result = allocate(DType::F32, shape->resultShape);
  if (!result)
    return result.takeError();
  int64_t rows = shape->rows;
  std::vector<int32_t> qx(k);
  std::vector<float> sx(k / std::max<int64_t>(actGroup, 1) + 1);
  std::vector<float> xq(k);
  for (int64_t r = 0; r < rows; ++r) {
    llvm::ArrayRef<float> row = x.getFloats().slice(r * k, k);
    llvm::MutableArrayRef<float> y = result->getFloats().slice(r * n, n);
    if (act)
      golden::quantizeActivation(row, actGroup, act.getBits(), qx, sx);
    if (qw && act) {
      golden::linearQuantizedRow(qx, sx, actGroup, *qw, bias, y);
      continue;
    }
    if (act) {
      // A float weight with act_quant: x_k replaced by f32(q_k) × s_x.
      for (int64_t c = 0; c < k; ++c)
        xq[c] = static_cast<float>(qx[c]) * sx[c / actGroup];
      row = xq;
    }
    golden::linearFloatRow(row, n, weightAt, bias, y);
  }
  return single(std::move(*result));
}

static Results runNorm(const Tensor &x, const Tensor &weight,
                       const Tensor *bias, float epsilon, bool centered) {
  if (llvm::Error error = requireF32(&x, "the input"))
    return std::move(error);
  llvm::Expected<int64_t> width = normWidth(x, weight, bias);
  if (!width)
    return width.takeError();
  int64_t h = *width;
  llvm::Expected<llvm::ArrayRef<float>> w = floatsOf(weight, "weight");
  if (!w)
    return w.takeError();
  llvm::ArrayRef<float> b;
  if (bias) {
    llvm::Expected<llvm::ArrayRef<float>> values = floatsOf(*bias, "bias");
    if (!values)
      return values.takeError();
    b = *values;
  }
  Tensor result(DType::F32, x.getShape());
  int64_t rows = h ? x.getNumElements() / h : 0;
  for (int64_t r = 0; r < rows; ++r) {
    llvm::ArrayRef<float> row = x.getFloats().slice(r * h, h);
    llvm::MutableArrayRef<float> y = result.getFloats().slice(r * h, h);
    if (centered)
      golden::layerNormRow(row, *w, b, epsilon, y);
    else
      golden::rmsNormRow(row, *w, epsilon, y);
  }
  return single(std::move(result));
}

static Results runRope(accel::RopeOp op, const AccelOperands &operands) {
  const Tensor &x = *operands.get(op.getInput());
  const Tensor &cosT = *operands.get(op.getCos());
  const Tensor &sinT = *operands.get(op.getSin());
  if (llvm::Error error = requireF32(&x, "the input"))
    return std::move(error);
  llvm::Expected<llvm::ArrayRef<float>> cosV = floatsOf(cosT, "cos");
  if (!cosV)
    return cosV.takeError();
  llvm::Expected<llvm::ArrayRef<float>> sinV = floatsOf(sinT, "sin");
  if (!sinV)
    return sinV.takeError();
  int64_t heads = op.getNumHeads();
  llvm::Expected<RopeShape> shape = ropeShape(heads, x, cosT, sinT);
  if (!shape)
    return shape.takeError();
  int64_t batch = shape->batch, tokens = shape->tokens, d = shape->headDim,
          r = shape->rotary;
  bool batched = shape->batched;
  bool interleaved = op.getStyle() == accel::RopeStyle::Interleaved;
  Tensor result(DType::F32, x.getShape());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < tokens; ++t) {
      int64_t table = ((batched ? b * tokens : 0) + t) * r;
      for (int64_t h = 0; h < heads; ++h) {
        int64_t base = ((b * tokens + t) * heads + h) * d;
        golden::ropeRow(x.getFloats().slice(base, d), cosV->slice(table, r),
                        sinV->slice(table, r), interleaved,
                        result.getFloats().slice(base, d));
      }
    }
  return single(std::move(result));
}

static Results runActivation(accel::ActivationOp op,
                             const AccelOperands &operands) {
  const Tensor &x = *operands.get(op.getInput());
  const Tensor *up = operands.get(op.getUp());
  if (llvm::Error error = requireF32(&x, "the input"))
    return std::move(error);
  if (llvm::Error error = requireF32(up, "up"))
    return std::move(error);
  if (llvm::Error error = checkUpShape(up, x))
    return std::move(error);
  float (*f)(float) = nullptr;
  switch (op.getKind()) {
  case accel::ActivationKind::SiLU: f = golden::silu; break;
  case accel::ActivationKind::GeluErf: f = golden::geluErf; break;
  case accel::ActivationKind::GeluTanh: f = golden::geluTanh; break;
  case accel::ActivationKind::ReLU: f = golden::relu; break;
  }
  Tensor result(DType::F32, x.getShape());
  llvm::ArrayRef<float> in = x.getFloats();
  llvm::MutableArrayRef<float> out = result.getFloats();
  for (size_t i = 0; i < out.size(); ++i) {
    float v = f(in[i]);
    out[i] = up ? v * up->getFloats()[i] : v;
  }
  return single(std::move(result));
}

static Results runEmbedding(accel::EmbeddingOp op,
                            const AccelOperands &operands) {
  const Tensor &ids = *operands.get(op.getIds());
  const Tensor &table = *operands.get(op.getTable());
  if (ids.isFloat() || table.getRank() != 2)
    return fail("needs integer ids and a [V, H] table");
  // An f16/bf16 table's row is given exactly in fp32.
  llvm::Expected<llvm::ArrayRef<float>> rows = floatsOf(table, "the table");
  if (!rows)
    return rows.takeError();
  int64_t vocab = table.getDim(0), h = table.getDim(1);
  llvm::SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(h);
  llvm::Expected<Tensor> result = allocate(DType::F32, shape);
  if (!result)
    return result.takeError();
  for (int64_t i = 0, e = ids.getNumElements(); i < e; ++i) {
    llvm::Expected<int64_t> id = embeddingId(ids, i, vocab);
    if (!id)
      return id.takeError();
    std::copy_n(rows->begin() + *id * h, h,
                result->getFloats().begin() + i * h);
  }
  return single(std::move(*result));
}

Results detail::runGoldenAccelOp(mlir::Operation *op,
                                 llvm::ArrayRef<const Tensor *> tensors) {
  AccelOperands operands(op, tensors);
  return llvm::TypeSwitch<mlir::Operation *, Results>(op)
      .Case([&](accel::LinearOp linear) { return runLinear(linear, operands); })
      .Case<accel::AttentionOp, accel::BandAttentionOp,
            accel::CacheAttentionOp, accel::KVCacheWriteOp>(
          [&](mlir::Operation *attention) {
            return runGoldenAttentionOp(attention, operands);
          })
      .Case([&](accel::RMSNormOp norm) {
        return runNorm(*operands.get(norm.getInput()),
                       *operands.get(norm.getWeight()), nullptr,
                       norm.getEpsilonAttr().getValue().convertToFloat(),
                       /*centered=*/false);
      })
      .Case([&](accel::LayerNormOp norm) {
        return runNorm(*operands.get(norm.getInput()),
                       *operands.get(norm.getWeight()),
                       operands.get(norm.getBias()),
                       norm.getEpsilonAttr().getValue().convertToFloat(),
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
      .Default([](mlir::Operation *op) -> Results {
        return fail("unsupported op: the golden model does not implement '" +
                    op->getName().getStringRef() +
                    "' (docs/NUMERICS.md does not define it)");
      });
}

llvm::Expected<std::vector<Tensor>>
accel::reference::runGolden(mlir::func::FuncOp fn,
                            llvm::ArrayRef<Tensor> inputs) {
  return runFunction(fn, inputs, /*golden=*/true);
}
