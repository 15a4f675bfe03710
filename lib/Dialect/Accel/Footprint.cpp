//===- Footprint.cpp - storage cost of compressed tensors -----------------===//

#include "accel/Dialect/Accel/Footprint.h"

#include "llvm/Support/MathExtras.h"

using namespace accel;

unsigned accel::sparsePatternBits(unsigned n, unsigned m) {
  // C(m, n) for m <= 64 fits in 64 bits when built up this way.
  uint64_t patterns = 1;
  for (unsigned i = 1; i <= n; ++i)
    patterns = patterns * (m - n + i) / i;
  return llvm::Log2_64_Ceil(patterns);
}

std::optional<MatrixFootprint>
accel::matrixFootprint(int64_t rows, int64_t cols,
                       const StorageScheme &scheme) {
  if (rows < 0 || cols < 0)
    return std::nullopt;
  bool sparse = scheme.sparseM != 0 && scheme.sparseN < scheme.sparseM;
  if (sparse && (scheme.sparseN == 0 || cols % scheme.sparseM != 0))
    return std::nullopt;
  uint64_t elements = uint64_t(rows) * uint64_t(cols);
  uint64_t kept =
      sparse ? elements / scheme.sparseM * scheme.sparseN : elements;

  MatrixFootprint fp;
  if (scheme.bits == 0) {
    fp.valueBits = kept * scheme.floatBits;
  } else {
    int64_t group = scheme.groupSize == 0 ? cols : scheme.groupSize;
    if (group <= 0 || (cols != 0 && cols % group != 0))
      return std::nullopt;
    uint64_t groups = cols == 0 ? 0 : uint64_t(rows) * uint64_t(cols / group);
    fp.valueBits = kept * scheme.bits;
    fp.scaleBits = groups * scheme.scaleBits;
    if (!scheme.symmetric)
      fp.zeroPointBits = groups * scheme.zeroPointBits;
  }
  if (sparse)
    fp.indexBits = elements / scheme.sparseM *
                   sparsePatternBits(scheme.sparseN, scheme.sparseM);
  return fp;
}
