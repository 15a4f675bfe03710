//===- Pack.h - accel-pack's packing, a batch of linears at a time -*- C++ -*-===//
//
// accelc compresses a model a batch of linears at a time (lib/Target/ISA/
// Compile.cpp). WeightPacker packs each batch's quantized weights as soon as
// they are final, into regions of a temporary file, and releases their
// blobs, so that a model's quantized weights are never all in memory (a 7B
// model at 8 bits holds 6.5 GB of them). finish() then lays the image out
// over the module's linears exactly as accel-pack does (the same bytes and
// IR attributes) without writing it: its regions stay in the file, and the
// package copies them into place.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_TRANSFORMS_PACK_H
#define ACCEL_TRANSFORMS_PACK_H

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Transforms/WeightImage.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace accel {

/// What a linear's region of the image is made of: its weight, scales and
/// zero points (constant attributes; null when absent), whether the weight
/// is stored transposed, and its layout. Linears with equal keys share one
/// region (the decode step accel-lambda-attention derives repeats the
/// prefill's layers), in accel-pack's image and WeightPacker's alike.
struct PackedWeight {
  mlir::Attribute weight, scales, zeroPoints;
  bool transposed = false;
  image::MatrixSpec spec;

  /// `op`'s key, its weight laid out as `spec`.
  static PackedWeight of(LinearOp op, const image::MatrixSpec &spec);
  bool operator==(const PackedWeight &other) const;
};

class WeightPacker {
public:
  /// Tiles of `rowsPerTile` output rows, as accel-pack's option of that
  /// name; the file of regions is created beside `output` (the package: one
  /// file system, so that the kernel copies the regions into it).
  WeightPacker(int64_t rowsPerTile, llvm::StringRef output)
      : rowsPerTile(rowsPerTile), output(output.str()) {}
  WeightPacker(const WeightPacker &) = delete;
  WeightPacker &operator=(const WeightPacker &) = delete;
  /// Removes the file of regions.
  ~WeightPacker();

  /// Packs every quantized linear of `module` not packed yet, then releases
  /// the blobs of its weight, scales and zero points when only linears use
  /// them (every linear is in the image): errors are emitted on the op.
  mlir::LogicalResult packQuantized(mlir::ModuleOp module);

  /// Lays out the image of the module's linears as accel-pack does, packing
  /// those not packed yet (their blobs are kept), and records it in the IR
  /// (accel.image, accel.weight_image): the image's parts.
  mlir::FailureOr<image::ImageParts> finish(mlir::ModuleOp module);

private:
  /// Packs `ops` (laid out as `specs`) into new regions at the file's end.
  mlir::LogicalResult packAll(llvm::ArrayRef<LinearOp> ops,
                              llvm::ArrayRef<image::MatrixSpec> specs);

  struct Region {
    uint64_t offset = 0, bytes = 0; ///< in the file; `bytes` kAlign-padded
    uint32_t crc32 = 0;
  };

  int64_t rowsPerTile;
  std::string output, path;
  int fd = -1;
  std::optional<llvm::raw_fd_ostream> file; ///< writes `fd`
  uint64_t size = 0;
  std::vector<Region> regions;
  /// The region packed of each key.
  llvm::DenseMap<PackedWeight, size_t> packed;
};

} // namespace accel

namespace llvm {
template <> struct DenseMapInfo<accel::PackedWeight> {
  static accel::PackedWeight getEmptyKey() {
    return {DenseMapInfo<mlir::Attribute>::getEmptyKey()};
  }
  static accel::PackedWeight getTombstoneKey() {
    return {DenseMapInfo<mlir::Attribute>::getTombstoneKey()};
  }
  static unsigned getHashValue(const accel::PackedWeight &key);
  static bool isEqual(const accel::PackedWeight &a,
                      const accel::PackedWeight &b) {
    return a == b;
  }
};
} // namespace llvm

#endif // ACCEL_TRANSFORMS_PACK_H
