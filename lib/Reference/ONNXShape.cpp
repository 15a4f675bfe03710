//===- ONNXShape.cpp - ONNX operators that move or create elements --------===//
//
// Reshape and its relatives, Transpose, Concat, Split, Expand, Tile, the
// shape queries, Identity/Dropout, the generators (ConstantOfShape, EyeLike,
// Range), Trilu and DepthToSpace/SpaceToDepth.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <numeric>

using namespace accel::reference;
using namespace accel::reference::detail;

/// `x` reshaped to `shape` after checking the element count.
static llvm::Expected<Tensor> reshapeTo(const Tensor &x,
                                        llvm::ArrayRef<int64_t> shape) {
  if (countElements(shape) != x.getNumElements())
    return fail("cannot reshape " + formatShape(x.getShape()) + " (" +
                llvm::Twine(x.getNumElements()) + " elements) to " +
                formatShape(shape));
  return x.reshaped(shape);
}

/// Input 0 and the integer list of input 1 (`listName` in errors), both
/// required: the operands of Reshape and Expand (a shape) and of Tile (the
/// repeats).
static llvm::Expected<std::pair<const Tensor *, llvm::SmallVector<int64_t>>>
inputAndList(NodeContext &ctx, llvm::StringRef listName) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  llvm::Expected<llvm::SmallVector<int64_t>> list =
      ctx.requiredList(1, listName);
  if (!list)
    return list.takeError();
  return std::make_pair(&*x, std::move(*list));
}

static Results reshape(NodeContext &ctx) {
  auto operands = inputAndList(ctx, "shape");
  if (!operands)
    return operands.takeError();
  const Tensor &x = *operands->first;
  const llvm::SmallVector<int64_t> &requested = operands->second;
  bool allowZero = ctx.intAttr("allowzero", 0) != 0;
  llvm::SmallVector<int64_t> shape(requested);
  int64_t inferred = -1, known = 1;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (dim == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= x.getRank())
        return fail("shape " + formatShape(requested) + " copies dimension " +
                    llvm::Twine(i) + " that the input does not have");
      dim = x.getDim(i);
    }
    if (dim == -1) {
      if (inferred >= 0)
        return fail("shape " + formatShape(requested) + " has two -1s");
      inferred = i;
      continue;
    }
    if (dim < 0)
      return fail("shape " + formatShape(requested) +
                  " has a negative dimension");
    known *= dim;
  }
  if (inferred >= 0) {
    if (known == 0 || x.getNumElements() % known != 0)
      return fail("cannot infer the -1 of " + formatShape(requested) + " for " +
                  llvm::Twine(x.getNumElements()) + " elements");
    shape[inferred] = x.getNumElements() / known;
  }
  return single(reshapeTo(x, shape));
}

static Results flatten(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  int64_t axis = ctx.intAttr("axis", 1);
  if (axis < -x->getRank() || axis > x->getRank())
    return fail("axis " + llvm::Twine(axis) + " is out of range for rank " +
                llvm::Twine(x->getRank()));
  if (axis < 0)
    axis += x->getRank();
  int64_t outer = countElements(x->getShape().take_front(axis)).value_or(0);
  int64_t inner = countElements(x->getShape().drop_front(axis)).value_or(0);
  return single(reshapeTo(*x, {outer, inner}));
}

static Results squeeze(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  auto axes = ctx.listArgument("axes", 1, 13);
  if (!axes)
    return axes.takeError();
  llvm::SmallVector<bool> drop(x->getRank(), false);
  if (!*axes) {
    for (int64_t d = 0; d < x->getRank(); ++d)
      drop[d] = x->getDim(d) == 1;
  }
  for (int64_t axis : axes->value_or(llvm::SmallVector<int64_t>())) {
    llvm::Expected<int64_t> d = normalizeAxis(axis, x->getRank());
    if (!d)
      return d.takeError();
    if (x->getDim(*d) != 1)
      return fail("cannot squeeze dimension " + llvm::Twine(*d) + " of " +
                  formatShape(x->getShape()) + ": it is not 1");
    drop[*d] = true;
  }
  llvm::SmallVector<int64_t> shape;
  for (int64_t d = 0; d < x->getRank(); ++d)
    if (!drop[d])
      shape.push_back(x->getDim(d));
  return single(reshapeTo(*x, shape));
}

static Results unsqueeze(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  auto axes = ctx.listArgument("axes", 1, 13);
  if (!axes)
    return axes.takeError();
  if (!*axes)
    return fail("needs axes");
  int64_t rank = x->getRank() + static_cast<int64_t>((*axes)->size());
  llvm::SmallVector<bool> inserted(rank, false);
  for (int64_t axis : **axes) {
    llvm::Expected<int64_t> d = normalizeAxis(axis, rank);
    if (!d)
      return d.takeError();
    if (inserted[*d])
      return fail("axis " + llvm::Twine(axis) + " is given twice");
    inserted[*d] = true;
  }
  llvm::SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? 1 : x->getDim(next++));
  return single(reshapeTo(*x, shape));
}

static Results transpose(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  llvm::SmallVector<int64_t> perm(x->getRank());
  std::iota(perm.rbegin(), perm.rend(), 0);
  if (auto given = ctx.intsAttr("perm"))
    perm = *given;
  llvm::SmallVector<bool> seen(x->getRank(), false);
  if (static_cast<int64_t>(perm.size()) != x->getRank())
    return fail("perm " + formatShape(perm) + " does not fit rank " +
                llvm::Twine(x->getRank()));
  for (int64_t p : perm) {
    if (p < 0 || p >= x->getRank() || seen[p])
      return fail("perm " + formatShape(perm) + " is not a permutation");
    seen[p] = true;
  }
  return single(transposeTensor(*x, perm));
}

static Results concat(NodeContext &ctx) {
  llvm::Expected<std::vector<const Tensor *>> inputs = ctx.variadic(1);
  if (!inputs)
    return inputs.takeError();
  const Tensor &first = *inputs->front();
  llvm::Expected<int64_t> axis = ctx.axisAttr(0, first.getRank());
  if (!axis)
    return axis.takeError();
  llvm::SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (const Tensor *input : *inputs) {
    bool fits = input->getRank() == first.getRank() &&
                input->getDType() == first.getDType();
    for (int64_t d = 0; fits && d < first.getRank(); ++d)
      fits = d == *axis || input->getDim(d) == first.getDim(d);
    if (!fits)
      return fail("cannot concatenate " + input->toString(0) + " with " +
                  first.toString(0) + " along axis " + llvm::Twine(*axis));
    shape[*axis] += input->getDim(*axis);
  }
  llvm::Expected<Tensor> result = allocate(first.getDType(), shape);
  if (!result)
    return result.takeError();
  AxisSplit out = splitAround(shape, *axis);
  int64_t offset = 0;
  for (const Tensor *input : *inputs) {
    AxisSplit in = splitAround(input->getShape(), *axis);
    int64_t chunk = in.size * in.inner;
    for (int64_t o = 0; o < in.outer; ++o)
      for (int64_t i = 0; i < chunk; ++i)
        result->copyElement(o * out.size * out.inner + offset * out.inner + i,
                            *input, o * chunk + i);
    offset += in.size;
  }
  return single(std::move(*result));
}

static Results split(NodeContext &ctx) {
  llvm::Expected<const Tensor &> xOr = ctx.required(0);
  if (!xOr)
    return xOr.takeError();
  const Tensor &x = *xOr;
  llvm::Expected<int64_t> axis = ctx.axisAttr(0, x.getRank());
  if (!axis)
    return axis.takeError();
  int64_t size = x.getDim(*axis);
  auto given = ctx.listArgument("split", 1, 13);
  if (!given)
    return given.takeError();
  llvm::SmallVector<int64_t> sizes =
      given->value_or(llvm::SmallVector<int64_t>());
  if (sizes.empty()) {
    int64_t parts = ctx.getNumOutputs();
    if (ctx.getOpset() >= 18 && ctx.hasAttr("num_outputs")) {
      parts = ctx.intAttr("num_outputs", parts);
      if (parts <= 0)
        return fail("num_outputs must be positive");
      int64_t chunk = (size + parts - 1) / parts;
      for (int64_t remaining = size; remaining > 0; remaining -= chunk)
        sizes.push_back(std::min(chunk, remaining));
    } else {
      if (parts <= 0 || size % parts != 0)
        return fail("dimension " + llvm::Twine(size) +
                    " does not split evenly into " + llvm::Twine(parts) +
                    " outputs");
      sizes.assign(parts, size / parts);
    }
  }
  if (std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != size ||
      llvm::any_of(sizes, [](int64_t s) { return s < 0; }))
    return fail("split sizes " + formatShape(sizes) + " do not add up to " +
                llvm::Twine(size));
  AxisSplit in = splitAround(x.getShape(), *axis);
  std::vector<Tensor> results;
  int64_t offset = 0;
  for (int64_t part : sizes) {
    llvm::SmallVector<int64_t> shape(x.getShape());
    shape[*axis] = part;
    Tensor piece(x.getDType(), shape);
    for (int64_t o = 0; o < in.outer; ++o)
      for (int64_t i = 0; i < part * in.inner; ++i)
        piece.copyElement(o * part * in.inner + i, x,
                          (o * in.size + offset) * in.inner + i);
    offset += part;
    results.push_back(std::move(piece));
  }
  return results;
}

/// Copies `x` into a tensor of the broadcast shape `shape`.
static llvm::Expected<Tensor> broadcastTo(const Tensor &x,
                                          llvm::ArrayRef<int64_t> shape) {
  llvm::Expected<Tensor> result = allocate(x.getDType(), shape);
  if (!result)
    return result.takeError();
  BroadcastWalker walker(shape, {x.getShape()});
  for (int64_t i = 0, e = result->getNumElements(); i < e; ++i, walker.next())
    result->copyElement(i, x, walker.offset(0));
  return result;
}

static Results expand(NodeContext &ctx) {
  auto operands = inputAndList(ctx, "shape");
  if (!operands)
    return operands.takeError();
  const Tensor &x = *operands->first;
  const llvm::SmallVector<int64_t> &requested = operands->second;
  llvm::Expected<llvm::SmallVector<int64_t>> shape =
      broadcastShapes({x.getShape(), requested});
  if (!shape)
    return shape.takeError();
  return single(broadcastTo(x, *shape));
}

static Results tile(NodeContext &ctx) {
  auto operands = inputAndList(ctx, "repeats");
  if (!operands)
    return operands.takeError();
  const Tensor &x = *operands->first;
  const llvm::SmallVector<int64_t> &repeats = operands->second;
  if (static_cast<int64_t>(repeats.size()) != x.getRank() ||
      llvm::any_of(repeats, [](int64_t r) { return r < 0; }))
    return fail("repeats " + formatShape(repeats) + " do not fit rank " +
                llvm::Twine(x.getRank()));
  llvm::SmallVector<int64_t> shape;
  for (int64_t d = 0; d < x.getRank(); ++d)
    shape.push_back(x.getDim(d) * repeats[d]);
  llvm::Expected<Tensor> result = allocate(x.getDType(), shape);
  if (!result)
    return result.takeError();
  llvm::SmallVector<int64_t> strides = stridesOf(x.getShape());
  llvm::SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0, e = result->getNumElements(); i < e; ++i) {
    int64_t source = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      source += (index[d] % x.getDim(d)) * strides[d];
    result->copyElement(i, x, source);
    advanceIndex(index, shape);
  }
  return single(std::move(*result));
}

static Results shape(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  int64_t rank = x->getRank();
  auto clampIndex = [rank](int64_t i) {
    if (i < 0)
      i += rank;
    return std::clamp<int64_t>(i, 0, rank);
  };
  int64_t start = clampIndex(ctx.intAttr("start", 0));
  int64_t end = clampIndex(ctx.intAttr("end", rank));
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(x->getDim(d));
  int64_t count = static_cast<int64_t>(dims.size());
  return single(Tensor(DType::I64, {count}, std::move(dims)));
}

static Results size(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  return single(Tensor(DType::I64, {}, {x->getNumElements()}));
}

static Results identity(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  return single(*x);
}

static Results dropout(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  const Tensor *ratio = ctx.input(1), *training = ctx.input(2);
  bool randomized = training && training->getNumElements() == 1 &&
                    training->getInt(0) != 0 &&
                    (!ratio || ratio->getNumElements() != 1 ||
                     ratio->getDouble(0) != 0.0);
  if (randomized)
    return fail("unsupported op: training-mode Dropout is random");
  std::vector<Tensor> results;
  results.push_back(*x);
  Tensor mask(DType::Bool, x->getShape());
  for (int64_t i = 0; i < mask.getNumElements(); ++i)
    mask.setInt(i, 1);
  results.push_back(std::move(mask));
  return results;
}

static Results constantOfShape(NodeContext &ctx) {
  llvm::Expected<llvm::SmallVector<int64_t>> shape =
      ctx.requiredList(0, "shape");
  if (!shape)
    return shape.takeError();
  llvm::Expected<std::optional<Tensor>> value = ctx.tensorAttr("value");
  if (!value)
    return value.takeError();
  Tensor fill = value->value_or(Tensor::scalar(DType::F32, 0.0));
  if (fill.getNumElements() != 1)
    return fail("value must hold one element, got " + fill.toString(4));
  llvm::Expected<Tensor> result = allocate(fill.getDType(), *shape);
  if (!result)
    return result.takeError();
  for (int64_t i = 0, e = result->getNumElements(); i < e; ++i)
    result->copyElement(i, fill, 0);
  return single(std::move(*result));
}

/// A Constant node the importer kept as a node: its one value attribute.
static Results constant(NodeContext &ctx) {
  llvm::Expected<std::optional<Tensor>> value = ctx.tensorAttr("value");
  if (!value)
    return value.takeError();
  if (*value)
    return single(std::move(**value));
  if (ctx.hasAttr("value_float"))
    return single(Tensor::scalar(DType::F32, ctx.floatAttr("value_float", 0)));
  if (ctx.hasAttr("value_int"))
    return single(Tensor(DType::I64, {}, {ctx.intAttr("value_int", 0)}));
  if (auto ints = ctx.intsAttr("value_ints")) {
    int64_t count = static_cast<int64_t>(ints->size());
    return single(Tensor(DType::I64, {count},
                         std::vector<int64_t>(ints->begin(), ints->end())));
  }
  if (auto floats = llvm::dyn_cast_or_null<mlir::DenseF32ArrayAttr>(
          ctx.getOp().getOnnxAttr("value_floats"))) {
    int64_t count = floats.size();
    return single(Tensor({count}, std::vector<float>(floats.asArrayRef().begin(),
                                                     floats.asArrayRef().end())));
  }
  return fail("unsupported op: a Constant needs a numeric value attribute");
}

static Results eyeLike(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  if (x->getRank() != 2)
    return fail("needs a 2-D input, got " + x->toString(0));
  DType dtype = x->getDType();
  if (ctx.hasAttr("dtype")) {
    static const std::pair<int64_t, DType> codes[] = {
        {1, DType::F32},  {2, DType::U8},   {3, DType::I8},   {4, DType::U16},
        {5, DType::I16},  {6, DType::I32},  {7, DType::I64},  {9, DType::Bool},
        {10, DType::F16}, {11, DType::F64}, {12, DType::U32}, {13, DType::U64},
        {16, DType::BF16}};
    int64_t code = ctx.intAttr("dtype", 1);
    const auto *found = llvm::find_if(
        codes, [code](const auto &entry) { return entry.first == code; });
    if (found == std::end(codes))
      return fail("unsupported dtype " + llvm::Twine(code));
    dtype = found->second;
  }
  int64_t k = ctx.intAttr("k", 0);
  Tensor result(dtype, x->getShape());
  for (int64_t r = 0; r < x->getDim(0); ++r) {
    int64_t c = r + k;
    if (c >= 0 && c < x->getDim(1))
      result.setInt(r * x->getDim(1) + c, 1);
  }
  return single(std::move(result));
}

static Results range(NodeContext &ctx) {
  const Tensor *operands[3];
  for (unsigned i = 0; i < 3; ++i) {
    llvm::Expected<const Tensor &> t = ctx.required(i);
    if (!t)
      return t.takeError();
    if (t->getNumElements() != 1)
      return fail("start, limit and delta must be scalars, got " +
                  t->toString(4));
    operands[i] = &*t;
  }
  DType dtype = operands[0]->getDType();
  int64_t count;
  if (isFloatDType(dtype)) {
    double start = operands[0]->getDouble(0), limit = operands[1]->getDouble(0),
           delta = operands[2]->getDouble(0);
    if (delta == 0 || std::isnan(start) || std::isnan(limit))
      return fail("delta must be nonzero and bounds finite");
    count = static_cast<int64_t>(
        std::max(0.0, std::ceil((limit - start) / delta)));
  } else {
    int64_t start = operands[0]->getInt(0), limit = operands[1]->getInt(0),
            delta = operands[2]->getInt(0);
    if (delta == 0)
      return fail("delta must be nonzero");
    double span = (static_cast<double>(limit) - static_cast<double>(start)) /
                  static_cast<double>(delta);
    count = static_cast<int64_t>(std::max(0.0, std::ceil(span)));
  }
  llvm::Expected<Tensor> result = allocate(dtype, {count});
  if (!result)
    return result.takeError();
  for (int64_t i = 0; i < count; ++i) {
    if (isFloatDType(dtype))
      result->setDouble(i, operands[0]->getDouble(0) +
                               i * operands[2]->getDouble(0));
    else
      result->setInt(i, operands[0]->getInt(0) + i * operands[2]->getInt(0));
  }
  return single(std::move(*result));
}

static Results trilu(NodeContext &ctx) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  if (x->getRank() < 2)
    return fail("needs rank >= 2, got " + x->toString(0));
  int64_t k = 0;
  if (const Tensor *kTensor = ctx.input(1)) {
    if (kTensor->isFloat() || kTensor->getNumElements() != 1)
      return fail("k must be an integer scalar, got " + kTensor->toString(4));
    k = kTensor->getInt(0);
  }
  bool upper = ctx.intAttr("upper", 1) != 0;
  int64_t rows = x->getDim(x->getRank() - 2), cols = x->getDim(x->getRank() - 1);
  Tensor y = *x;
  for (int64_t i = 0, e = y.getNumElements(); i < e; ++i) {
    int64_t r = (i / std::max<int64_t>(cols, 1)) % std::max<int64_t>(rows, 1);
    int64_t c = i % std::max<int64_t>(cols, 1);
    bool keep = upper ? c - r >= k : c - r <= k;
    if (!keep)
      y.setInt(i, 0);
  }
  return single(std::move(y));
}

/// DepthToSpace and SpaceToDepth: a reshape to 6-D, a transpose, a reshape.
static Results rearrangeBlocks(NodeContext &ctx, bool toSpace) {
  llvm::Expected<const Tensor &> x = ctx.required(0);
  if (!x)
    return x.takeError();
  int64_t b = ctx.intAttr("blocksize", 0);
  if (x->getRank() != 4 || b <= 0)
    return fail("needs a 4-D input and a positive blocksize, got " +
                x->toString(0) + " and " + llvm::Twine(b));
  int64_t n = x->getDim(0), c = x->getDim(1), h = x->getDim(2),
          w = x->getDim(3);
  llvm::SmallVector<int64_t> inner, perm, shape;
  if (toSpace) {
    if (c % (b * b) != 0)
      return fail("channels " + llvm::Twine(c) + " are not a multiple of " +
                  llvm::Twine(b * b));
    if (ctx.stringAttr("mode", "DCR") == "CRD") {
      inner = {n, c / (b * b), b, b, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      inner = {n, b, b, c / (b * b), h, w};
      perm = {0, 3, 4, 1, 5, 2};
    }
    shape = {n, c / (b * b), h * b, w * b};
  } else {
    if (h % b != 0 || w % b != 0)
      return fail("spatial dimensions are not multiples of the blocksize");
    inner = {n, c, h / b, b, w / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    shape = {n, c * b * b, h / b, w / b};
  }
  return single(transposeTensor(x->reshaped(inner), perm).reshaped(shape));
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

static const KernelEntry kKernels[] = {
    {"Reshape", reshape},
    {"Flatten", flatten},
    {"Squeeze", squeeze},
    {"Unsqueeze", unsqueeze},
    {"Transpose", transpose},
    {"Concat", concat},
    {"Split", split},
    {"Expand", expand},
    {"Tile", tile},
    {"Shape", shape},
    {"Size", size},
    {"Identity", identity},
    {"Dropout", dropout},
    {"Constant", constant},
    {"ConstantOfShape", constantOfShape},
    {"EyeLike", eyeLike},
    {"Range", range},
    {"Trilu", trilu},
    {"DepthToSpace", [](NodeContext &c) { return rearrangeBlocks(c, true); }},
    {"SpaceToDepth", [](NodeContext &c) { return rearrangeBlocks(c, false); }},
};

llvm::ArrayRef<KernelEntry> detail::shapeKernels() { return kKernels; }
