//===- Compile.h - from an imported module to a package ---------*- C++ -*-===//
//
// What accelc does to a module after loading it, shared with the C++ API
// (accel.compile in Python): raising, the compression passes, Λ attention,
// the compression report, accel-pack, the lowering to instructions
// (Pipeline.h) and the .accel package (WritePackage.h). Errors are emitted on
// the module's context, with the flag they concern named as accelc spells it.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_TARGET_ISA_COMPILE_H
#define ACCEL_TARGET_ISA_COMPILE_H

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace accel::accelisa {

/// The hardware config compiled for when none is named: configs/u280.json
/// of the source tree.
llvm::StringRef defaultConfigPath();

/// accelc's compilation flags, with their defaults (`accelc --help`).
struct CompileOptions {
  /// --prune: N:M sparsity of linear weights (e.g. "2:4") or "none";
  /// --prune-criterion: "magnitude" or "wanda"; --masks: ONNX keep masks.
  std::string prune = "none", pruneCriterion = "magnitude", masks;
  /// --quant: "w2a8kv4", "w4a8kv4", "w8a8kv8" or "none"; --quant-method:
  /// "rtn" or "calibrated".
  std::string quant = "none", quantMethod = "rtn";
  /// --quant-head: the LM head's precision, "none" (float) or "w8a8",
  /// "w4a8", "w2a8".
  std::string quantHead = "none";
  /// --calibration: token ids, one sequence per line.
  std::string calibration;
  /// --group: weight quantization group size along K (0: per channel).
  int64_t group = 128;
  /// --kv-group: KV cache quantization group size along the head dim (-1:
  /// the head dim, one scale per token and head; 0: per channel).
  int64_t kvGroup = -1;
  /// --lambda: "S,W" (sink tokens, window) or "none"; --decode derives the
  /// decode function without Λ.
  std::string lambda = "none";
  bool decode = false;
  /// --rope-positions: "absolute" or "cache".
  std::string ropePositions = "absolute";
  /// --attention: the attention numerics, "f32" (NUMERICS §6) or "int8"
  /// (§6.5, accel-int8-attention).
  std::string attention = "f32";
  /// --tile, --prefill-tile, --max-context.
  int64_t tile = 64, prefillTile = 16, maxContext = 4096;
  /// --share-attention: whether the steps' layers call their attention as
  /// shared subroutines, "auto" (only when the program would not fit the
  /// instruction memory in line), "always" or "never".
  std::string shareAttention = "auto";
  /// --config (empty: none embedded) and --tokenizer (empty: none).
  std::string configPath = defaultConfigPath().str(), tokenizerPath;
  /// --report ("-": standard output; empty: none) and --report-format.
  std::string report, reportFormat = "text";
  /// --weight-image: a file to write the weight image to (a package holds
  /// it too). Empty: the module is packed only when lowered, and a
  /// package's image goes only into the package.
  std::string weightImage;
  /// Called after each batch of ops is compressed (when set).
  std::function<void(size_t done, size_t total)> progress;
  /// How errors about the options name the one of accelc flag `flag` (e.g.
  /// "kv-group"): "--kv-group" when not set; Python's accel.compile names
  /// its keyword argument (kv_group).
  std::function<std::string(llvm::StringRef flag)> optionName;
};

/// Raises `module`, compresses it, applies Λ attention, writes the report
/// and packs the weights as `options` say; with `lower`, then lowers it to an
/// accelisa.program (unless it holds one already) and appends the code
/// footprint to the report. On failure, the report and weight image files
/// it created are removed.
mlir::LogicalResult compileModule(mlir::ModuleOp module,
                                  const CompileOptions &options, bool lower);

/// compileModule with lowering, then the package at `path` (a file, not
/// "-"): the program, the weight image (also at `options.weightImage` when
/// set), the config and the tokenizer. Each batch of quantized weights is
/// packed as soon as it is compressed (accel::WeightPacker, into a file
/// beside `path` until the package is written) and its blobs released:
/// afterwards the module holds the program and the weights' types only.
mlir::LogicalResult compileToPackage(mlir::ModuleOp module,
                                     llvm::StringRef path,
                                     const CompileOptions &options);

} // namespace accel::accelisa

#endif // ACCEL_TARGET_ISA_COMPILE_H
