//===- ONNXElementwise.cpp - element-wise ONNX operators ------------------===//
//
// Unary maths and activations, broadcasting binary and variadic arithmetic,
// comparisons and logic, Where, Clip and the casts. Float elements are
// computed in double and rounded to the result type once; integer elements
// in int64, wrapped to the result type.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <cmath>
#include <limits>

using namespace accel::reference;
using namespace accel::reference::detail;

/// Applies `fn(result, index, walker)` over the broadcast of `operands`.
template <typename Fn>
static llvm::Expected<Tensor>
broadcastApply(llvm::ArrayRef<const Tensor *> operands, DType dtype, Fn fn) {
  llvm::SmallVector<llvm::ArrayRef<int64_t>> shapes;
  for (const Tensor *operand : operands)
    shapes.push_back(operand->getShape());
  llvm::Expected<llvm::SmallVector<int64_t>> shape = broadcastShapes(shapes);
  if (!shape)
    return shape.takeError();
  llvm::Expected<Tensor> result = allocate(dtype, *shape);
  if (!result)
    return result.takeError();
  BroadcastWalker walker(*shape, shapes);
  for (int64_t i = 0, e = result->getNumElements(); i < e; ++i, walker.next())
    fn(*result, i, walker);
  return result;
}

/// Calls `fn` with a zero of the type that arithmetic on `dtype` elements is
/// done in: double for float dtypes, uint64_t for u64, int64_t for the other
/// integers.
template <typename Fn> static void visitArithType(DType dtype, Fn fn) {
  if (isFloatDType(dtype))
    fn(0.0);
  else if (dtype == DType::U64)
    fn(uint64_t(0));
  else
    fn(int64_t(0));
}

/// Element `i` of `t` as `T`, one of the types of visitArithType.
template <typename T> static T elementAs(const Tensor &t, int64_t i) {
  if constexpr (std::is_floating_point_v<T>)
    return t.getDouble(i);
  else
    return static_cast<T>(t.getInt(i));
}

/// Sets element `i` of `t` from `value` of one of the types of
/// visitArithType.
template <typename T> static void setElement(Tensor &t, int64_t i, T value) {
  if constexpr (std::is_floating_point_v<T>)
    t.setDouble(i, value);
  else
    t.setInt(i, static_cast<int64_t>(value));
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

/// A float-only unary op.
template <typename FloatFn>
static Results unaryFloat(NodeContext &ctx, FloatFn fn) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  if (!x->isFloat())
    return fail("needs a float input, got " + dtypeName(x->getDType()));
  Tensor y(x->getDType(), x->getShape());
  for (int64_t i = 0, e = x->getNumElements(); i < e; ++i)
    y.setDouble(i, fn(x->getDouble(i)));
  return single(std::move(y));
}

/// A unary op on float and integer inputs; `fn` is generic over double and
/// int64.
template <typename Fn>
static Results unaryNumeric(NodeContext &ctx, Fn fn) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  Tensor y(x->getDType(), x->getShape());
  for (int64_t i = 0, e = x->getNumElements(); i < e; ++i) {
    if (x->isFloat())
      y.setDouble(i, fn(x->getDouble(i)));
    else
      y.setInt(i, fn(x->getInt(i)));
  }
  return single(std::move(y));
}

static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

static Results isInf(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  bool negative = ctx.intAttr("detect_negative", 1) != 0;
  bool positive = ctx.intAttr("detect_positive", 1) != 0;
  Tensor y(DType::Bool, x->getShape());
  for (int64_t i = 0, e = x->getNumElements(); i < e; ++i) {
    double v = x->getDouble(i);
    y.setInt(i, std::isinf(v) && (v > 0 ? positive : negative));
  }
  return single(std::move(y));
}

static Results isNaN(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  Tensor y(DType::Bool, x->getShape());
  for (int64_t i = 0, e = x->getNumElements(); i < e; ++i)
    y.setInt(i, std::isnan(x->getDouble(i)));
  return single(std::move(y));
}

static Results logicalNot(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  if (x->getDType() != DType::Bool)
    return fail("needs a bool input, got " + dtypeName(x->getDType()));
  Tensor y(DType::Bool, x->getShape());
  for (int64_t i = 0, e = x->getNumElements(); i < e; ++i)
    y.setInt(i, !x->getInt(i));
  return single(std::move(y));
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

/// Checks that inputs 0 and 1 are present and of one dtype.
static llvm::Error requireSameDTypeOperands(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(2))
    return error;
  return requireSameDType(*ctx.input(0), *ctx.input(1));
}

/// A broadcasting binary op with a result of the operands' type; `fn` is
/// generic over the types of visitArithType.
template <typename Fn>
static Results binaryArith(NodeContext &ctx, Fn fn) {
  if (llvm::Error error = requireSameDTypeOperands(ctx))
    return std::move(error);
  const Tensor &lhs = *ctx.input(0), &rhs = *ctx.input(1);
  DType dtype = lhs.getDType();
  return single(broadcastApply(
      {&lhs, &rhs}, dtype, [&](Tensor &out, int64_t i, BroadcastWalker &w) {
        visitArithType(dtype, [&](auto zero) {
          using T = decltype(zero);
          setElement(out, i, fn(elementAs<T>(lhs, w.offset(0)),
                                elementAs<T>(rhs, w.offset(1))));
        });
      }));
}

/// A broadcasting comparison or logic op with a bool result; `fn` is generic
/// over the types of visitArithType.
template <typename Fn>
static Results binaryPredicate(NodeContext &ctx, Fn fn, bool boolOnly) {
  if (llvm::Error error = requireSameDTypeOperands(ctx))
    return std::move(error);
  const Tensor &lhs = *ctx.input(0), &rhs = *ctx.input(1);
  if (boolOnly && lhs.getDType() != DType::Bool)
    return fail("needs bool operands, got " + dtypeName(lhs.getDType()));
  return single(broadcastApply(
      {&lhs, &rhs}, DType::Bool,
      [&](Tensor &out, int64_t i, BroadcastWalker &w) {
        visitArithType(lhs.getDType(), [&](auto zero) {
          using T = decltype(zero);
          out.setInt(i, fn(elementAs<T>(lhs, w.offset(0)),
                           elementAs<T>(rhs, w.offset(1))));
        });
      }));
}

/// Integer division truncating toward zero; division by zero (undefined in
/// ONNX) gives 0 instead of trapping.
template <typename T> static T divide(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return a / b;
  else if (b == 0)
    return 0;
  else if constexpr (std::is_signed_v<T>)
    return b == -1 ? static_cast<T>(0 - static_cast<uint64_t>(a)) : a / b;
  else
    return a / b;
}

static Results mod(NodeContext &ctx) {
  bool cStyle = ctx.intAttr("fmod", 0) != 0;
  return binaryArith(ctx, [cStyle](auto a, auto b) -> decltype(a) {
    using T = decltype(a);
    if constexpr (std::is_floating_point_v<T>) {
      T r = std::fmod(a, b);
      if (!cStyle && r != 0 && ((r < 0) != (b < 0)))
        r += b;
      return r;
    } else {
      if (b == 0)
        return 0;
      if constexpr (std::is_signed_v<T>)
        if (b == -1)
          return 0;
      T r = a % b;
      if constexpr (std::is_signed_v<T>)
        if (!cStyle && r != 0 && ((r < 0) != (b < 0)))
          r += b;
      return r;
    }
  });
}

/// A broadcasting binary op computed in double, with a result of input 0's
/// type; the operand types may differ.
template <typename Fn>
static Results binaryDouble(NodeContext &ctx, Fn fn) {
  if (llvm::Error error = ctx.requireInputs(2))
    return std::move(error);
  const Tensor &lhs = *ctx.input(0), &rhs = *ctx.input(1);
  return single(broadcastApply(
      {&lhs, &rhs}, lhs.getDType(),
      [&](Tensor &out, int64_t i, BroadcastWalker &w) {
        out.setDouble(i, fn(lhs.getDouble(w.offset(0)),
                            rhs.getDouble(w.offset(1))));
      }));
}

static Results bitShift(NodeContext &ctx) {
  llvm::StringRef direction = ctx.stringAttr("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return fail("direction must be LEFT or RIGHT, got '" + direction + "'");
  bool left = direction == "LEFT";
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  if (!isUnsignedDType(x->getDType()) || x->getDType() == DType::Bool)
    return fail("needs unsigned integer operands, got " +
                dtypeName(x->getDType()));
  unsigned width = intBitWidth(x->getDType());
  return binaryArith(ctx, [left, width](auto a, auto b) -> decltype(a) {
    if constexpr (std::is_floating_point_v<decltype(a)>) {
      return 0;
    } else {
      uint64_t value = static_cast<uint64_t>(a);
      uint64_t amount = static_cast<uint64_t>(b);
      if (amount >= width)
        return 0;
      return static_cast<decltype(a)>(left ? value << amount : value >> amount);
    }
  });
}

//===----------------------------------------------------------------------===//
// Variadic, Where, Clip
//===----------------------------------------------------------------------===//

enum class Fold { Max, Min, Sum, Mean };

template <Fold kind> static Results variadic(NodeContext &ctx) {
  llvm::Expected<std::vector<const Tensor *>> operands = ctx.variadic(1);
  if (!operands)
    return operands.takeError();
  for (const Tensor *operand : *operands)
    if (llvm::Error error = requireSameDType(*operands->front(), *operand))
      return std::move(error);
  const std::vector<const Tensor *> &inputs = *operands;
  DType dtype = inputs.front()->getDType();
  auto combine = [](auto acc, auto v) -> decltype(acc) {
    if constexpr (kind == Fold::Max || kind == Fold::Min) {
      if constexpr (std::is_floating_point_v<decltype(v)>)
        if (std::isnan(acc) || std::isnan(v))
          return std::numeric_limits<double>::quiet_NaN();
      return kind == Fold::Max ? std::max(acc, v) : std::min(acc, v);
    } else {
      return acc + v;
    }
  };
  return single(broadcastApply(
      inputs, dtype, [&](Tensor &out, int64_t i, BroadcastWalker &w) {
        visitArithType(dtype, [&](auto zero) {
          using T = decltype(zero);
          T acc = elementAs<T>(*inputs[0], w.offset(0));
          for (size_t k = 1; k < inputs.size(); ++k)
            acc = combine(acc, elementAs<T>(*inputs[k], w.offset(k)));
          if (kind == Fold::Mean)
            acc /= static_cast<T>(inputs.size());
          setElement(out, i, acc);
        });
      }));
}

static Results where(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(3))
    return std::move(error);
  const Tensor &cond = *ctx.input(0), &a = *ctx.input(1), &b = *ctx.input(2);
  if (cond.getDType() != DType::Bool)
    return fail("condition must be bool, got " + dtypeName(cond.getDType()));
  if (llvm::Error error = requireSameDType(a, b))
    return std::move(error);
  return single(broadcastApply(
      {&cond, &a, &b}, a.getDType(),
      [&](Tensor &out, int64_t i, BroadcastWalker &w) {
        if (cond.getInt(w.offset(0)))
          out.copyElement(i, a, w.offset(1));
        else
          out.copyElement(i, b, w.offset(2));
      }));
}

static Results clip(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  if (ctx.getOpset() < 11) {
    low = ctx.floatAttr("min", -std::numeric_limits<float>::max());
    high = ctx.floatAttr("max", std::numeric_limits<float>::max());
  } else {
    for (auto [index, bound] : {std::pair<unsigned, double *>{1, &low},
                                std::pair<unsigned, double *>{2, &high}}) {
      const Tensor *t = ctx.input(index);
      if (!t)
        continue;
      if (t->getNumElements() != 1)
        return fail("min and max must be scalars, got " + t->toString(4));
      *bound = t->getDouble(0);
    }
  }
  Tensor y(x->getDType(), x->getShape());
  for (int64_t i = 0, e = x->getNumElements(); i < e; ++i) {
    double v = x->getDouble(i);
    if (x->isFloat() && std::isnan(v)) {
      y.setDouble(i, v);
      continue;
    }
    if (!x->isFloat()) {
      int64_t iv = x->getInt(i);
      if (v < low)
        iv = static_cast<int64_t>(low);
      if (v > high)
        iv = static_cast<int64_t>(high);
      y.setInt(i, iv);
      continue;
    }
    y.setDouble(i, std::min(std::max(v, low), high));
  }
  return single(std::move(y));
}

//===----------------------------------------------------------------------===//
// Casts
//===----------------------------------------------------------------------===//

/// The dtype of an ONNX TensorProto.DataType code.
static llvm::Expected<DType> dtypeFromONNX(int64_t code) {
  switch (code) {
  case 1: return DType::F32;
  case 2: return DType::U8;
  case 3: return DType::I8;
  case 4: return DType::U16;
  case 5: return DType::I16;
  case 6: return DType::I32;
  case 7: return DType::I64;
  case 9: return DType::Bool;
  case 10: return DType::F16;
  case 11: return DType::F64;
  case 12: return DType::U32;
  case 13: return DType::U64;
  case 16: return DType::BF16;
  default:
    return fail("unsupported op: element type " + llvm::Twine(code) +
                " (TensorProto.DataType) is not supported; strings and "
                "complex numbers are not");
  }
}

static Results cast(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  if (!ctx.hasAttr("to"))
    return fail("needs the 'to' attribute");
  llvm::Expected<DType> to = dtypeFromONNX(ctx.intAttr("to", 0));
  if (!to)
    return to.takeError();
  return single(x->castTo(*to));
}

static Results castLike(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(2))
    return std::move(error);
  return single(ctx.input(0)->castTo(ctx.input(1)->getDType()));
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

static const KernelEntry kKernels[] = {
    {"Abs", [](NodeContext &c) {
       return unaryNumeric(c, [](auto x) -> decltype(x) { return x < 0 ? -x : x; });
     }},
    {"Acos", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::acos(x); }); }},
    {"Acosh", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::acosh(x); }); }},
    {"Asin", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::asin(x); }); }},
    {"Asinh", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::asinh(x); }); }},
    {"Atan", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::atan(x); }); }},
    {"Atanh", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::atanh(x); }); }},
    {"Ceil", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::ceil(x); }); }},
    {"Cos", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::cos(x); }); }},
    {"Cosh", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::cosh(x); }); }},
    {"Erf", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::erf(x); }); }},
    {"Exp", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::exp(x); }); }},
    {"Floor", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::floor(x); }); }},
    {"Log", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::log(x); }); }},
    {"Neg", [](NodeContext &c) {
       return unaryNumeric(c, [](auto x) -> decltype(x) {
         if constexpr (std::is_floating_point_v<decltype(x)>)
           return -x;
         else
           return static_cast<int64_t>(0 - static_cast<uint64_t>(x));
       });
     }},
    {"Reciprocal", [](NodeContext &c) { return unaryFloat(c, [](double x) { return 1.0 / x; }); }},
    {"Relu", [](NodeContext &c) {
       return unaryNumeric(c, [](auto x) -> decltype(x) { return x > 0 ? x : 0; });
     }},
    // Half to even, as std::nearbyint rounds in the default rounding mode.
    {"Round", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::nearbyint(x); }); }},
    {"Sigmoid", [](NodeContext &c) { return unaryFloat(c, sigmoid); }},
    {"Sign", [](NodeContext &c) {
       return unaryNumeric(c, [](auto x) -> decltype(x) { return (x > 0) - (x < 0); });
     }},
    {"Sin", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::sin(x); }); }},
    {"Sinh", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::sinh(x); }); }},
    {"Softplus", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::log1p(std::exp(x)); }); }},
    {"Softsign", [](NodeContext &c) { return unaryFloat(c, [](double x) { return x / (1.0 + std::fabs(x)); }); }},
    {"Sqrt", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::sqrt(x); }); }},
    {"Tan", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::tan(x); }); }},
    {"Tanh", [](NodeContext &c) { return unaryFloat(c, [](double x) { return std::tanh(x); }); }},
    {"Celu", [](NodeContext &c) {
       double alpha = c.floatAttr("alpha", 1.0f);
       return unaryFloat(c, [alpha](double x) {
         return std::max(0.0, x) + std::min(0.0, alpha * std::expm1(x / alpha));
       });
     }},
    {"Elu", [](NodeContext &c) {
       double alpha = c.floatAttr("alpha", 1.0f);
       return unaryFloat(c, [alpha](double x) { return x < 0 ? alpha * std::expm1(x) : x; });
     }},
    {"HardSigmoid", [](NodeContext &c) {
       double alpha = c.floatAttr("alpha", 0.2f), beta = c.floatAttr("beta", 0.5f);
       return unaryFloat(c, [alpha, beta](double x) {
         return std::max(0.0, std::min(1.0, alpha * x + beta));
       });
     }},
    {"HardSwish", [](NodeContext &c) {
       return unaryFloat(c, [](double x) {
         return x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5));
       });
     }},
    {"LeakyRelu", [](NodeContext &c) {
       double alpha = c.floatAttr("alpha", 0.01f);
       return unaryFloat(c, [alpha](double x) { return x < 0 ? alpha * x : x; });
     }},
    {"Selu", [](NodeContext &c) {
       double alpha = c.floatAttr("alpha", 1.67326319217681884765625f);
       double gamma = c.floatAttr("gamma", 1.05070102214813232421875f);
       return unaryFloat(c, [alpha, gamma](double x) {
         return x > 0 ? gamma * x : gamma * alpha * std::expm1(x);
       });
     }},
    {"Shrink", [](NodeContext &c) {
       double bias = c.floatAttr("bias", 0.0f), lambd = c.floatAttr("lambd", 0.5f);
       return unaryNumeric(c, [bias, lambd](auto x) -> decltype(x) {
         double v = static_cast<double>(x);
         if (v < -lambd)
           return static_cast<decltype(x)>(v + bias);
         if (v > lambd)
           return static_cast<decltype(x)>(v - bias);
         return 0;
       });
     }},
    {"ThresholdedRelu", [](NodeContext &c) {
       double alpha = c.floatAttr("alpha", 1.0f);
       return unaryFloat(c, [alpha](double x) { return x > alpha ? x : 0.0; });
     }},
    {"IsInf", isInf},
    {"IsNaN", isNaN},
    {"Not", logicalNot},
    {"Add", [](NodeContext &c) { return binaryArith(c, [](auto a, auto b) { return a + b; }); }},
    {"Sub", [](NodeContext &c) { return binaryArith(c, [](auto a, auto b) { return a - b; }); }},
    {"Mul", [](NodeContext &c) { return binaryArith(c, [](auto a, auto b) { return a * b; }); }},
    {"Div", [](NodeContext &c) { return binaryArith(c, [](auto a, auto b) { return divide(a, b); }); }},
    {"Mod", mod},
    {"Pow", [](NodeContext &c) {
       return binaryDouble(c, [](double x, double y) {
         return std::pow(x, y);
       });
     }},
    {"BitShift", bitShift},
    {"PRelu", [](NodeContext &c) {
       return binaryDouble(c, [](double x, double slope) {
         return x < 0 ? x * slope : x;
       });
     }},
    {"Equal", [](NodeContext &c) { return binaryPredicate(c, [](auto a, auto b) { return a == b; }, false); }},
    {"Greater", [](NodeContext &c) { return binaryPredicate(c, [](auto a, auto b) { return a > b; }, false); }},
    {"GreaterOrEqual", [](NodeContext &c) { return binaryPredicate(c, [](auto a, auto b) { return a >= b; }, false); }},
    {"Less", [](NodeContext &c) { return binaryPredicate(c, [](auto a, auto b) { return a < b; }, false); }},
    {"LessOrEqual", [](NodeContext &c) { return binaryPredicate(c, [](auto a, auto b) { return a <= b; }, false); }},
    {"And", [](NodeContext &c) { return binaryPredicate(c, [](auto a, auto b) { return a && b; }, true); }},
    {"Or", [](NodeContext &c) { return binaryPredicate(c, [](auto a, auto b) { return a || b; }, true); }},
    {"Xor", [](NodeContext &c) { return binaryPredicate(c, [](auto a, auto b) { return (a != 0) != (b != 0); }, true); }},
    {"Max", variadic<Fold::Max>},
    {"Min", variadic<Fold::Min>},
    {"Sum", variadic<Fold::Sum>},
    {"Mean", variadic<Fold::Mean>},
    {"Where", where},
    {"Clip", clip},
    {"Cast", cast},
    {"CastLike", castLike},
};

llvm::ArrayRef<KernelEntry> detail::elementwiseKernels() { return kKernels; }
