//===- ArithTensorOps.cpp - integer arith and tensor ops on host tensors --===//
//
// The ops that carry index computations and tile data around: integer and
// index `arith` ops (exact, wrapping to their type like the IR does) and the
// `tensor` dialect's extract, extract_slice, insert_slice, empty and cast.
// An `index` value is held as a rank-0 i64 tensor. They move and compare
// integers only, so the fp32 and golden modes share them.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace accel::reference;
using namespace accel::reference::detail;

llvm::Expected<int64_t> detail::scalarInt(const Tensor *tensor,
                                          const llvm::Twine &what) {
  if (!tensor || tensor->isFloat() || tensor->getNumElements() != 1 ||
      tensor->getRank() != 0)
    return fail(what + " must be an index or integer scalar, got " +
                (tensor ? tensor->toString(4) : std::string("nothing")));
  return tensor->getInts()[0];
}

//===----------------------------------------------------------------------===//
// Integer arith
//===----------------------------------------------------------------------===//

/// The bits of an integer element read as signed (i1 true is -1) and as
/// unsigned (the low `width` bits).
static int64_t signedValue(DType dtype, int64_t v) {
  return dtype == DType::Bool ? -(v & 1) : v;
}

static uint64_t unsignedValue(DType dtype, int64_t v) {
  unsigned width = intBitWidth(dtype);
  auto bits = static_cast<uint64_t>(v);
  return width >= 64 ? bits : bits & ((uint64_t(1) << width) - 1);
}

/// `v` wrapped to the width of `dtype` (i1 keeps its low bit).
static int64_t wrapBits(DType dtype, uint64_t v) {
  if (dtype == DType::Bool)
    return static_cast<int64_t>(v & 1);
  return wrapToDType(dtype, static_cast<int64_t>(v));
}

/// The most negative value of a signed integer dtype.
static int64_t signedMin(DType dtype) {
  unsigned width = intBitWidth(dtype);
  return width >= 64 ? std::numeric_limits<int64_t>::min()
                     : -(int64_t(1) << (width - 1));
}

static llvm::Error requireIntegers(const Tensor &lhs, const Tensor &rhs) {
  if (lhs.isFloat() || lhs.getDType() != rhs.getDType() ||
      lhs.getShape() != rhs.getShape())
    return fail("needs integer operands of one type and shape, got " +
                lhs.toString(4) + " and " + rhs.toString(4));
  return llvm::Error::success();
}

/// One element of addi/subi/muli/divsi/remsi/maxsi/minsi, or an error for a
/// division by zero or one that overflows.
static llvm::Expected<int64_t> integerBinary(mlir::Operation *op, DType dtype,
                                             int64_t a, int64_t b) {
  auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  if (llvm::isa<mlir::arith::AddIOp>(op))
    return wrapBits(dtype, ua + ub);
  if (llvm::isa<mlir::arith::SubIOp>(op))
    return wrapBits(dtype, ua - ub);
  if (llvm::isa<mlir::arith::MulIOp>(op))
    return wrapBits(dtype, ua * ub);
  int64_t sa = signedValue(dtype, a), sb = signedValue(dtype, b);
  if (llvm::isa<mlir::arith::MaxSIOp>(op))
    return sa >= sb ? a : b;
  if (llvm::isa<mlir::arith::MinSIOp>(op))
    return sa <= sb ? a : b;
  if (sb == 0)
    return fail("division by zero (" + llvm::Twine(sa) + " / 0)");
  bool overflows = sb == -1 && sa == signedMin(dtype);
  if (llvm::isa<mlir::arith::DivSIOp>(op)) {
    if (overflows)
      return fail("the division " + llvm::Twine(sa) + " / -1 overflows");
    return wrapBits(dtype, static_cast<uint64_t>(sa / sb));
  }
  return overflows ? 0 : wrapBits(dtype, static_cast<uint64_t>(sa % sb));
}

static bool compare(mlir::arith::CmpIPredicate predicate, DType dtype,
                    int64_t a, int64_t b) {
  using P = mlir::arith::CmpIPredicate;
  int64_t sa = signedValue(dtype, a), sb = signedValue(dtype, b);
  uint64_t ua = unsignedValue(dtype, a), ub = unsignedValue(dtype, b);
  switch (predicate) {
  case P::eq:
    return ua == ub;
  case P::ne:
    return ua != ub;
  case P::slt:
    return sa < sb;
  case P::sle:
    return sa <= sb;
  case P::sgt:
    return sa > sb;
  case P::sge:
    return sa >= sb;
  case P::ult:
    return ua < ub;
  case P::ule:
    return ua <= ub;
  case P::ugt:
    return ua > ub;
  case P::uge:
    return ua >= ub;
  }
  return false;
}

static Results runSelect(const Tensor &condition, const Tensor &onTrue,
                         const Tensor &onFalse) {
  if (condition.getDType() != DType::Bool ||
      onTrue.getDType() != onFalse.getDType() ||
      onTrue.getShape() != onFalse.getShape() ||
      (condition.getRank() != 0 && condition.getShape() != onTrue.getShape()))
    return fail("needs an i1 condition (a scalar, or of the operands' shape) "
                "and two operands of one type and shape, got " +
                condition.toString(4) + ", " + onTrue.toString(4) + " and " +
                onFalse.toString(4));
  if (condition.getRank() == 0)
    return single(condition.getInts()[0] ? onTrue : onFalse);
  Tensor result(onTrue.getDType(), onTrue.getShape());
  for (int64_t i = 0, e = result.getNumElements(); i < e; ++i)
    result.copyElement(i, condition.getInts()[i] ? onTrue : onFalse, i);
  return single(std::move(result));
}

/// arith.index_cast (sign-extending) and index_castui (zero-extending).
static Results runIndexCast(mlir::Operation *op, const Tensor &input,
                            bool zeroExtend) {
  mlir::Type elementType =
      mlir::getElementTypeOrSelf(op->getResult(0).getType());
  std::optional<DType> dtype = dtypeFromMLIR(elementType);
  if (input.isFloat() || !dtype || isFloatDType(*dtype))
    return fail("casts integers and indices only, got " + input.toString(4) +
                " to " + describeType(elementType));
  Tensor result(*dtype, input.getShape());
  for (int64_t i = 0, e = input.getNumElements(); i < e; ++i) {
    int64_t v = input.getInts()[i];
    result.getInts()[i] = wrapBits(
        *dtype, zeroExtend
                    ? unsignedValue(input.getDType(), v)
                    : static_cast<uint64_t>(signedValue(input.getDType(), v)));
  }
  return single(std::move(result));
}

Results detail::runIntegerArith(mlir::Operation *op,
                                llvm::ArrayRef<const Tensor *> operands) {
  if (llvm::isa<mlir::arith::IndexCastOp, mlir::arith::IndexCastUIOp>(op))
    return runIndexCast(op, *operands[0],
                        llvm::isa<mlir::arith::IndexCastUIOp>(op));
  if (llvm::isa<mlir::arith::SelectOp>(op))
    return runSelect(*operands[0], *operands[1], *operands[2]);
  if (!llvm::isa<mlir::arith::AddIOp, mlir::arith::SubIOp, mlir::arith::MulIOp,
                 mlir::arith::DivSIOp, mlir::arith::RemSIOp,
                 mlir::arith::MaxSIOp, mlir::arith::MinSIOp,
                 mlir::arith::CmpIOp>(op))
    return fail("unsupported op: the reference executor does not implement '" +
                op->getName().getStringRef() + "'");
  const Tensor &lhs = *operands[0], &rhs = *operands[1];
  if (llvm::Error error = requireIntegers(lhs, rhs))
    return std::move(error);
  DType dtype = lhs.getDType();
  auto cmp = llvm::dyn_cast<mlir::arith::CmpIOp>(op);
  Tensor result(cmp ? DType::Bool : dtype, lhs.getShape());
  for (int64_t i = 0, e = lhs.getNumElements(); i < e; ++i) {
    int64_t a = lhs.getInts()[i], b = rhs.getInts()[i];
    if (cmp) {
      result.getInts()[i] = compare(cmp.getPredicate(), dtype, a, b);
      continue;
    }
    llvm::Expected<int64_t> value = integerBinary(op, dtype, a, b);
    if (!value)
      return value.takeError();
    result.getInts()[i] = *value;
  }
  return single(std::move(result));
}

//===----------------------------------------------------------------------===//
// tensor
//===----------------------------------------------------------------------===//

/// The values of mixed static/dynamic operands (offsets, sizes, strides).
static llvm::Expected<llvm::SmallVector<int64_t>>
mixedValues(llvm::ArrayRef<mlir::OpFoldResult> mixed,
            const AccelOperands &operands, llvm::StringRef what) {
  llvm::SmallVector<int64_t> values;
  for (mlir::OpFoldResult value : mixed) {
    if (auto attr = llvm::dyn_cast<mlir::Attribute>(value)) {
      values.push_back(llvm::cast<mlir::IntegerAttr>(attr).getInt());
      continue;
    }
    llvm::Expected<int64_t> dynamic =
        scalarInt(operands.get(llvm::cast<mlir::Value>(value)),
                  what + " #" + llvm::Twine(values.size()));
    if (!dynamic)
      return dynamic.takeError();
    values.push_back(*dynamic);
  }
  return values;
}

/// A strided box in a tensor: per dimension an offset, a size and a stride.
struct Box {
  llvm::SmallVector<int64_t> offsets, sizes, strides;
};

static llvm::Expected<Box> boxOf(mlir::OffsetSizeAndStrideOpInterface op,
                                 const AccelOperands &operands,
                                 llvm::ArrayRef<int64_t> shape) {
  Box box;
  for (auto [list, mixed, what] :
       {std::make_tuple(&box.offsets, op.getMixedOffsets(), "offset"),
        std::make_tuple(&box.sizes, op.getMixedSizes(), "size"),
        std::make_tuple(&box.strides, op.getMixedStrides(), "stride")}) {
    llvm::Expected<llvm::SmallVector<int64_t>> values =
        mixedValues(mixed, operands, what);
    if (!values)
      return values.takeError();
    *list = std::move(*values);
  }
  if (box.offsets.size() != shape.size())
    return fail("the slice has " + llvm::Twine(box.offsets.size()) +
                " offsets for a tensor of rank " + llvm::Twine(shape.size()));
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t offset = box.offsets[d], size = box.sizes[d],
            stride = box.strides[d];
    if (stride <= 0 || size < 0)
      return fail("dimension " + llvm::Twine(d) + " has size " +
                  llvm::Twine(size) + " and stride " + llvm::Twine(stride) +
                  "; sizes must be >= 0 and strides > 0");
    // The last element read is offset + (size - 1) * stride.
    int64_t span = 0, last = 0;
    bool overflows = size > 0 && (llvm::MulOverflow(size - 1, stride, span) ||
                                  llvm::AddOverflow(offset, span, last));
    if (offset < 0 || overflows || (size > 0 && last >= shape[d]) ||
        offset > shape[d])
      return fail("offset " + llvm::Twine(offset) + " with size " +
                  llvm::Twine(size) + " and stride " + llvm::Twine(stride) +
                  " is out of range for dimension " + llvm::Twine(d) +
                  " of size " + llvm::Twine(shape[d]) + " (tensor " +
                  formatShape(shape) + ")");
  }
  return box;
}

/// Calls `visit(boxIndex, tensorIndex)` for every element of `box` in
/// row-major order: its linear index within the box and within a tensor of
/// `shape`.
static void forEachInBox(const Box &box, llvm::ArrayRef<int64_t> shape,
                         llvm::function_ref<void(int64_t, int64_t)> visit) {
  std::optional<int64_t> count = countElements(box.sizes);
  if (!count || *count == 0)
    return;
  llvm::SmallVector<int64_t> strides = stridesOf(shape);
  llvm::SmallVector<int64_t> index(box.sizes.size(), 0);
  for (int64_t i = 0; i < *count; ++i) {
    int64_t at = 0;
    for (size_t d = 0; d < index.size(); ++d)
      at += (box.offsets[d] + index[d] * box.strides[d]) * strides[d];
    visit(i, at);
    advanceIndex(index, box.sizes);
  }
}

/// The box's sizes without the dimensions a rank-reducing slice drops.
static llvm::SmallVector<int64_t>
reducedSizes(const Box &box, const llvm::SmallBitVector &dropped) {
  llvm::SmallVector<int64_t> shape;
  for (size_t d = 0; d < box.sizes.size(); ++d)
    if (!dropped.test(d))
      shape.push_back(box.sizes[d]);
  return shape;
}

static Results runExtract(mlir::tensor::ExtractOp op,
                          const AccelOperands &operands) {
  const Tensor &source = *operands.get(op.getTensor());
  if (op.getIndices().size() != static_cast<size_t>(source.getRank()))
    return fail("has " + llvm::Twine(op.getIndices().size()) +
                " indices for a tensor of rank " +
                llvm::Twine(source.getRank()));
  int64_t at = 0;
  for (auto [d, index] : llvm::enumerate(op.getIndices())) {
    llvm::Expected<int64_t> i =
        scalarInt(operands.get(index), "index #" + llvm::Twine(d));
    if (!i)
      return i.takeError();
    if (*i < 0 || *i >= source.getDim(d))
      return fail("index " + llvm::Twine(*i) +
                  " is out of range for dimension " + llvm::Twine(d) +
                  " of size " + llvm::Twine(source.getDim(d)));
    at = at * source.getDim(d) + *i;
  }
  Tensor result(source.getDType(), {});
  result.copyElement(0, source, at);
  return single(std::move(result));
}

static Results runExtractSlice(mlir::tensor::ExtractSliceOp op,
                               const AccelOperands &operands) {
  const Tensor &source = *operands.get(op.getSource());
  llvm::Expected<Box> box = boxOf(op, operands, source.getShape());
  if (!box)
    return box.takeError();
  llvm::Expected<Tensor> result = allocate(source.getDType(), box->sizes);
  if (!result)
    return result.takeError();
  forEachInBox(*box, source.getShape(), [&](int64_t to, int64_t from) {
    result->copyElement(to, source, from);
  });
  return single(result->reshaped(reducedSizes(*box, op.getDroppedDims())));
}

static Results runInsertSlice(mlir::tensor::InsertSliceOp op,
                              const AccelOperands &operands) {
  const Tensor &source = *operands.get(op.getSource());
  const Tensor &dest = *operands.get(op.getDest());
  if (source.getDType() != dest.getDType())
    return fail("inserts " + source.toString(0) + " into " + dest.toString(0) +
                ": the element types differ");
  llvm::Expected<Box> box = boxOf(op, operands, dest.getShape());
  if (!box)
    return box.takeError();
  // A rank-reduced source lacks unit dimensions of the sizes.
  auto nonUnit = [](llvm::ArrayRef<int64_t> shape) {
    llvm::SmallVector<int64_t> dims;
    llvm::copy_if(shape, std::back_inserter(dims),
                  [](int64_t d) { return d != 1; });
    return dims;
  };
  if (countElements(box->sizes) != source.getNumElements() ||
      nonUnit(box->sizes) != nonUnit(source.getShape()))
    return fail("the source " + formatShape(source.getShape()) +
                " does not fit the slice sizes " + formatShape(box->sizes));
  Tensor result = dest;
  forEachInBox(*box, dest.getShape(), [&](int64_t from, int64_t to) {
    result.copyElement(to, source, from);
  });
  return single(std::move(result));
}

/// tensor.splat of a scalar (a 0-d tensor here) to a static shape.
static Results runSplat(mlir::tensor::SplatOp op,
                        const AccelOperands &operands) {
  const Tensor &scalar = *operands.get(op.getInput());
  auto type = op.getType();
  if (!type.hasStaticShape())
    return fail("splat to a dynamic shape is not supported");
  llvm::Expected<Tensor> result = allocate(scalar.getDType(), type.getShape());
  if (!result)
    return result.takeError();
  for (int64_t i = 0; i < result->getNumElements(); ++i) {
    if (result->getStorage() == Storage::Int)
      result->setInt(i, scalar.getInt(0));
    else
      result->setDouble(i, scalar.getDouble(0));
  }
  return single(std::move(*result));
}

static Results runEmpty(mlir::tensor::EmptyOp op,
                        const AccelOperands &operands) {
  std::optional<DType> dtype = dtypeFromMLIR(op.getType().getElementType());
  if (!dtype)
    return fail("the executor does not hold elements of type " +
                describeType(op.getType().getElementType()));
  llvm::Expected<llvm::SmallVector<int64_t>> shape =
      mixedValues(op.getMixedSizes(), operands, "size");
  if (!shape)
    return shape.takeError();
  return single(allocate(*dtype, *shape));
}

Results detail::runTensorOp(mlir::Operation *op,
                            llvm::ArrayRef<const Tensor *> tensors) {
  AccelOperands operands(op, tensors);
  return llvm::TypeSwitch<mlir::Operation *, Results>(op)
      .Case([&](mlir::tensor::ExtractOp extract) {
        return runExtract(extract, operands);
      })
      .Case([&](mlir::tensor::ExtractSliceOp slice) {
        return runExtractSlice(slice, operands);
      })
      .Case([&](mlir::tensor::InsertSliceOp slice) {
        return runInsertSlice(slice, operands);
      })
      .Case([&](mlir::tensor::EmptyOp empty) {
        return runEmpty(empty, operands);
      })
      .Case([&](mlir::tensor::SplatOp splat) {
        return runSplat(splat, operands);
      })
      // A cast only changes what the IR knows of the shape; the result check
      // after each op verifies that the value fits the new type.
      .Case([&](mlir::tensor::CastOp) { return single(*tensors[0]); })
      .Default([](mlir::Operation *op) -> Results {
        return fail("unsupported op: the reference executor does not "
                    "implement '" +
                    op->getName().getStringRef() + "'");
      });
}
