//===- ONNXReduce.cpp - reductions and normalisations of ONNX -------------===//
//
// Reduce*, ArgMax/ArgMin, Softmax/LogSoftmax/Hardmax, CumSum, TopK and
// LayerNormalization. Float reductions accumulate in double, in index order,
// and round once to the result type; integer reductions accumulate in int64.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace accel::reference;
using namespace accel::reference::detail;

//===----------------------------------------------------------------------===//
// Reduce*
//===----------------------------------------------------------------------===//

enum class Reduction {
  L1, L2, LogSum, LogSumExp, Max, Mean, Min, Prod, Sum, SumSquare
};

/// The reduced dimensions of `rank`, from an axes list (all when empty).
static llvm::Expected<llvm::SmallVector<bool>>
reducedDims(llvm::ArrayRef<int64_t> axes, int64_t rank) {
  llvm::SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes) {
    llvm::Expected<int64_t> normalized = normalizeAxis(axis, rank);
    if (!normalized)
      return normalized.takeError();
    reduced[*normalized] = true;
  }
  return reduced;
}

/// Folds one element into an accumulator; generic over double and int64.
template <typename T> static T fold(Reduction kind, T acc, T v) {
  switch (kind) {
  case Reduction::L1: return acc + (v < 0 ? -v : v);
  case Reduction::L2:
  case Reduction::SumSquare: return acc + v * v;
  case Reduction::Max: return std::isnan(double(v)) ? v : std::max(acc, v);
  case Reduction::Min: return std::isnan(double(v)) ? v : std::min(acc, v);
  case Reduction::Prod: return acc * v;
  default: return acc + v;
  }
}

template <typename T> static T initialValue(Reduction kind) {
  switch (kind) {
  case Reduction::Max:
    return std::numeric_limits<T>::has_infinity
               ? -std::numeric_limits<T>::infinity()
               : std::numeric_limits<T>::lowest();
  case Reduction::Min:
    return std::numeric_limits<T>::has_infinity
               ? std::numeric_limits<T>::infinity()
               : std::numeric_limits<T>::max();
  case Reduction::Prod: return 1;
  default: return 0;
  }
}

static Results reduce(NodeContext &ctx, Reduction kind) {
  llvm::Expected<const Tensor &> xOr = ctx.required(0);
  if (!xOr)
    return xOr.takeError();
  const Tensor &x = *xOr;
  int64_t sinceOpset = kind == Reduction::Sum ? 13 : 18;
  auto axes = ctx.listArgument("axes", 1, sinceOpset);
  if (!axes)
    return axes.takeError();
  bool keepDims = ctx.intAttr("keepdims", 1) != 0;
  bool noAxes = !*axes || (*axes)->empty();
  if (noAxes && ctx.intAttr("noop_with_empty_axes", 0) != 0)
    return single(x);
  llvm::Expected<llvm::SmallVector<bool>> reduced =
      reducedDims(noAxes ? llvm::ArrayRef<int64_t>() : **axes, x.getRank());
  if (!reduced)
    return reduced.takeError();

  llvm::SmallVector<int64_t> keptShape, resultShape;
  for (int64_t d = 0; d < x.getRank(); ++d) {
    keptShape.push_back((*reduced)[d] ? 1 : x.getDim(d));
    if (!(*reduced)[d] || keepDims)
      resultShape.push_back(keptShape.back());
  }
  Tensor result(x.getDType(), resultShape);
  int64_t outCount = result.getNumElements();
  int64_t groupSize = outCount ? x.getNumElements() / outCount : 0;
  bool integer = !x.isFloat() && kind != Reduction::L2 &&
                 kind != Reduction::LogSum && kind != Reduction::LogSumExp;

  // LogSumExp subtracts each group's maximum first, so a second pass.
  std::vector<double> shift(outCount, 0.0);
  if (kind == Reduction::LogSumExp) {
    std::fill(shift.begin(), shift.end(), initialValue<double>(Reduction::Max));
    BroadcastWalker walker(x.getShape(), {keptShape});
    for (int64_t i = 0; i < x.getNumElements(); ++i, walker.next())
      shift[walker.offset(0)] =
          fold(Reduction::Max, shift[walker.offset(0)], x.getDouble(i));
    for (double &s : shift)
      if (std::isinf(s))
        s = 0.0;
  }

  std::vector<double> accF(outCount, initialValue<double>(kind));
  std::vector<int64_t> accI(outCount, initialValue<int64_t>(kind));
  BroadcastWalker walker(x.getShape(), {keptShape});
  for (int64_t i = 0; i < x.getNumElements(); ++i, walker.next()) {
    int64_t o = walker.offset(0);
    if (integer)
      accI[o] = fold(kind, accI[o], x.getInt(i));
    else if (kind == Reduction::LogSumExp)
      accF[o] += std::exp(x.getDouble(i) - shift[o]);
    else
      accF[o] = fold(kind, accF[o], x.getDouble(i));
  }
  for (int64_t o = 0; o < outCount; ++o) {
    if (integer) {
      result.setInt(o, kind == Reduction::Mean && groupSize
                           ? accI[o] / groupSize
                           : accI[o]);
      continue;
    }
    double v = accF[o];
    switch (kind) {
    case Reduction::L2: v = std::sqrt(v); break;
    case Reduction::LogSum: v = std::log(v); break;
    case Reduction::LogSumExp: v = std::log(v) + shift[o]; break;
    case Reduction::Mean: v /= static_cast<double>(groupSize); break;
    default: break;
    }
    result.setDouble(o, v);
  }
  return single(std::move(result));
}

//===----------------------------------------------------------------------===//
// ArgMax / ArgMin
//===----------------------------------------------------------------------===//

static Results argExtreme(NodeContext &ctx, bool isMax) {
  llvm::Expected<const Tensor &> xOr = ctx.required(0);
  if (!xOr)
    return xOr.takeError();
  const Tensor &x = *xOr;
  if (x.getRank() == 0)
    return fail("needs an input of rank >= 1");
  llvm::Expected<int64_t> axis = ctx.axisAttr(0, x.getRank());
  if (!axis)
    return axis.takeError();
  bool keepDims = ctx.intAttr("keepdims", 1) != 0;
  bool last = ctx.intAttr("select_last_index", 0) != 0;
  AxisSplit split = splitAround(x.getShape(), *axis);
  if (split.size == 0)
    return fail("cannot take the arg of an empty axis");
  llvm::SmallVector<int64_t> shape(x.getShape());
  if (keepDims)
    shape[*axis] = 1;
  else
    shape.erase(shape.begin() + *axis);
  Tensor result(DType::I64, shape);
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t in = 0; in < split.inner; ++in) {
      int64_t base = o * split.size * split.inner + in, best = 0;
      double bestValue = x.getDouble(base);
      for (int64_t k = 1; k < split.size; ++k) {
        double v = x.getDouble(base + k * split.inner);
        bool better = isMax ? v > bestValue : v < bestValue;
        if (better || (last && v == bestValue)) {
          best = k;
          bestValue = v;
        }
      }
      result.setInt(o * split.inner + in, best);
    }
  return single(std::move(result));
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax, Hardmax
//===----------------------------------------------------------------------===//

static Results softmax(NodeContext &ctx, SoftmaxKind kind) {
  llvm::Expected<const Tensor &> xOr = ctx.required(0);
  if (!xOr)
    return xOr.takeError();
  const Tensor &x = *xOr;
  if (!x.isFloat())
    return fail("needs a float input, got " + dtypeName(x.getDType()));
  bool coerce2D = ctx.getOpset() < 13;
  llvm::Expected<int64_t> axis =
      ctx.axisAttr(coerce2D ? 1 : -1, std::max<int64_t>(x.getRank(), 1));
  if (!axis)
    return axis.takeError();
  AxisSplit split = splitAround(x.getShape(), *axis);
  if (coerce2D) {
    // Before opset 13 the input is flattened to 2-D at `axis` and each row
    // is one softmax.
    split.size *= split.inner;
    split.inner = 1;
  }
  return single(softmaxAlong(x, split, kind));
}

//===----------------------------------------------------------------------===//
// CumSum, TopK
//===----------------------------------------------------------------------===//

static Results cumSum(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(2))
    return std::move(error);
  const Tensor &x = *ctx.input(0), &axisTensor = *ctx.input(1);
  if (axisTensor.isFloat() || axisTensor.getNumElements() != 1)
    return fail("axis must be an integer scalar, got " +
                axisTensor.toString(4));
  llvm::Expected<int64_t> axis =
      normalizeAxis(axisTensor.getInt(0), x.getRank());
  if (!axis)
    return axis.takeError();
  bool exclusive = ctx.intAttr("exclusive", 0) != 0;
  bool reverse = ctx.intAttr("reverse", 0) != 0;
  AxisSplit split = splitAround(x.getShape(), *axis);
  Tensor y(x.getDType(), x.getShape());
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t in = 0; in < split.inner; ++in) {
      double sumF = 0.0;
      int64_t sumI = 0;
      for (int64_t step = 0; step < split.size; ++step) {
        int64_t k = reverse ? split.size - 1 - step : step;
        int64_t index = (o * split.size + k) * split.inner + in;
        if (exclusive) {
          x.isFloat() ? y.setDouble(index, sumF) : y.setInt(index, sumI);
        }
        sumF += x.getDouble(index);
        sumI += x.getInt(index);
        if (!exclusive) {
          x.isFloat() ? y.setDouble(index, sumF) : y.setInt(index, sumI);
        }
      }
    }
  return single(std::move(y));
}

static Results topK(NodeContext &ctx) {
  llvm::Expected<const Tensor &> xOr = ctx.required(0);
  if (!xOr)
    return xOr.takeError();
  const Tensor &x = *xOr;
  int64_t k;
  if (ctx.getOpset() < 10) {
    k = ctx.intAttr("k", -1);
  } else {
    llvm::Expected<const Tensor &> kTensor = ctx.required(1);
    if (!kTensor)
      return kTensor.takeError();
    if (kTensor->isFloat() || kTensor->getNumElements() != 1)
      return fail("K must be a single integer, got " + kTensor->toString(4));
    k = kTensor->getInt(0);
  }
  llvm::Expected<int64_t> axis = ctx.axisAttr(-1, x.getRank());
  if (!axis)
    return axis.takeError();
  AxisSplit split = splitAround(x.getShape(), *axis);
  if (k < 0 || k > split.size)
    return fail("K = " + llvm::Twine(k) + " is outside [0, " +
                llvm::Twine(split.size) + "]");
  bool largest = ctx.intAttr("largest", 1) != 0;
  llvm::SmallVector<int64_t> shape(x.getShape());
  shape[*axis] = k;
  Tensor values(x.getDType(), shape), indices(DType::I64, shape);
  std::vector<int64_t> order(split.size);
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t in = 0; in < split.inner; ++in) {
      auto at = [&](int64_t j) {
        return (o * split.size + j) * split.inner + in;
      };
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        double va = x.getDouble(at(a)), vb = x.getDouble(at(b));
        return largest ? va > vb : va < vb;
      });
      for (int64_t j = 0; j < k; ++j) {
        int64_t out = (o * k + j) * split.inner + in;
        values.copyElement(out, x, at(order[j]));
        indices.setInt(out, order[j]);
      }
    }
  std::vector<Tensor> results;
  results.push_back(std::move(values));
  results.push_back(std::move(indices));
  return results;
}

//===----------------------------------------------------------------------===//
// LayerNormalization
//===----------------------------------------------------------------------===//

static Results layerNormalization(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(2))
    return std::move(error);
  const Tensor &x = *ctx.input(0), &scale = *ctx.input(1);
  const Tensor *bias = ctx.input(2);
  if (!x.isFloat())
    return fail("needs a float input, got " + dtypeName(x.getDType()));
  llvm::Expected<int64_t> axis = ctx.axisAttr(-1, x.getRank());
  if (!axis)
    return axis.takeError();
  double epsilon = ctx.floatAttr("epsilon", 1e-5f);
  llvm::ArrayRef<int64_t> normalized = x.getShape().drop_front(*axis);
  for (const Tensor *param : {&scale, bias}) {
    if (!param)
      continue;
    auto shape = broadcastShapes({normalized, param->getShape()});
    if (!shape)
      return shape.takeError();
    if (llvm::ArrayRef<int64_t>(*shape) != normalized)
      return fail("scale/bias " + param->toString(4) +
                  " does not broadcast to the normalized shape " +
                  formatShape(normalized));
  }
  int64_t groupSize = countElements(normalized).value_or(0);
  int64_t groups = groupSize ? x.getNumElements() / groupSize : 0;
  llvm::SmallVector<int64_t> statShape(x.getShape());
  for (int64_t d = *axis; d < x.getRank(); ++d)
    statShape[d] = 1;
  Tensor y(x.getDType(), x.getShape());
  Tensor mean(DType::F32, statShape), invStdDev(DType::F32, statShape);
  for (int64_t g = 0; g < groups; ++g) {
    int64_t base = g * groupSize;
    Moments moments = momentsOf(x, base, groupSize, epsilon);
    mean.setDouble(g, moments.mean);
    invStdDev.setDouble(g, moments.invStdDev);
    llvm::SmallVector<llvm::ArrayRef<int64_t>, 2> paramShapes{scale.getShape()};
    if (bias)
      paramShapes.push_back(bias->getShape());
    BroadcastWalker walker(normalized, paramShapes);
    for (int64_t i = 0; i < groupSize; ++i, walker.next()) {
      double v = (x.getDouble(base + i) - moments.mean) * moments.invStdDev *
                 scale.getDouble(walker.offset(0));
      if (bias)
        v += bias->getDouble(walker.offset(1));
      y.setDouble(base + i, v);
    }
  }
  std::vector<Tensor> results;
  results.push_back(std::move(y));
  results.push_back(std::move(mean));
  results.push_back(std::move(invStdDev));
  return results;
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

static const KernelEntry kKernels[] = {
    {"ReduceL1", [](NodeContext &c) { return reduce(c, Reduction::L1); }},
    {"ReduceL2", [](NodeContext &c) { return reduce(c, Reduction::L2); }},
    {"ReduceLogSum", [](NodeContext &c) { return reduce(c, Reduction::LogSum); }},
    {"ReduceLogSumExp", [](NodeContext &c) { return reduce(c, Reduction::LogSumExp); }},
    {"ReduceMax", [](NodeContext &c) { return reduce(c, Reduction::Max); }},
    {"ReduceMean", [](NodeContext &c) { return reduce(c, Reduction::Mean); }},
    {"ReduceMin", [](NodeContext &c) { return reduce(c, Reduction::Min); }},
    {"ReduceProd", [](NodeContext &c) { return reduce(c, Reduction::Prod); }},
    {"ReduceSum", [](NodeContext &c) { return reduce(c, Reduction::Sum); }},
    {"ReduceSumSquare", [](NodeContext &c) { return reduce(c, Reduction::SumSquare); }},
    {"ArgMax", [](NodeContext &c) { return argExtreme(c, true); }},
    {"ArgMin", [](NodeContext &c) { return argExtreme(c, false); }},
    {"Softmax", [](NodeContext &c) { return softmax(c, SoftmaxKind::Softmax); }},
    {"LogSoftmax", [](NodeContext &c) { return softmax(c, SoftmaxKind::LogSoftmax); }},
    {"Hardmax", [](NodeContext &c) { return softmax(c, SoftmaxKind::Hardmax); }},
    {"CumSum", cumSum},
    {"TopK", topK},
    {"LayerNormalization", layerNormalization},
};

llvm::ArrayRef<KernelEntry> detail::reductionKernels() { return kKernels; }
