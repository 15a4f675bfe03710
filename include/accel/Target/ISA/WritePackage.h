//===- WritePackage.h - the compiler's .accel package -----------*- C++ -*-===//
//
// Writes what accelc -o model.accel writes (docs/FORMATS.md §5): the code of
// the module's `accelisa.program`, its symbols, the weight image accel-pack
// produced, the hardware config and the metadata JSON (§5.2).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_TARGET_ISA_WRITEPACKAGE_H
#define ACCEL_TARGET_ISA_WRITEPACKAGE_H

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>
#include <vector>

namespace accel::image {
struct ImageParts;
} // namespace accel::image

namespace accel::accelisa {

class ProgramOp;

struct PackageOptions {
  /// The weight image (accel-pack's output). Required when the module has
  /// `accel.weight_image`, whose `bytes` and `crc32` it must match.
  llvm::ArrayRef<uint8_t> weightImage;
  /// Instead of `weightImage`: its parts, its regions in a file (accelc's
  /// WeightPacker), copied into the package by writePackage (buildPackage
  /// refuses them). Its header's size and checksum must match
  /// `accel.weight_image`.
  const image::ImageParts *weightImageParts = nullptr;
  /// The hardware config compiled for, as JSON text (empty: none), and the
  /// file it came from (for errors). The program must fit the config's
  /// instruction memory (control.imem_uram).
  llvm::StringRef configJSON, configPath;
  /// Other sections, embedded when not empty. Without `params`, the
  /// program's `accel.params` (an i8 elements attribute the lowering
  /// writes) is the params section.
  llvm::ArrayRef<uint8_t> params, tokenizer;
};

/// The metadata object of §5.2 for `module` and its `program` (without
/// `format` and `entries`, which the package writer adds): `program` (its
/// name), `model` (shapes and compression settings read from the module's
/// accel ops, overridden by the module's `accel.model` dictionary), `io`,
/// `hbm`, `placement` and `params` (the module's `accel.*` dictionaries of
/// those names), every other fact the lowering put on the program as
/// `accel.<key>` (e.g. `layout`), `weights` (from `accel.weight_image`) and
/// `config` (the config's name).
llvm::json::Object packageMetadata(mlir::ModuleOp module, ProgramOp program,
                                   llvm::StringRef configName);

/// The package's bytes; errors are emitted on the module (or the offending
/// op) and give failure.
mlir::FailureOr<std::vector<uint8_t>>
buildPackage(mlir::ModuleOp module, const PackageOptions &options);

/// The package buildPackage makes, written to `path` atomically (nothing is
/// left behind on error), its sections streamed (package::write).
mlir::LogicalResult writePackage(mlir::ModuleOp module, llvm::StringRef path,
                                 const PackageOptions &options);

} // namespace accel::accelisa

#endif // ACCEL_TARGET_ISA_WRITEPACKAGE_H
