//===- RopeTable.cpp - reading and extending RoPE tables ------------------===//

#include "RopeTable.h"

#include "accel/Reference/Executor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/Twine.h"

#include <cmath>
#include <optional>

using namespace accel;
using namespace accel::compression;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The values of a constant f32 or f16 table, [T, R] or [1, T, R].
llvm::Expected<std::vector<float>> readTable(mlir::Value table,
                                             llvm::StringRef name,
                                             int64_t &rows, int64_t &rotary) {
  auto type = llvm::cast<mlir::RankedTensorType>(table.getType());
  if (!type.getElementType().isF32() && !type.getElementType().isF16())
    return fail("the RoPE " + name +
                " table is neither f32 nor f16; it cannot be extended");
  if (type.getRank() == 3 && type.getDimSize(0) != 1)
    return fail("the RoPE " + name +
                " table differs per batch element; it cannot be extended "
                "to new positions");
  auto constant = table.getDefiningOp<mlir::arith::ConstantOp>();
  if (!constant)
    return fail("the RoPE " + name +
                " table is computed at run time; accel-lambda-attention "
                "needs it folded to a constant (run accel-raise-onnx)");
  rows = type.getDimSize(type.getRank() - 2);
  rotary = type.getDimSize(type.getRank() - 1);
  return reference::floatsFromAttribute(constant.getValue());
}

/// The first traced (row, column) that is not cos/sin(t × θ_j) within
/// `tolerance(t, j)`, if any.
template <typename Tolerance>
std::optional<std::pair<int64_t, int64_t>>
mismatch(const RopeTable &table, int64_t traced, llvm::ArrayRef<double> theta,
         Tolerance tolerance) {
  int64_t rotary = table.rotary;
  for (int64_t t = 1; t < traced; ++t)
    for (int64_t j = 0; j < rotary; ++j) {
      double angle = static_cast<double>(t) * theta[j];
      double limit = tolerance(t, j);
      if (std::abs(table.cos[t * rotary + j] - std::cos(angle)) > limit ||
          std::abs(table.sin[t * rotary + j] - std::sin(angle)) > limit)
        return std::make_pair(t, j);
    }
  return std::nullopt;
}

/// The frequencies of f16 tables. Their row 1 gives θ_j only to ~5e-4, which
/// a position in the thousands multiplies into a wrong angle, so the
/// frequencies are taken to be LLaMA's `base^(-2i/R)` (column j's i is
/// `j mod R/2` for rotate-half tables, `j / 2` for interleaved ones): the
/// base is estimated from every column (each angle unwrapped at the last
/// traced row), and the roundest integer base within 1% whose f16-rounded
/// tables match every traced row is taken.
llvm::Expected<std::vector<double>> f16Frequencies(const RopeTable &table,
                                                   int64_t traced) {
  int64_t rotary = table.rotary, last = traced - 1;
  // f16 rounding of the table (half an ulp below 1) plus the exporter's f32
  // angle, which grows with t.
  auto tolerance = [](int64_t t, int64_t) {
    return 0x1p-11 + 1e-6 * static_cast<double>(t);
  };
  std::vector<double> estimate(rotary);
  for (int64_t j = 0; j < rotary; ++j) {
    double first = std::atan2(static_cast<double>(table.sin[rotary + j]),
                              static_cast<double>(table.cos[rotary + j]));
    double atLast =
        std::atan2(static_cast<double>(table.sin[last * rotary + j]),
                   static_cast<double>(table.cos[last * rotary + j]));
    double turns = std::round((static_cast<double>(last) * first - atLast) /
                              (2.0 * M_PI));
    estimate[j] = (atLast + 2.0 * M_PI * turns) / static_cast<double>(last);
  }
  for (bool interleaved : {false, true}) {
    auto index = [&](int64_t j) {
      return interleaved ? j / 2 : j % (rotary / 2);
    };
    // ln(base) = −R ln(θ_j) / 2i, weighted by how well column j knows it.
    double sum = 0, weights = 0;
    for (int64_t j = 0; j < rotary; ++j) {
      int64_t i = index(j);
      if (i == 0 || estimate[j] <= 0)
        continue;
      double weight = std::pow(estimate[j] * 2.0 * i / rotary, 2);
      sum += weight * (-static_cast<double>(rotary) * std::log(estimate[j]) /
                       (2.0 * i));
      weights += weight;
    }
    if (weights == 0)
      continue;
    double base = std::exp(sum / weights);
    auto frequencies = [&](double candidate) {
      std::vector<double> theta(rotary);
      for (int64_t j = 0; j < rotary; ++j)
        theta[j] = std::pow(candidate, -2.0 * index(j) / rotary);
      return theta;
    };
    // Roundest first: multiples of 10^k from the largest k down.
    double low = std::ceil(base * 0.99), high = std::floor(base * 1.01);
    for (double step = std::pow(10.0, std::floor(std::log10(high)));
         step >= 1; step /= 10)
      for (double candidate = std::ceil(low / step) * step; candidate <= high;
           candidate += step) {
        std::vector<double> theta = frequencies(candidate);
        if (!mismatch(table, traced, theta, tolerance))
          return theta;
      }
  }
  return fail("the f16 RoPE tables are not cos/sin(position × base^(-2i/R)) "
              "for an integer base; f16 tables are too coarse to recover "
              "other frequencies, so they cannot be extended beyond the " +
              llvm::Twine(traced) + " traced positions (export them as f32)");
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
  bool f16 = llvm::cast<mlir::RankedTensorType>(cos.getType())
                 .getElementType()
                 .isF16();
  float identity = f16 ? 0x1p-11f : 1e-6f;
  std::vector<double> theta(rotary);
  for (int64_t j = 0; j < rotary; ++j) {
    if (std::abs(table.cos[j] - 1.0f) > identity ||
        std::abs(table.sin[j]) > identity)
      return fail("the RoPE tables do not start at position 0 (row 0, "
                  "column " + llvm::Twine(j) + " is not cos 1, sin 0)");
    theta[j] = std::atan2(static_cast<double>(table.sin[rotary + j]),
                          static_cast<double>(table.cos[rotary + j]));
  }
  if (f16) {
    llvm::Expected<std::vector<double>> frequencies =
        f16Frequencies(table, traced);
    if (!frequencies)
      return frequencies.takeError();
    theta = std::move(*frequencies);
  } else if (auto at = mismatch(table, traced, theta, [&](int64_t t,
                                                          int64_t j) {
               // The fp32 rounding of the exporter's t × θ_j grows with t.
               return 1e-5 + 2e-7 * static_cast<double>(t) * std::abs(theta[j]);
             })) {
    return fail("the RoPE tables are not cos/sin(position × frequency) "
                "(row " + llvm::Twine(at->first) + ", column " +
                llvm::Twine(at->second) + "); they cannot be extended beyond "
                "the " + llvm::Twine(traced) + " traced positions");
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
