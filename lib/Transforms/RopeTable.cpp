//===- RopeTable.cpp - reading and extending RoPE tables ------------------===//

#include "RopeTable.h"

#include "accel/Reference/Executor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/Twine.h"

#include <cmath>

using namespace accel;
using namespace accel::compression;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The f32 values of a constant table, [T, R] or [1, T, R].
llvm::Expected<std::vector<float>> readTable(mlir::Value table,
                                             llvm::StringRef name,
                                             int64_t &rows, int64_t &rotary) {
  auto type = llvm::cast<mlir::RankedTensorType>(table.getType());
  if (!type.getElementType().isF32())
    return fail("the RoPE " + name + " table is " +
                llvm::Twine(type.getElementType().isF16() ? "f16" : "not f32") +
                "; only f32 tables can be extended");
  if (type.getRank() == 3 && type.getDimSize(0) != 1)
    return fail("the RoPE " + name +
                " table differs per batch element; it cannot be extended "
                "to new positions");
  auto constant = table.getDefiningOp<mlir::arith::ConstantOp>();
  if (!constant)
    return fail("the RoPE " + name +
                " table is computed at run time; accel-lambda-attention "
                "needs it folded to a constant (run accel-raise-onnx)");
  llvm::Expected<reference::Tensor> tensor =
      reference::fromAttribute(constant.getValue());
  if (!tensor)
    return tensor.takeError();
  rows = type.getDimSize(type.getRank() - 2);
  rotary = type.getDimSize(type.getRank() - 1);
  std::vector<float> values(tensor->getNumElements());
  for (int64_t i = 0; i < tensor->getNumElements(); ++i)
    values[i] = static_cast<float>(tensor->getDouble(i));
  return values;
}

} // namespace

llvm::Expected<RopeTable>
accel::compression::extendRopeTable(mlir::Value cos, mlir::Value sin,
                                    int64_t rows) {
  RopeTable table;
  int64_t sinRows = 0, sinRotary = 0;
  llvm::Expected<std::vector<float>> cosValues =
      readTable(cos, "cos", table.rows, table.rotary);
  if (!cosValues)
    return cosValues.takeError();
  llvm::Expected<std::vector<float>> sinValues =
      readTable(sin, "sin", sinRows, sinRotary);
  if (!sinValues)
    return sinValues.takeError();
  int64_t traced = table.rows, rotary = table.rotary;
  table.cos = std::move(*cosValues);
  table.sin = std::move(*sinValues);
  if (traced >= rows)
    return table;
  if (traced < 2)
    return fail("the RoPE tables have " + llvm::Twine(traced) +
                " row(s); at least 2 are needed to recover their "
                "frequencies (trace with a longer sequence)");

  // Row 0 must be the identity rotation and row 1 gives each column's angle.
  std::vector<double> theta(rotary);
  for (int64_t j = 0; j < rotary; ++j) {
    if (std::abs(table.cos[j] - 1.0f) > 1e-6f ||
        std::abs(table.sin[j]) > 1e-6f)
      return fail("the RoPE tables do not start at position 0 (row 0, "
                  "column " + llvm::Twine(j) + " is not cos 1, sin 0)");
    theta[j] = std::atan2(static_cast<double>(table.sin[rotary + j]),
                          static_cast<double>(table.cos[rotary + j]));
  }
  // Every traced row must be cos/sin(t × θ_j), up to the fp32 rounding of the
  // exporter's t × θ_j (which grows with t).
  for (int64_t t = 2; t < traced; ++t)
    for (int64_t j = 0; j < rotary; ++j) {
      double angle = static_cast<double>(t) * theta[j];
      double tolerance = 1e-5 + 2e-7 * static_cast<double>(t) * std::abs(theta[j]);
      if (std::abs(table.cos[t * rotary + j] - std::cos(angle)) > tolerance ||
          std::abs(table.sin[t * rotary + j] - std::sin(angle)) > tolerance)
        return fail("the RoPE tables are not cos/sin(position × frequency) "
                    "(row " + llvm::Twine(t) + ", column " + llvm::Twine(j) +
                    "); they cannot be extended beyond the " +
                    llvm::Twine(traced) + " traced positions");
    }
  table.cos.resize(rows * rotary);
  table.sin.resize(rows * rotary);
  for (int64_t t = traced; t < rows; ++t)
    for (int64_t j = 0; j < rotary; ++j) {
      double angle = static_cast<double>(t) * theta[j];
      table.cos[t * rotary + j] = static_cast<float>(std::cos(angle));
      table.sin[t * rotary + j] = static_cast<float>(std::sin(angle));
    }
  table.rows = rows;
  return table;
}
