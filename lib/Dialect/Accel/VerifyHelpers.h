//===- VerifyHelpers.h - shape checks shared by accel verifiers -*- C++ -*-===//

#ifndef ACCEL_LIB_DIALECT_ACCEL_VERIFYHELPERS_H
#define ACCEL_LIB_DIALECT_ACCEL_VERIFYHELPERS_H

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace accel::detail {

/// Two dimensions agree unless both are static and different.
inline bool dimsAgree(int64_t a, int64_t b) {
  return mlir::ShapedType::isDynamic(a) || mlir::ShapedType::isDynamic(b) ||
         a == b;
}

/// Prints a shape as `[2, ?, 4]`.
inline std::string shapeStr(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (mlir::ShapedType::isDynamic(d))
      os << "?";
    else
      os << d;
  });
  os << "]";
  return s;
}

inline bool shapesAgree(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b) {
  return a.size() == b.size() &&
         llvm::all_of(llvm::zip(a, b), [](auto p) {
           return dimsAgree(std::get<0>(p), std::get<1>(p));
         });
}

inline int64_t innermost(mlir::RankedTensorType type) {
  return type.getDimSize(type.getRank() - 1);
}

} // namespace accel::detail

#endif // ACCEL_LIB_DIALECT_ACCEL_VERIFYHELPERS_H
