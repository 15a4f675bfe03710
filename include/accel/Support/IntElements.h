//===- IntElements.h - the values of integer constants ---------*- C++ -*-===//
//
// A dense_resource blob of an integer type narrower than a byte (the
// quantized weights, `tensor<…xi2>`) holds its elements packed: element i
// in bits [i*B, (i+1)*B) of the blob, bit j being bit (j mod 8) of byte
// j / 8, as the weight image packs its fields (docs/FORMATS.md). A blob of
// one byte per element (DenseElementsAttr's raw layout, which dense<>
// attributes keep) is read as well. Every reader of integer constants that
// may be such blobs (the golden executor, accel-pack) goes through
// IntElements; writers use packIntElements or packIntFields, except the GPTQ
// path's Quantized::set (lib/Transforms/Quantize.cpp), which sets one
// element at a time. packIntFields and unpackIntFields work on the bytes
// alone (LLVM only): the weight image's packer reads the blobs' bits with
// unpackIntFields.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_SUPPORT_INTELEMENTS_H
#define ACCEL_SUPPORT_INTELEMENTS_H

#include "mlir/IR/Attributes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace accel {

/// The bytes of a dense_resource blob of `count` integers of `bits` bits:
/// packed when `bits` < 8, else a whole number of bytes per element.
uint64_t intBlobBytes(uint64_t count, unsigned bits);

/// Writes `count` integers into `blob` (intBlobBytes(count, bits) bytes):
/// element i is the low `bits` bits of `bitsOf(i)`, packed when `bits` < 8,
/// else little-endian in whole bytes. Chunks are filled from several
/// threads, so `bitsOf` must be safe to call concurrently.
void packIntElements(uint64_t count, unsigned bits,
                     llvm::function_ref<uint64_t(uint64_t)> bitsOf,
                     llvm::MutableArrayRef<uint8_t> blob);

/// Packs the `count` values of `values` (each below 2^bits, bits <= 8)
/// LSB-first into `out` from bit 0, the layout above; the bits of the last
/// byte beyond the values are cleared.
void packIntFields(const uint8_t *values, uint64_t count, unsigned bits,
                   uint8_t *out);

/// The field of `bits` bits (bits <= 8) at element `i` of `bytes`, packed
/// as above, zero-extended.
inline uint64_t intFieldAt(const uint8_t *bytes, unsigned bits, uint64_t i) {
  uint64_t bit = i * bits;
  // The two bytes a field can span.
  uint64_t pair = bytes[bit / 8];
  if (bit % 8 + bits > 8)
    pair |= uint64_t(bytes[bit / 8 + 1]) << 8;
  return (pair >> (bit % 8)) & ((uint64_t(1) << bits) - 1);
}

/// Fields [first, first + out.size()) of `bits` bits each (bits <= 8)
/// packed in `bytes` as above, zero-extended into `out`; B dividing 8 is
/// read a byte at a time. Defined for uint64_t and int64_t.
template <typename T>
void unpackIntFields(const uint8_t *bytes, unsigned bits, uint64_t first,
                     llvm::MutableArrayRef<T> out);

/// The elements of an integer constant (a DenseElementsAttr, or a
/// DenseResourceElementsAttr whose blob holds them packed or one per byte)
/// as their low B bits, zero-extended.
class IntElements {
public:
  /// The elements of `attr`, or an error saying why they cannot be read
  /// (not an integer tensor, no static shape, no data, a blob of the wrong
  /// size).
  static llvm::Expected<IntElements> get(mlir::Attribute attr);

  uint64_t size() const { return count; }
  unsigned bitWidth() const { return bits; }

  /// The low B bits of element `i`, zero-extended.
  uint64_t operator[](uint64_t i) const {
    if (!data)
      return values[values.size() == 1 ? 0 : i];
    if (packed)
      return intFieldAt(data, bits, i);
    uint64_t v = 0;
    for (unsigned b = 0; b < stride; ++b)
      v |= uint64_t(data[i * stride + b]) << (8 * b);
    return v & mask;
  }

  /// The blob's bytes when element i is its bits [i*B, (i+1)*B) (a packed
  /// blob, or one of a byte per element at B = 8); empty otherwise.
  llvm::ArrayRef<uint8_t> packedBytes() const;

  /// Elements [begin, begin + out.size()) as operator[] gives them; a
  /// packed blob of B dividing 8 is read a byte at a time.
  void read(uint64_t begin, llvm::MutableArrayRef<uint64_t> out) const;

private:
  uint64_t count = 0;
  unsigned bits = 0;
  uint64_t mask = 0;
  /// A blob's bytes (packed, or `stride` bytes per element); null when the
  /// values are in `values` (a dense<> attribute: one, if a splat).
  const uint8_t *data = nullptr;
  bool packed = false;
  unsigned stride = 0;
  std::vector<uint64_t> values;
};

} // namespace accel

#endif // ACCEL_SUPPORT_INTELEMENTS_H
