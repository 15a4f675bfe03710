//===- ONNXNN.cpp - padding, channel normalisation, pooling, losses -------===//
//
// Pad, BatchNormalization (inference), InstanceNormalization, the global
// pools, NonZero, and the NegativeLogLikelihood / SoftmaxCrossEntropy losses.
// Sums accumulate in double, in index order.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>

using namespace accel::reference;
using namespace accel::reference::detail;

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

/// The source index of output index `i` of a padded dimension, or -1 when
/// it takes the constant.
static int64_t padSource(int64_t i, int64_t size, llvm::StringRef mode) {
  if (i >= 0 && i < size)
    return i;
  if (mode == "edge")
    return i < 0 ? 0 : size - 1;
  if (mode == "reflect") {
    if (size == 1)
      return 0;
    int64_t period = 2 * (size - 1);
    int64_t m = ((i % period) + period) % period;
    return m < size ? m : period - m;
  }
  return -1;
}

static Results pad(NodeContext &ctx) {
  llvm::Expected<const Tensor &> xOr = ctx.required(0);
  if (!xOr)
    return xOr.takeError();
  const Tensor &x = *xOr;
  int64_t rank = x.getRank();
  llvm::StringRef mode = ctx.stringAttr("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    return fail("unsupported op: Pad mode '" + mode + "'");
  llvm::SmallVector<int64_t> pads;
  double value = 0.0;
  llvm::SmallVector<int64_t> axes;
  if (ctx.getOpset() < 11) {
    pads = ctx.intsAttr(ctx.getOpset() < 2 ? "paddings" : "pads")
               .value_or(llvm::SmallVector<int64_t>());
    value = ctx.floatAttr("value", 0.0f);
  } else {
    auto list = ctx.requiredList(1, "pads");
    if (!list)
      return list.takeError();
    pads = *list;
    if (const Tensor *constant = ctx.input(2)) {
      if (constant->getNumElements() != 1)
        return fail("constant_value must be a scalar");
      value = constant->getDouble(0);
    }
    if (const Tensor *axesTensor = ctx.input(3)) {
      auto axesList = toIntList(*axesTensor, "axes");
      if (!axesList)
        return axesList.takeError();
      axes = *axesList;
    }
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (pads.size() != 2 * axes.size())
    return fail("pads " + formatShape(pads) + " must have two entries per "
                "padded axis");
  llvm::SmallVector<int64_t> begin(rank, 0), shape(x.getShape());
  for (auto [i, axis] : llvm::enumerate(axes)) {
    llvm::Expected<int64_t> d = normalizeAxis(axis, rank);
    if (!d)
      return d.takeError();
    begin[*d] = pads[i];
    shape[*d] += pads[i] + pads[i + axes.size()];
    if (shape[*d] < 0)
      return fail("pads " + formatShape(pads) + " crop more than dimension " +
                  llvm::Twine(*d) + " holds");
    if (mode != "constant" && x.getDim(*d) == 0 && shape[*d] > 0)
      return fail("cannot " + mode + "-pad an empty dimension");
  }
  llvm::Expected<Tensor> result = allocate(x.getDType(), shape);
  if (!result)
    return result.takeError();
  llvm::SmallVector<int64_t> strides = stridesOf(x.getShape());
  llvm::SmallVector<int64_t> index(rank, 0);
  for (int64_t i = 0, e = result->getNumElements(); i < e; ++i) {
    int64_t source = 0;
    for (int64_t d = 0; d < rank && source >= 0; ++d) {
      int64_t s = padSource(index[d] - begin[d], x.getDim(d), mode);
      source = s < 0 ? -1 : source + s * strides[d];
    }
    if (source >= 0)
      result->copyElement(i, x, source);
    else
      result->setDouble(i, value);
    advanceIndex(index, shape);
  }
  return single(std::move(*result));
}

//===----------------------------------------------------------------------===//
// Channel normalisation and global pools over [N, C, spatial...]
//===----------------------------------------------------------------------===//

/// `x` as N x C x spatial, checked to be a float tensor of rank >= 2.
static llvm::Expected<AxisSplit> channelSplit(const Tensor &x) {
  if (x.getRank() < 2 || !x.isFloat())
    return fail("needs a float [N, C, ...] input, got " + x.toString(0));
  return splitAround(x.getShape(), 1);
}

/// Input 0, required, and its channelSplit.
static llvm::Expected<std::pair<const Tensor *, AxisSplit>>
channelInput(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  llvm::Expected<AxisSplit> split = channelSplit(*x);
  if (!split)
    return split.takeError();
  return std::make_pair(&*x, *split);
}

static llvm::Error checkPerChannel(const Tensor *t, int64_t channels) {
  if (t && t->getNumElements() == channels)
    return llvm::Error::success();
  return fail("per-channel parameters must have " + llvm::Twine(channels) +
              " elements");
}

static Results batchNormalization(NodeContext &ctx) {
  llvm::Expected<const Tensor &> xOr = ctx.required(0);
  if (!xOr)
    return xOr.takeError();
  const Tensor &x = *xOr;
  if (ctx.intAttr("training_mode", 0) != 0)
    return fail("unsupported op: training-mode BatchNormalization");
  llvm::Expected<AxisSplit> split = channelSplit(x);
  if (!split)
    return split.takeError();
  const Tensor *params[4];
  for (unsigned i = 0; i < 4; ++i) {
    params[i] = ctx.input(i + 1);
    if (llvm::Error error = checkPerChannel(params[i], split->size))
      return std::move(error);
  }
  double epsilon = ctx.floatAttr("epsilon", 1e-5f);
  Tensor y(x.getDType(), x.getShape());
  for (int64_t i = 0, e = x.getNumElements(); i < e; ++i) {
    int64_t c = (i / split->inner) % split->size;
    double normalized = (x.getDouble(i) - params[2]->getDouble(c)) /
                        std::sqrt(params[3]->getDouble(c) + epsilon);
    y.setDouble(i, normalized * params[0]->getDouble(c) +
                       params[1]->getDouble(c));
  }
  return single(std::move(y));
}

static Results instanceNormalization(NodeContext &ctx) {
  auto input = channelInput(ctx);
  if (!input)
    return input.takeError();
  auto [x, split] = *input;
  const Tensor *scale = ctx.input(1), *bias = ctx.input(2);
  for (const Tensor *t : {scale, bias})
    if (llvm::Error error = checkPerChannel(t, split.size))
      return std::move(error);
  double epsilon = ctx.floatAttr("epsilon", 1e-5f);
  Tensor y(x->getDType(), x->getShape());
  int64_t n = split.inner;
  for (int64_t g = 0; g < split.outer * split.size; ++g) {
    int64_t c = g % split.size, base = g * n;
    Moments moments = momentsOf(*x, base, n, epsilon);
    for (int64_t i = 0; i < n; ++i)
      y.setDouble(base + i, (x->getDouble(base + i) - moments.mean) *
                                    moments.invStdDev * scale->getDouble(c) +
                                bias->getDouble(c));
  }
  return single(std::move(y));
}

static Results globalPool(NodeContext &ctx, bool average) {
  auto input = channelInput(ctx);
  if (!input)
    return input.takeError();
  auto [x, split] = *input;
  llvm::SmallVector<int64_t> shape(x->getRank(), 1);
  shape[0] = x->getDim(0);
  shape[1] = x->getDim(1);
  Tensor y(x->getDType(), shape);
  int64_t n = split.inner;
  for (int64_t g = 0; g < split.outer * split.size; ++g) {
    double acc = average ? 0.0 : -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < n; ++i)
      acc = average ? acc + x->getDouble(g * n + i)
                    : std::max(acc, x->getDouble(g * n + i));
    y.setDouble(g, average ? acc / n : acc);
  }
  return single(std::move(y));
}

static Results nonZero(NodeContext &ctx) {
  llvm::Expected<const Tensor &> xOr = ctx.required(0);
  if (!xOr)
    return xOr.takeError();
  const Tensor &x = *xOr;
  llvm::SmallVector<int64_t> strides = stridesOf(x.getShape());
  std::vector<int64_t> positions;
  for (int64_t i = 0, e = x.getNumElements(); i < e; ++i)
    if (x.getDouble(i) != 0.0)
      positions.push_back(i);
  int64_t count = static_cast<int64_t>(positions.size());
  std::vector<int64_t> coordinates(x.getRank() * count);
  for (int64_t k = 0; k < count; ++k)
    for (int64_t d = 0; d < x.getRank(); ++d)
      coordinates[d * count + k] = (positions[k] / strides[d]) % x.getDim(d);
  return single(Tensor(DType::I64, {x.getRank(), count}, std::move(coordinates)));
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

/// The NegativeLogLikelihoodLoss of log-probabilities `logProb` [N, C, d...]
/// against `target` [N, d...], as ONNX defines it.
static llvm::Expected<Tensor> nllLoss(NodeContext &ctx, const Tensor &logProb,
                                      const Tensor &target,
                                      const Tensor *weight) {
  if (logProb.getRank() < 2 || target.isFloat() ||
      target.getRank() != logProb.getRank() - 1)
    return fail("needs input [N, C, d...] and integer target [N, d...], got " +
                logProb.toString(0) + " and " + target.toString(0));
  AxisSplit split = splitAround(logProb.getShape(), 1);
  if (weight && weight->getNumElements() != split.size)
    return fail("weight must have one element per class");
  std::optional<int64_t> ignore;
  if (ctx.hasAttr("ignore_index"))
    ignore = ctx.intAttr("ignore_index", 0);
  llvm::StringRef reduction = ctx.stringAttr("reduction", "mean");
  if (reduction != "mean" && reduction != "sum" && reduction != "none")
    return fail("unknown reduction '" + reduction + "'");
  Tensor losses(logProb.getDType(), target.getShape());
  double total = 0.0, weights = 0.0;
  for (int64_t n = 0; n < split.outer; ++n)
    for (int64_t d = 0; d < split.inner; ++d) {
      int64_t at = n * split.inner + d;
      int64_t cls = target.getInt(at);
      if (ignore && cls == *ignore)
        continue;
      if (cls < 0 || cls >= split.size)
        return fail("target " + llvm::Twine(cls) + " is not a class in [0, " +
                    llvm::Twine(split.size) + ")");
      double w = weight ? weight->getDouble(cls) : 1.0;
      double loss = -logProb.getDouble((n * split.size + cls) * split.inner + d) * w;
      losses.setDouble(at, loss);
      total += loss;
      weights += w;
    }
  if (reduction == "none")
    return losses;
  return Tensor::scalar(logProb.getDType(),
                        reduction == "sum" ? total : total / weights);
}

static Results negativeLogLikelihoodLoss(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(2))
    return std::move(error);
  return single(nllLoss(ctx, *ctx.input(0), *ctx.input(1), ctx.input(2)));
}

static Results softmaxCrossEntropyLoss(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(2))
    return std::move(error);
  const Tensor &scores = *ctx.input(0), &labels = *ctx.input(1);
  if (scores.getRank() < 2 || !scores.isFloat())
    return fail("needs float scores [N, C, d...], got " + scores.toString(0));
  Tensor logProb = softmaxAlong(scores, splitAround(scores.getShape(), 1),
                                SoftmaxKind::LogSoftmax);
  llvm::Expected<Tensor> loss = nllLoss(ctx, logProb, labels, ctx.input(2));
  if (!loss)
    return loss.takeError();
  std::vector<Tensor> results;
  results.push_back(std::move(*loss));
  results.push_back(std::move(logProb));
  return results;
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

static const KernelEntry kKernels[] = {
    {"Pad", pad},
    {"BatchNormalization", batchNormalization},
    {"InstanceNormalization", instanceNormalization},
    {"GlobalAveragePool", [](NodeContext &c) { return globalPool(c, true); }},
    {"GlobalMaxPool", [](NodeContext &c) { return globalPool(c, false); }},
    {"NonZero", nonZero},
    {"NegativeLogLikelihoodLoss", negativeLogLikelihoodLoss},
    {"SoftmaxCrossEntropyLoss", softmaxCrossEntropyLoss},
};

llvm::ArrayRef<KernelEntry> detail::nnKernels() { return kKernels; }
