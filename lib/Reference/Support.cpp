//===- Support.cpp - helpers shared by the executor's kernels -------------===//

#include "Kernels.h"

#include "accel/Reference/Executor.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <limits>

using namespace accel::reference;
using namespace accel::reference::detail;

llvm::Error detail::fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

Results detail::single(Tensor tensor) {
  std::vector<Tensor> results;
  results.push_back(std::move(tensor));
  return results;
}

Results detail::single(llvm::Expected<Tensor> tensor) {
  if (!tensor)
    return tensor.takeError();
  return single(std::move(*tensor));
}

std::string detail::formatShape(llvm::ArrayRef<int64_t> shape) {
  return "[" + llvm::join(llvm::map_range(shape, [](int64_t d) {
                            return std::to_string(d);
                          }),
                          ", ") +
         "]";
}

std::string detail::describeType(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

llvm::Expected<Tensor> detail::allocate(DType dtype,
                                        llvm::ArrayRef<int64_t> shape) {
  std::optional<int64_t> count = countElements(shape);
  if (!count)
    return fail("invalid result shape " + formatShape(shape));
  if (*count > kMaxElements)
    return fail("result shape " + formatShape(shape) + " has " +
                llvm::Twine(*count) + " elements, more than the executor's " +
                llvm::Twine(kMaxElements));
  return Tensor(dtype, shape);
}

llvm::Expected<int64_t> detail::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return fail("axis " + llvm::Twine(axis) + " is out of range for rank " +
                llvm::Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

llvm::SmallVector<int64_t> detail::stridesOf(llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

void detail::advanceIndex(llvm::MutableArrayRef<int64_t> index,
                          llvm::ArrayRef<int64_t> shape) {
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (++index[d] < shape[d])
      return;
    index[d] = 0;
  }
}

llvm::Error detail::requireSameDType(const Tensor &a, const Tensor &b) {
  if (a.getDType() == b.getDType())
    return llvm::Error::success();
  return fail("operand element types differ: " + dtypeName(a.getDType()) +
              " and " + dtypeName(b.getDType()));
}

llvm::Expected<llvm::SmallVector<int64_t>>
detail::broadcastShapes(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (llvm::ArrayRef<int64_t> shape : shapes)
    rank = std::max(rank, shape.size());
  llvm::SmallVector<int64_t> result(rank, 1);
  for (llvm::ArrayRef<int64_t> shape : shapes) {
    size_t lead = rank - shape.size();
    for (size_t i = 0; i < shape.size(); ++i) {
      int64_t &dim = result[lead + i];
      if (shape[i] == dim || shape[i] == 1)
        continue;
      if (dim != 1) {
        std::string all = llvm::join(
            llvm::map_range(shapes, [](llvm::ArrayRef<int64_t> s) {
              return formatShape(s);
            }),
            " and ");
        return fail("shapes " + all + " do not broadcast");
      }
      dim = shape[i];
    }
  }
  return result;
}

BroadcastWalker::BroadcastWalker(
    llvm::ArrayRef<int64_t> resultShape,
    llvm::ArrayRef<llvm::ArrayRef<int64_t>> operandShapes)
    : shape(resultShape.begin(), resultShape.end()),
      index(resultShape.size(), 0), offsets(operandShapes.size(), 0) {
  size_t rank = resultShape.size();
  for (llvm::ArrayRef<int64_t> operand : operandShapes) {
    llvm::SmallVector<int64_t> own = stridesOf(operand);
    llvm::SmallVector<int64_t> aligned(rank, 0);
    size_t lead = rank - operand.size();
    for (size_t i = 0; i < operand.size(); ++i)
      aligned[lead + i] = operand[i] == 1 ? 0 : own[i];
    strides.push_back(std::move(aligned));
  }
}

void BroadcastWalker::next() {
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (++index[d] < shape[d]) {
      for (size_t k = 0; k < offsets.size(); ++k)
        offsets[k] += strides[k][d];
      return;
    }
    index[d] = 0;
    for (size_t k = 0; k < offsets.size(); ++k)
      offsets[k] -= strides[k][d] * (shape[d] - 1);
  }
}

llvm::Expected<llvm::SmallVector<int64_t>>
detail::toIntList(const Tensor &tensor, llvm::StringRef what) {
  if (tensor.isFloat() || tensor.getRank() > 1)
    return fail(what + " must be an integer tensor of rank 0 or 1, got " +
                tensor.toString());
  return llvm::SmallVector<int64_t>(tensor.getInts());
}

AxisSplit detail::splitAround(llvm::ArrayRef<int64_t> shape, int64_t axis) {
  AxisSplit split;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    if (i < axis)
      split.outer *= shape[i];
    else if (i == axis)
      split.size = shape[i];
    else
      split.inner *= shape[i];
  }
  return split;
}

Tensor detail::transposeTensor(const Tensor &source,
                               llvm::ArrayRef<int64_t> perm) {
  llvm::SmallVector<int64_t> shape, permutedStrides;
  llvm::SmallVector<int64_t> sourceStrides = stridesOf(source.getShape());
  for (int64_t p : perm) {
    shape.push_back(source.getDim(p));
    permutedStrides.push_back(sourceStrides[p]);
  }
  Tensor result(source.getDType(), shape);
  llvm::SmallVector<int64_t> index(shape.size(), 0);
  int64_t offset = 0;
  for (int64_t i = 0, e = result.getNumElements(); i < e; ++i) {
    result.copyElement(i, source, offset);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) {
        offset += permutedStrides[d];
        break;
      }
      index[d] = 0;
      offset -= permutedStrides[d] * (shape[d] - 1);
    }
  }
  return result;
}

Tensor detail::softmaxAlong(const Tensor &x, AxisSplit split,
                            SoftmaxKind kind) {
  Tensor y(x.getDType(), x.getShape());
  std::vector<double> row(split.size);
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t in = 0; in < split.inner; ++in) {
      int64_t base = o * split.size * split.inner + in;
      double maximum = -std::numeric_limits<double>::infinity();
      int64_t argmax = 0;
      for (int64_t k = 0; k < split.size; ++k) {
        row[k] = x.getDouble(base + k * split.inner);
        if (row[k] > maximum) {
          maximum = row[k];
          argmax = k;
        }
      }
      double sum = 0.0;
      for (int64_t k = 0; k < split.size; ++k)
        sum += std::exp(row[k] - maximum);
      for (int64_t k = 0; k < split.size; ++k) {
        double v;
        if (kind == SoftmaxKind::Softmax)
          v = std::exp(row[k] - maximum) / sum;
        else if (kind == SoftmaxKind::LogSoftmax)
          v = row[k] - maximum - std::log(sum);
        else
          v = k == argmax ? 1.0 : 0.0;
        y.setDouble(base + k * split.inner, v);
      }
    }
  return y;
}

Moments detail::momentsOf(const Tensor &x, int64_t base, int64_t count,
                          double epsilon, bool centered) {
  Moments moments;
  if (centered) {
    for (int64_t i = 0; i < count; ++i)
      moments.mean += x.getDouble(base + i);
    moments.mean /= count;
  }
  double squares = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    double deviation = x.getDouble(base + i) - moments.mean;
    squares += deviation * deviation;
  }
  moments.invStdDev = 1.0 / std::sqrt(squares / count + epsilon);
  return moments;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

llvm::Expected<const Tensor &> NodeContext::required(unsigned i) const {
  if (const Tensor *t = input(i))
    return *t;
  return fail("input #" + llvm::Twine(i) + " is required but absent (" +
              llvm::Twine(inputs.size()) + " inputs given)");
}

llvm::Expected<llvm::SmallVector<int64_t>>
NodeContext::requiredList(unsigned i, llvm::StringRef what) const {
  llvm::Expected<const Tensor &> t = required(i);
  if (!t)
    return t.takeError();
  return toIntList(*t, what);
}

llvm::Error NodeContext::requireInputs(unsigned count) const {
  for (unsigned i = 0; i < count; ++i) {
    llvm::Expected<const Tensor &> t = required(i);
    if (!t)
      return t.takeError();
  }
  return llvm::Error::success();
}

llvm::Expected<std::vector<const Tensor *>>
NodeContext::variadic(unsigned minimum) const {
  std::vector<const Tensor *> present;
  for (const Tensor *t : inputs)
    if (t)
      present.push_back(t);
  if (present.size() < minimum)
    return fail("needs at least " + llvm::Twine(minimum) + " inputs, got " +
                llvm::Twine(present.size()));
  return present;
}

bool NodeContext::hasAttr(llvm::StringRef name) const {
  return static_cast<bool>(op.getOnnxAttr(name));
}

int64_t NodeContext::intAttr(llvm::StringRef name, int64_t fallback) const {
  return op.getIntAttr(name, fallback);
}

float NodeContext::floatAttr(llvm::StringRef name, float fallback) const {
  mlir::Attribute attr = op.getOnnxAttr(name);
  if (auto intAttr = llvm::dyn_cast_or_null<mlir::IntegerAttr>(attr))
    return static_cast<float>(intAttr.getInt());
  return op.getFloatAttr(name, fallback);
}

llvm::StringRef NodeContext::stringAttr(llvm::StringRef name,
                                        llvm::StringRef fallback) const {
  if (auto attr = llvm::dyn_cast_or_null<mlir::StringAttr>(op.getOnnxAttr(name)))
    return attr.getValue();
  return fallback;
}

std::optional<llvm::SmallVector<int64_t>>
NodeContext::intsAttr(llvm::StringRef name) const {
  mlir::Attribute attr = op.getOnnxAttr(name);
  if (auto array = llvm::dyn_cast_or_null<mlir::DenseI64ArrayAttr>(attr))
    return llvm::SmallVector<int64_t>(array.asArrayRef());
  if (auto array = llvm::dyn_cast_or_null<mlir::ArrayAttr>(attr)) {
    llvm::SmallVector<int64_t> values;
    for (mlir::Attribute element : array)
      if (auto i = llvm::dyn_cast<mlir::IntegerAttr>(element))
        values.push_back(i.getInt());
    return values;
  }
  if (auto single = llvm::dyn_cast_or_null<mlir::IntegerAttr>(attr))
    return llvm::SmallVector<int64_t>{single.getInt()};
  return std::nullopt;
}

llvm::Expected<std::optional<Tensor>>
NodeContext::tensorAttr(llvm::StringRef name) const {
  mlir::Attribute attr = op.getOnnxAttr(name);
  if (!attr)
    return std::optional<Tensor>();
  llvm::Expected<Tensor> tensor = fromAttribute(attr);
  if (!tensor)
    return tensor.takeError();
  return std::optional<Tensor>(std::move(*tensor));
}

llvm::Expected<int64_t> NodeContext::axisAttr(int64_t fallback,
                                              int64_t rank) const {
  return normalizeAxis(intAttr("axis", fallback), rank);
}

llvm::Expected<std::optional<llvm::SmallVector<int64_t>>>
NodeContext::listArgument(llvm::StringRef name, unsigned inputIndex,
                          int64_t sinceOpset) const {
  using Result = std::optional<llvm::SmallVector<int64_t>>;
  if (opset < sinceOpset)
    return Result(intsAttr(name));
  const Tensor *given = input(inputIndex);
  if (!given)
    return Result();
  llvm::Expected<llvm::SmallVector<int64_t>> list = toIntList(*given, name);
  if (!list)
    return list.takeError();
  return Result(std::move(*list));
}

//===----------------------------------------------------------------------===//
// accel op operand checks
//===----------------------------------------------------------------------===//

llvm::Expected<LinearShape> detail::linearShape(const Tensor &x,
                                                const Tensor &w,
                                                const Tensor *bias,
                                                bool transposed) {
  if (w.getRank() != 2 || x.getRank() < 1)
    return fail("weight must be 2-D and input at least 1-D");
  LinearShape shape;
  shape.n = transposed ? w.getDim(1) : w.getDim(0);
  shape.k = transposed ? w.getDim(0) : w.getDim(1);
  if (x.getShape().back() != shape.k ||
      (bias && bias->getNumElements() != shape.n))
    return fail("input " + formatShape(x.getShape()) + ", weight " +
                formatShape(w.getShape()) + " and bias do not agree");
  shape.rows = shape.k ? x.getNumElements() / shape.k
                       : countElements(x.getShape().drop_back()).value_or(0);
  shape.resultShape.assign(x.getShape().begin(), x.getShape().end());
  shape.resultShape.back() = shape.n;
  return shape;
}

llvm::Error detail::checkAttentionOperands(
    llvm::ArrayRef<const Tensor *> operands,
    llvm::function_ref<llvm::Error(const Tensor *)> checkType) {
  for (const Tensor *t : operands) {
    if (llvm::Error error = checkType(t))
      return error;
    if (t && t->getRank() != 3)
      return fail("operands must be [B, T, heads * D], got " +
                  formatShape(t->getShape()));
  }
  return llvm::Error::success();
}

llvm::Expected<int64_t> detail::attentionHeadDim(int64_t heads, int64_t kvHeads,
                                                 const Tensor &q,
                                                 const Tensor &k,
                                                 const Tensor &v) {
  if (heads % kvHeads != 0 || q.getDim(2) % heads != 0)
    return fail("heads(" + llvm::Twine(heads) + ", " + llvm::Twine(kvHeads) +
                ") do not divide the query width " + llvm::Twine(q.getDim(2)));
  int64_t d = q.getDim(2) / heads;
  if (k.getShape() != v.getShape() || k.getDim(2) != kvHeads * d ||
      k.getDim(0) != q.getDim(0))
    return fail("key/value " + formatShape(k.getShape()) +
                " do not fit the query " + formatShape(q.getShape()));
  return d;
}

llvm::Expected<int64_t> detail::normWidth(const Tensor &x, const Tensor &weight,
                                          const Tensor *bias) {
  if (x.getRank() < 1)
    return fail("input must have rank >= 1");
  int64_t h = x.getShape().back();
  if (weight.getNumElements() != h || (bias && bias->getNumElements() != h))
    return fail("weight/bias must have " + llvm::Twine(h) + " elements");
  return h;
}

llvm::Expected<RopeShape> detail::ropeShape(int64_t heads, const Tensor &x,
                                            const Tensor &cos,
                                            const Tensor &sin) {
  if (x.getRank() != 3 || x.getDim(2) % heads != 0)
    return fail("input must be [B, T, heads * D], got " +
                formatShape(x.getShape()));
  RopeShape shape;
  shape.batch = x.getDim(0), shape.tokens = x.getDim(1);
  shape.headDim = x.getDim(2) / heads;
  shape.batched = cos.getRank() == 3;
  shape.rotary = cos.getShape().empty() ? 0 : cos.getShape().back();
  bool fits = cos.getShape() == sin.getShape() &&
              (cos.getRank() == 2 || shape.batched) && shape.rotary % 2 == 0 &&
              shape.rotary <= shape.headDim &&
              cos.getDim(cos.getRank() - 2) == shape.tokens &&
              (!shape.batched || cos.getDim(0) == shape.batch);
  if (!fits)
    return fail("cos/sin " + formatShape(cos.getShape()) +
                " do not fit [T, R] or [B, T, R] for input " +
                formatShape(x.getShape()) + " and head size " +
                llvm::Twine(shape.headDim));
  return shape;
}

llvm::Error detail::checkUpShape(const Tensor *up, const Tensor &x) {
  if (up && up->getShape() != x.getShape())
    return fail("up " + formatShape(up->getShape()) +
                " must have the input's shape " + formatShape(x.getShape()));
  return llvm::Error::success();
}

llvm::Expected<int64_t> detail::embeddingId(const Tensor &ids, int64_t i,
                                            int64_t vocab) {
  int64_t id = ids.getInt(i);
  if (id < 0 || id >= vocab)
    return fail("id " + llvm::Twine(id) + " at position " + llvm::Twine(i) +
                " is outside the vocabulary [0, " + llvm::Twine(vocab) + ")");
  return id;
}
