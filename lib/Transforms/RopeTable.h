//===- RopeTable.h - reading and extending RoPE tables ----------*- C++ -*-===//
//
// Internal to lib/Transforms: accel-lambda-attention needs the cos/sin tables
// of accel.rope for more positions than the graph was traced with (the decode
// step's positions, or every rank of a Λ cache). A traced table is
// cos/sin(t × θ_j); this recovers θ_j, checks every traced row against it and
// computes the missing rows.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_TRANSFORMS_ROPETABLE_H
#define ACCEL_LIB_TRANSFORMS_ROPETABLE_H

#include "mlir/IR/Value.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace accel::compression {

/// A pair of f32 RoPE tables, `rows` × `rotary`, row-major.
struct RopeTable {
  int64_t rows = 0, rotary = 0;
  std::vector<float> cos, sin;
};

/// Reads the constant tables `cos` and `sin` of an accel.rope (`[T, R]` or
/// `[1, T, R]`, f32 or f16) and returns them with at least `rows` rows: the
/// traced rows unchanged, the others cos/sin(t × θ_j) with θ_j recovered
/// from the traced rows (f16 rows are too coarse for that: their θ_j are
/// fitted as base^(-2i/R)). Fails, saying why, if the tables are not
/// constants, are per batch, or are not cos/sin of position × frequency.
llvm::Expected<RopeTable> extendRopeTable(mlir::Value cos, mlir::Value sin,
                                          int64_t rows);

} // namespace accel::compression

#endif // ACCEL_LIB_TRANSFORMS_ROPETABLE_H
