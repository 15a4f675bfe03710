//===- ONNXIndexing.cpp - ONNX operators that index into tensors ----------===//
//
// Gather, GatherElements, GatherND, Slice, OneHot and the scatters. Negative
// indices count from the end; an index out of range is an error, never an
// out-of-bounds read.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>

using namespace accel::reference;
using namespace accel::reference::detail;

/// `index` made non-negative for a dimension of `size`, or an error.
static llvm::Expected<int64_t> resolveIndex(int64_t index, int64_t size) {
  if (index < -size || index >= size)
    return fail("index " + llvm::Twine(index) +
                " is out of range for a dimension of " + llvm::Twine(size));
  return index < 0 ? index + size : index;
}

/// Checks that inputs 0 to `count` - 1 (data, indices, ...) are present and
/// that the indices, input 1, are integers.
static llvm::Error requireIndexingInputs(NodeContext &ctx, unsigned count) {
  if (llvm::Error error = ctx.requireInputs(count))
    return error;
  const Tensor &indices = *ctx.input(1);
  if (!indices.isFloat())
    return llvm::Error::success();
  return fail("indices must be integers, got " +
              dtypeName(indices.getDType()));
}

/// Calls `visit(i, offset)`, which returns an llvm::Error, for every element
/// `i` of `indices` with the offset into `data` that it addresses: along
/// `axis` the position it holds, along every other dimension its own
/// position in `indices`. GatherElements and ScatterElements address so.
template <typename Visit>
static llvm::Error forEachAxisIndex(const Tensor &data, const Tensor &indices,
                                    int64_t axis, Visit visit) {
  llvm::SmallVector<int64_t> strides = stridesOf(data.getShape());
  llvm::SmallVector<int64_t> index(indices.getRank(), 0);
  for (int64_t i = 0, e = indices.getNumElements(); i < e; ++i) {
    llvm::Expected<int64_t> position =
        resolveIndex(indices.getInt(i), data.getDim(axis));
    if (!position)
      return position.takeError();
    int64_t offset = 0;
    for (int64_t d = 0; d < data.getRank(); ++d)
      offset += (d == axis ? *position : index[d]) * strides[d];
    if (llvm::Error error = visit(i, offset))
      return error;
    advanceIndex(index, indices.getShape());
  }
  return llvm::Error::success();
}

/// The offset into `data` (of row-major `strides`) that index tuple `tuple`
/// of `indices` addresses; the tuples lie along the last dimension of
/// `indices` and give positions in the dimensions of `data` from `firstDim`
/// on. GatherND and ScatterND address so.
static llvm::Expected<int64_t> tupleOffset(const Tensor &data,
                                           llvm::ArrayRef<int64_t> strides,
                                           const Tensor &indices, int64_t tuple,
                                           int64_t firstDim) {
  int64_t depth = indices.getShape().back();
  int64_t offset = 0;
  for (int64_t k = 0; k < depth; ++k) {
    llvm::Expected<int64_t> position = resolveIndex(
        indices.getInt(tuple * depth + k), data.getDim(firstDim + k));
    if (!position)
      return position.takeError();
    offset += *position * strides[firstDim + k];
  }
  return offset;
}

static Results gather(NodeContext &ctx) {
  if (llvm::Error error = requireIndexingInputs(ctx, 2))
    return std::move(error);
  const Tensor &data = *ctx.input(0), &indices = *ctx.input(1);
  llvm::Expected<int64_t> axis = ctx.axisAttr(0, data.getRank());
  if (!axis)
    return axis.takeError();
  AxisSplit split = splitAround(data.getShape(), *axis);
  llvm::SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  llvm::Expected<Tensor> result = allocate(data.getDType(), shape);
  if (!result)
    return result.takeError();
  int64_t count = indices.getNumElements();
  for (int64_t j = 0; j < count; ++j) {
    llvm::Expected<int64_t> index = resolveIndex(indices.getInt(j), split.size);
    if (!index)
      return index.takeError();
    for (int64_t o = 0; o < split.outer; ++o)
      for (int64_t in = 0; in < split.inner; ++in)
        result->copyElement((o * count + j) * split.inner + in, data,
                            (o * split.size + *index) * split.inner + in);
  }
  return single(std::move(*result));
}

static Results gatherElements(NodeContext &ctx) {
  if (llvm::Error error = requireIndexingInputs(ctx, 2))
    return std::move(error);
  const Tensor &data = *ctx.input(0), &indices = *ctx.input(1);
  if (indices.getRank() != data.getRank())
    return fail("indices " + formatShape(indices.getShape()) +
                " and data " + formatShape(data.getShape()) +
                " must have the same rank");
  llvm::Expected<int64_t> axis = ctx.axisAttr(0, data.getRank());
  if (!axis)
    return axis.takeError();
  for (int64_t d = 0; d < data.getRank(); ++d)
    if (d != *axis && indices.getDim(d) > data.getDim(d))
      return fail("indices " + formatShape(indices.getShape()) +
                  " exceed data " + formatShape(data.getShape()));
  Tensor result(data.getDType(), indices.getShape());
  if (llvm::Error error = forEachAxisIndex(
          data, indices, *axis, [&](int64_t i, int64_t source) {
            result.copyElement(i, data, source);
            return llvm::Error::success();
          }))
    return std::move(error);
  return single(std::move(result));
}

static Results gatherND(NodeContext &ctx) {
  if (llvm::Error error = requireIndexingInputs(ctx, 2))
    return std::move(error);
  const Tensor &data = *ctx.input(0), &indices = *ctx.input(1);
  int64_t batchDims = ctx.intAttr("batch_dims", 0);
  if (indices.getRank() < 1 || batchDims < 0 ||
      batchDims >= std::min(data.getRank(), indices.getRank()))
    return fail("batch_dims " + llvm::Twine(batchDims) +
                " does not fit data " + formatShape(data.getShape()) +
                " and indices " + formatShape(indices.getShape()));
  int64_t depth = indices.getShape().back();
  if (depth < 1 || depth > data.getRank() - batchDims)
    return fail("index tuples of length " + llvm::Twine(depth) +
                " do not fit data " + formatShape(data.getShape()));
  for (int64_t d = 0; d < batchDims; ++d)
    if (data.getDim(d) != indices.getDim(d))
      return fail("batch dimensions of data and indices differ");
  llvm::SmallVector<int64_t> shape(indices.getShape().drop_back());
  llvm::append_range(shape, data.getShape().drop_front(batchDims + depth));
  llvm::Expected<Tensor> result = allocate(data.getDType(), shape);
  if (!result)
    return result.takeError();
  int64_t batches = countElements(data.getShape().take_front(batchDims)).value_or(0);
  int64_t slice = countElements(data.getShape().drop_front(batchDims + depth)).value_or(0);
  int64_t batchStride = countElements(data.getShape().drop_front(batchDims)).value_or(0);
  int64_t tuplesPerBatch =
      batches ? indices.getNumElements() / depth / batches : 0;
  llvm::SmallVector<int64_t> strides = stridesOf(data.getShape());
  for (int64_t bIndex = 0; bIndex < batches; ++bIndex)
    for (int64_t t = 0; t < tuplesPerBatch; ++t) {
      int64_t tuple = bIndex * tuplesPerBatch + t;
      llvm::Expected<int64_t> offset =
          tupleOffset(data, strides, indices, tuple, batchDims);
      if (!offset)
        return offset.takeError();
      int64_t source = bIndex * batchStride + *offset;
      for (int64_t s = 0; s < slice; ++s)
        result->copyElement(tuple * slice + s, data, source + s);
    }
  return single(std::move(*result));
}

//===----------------------------------------------------------------------===//
// Slice
//===----------------------------------------------------------------------===//

static Results slice(NodeContext &ctx) {
  llvm::Expected<const Tensor &> xOr = ctx.required(0);
  if (!xOr)
    return xOr.takeError();
  const Tensor &x = *xOr;
  llvm::SmallVector<std::optional<llvm::SmallVector<int64_t>>, 4> lists;
  // A named array: an ArrayRef of a braced list would dangle in the loop.
  static constexpr llvm::StringRef names[] = {"starts", "ends", "axes",
                                              "steps"};
  for (auto [index, name] : llvm::enumerate(names)) {
    auto list = ctx.listArgument(name, index + 1, 10);
    if (!list)
      return list.takeError();
    lists.push_back(std::move(*list));
  }
  if (!lists[0] || !lists[1] || lists[0]->size() != lists[1]->size())
    return fail("starts and ends must be given with equal lengths");
  size_t n = lists[0]->size();
  llvm::SmallVector<int64_t> axes(n), steps(n, 1);
  for (size_t i = 0; i < n; ++i)
    axes[i] = i;
  if (lists[2])
    axes = *lists[2];
  if (lists[3])
    steps = *lists[3];
  if (axes.size() != n || steps.size() != n)
    return fail("axes and steps must have as many entries as starts");

  llvm::SmallVector<int64_t> start(x.getRank(), 0), step(x.getRank(), 1);
  llvm::SmallVector<int64_t> shape(x.getShape());
  llvm::SmallVector<bool> seen(x.getRank(), false);
  for (size_t i = 0; i < n; ++i) {
    llvm::Expected<int64_t> axis = normalizeAxis(axes[i], x.getRank());
    if (!axis)
      return axis.takeError();
    if (seen[*axis])
      return fail("axis " + llvm::Twine(axes[i]) + " is sliced twice");
    seen[*axis] = true;
    int64_t dim = x.getDim(*axis), s = (*lists[0])[i], e = (*lists[1])[i];
    int64_t st = steps[i];
    if (st == 0)
      return fail("steps must be nonzero");
    // Clamping before adding `dim` keeps INT64_MIN/MAX bounds from
    // overflowing.
    if (s < 0)
      s = std::max<int64_t>(s, -dim - 1) + dim;
    if (e < 0)
      e = std::max<int64_t>(e, -dim - 1) + dim;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      s = std::clamp<int64_t>(s, -1, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    double span = (static_cast<double>(e) - static_cast<double>(s)) / st;
    shape[*axis] = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(span)));
    start[*axis] = s;
    step[*axis] = st;
  }
  Tensor result(x.getDType(), shape);
  llvm::SmallVector<int64_t> strides = stridesOf(x.getShape());
  llvm::SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0, e = result.getNumElements(); i < e; ++i) {
    int64_t source = 0;
    for (int64_t d = 0; d < x.getRank(); ++d)
      source += (start[d] + index[d] * step[d]) * strides[d];
    result.copyElement(i, x, source);
    advanceIndex(index, shape);
  }
  return single(std::move(result));
}

//===----------------------------------------------------------------------===//
// OneHot
//===----------------------------------------------------------------------===//

static Results oneHot(NodeContext &ctx) {
  if (llvm::Error error = ctx.requireInputs(3))
    return std::move(error);
  const Tensor &indices = *ctx.input(0), &depthTensor = *ctx.input(1),
               &values = *ctx.input(2);
  if (depthTensor.getNumElements() != 1 || values.getNumElements() != 2)
    return fail("depth must be a scalar and values hold [off, on]");
  int64_t depth = static_cast<int64_t>(depthTensor.getDouble(0));
  if (depth < 1)
    return fail("depth must be positive, got " + llvm::Twine(depth));
  int64_t rank = indices.getRank() + 1;
  llvm::Expected<int64_t> axis = ctx.axisAttr(-1, rank);
  if (!axis)
    return axis.takeError();
  llvm::SmallVector<int64_t> shape(indices.getShape());
  shape.insert(shape.begin() + *axis, depth);
  llvm::Expected<Tensor> result = allocate(values.getDType(), shape);
  if (!result)
    return result.takeError();
  for (int64_t i = 0, e = result->getNumElements(); i < e; ++i)
    result->copyElement(i, values, 0);
  AxisSplit split = splitAround(shape, *axis);
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t in = 0; in < split.inner; ++in) {
      int64_t k = static_cast<int64_t>(
          indices.getDouble(o * split.inner + in));
      if (k < 0)
        k += depth;
      if (k >= 0 && k < depth)
        result->copyElement((o * depth + k) * split.inner + in, values, 1);
    }
  return single(std::move(*result));
}

//===----------------------------------------------------------------------===//
// Scatter
//===----------------------------------------------------------------------===//

/// Combines an update into an element per the `reduction` attribute.
static llvm::Error scatterInto(Tensor &out, int64_t to, const Tensor &updates,
                               int64_t from, llvm::StringRef reduction) {
  if (reduction == "none") {
    out.copyElement(to, updates, from);
    return llvm::Error::success();
  }
  double a = out.getDouble(to), b = updates.getDouble(from);
  double v;
  if (reduction == "add")
    v = a + b;
  else if (reduction == "mul")
    v = a * b;
  else if (reduction == "max")
    v = std::max(a, b);
  else if (reduction == "min")
    v = std::min(a, b);
  else
    return fail("unknown reduction '" + reduction + "'");
  if (out.isFloat())
    out.setDouble(to, v);
  else
    out.setInt(to, static_cast<int64_t>(v));
  return llvm::Error::success();
}

static Results scatterElements(NodeContext &ctx) {
  if (llvm::Error error = requireIndexingInputs(ctx, 3))
    return std::move(error);
  const Tensor &data = *ctx.input(0), &indices = *ctx.input(1),
               &updates = *ctx.input(2);
  if (indices.getShape() != updates.getShape() ||
      indices.getRank() != data.getRank() ||
      updates.getDType() != data.getDType())
    return fail("indices and updates must share a shape of data's rank");
  llvm::Expected<int64_t> axis = ctx.axisAttr(0, data.getRank());
  if (!axis)
    return axis.takeError();
  for (int64_t d = 0; d < data.getRank(); ++d)
    if (d != *axis && indices.getDim(d) > data.getDim(d))
      return fail("indices exceed data");
  llvm::StringRef reduction = ctx.stringAttr("reduction", "none");
  Tensor result = data;
  if (llvm::Error error = forEachAxisIndex(
          data, indices, *axis, [&](int64_t i, int64_t target) {
            return scatterInto(result, target, updates, i, reduction);
          }))
    return std::move(error);
  return single(std::move(result));
}

static Results scatterND(NodeContext &ctx) {
  if (llvm::Error error = requireIndexingInputs(ctx, 3))
    return std::move(error);
  const Tensor &data = *ctx.input(0), &indices = *ctx.input(1),
               &updates = *ctx.input(2);
  if (indices.getRank() < 1)
    return fail("indices must have rank >= 1");
  int64_t depth = indices.getShape().back();
  if (depth < 1 || depth > data.getRank())
    return fail("index tuples of length " + llvm::Twine(depth) +
                " do not fit data " + formatShape(data.getShape()));
  llvm::SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(depth));
  if (updates.getShape() != llvm::ArrayRef<int64_t>(expected) ||
      updates.getDType() != data.getDType())
    return fail("updates " + updates.toString(0) + " must be " +
                formatShape(expected) + " of data's type");
  llvm::StringRef reduction = ctx.stringAttr("reduction", "none");
  int64_t slice = countElements(data.getShape().drop_front(depth)).value_or(0);
  llvm::SmallVector<int64_t> strides = stridesOf(data.getShape());
  Tensor result = data;
  for (int64_t t = 0, e = indices.getNumElements() / depth; t < e; ++t) {
    llvm::Expected<int64_t> target = tupleOffset(data, strides, indices, t, 0);
    if (!target)
      return target.takeError();
    for (int64_t s = 0; s < slice; ++s)
      if (llvm::Error error = scatterInto(result, *target + s, updates,
                                          t * slice + s, reduction))
        return std::move(error);
  }
  return single(std::move(result));
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

static const KernelEntry kKernels[] = {
    {"Gather", gather},
    {"GatherElements", gatherElements},
    {"GatherND", gatherND},
    {"Slice", slice},
    {"OneHot", oneHot},
    {"Scatter", scatterElements},
    {"ScatterElements", scatterElements},
    {"ScatterND", scatterND},
};

llvm::ArrayRef<KernelEntry> detail::indexingKernels() { return kKernels; }
