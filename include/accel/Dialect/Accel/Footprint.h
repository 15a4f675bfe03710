//===- Footprint.h - storage cost of compressed tensors ---------*- C++ -*-===//
//
// The footprint model: how many bits a weight matrix or a KV-cache entry
// occupies once quantized and N:M-compressed. It is the model documented in
// docs/ARCHITECTURE.md ("Footprint model"); the packing pass lays tensors out
// to match it.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_DIALECT_ACCEL_FOOTPRINT_H
#define ACCEL_DIALECT_ACCEL_FOOTPRINT_H

#include <cstdint>
#include <optional>

namespace accel {

/// The settings that decide a tensor's storage. `bits == 0` means the
/// tensor stays in floating point at `floatBits` per element.
struct StorageScheme {
  unsigned floatBits = 32;
  unsigned bits = 0;
  int64_t groupSize = 0; ///< 0: one scale per row.
  bool symmetric = false;
  unsigned scaleBits = 16;
  unsigned zeroPointBits = 8;
  unsigned sparseN = 0, sparseM = 0; ///< 0/0: dense.
};

/// The bits of a `rows x cols` matrix, quantized and compressed along cols.
struct MatrixFootprint {
  uint64_t valueBits = 0;    ///< the kept values
  uint64_t indexBits = 0;    ///< N:M pattern metadata, one code per group
  uint64_t scaleBits = 0;    ///< scales
  uint64_t zeroPointBits = 0;///< zero points
  uint64_t totalBits() const {
    return valueBits + indexBits + scaleBits + zeroPointBits;
  }
  uint64_t totalBytes() const { return (totalBits() + 7) / 8; }
};

/// Bits that name which `n` of `m` positions an N:M group keeps: the
/// pattern's index among the C(m, n) possible ones, ceil(log2 C(m, n)) bits
/// (3 for 2:4, where one index per kept value would take 4). 0 when n == m.
unsigned sparsePatternBits(unsigned n, unsigned m);

/// The footprint of a `rows x cols` matrix stored under `scheme`; nullopt if
/// the scheme does not fit the shape (a group or M not dividing `cols`).
std::optional<MatrixFootprint> matrixFootprint(int64_t rows, int64_t cols,
                                               const StorageScheme &scheme);

} // namespace accel

#endif // ACCEL_DIALECT_ACCEL_FOOTPRINT_H
