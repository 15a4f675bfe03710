//===- Tensor.h - host tensors of the reference executor --------*- C++ -*-===//
//
// A dense, row-major tensor on the host: an element type, an int64 shape and
// the elements. Floating-point elements are held as `float` (f16, bf16 and
// f32, f16/bf16 values always rounded to their type) or `double` (f64);
// integer and bool elements are held as int64, already wrapped to the width
// and signedness of their type (u64 as its two's complement bit pattern).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_REFERENCE_TENSOR_H
#define ACCEL_REFERENCE_TENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class Type;
class MLIRContext;
} // namespace mlir

namespace accel::reference {

enum class DType { F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool };

/// How a dtype's elements are held.
enum class Storage { Float, Double, Int };

/// `f32`, `i64`, `u8`, `bool`, ... as MLIR spells them (`ui8` for u8).
llvm::StringRef dtypeName(DType dtype);
Storage storageOf(DType dtype);
bool isFloatDType(DType dtype);
bool isUnsignedDType(DType dtype);
/// Bits of an integer dtype (1 for bool); 0 for float dtypes.
unsigned intBitWidth(DType dtype);

/// The dtype of an MLIR element type (signless and signed integers are
/// signed, i1 is bool, `index` is held as i64), or none for types the
/// executor does not hold.
std::optional<DType> dtypeFromMLIR(mlir::Type type);
/// The MLIR element type of `dtype` (signless integers, `ui*` for unsigned).
mlir::Type dtypeToMLIR(DType dtype, mlir::MLIRContext &context);

/// Rounds a value to the nearest f16 / bf16 (ties to even), returned as float.
float roundToF16(float value);
float roundToBF16(float value);
/// The value of IEEE binary16 bits (exact: every f16 is a float). Inline:
/// the compression passes convert every weight of an f16 model.
inline float f16BitsToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa × 2^-24, exact in float.
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  uint32_t word = sign | (exponent == 0x1fu
                              ? 0x7f800000u | (mantissa << 13)
                              : ((exponent + 112u) << 23) | (mantissa << 13));
  float value;
  std::memcpy(&value, &word, sizeof(value));
  return value;
}

/// The IEEE binary16 bits of `value` rounded to the nearest f16 (ties to
/// even; NaN becomes a quiet NaN of its sign).
inline uint16_t floatToF16Bits(float value) {
  uint32_t word;
  std::memcpy(&word, &value, sizeof(word));
  uint16_t sign = static_cast<uint16_t>((word >> 16) & 0x8000u);
  word &= 0x7fffffffu;
  if (word >= 0x7f800000u) // infinity or NaN
    return sign | (word > 0x7f800000u ? 0x7e00u : 0x7c00u);
  if (word >= 0x477ff000u) // 65520 and above round to infinity
    return sign | 0x7c00u;
  if (word < 0x38800000u) { // below 2^-14: a multiple of 2^-24, ties to even
    float magnitude;
    std::memcpy(&magnitude, &word, sizeof(magnitude));
    return sign | static_cast<uint16_t>(std::nearbyint(magnitude * 0x1p24f));
  }
  word += 0xfffu + ((word >> 13) & 1u); // round the 13 dropped bits
  return sign | static_cast<uint16_t>((word - 0x38000000u) >> 13);
}
/// Rounds `value` to what `dtype` holds: f16/bf16/f32 rounding for floats;
/// for integers truncation toward zero, NaN to 0, saturation to the int64
/// range, then wrapping to the dtype's width; for bool, nonzero is true.
double roundToDType(DType dtype, double value);
/// Wraps an integer to the width and signedness of an integer dtype (bool:
/// nonzero is 1).
int64_t wrapToDType(DType dtype, int64_t value);

/// Number of elements of `shape` (1 for a scalar), or none when a dimension
/// is negative or the count overflows int64.
std::optional<int64_t> countElements(llvm::ArrayRef<int64_t> shape);

class Tensor {
public:
  /// A zero-filled tensor. The shape must have no negative dimension.
  Tensor(DType dtype, llvm::ArrayRef<int64_t> shape);
  /// A float tensor (F32, F16 or BF16; F16/BF16 values are rounded).
  Tensor(llvm::ArrayRef<int64_t> shape, std::vector<float> values,
         DType dtype = DType::F32);
  /// An integer or bool tensor; values are wrapped to the dtype.
  Tensor(DType dtype, llvm::ArrayRef<int64_t> shape,
         std::vector<int64_t> values);

  /// An F64 tensor.
  static Tensor fromDoubles(llvm::ArrayRef<int64_t> shape,
                            std::vector<double> values);
  /// A rank-0 tensor holding `value` rounded to `dtype`.
  static Tensor scalar(DType dtype, double value);

  DType getDType() const { return dtype; }
  Storage getStorage() const { return storageOf(dtype); }
  bool isFloat() const { return isFloatDType(dtype); }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return static_cast<int64_t>(shape.size()); }
  int64_t getDim(int64_t i) const { return shape[i]; }
  int64_t getNumElements() const { return numElements; }

  /// The elements in their storage; only the accessor matching
  /// getStorage() may be used.
  llvm::ArrayRef<float> getFloats() const { return floats; }
  llvm::MutableArrayRef<float> getFloats() { return floats; }
  llvm::ArrayRef<double> getDoubles() const { return doubles; }
  llvm::MutableArrayRef<double> getDoubles() { return doubles; }
  llvm::ArrayRef<int64_t> getInts() const { return ints; }
  llvm::MutableArrayRef<int64_t> getInts() { return ints; }

  /// Element `i` as a double (u64 converted as unsigned).
  double getDouble(int64_t i) const;
  /// Element `i` as an integer (floats truncated toward zero).
  int64_t getInt(int64_t i) const;
  /// Sets element `i` from a double, rounded as roundToDType does.
  void setDouble(int64_t i, double value);
  /// Sets element `i` from an integer, wrapped to the dtype (converted for
  /// float dtypes).
  void setInt(int64_t i, int64_t value);
  /// Copies element `from` of `source` (same storage) into element `to`.
  void copyElement(int64_t to, const Tensor &source, int64_t from);

  /// The same elements under another shape with the same element count.
  Tensor reshaped(llvm::ArrayRef<int64_t> newShape) const;
  /// Every element converted to `target` (ONNX Cast semantics).
  Tensor castTo(DType target) const;

  /// `tensor<2x3xf32> [1, 2, 3, 4, 5, 6]`, eliding beyond `maxElements`.
  void print(llvm::raw_ostream &os, int64_t maxElements = 16) const;
  std::string toString(int64_t maxElements = 16) const;

private:
  DType dtype;
  llvm::SmallVector<int64_t, 4> shape;
  int64_t numElements;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::vector<int64_t> ints;
};

inline llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const Tensor &t) {
  t.print(os);
  return os;
}

} // namespace accel::reference

#endif // ACCEL_REFERENCE_TENSOR_H
