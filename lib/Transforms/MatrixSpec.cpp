//===- MatrixSpec.cpp - a weight matrix's image format --------------------===//
//
// MatrixSpec (WeightImage.h): what it stores, its checks against
// docs/FORMATS.md, and its comparison and hash (accel-pack's dedupe key).
//
//===----------------------------------------------------------------------===//

#include "accel/Transforms/WeightImage.h"

#include <tuple>

using namespace accel;
using namespace accel::image;

bool image::isInteger(ValueFormat format) {
  return format == ValueFormat::IntAsymmetric ||
         format == ValueFormat::IntSymmetric;
}

int64_t MatrixSpec::keptPerRow() const {
  return sparse() ? cols / sparseM * sparseN : cols;
}

unsigned MatrixSpec::codeBits() const {
  return sparse() ? sparsePatternBits(sparseN, sparseM) : 0;
}

StorageScheme MatrixSpec::storageScheme() const {
  StorageScheme scheme;
  if (isInteger(format)) {
    scheme.bits = bits;
    scheme.groupSize = group;
    scheme.symmetric = format == ValueFormat::IntSymmetric;
    scheme.scaleBits = 16;
    scheme.zeroPointBits = bits;
  } else {
    scheme.floatBits = bits;
  }
  if (sparse()) {
    scheme.sparseN = sparseN;
    scheme.sparseM = sparseM;
  }
  return scheme;
}

/// A spec's fields, in one tuple: compared and hashed alike.
static auto fields(const MatrixSpec &spec) {
  return std::make_tuple(spec.rows, spec.cols, spec.format, spec.bits,
                         spec.group, spec.sparseN, spec.sparseM,
                         spec.rowsPerTile);
}

bool MatrixSpec::operator==(const MatrixSpec &other) const {
  return fields(*this) == fields(other);
}

llvm::hash_code image::hash_value(const MatrixSpec &spec) {
  return llvm::hash_value(fields(spec));
}

std::string image::validate(const MatrixSpec &spec) {
  std::string s;
  if (spec.rows < 1 || spec.cols < 1)
    return "the matrix must have at least one row and one column, got " +
           std::to_string(spec.rows) + "x" + std::to_string(spec.cols);
  if (spec.rowsPerTile < 1)
    return "rows per tile must be >= 1, got " +
           std::to_string(spec.rowsPerTile);
  switch (spec.format) {
  case ValueFormat::IntAsymmetric:
  case ValueFormat::IntSymmetric:
    if (spec.bits != 2 && spec.bits != 3 && spec.bits != 4 && spec.bits != 8)
      return "integer weights must be 2, 3, 4 or 8 bits, got " +
             std::to_string(spec.bits);
    if (spec.group < 1 || spec.cols % spec.group != 0)
      return "quantization group " + std::to_string(spec.group) +
             " does not divide K = " + std::to_string(spec.cols);
    break;
  case ValueFormat::F32:
    if (spec.bits != 32)
      return "f32 weights are 32 bits, got " + std::to_string(spec.bits);
    break;
  case ValueFormat::F16:
  case ValueFormat::BF16:
    if (spec.bits != 16)
      return "16-bit float weights are 16 bits, got " +
             std::to_string(spec.bits);
    break;
  default:
    return "unknown value format " + std::to_string(unsigned(spec.format));
  }
  if (spec.sparseM != 0 || spec.sparseN != 0) {
    if (spec.sparseM != 4 && spec.sparseM != 8 && spec.sparseM != 16)
      return "N:M sparsity needs M in {4, 8, 16}, got " +
             std::to_string(spec.sparseM);
    if (spec.sparseN < 1 || spec.sparseN > spec.sparseM)
      return "N:M sparsity needs 1 <= N <= M, got " +
             std::to_string(spec.sparseN) + ":" + std::to_string(spec.sparseM);
    if (spec.cols % spec.sparseM != 0)
      return "M = " + std::to_string(spec.sparseM) +
             " does not divide K = " + std::to_string(spec.cols);
  }
  return s;
}
