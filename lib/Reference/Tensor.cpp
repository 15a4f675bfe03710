//===- Tensor.cpp - host tensors of the reference executor ----------------===//

#include "accel/Reference/Tensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace accel::reference;

llvm::StringRef accel::reference::dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::F32: return "f32";
  case DType::F64: return "f64";
  case DType::I8: return "i8";
  case DType::I16: return "i16";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::U8: return "ui8";
  case DType::U16: return "ui16";
  case DType::U32: return "ui32";
  case DType::U64: return "ui64";
  case DType::Bool: return "i1";
  }
  llvm_unreachable("unknown dtype");
}

Storage accel::reference::storageOf(DType dtype) {
  switch (dtype) {
  case DType::F16:
  case DType::BF16:
  case DType::F32:
    return Storage::Float;
  case DType::F64:
    return Storage::Double;
  default:
    return Storage::Int;
  }
}

bool accel::reference::isFloatDType(DType dtype) {
  return storageOf(dtype) != Storage::Int;
}

bool accel::reference::isUnsignedDType(DType dtype) {
  return dtype == DType::U8 || dtype == DType::U16 || dtype == DType::U32 ||
         dtype == DType::U64 || dtype == DType::Bool;
}

unsigned accel::reference::intBitWidth(DType dtype) {
  switch (dtype) {
  case DType::I8: case DType::U8: return 8;
  case DType::I16: case DType::U16: return 16;
  case DType::I32: case DType::U32: return 32;
  case DType::I64: case DType::U64: return 64;
  case DType::Bool: return 1;
  default: return 0;
  }
}

std::optional<DType> accel::reference::dtypeFromMLIR(mlir::Type type) {
  if (type.isF16()) return DType::F16;
  if (type.isBF16()) return DType::BF16;
  if (type.isF32()) return DType::F32;
  if (type.isF64()) return DType::F64;
  if (type.isIndex()) return DType::I64;
  auto intType = llvm::dyn_cast<mlir::IntegerType>(type);
  if (!intType)
    return std::nullopt;
  bool isUnsigned = intType.isUnsigned();
  switch (intType.getWidth()) {
  case 1: return DType::Bool;
  case 8: return isUnsigned ? DType::U8 : DType::I8;
  case 16: return isUnsigned ? DType::U16 : DType::I16;
  case 32: return isUnsigned ? DType::U32 : DType::I32;
  case 64: return isUnsigned ? DType::U64 : DType::I64;
  default: return std::nullopt;
  }
}

mlir::Type accel::reference::dtypeToMLIR(DType dtype,
                                         mlir::MLIRContext &context) {
  mlir::Builder b(&context);
  switch (dtype) {
  case DType::F16: return b.getF16Type();
  case DType::BF16: return b.getBF16Type();
  case DType::F32: return b.getF32Type();
  case DType::F64: return b.getF64Type();
  case DType::Bool: return b.getI1Type();
  default:
    break;
  }
  return mlir::IntegerType::get(&context, intBitWidth(dtype),
                                isUnsignedDType(dtype)
                                    ? mlir::IntegerType::Unsigned
                                    : mlir::IntegerType::Signless);
}

/// Rounds a finite float to drop the low `droppedBits` of its 23 mantissa
/// bits, ties to even (a carry into the exponent rounds up a binade, or to
/// infinity).
static float roundMantissa(float value, unsigned droppedBits) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint32_t lsb = (bits >> droppedBits) & 1u;
  uint32_t half = (1u << (droppedBits - 1)) - 1u;
  bits += half + lsb;
  bits &= ~((1u << droppedBits) - 1u);
  float result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

float accel::reference::roundToF16(float value) {
  if (std::isnan(value) || std::isinf(value))
    return value;
  float magnitude = std::fabs(value);
  // 65504 is the largest f16; from halfway to the next binade up, it rounds
  // to infinity.
  if (magnitude >= 65520.0f)
    return std::copysign(std::numeric_limits<float>::infinity(), value);
  // Below 2^-14, f16 is subnormal with a fixed quantum of 2^-24.
  if (magnitude < 0x1p-14f)
    return std::copysign(std::nearbyint(magnitude * 0x1p24f) * 0x1p-24f,
                         value);
  return roundMantissa(value, 13);
}

float accel::reference::roundToBF16(float value) {
  if (std::isnan(value) || std::isinf(value))
    return value;
  return roundMantissa(value, 16);
}

int64_t accel::reference::wrapToDType(DType dtype, int64_t value) {
  switch (dtype) {
  case DType::I8: return static_cast<int8_t>(value);
  case DType::I16: return static_cast<int16_t>(value);
  case DType::I32: return static_cast<int32_t>(value);
  case DType::U8: return static_cast<uint8_t>(value);
  case DType::U16: return static_cast<uint16_t>(value);
  case DType::U32: return static_cast<uint32_t>(value);
  case DType::Bool: return value != 0;
  default: return value;
  }
}

double accel::reference::roundToDType(DType dtype, double value) {
  switch (dtype) {
  case DType::F64: return value;
  case DType::F32: return static_cast<float>(value);
  case DType::F16: return roundToF16(static_cast<float>(value));
  case DType::BF16: return roundToBF16(static_cast<float>(value));
  case DType::Bool: return value != 0.0 ? 1.0 : 0.0;
  default:
    break;
  }
  if (std::isnan(value))
    return 0.0;
  double truncated = std::trunc(value);
  int64_t asInt;
  if (dtype == DType::U64 && truncated >= 0x1p63)
    asInt = truncated >= 0x1p64
                ? -1
                : static_cast<int64_t>(static_cast<uint64_t>(truncated));
  else if (truncated >= 0x1p63)
    asInt = std::numeric_limits<int64_t>::max();
  else if (truncated < -0x1p63)
    asInt = std::numeric_limits<int64_t>::min();
  else
    asInt = static_cast<int64_t>(truncated);
  return static_cast<double>(wrapToDType(dtype, asInt));
}

std::optional<int64_t>
accel::reference::countElements(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return std::nullopt;
    int64_t product;
    if (llvm::MulOverflow(count, dim, product))
      return std::nullopt;
    count = product;
  }
  return count;
}

Tensor::Tensor(DType dtype, llvm::ArrayRef<int64_t> shape)
    : dtype(dtype), shape(shape.begin(), shape.end()),
      numElements(countElements(shape).value_or(0)) {
  switch (getStorage()) {
  case Storage::Float: floats.assign(numElements, 0.0f); break;
  case Storage::Double: doubles.assign(numElements, 0.0); break;
  case Storage::Int: ints.assign(numElements, 0); break;
  }
}

Tensor::Tensor(llvm::ArrayRef<int64_t> shape, std::vector<float> values,
               DType dtype)
    : dtype(dtype), shape(shape.begin(), shape.end()),
      numElements(static_cast<int64_t>(values.size())),
      floats(std::move(values)) {
  assert(getStorage() == Storage::Float && "not a float dtype");
  assert(countElements(shape) == numElements && "shape and data disagree");
  if (dtype == DType::F16)
    for (float &v : floats)
      v = roundToF16(v);
  else if (dtype == DType::BF16)
    for (float &v : floats)
      v = roundToBF16(v);
}

Tensor Tensor::fromDoubles(llvm::ArrayRef<int64_t> shape,
                           std::vector<double> values) {
  assert(countElements(shape) == static_cast<int64_t>(values.size()) &&
         "shape and data disagree");
  Tensor t(DType::F64, {});
  t.shape.assign(shape.begin(), shape.end());
  t.numElements = static_cast<int64_t>(values.size());
  t.doubles = std::move(values);
  return t;
}

Tensor::Tensor(DType dtype, llvm::ArrayRef<int64_t> shape,
               std::vector<int64_t> values)
    : dtype(dtype), shape(shape.begin(), shape.end()),
      numElements(static_cast<int64_t>(values.size())),
      ints(std::move(values)) {
  assert(getStorage() == Storage::Int && "not an integer dtype");
  assert(countElements(shape) == numElements && "shape and data disagree");
  for (int64_t &v : ints)
    v = wrapToDType(dtype, v);
}

Tensor Tensor::scalar(DType dtype, double value) {
  Tensor t(dtype, {});
  t.setDouble(0, value);
  return t;
}

double Tensor::getDouble(int64_t i) const {
  switch (getStorage()) {
  case Storage::Float: return floats[i];
  case Storage::Double: return doubles[i];
  case Storage::Int:
    if (dtype == DType::U64)
      return static_cast<double>(static_cast<uint64_t>(ints[i]));
    return static_cast<double>(ints[i]);
  }
  llvm_unreachable("unknown storage");
}

int64_t Tensor::getInt(int64_t i) const {
  if (getStorage() == Storage::Int)
    return ints[i];
  return static_cast<int64_t>(roundToDType(DType::I64, getDouble(i)));
}

void Tensor::setDouble(int64_t i, double value) {
  switch (getStorage()) {
  case Storage::Float:
    floats[i] = static_cast<float>(roundToDType(dtype, value));
    return;
  case Storage::Double:
    doubles[i] = value;
    return;
  case Storage::Int:
    if (dtype == DType::U64 && value >= 0x1p63 && value < 0x1p64)
      ints[i] = static_cast<int64_t>(static_cast<uint64_t>(value));
    else
      ints[i] = static_cast<int64_t>(roundToDType(dtype, value));
    return;
  }
}

void Tensor::setInt(int64_t i, int64_t value) {
  if (getStorage() == Storage::Int)
    ints[i] = wrapToDType(dtype, value);
  else
    setDouble(i, static_cast<double>(value));
}

void Tensor::copyElement(int64_t to, const Tensor &source, int64_t from) {
  switch (getStorage()) {
  case Storage::Float: floats[to] = source.floats[from]; return;
  case Storage::Double: doubles[to] = source.doubles[from]; return;
  case Storage::Int: ints[to] = source.ints[from]; return;
  }
}

Tensor Tensor::reshaped(llvm::ArrayRef<int64_t> newShape) const {
  assert(countElements(newShape) == numElements && "reshape changes size");
  Tensor result = *this;
  result.shape.assign(newShape.begin(), newShape.end());
  return result;
}

Tensor Tensor::castTo(DType target) const {
  if (target == dtype)
    return *this;
  Tensor result(target, shape);
  bool intToInt = getStorage() == Storage::Int &&
                  result.getStorage() == Storage::Int;
  for (int64_t i = 0; i < numElements; ++i) {
    if (intToInt)
      result.ints[i] = wrapToDType(target, ints[i]);
    else
      result.setDouble(i, getDouble(i));
  }
  return result;
}

void Tensor::print(llvm::raw_ostream &os, int64_t maxElements) const {
  os << "tensor<";
  for (int64_t dim : shape)
    os << dim << 'x';
  os << dtypeName(dtype) << "> [";
  for (int64_t i = 0; i < numElements; ++i) {
    if (i == maxElements) {
      os << (i ? ", " : "") << "... (" << numElements << " elements)";
      break;
    }
    if (i)
      os << ", ";
    if (getStorage() == Storage::Int && dtype == DType::U64)
      os << static_cast<uint64_t>(ints[i]);
    else if (getStorage() == Storage::Int)
      os << ints[i];
    else
      os << llvm::format("%g", getDouble(i));
  }
  os << ']';
}

std::string Tensor::toString(int64_t maxElements) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  print(os, maxElements);
  return text;
}
