//===- DecodeCodegen.h - the decode step as engine instructions -*- C++ -*-===//
//
// Internal to the accel -> ISA lowering: turns the one-token decode function
// that accel-lambda-attention derives (compressed, its weights packed by
// accel-pack) into engine code for the ABI of docs/ISA.md §7 — entry points
// `decode` (one token) and `prefill` (the prompt, a tile of tokens at a
// time, in matrix-matrix mode) — with the decisions the passes before it
// recorded (Placement.h): accel-fuse's fusions, accel-tile's tiles,
// accel-place-hbm's HBM placement, accel-allocate-buffers' act homes.
// Activations stay on chip; every linear streams its weight tiles from all
// channels through the weight buffer's ring; attention reads the
// Λ cache's sink and window records in ascending position from the ring.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_CONVERSION_ACCELTOISA_DECODECODEGEN_H
#define ACCEL_LIB_CONVERSION_ACCELTOISA_DECODECODEGEN_H

#include "Placement.h"
#include "ProgramBuilder.h"

#include "accel/Conversion/SharePolicy.h"
#include "accel/Hardware/Config.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <memory>

namespace accel::lowering {

/// A forward function's input or output in the io region: fp32 rows of
/// `rowBytes` packed one after the other, or (`ids`) int32 token ids; the
/// `bytes` hold the graph's rows (its `shape`'s leading dimensions).
struct IoTensor {
  std::string name;
  int64_t offset = 0, bytes = 0, rowBytes = 0;
  bool ids = false;
  llvm::SmallVector<int64_t> shape;
};

/// A program and the data layout it expects.
struct LoweredModel {
  std::vector<Emitted> code;
  std::vector<TiledMatrix> matrices;
  std::vector<Segment> segments;
  /// The parameter blob segments copy from. A SmallVector grows by
  /// realloc, which moves a large buffer's pages without copying them (the
  /// embedding table is most of it: a 7B model's is 0.5 GB in f32).
  llvm::SmallVector<uint8_t, 0> params;
  int64_t weightsBytes = 0, kvBytes = 0, actBytes = 0, ioBytes = 0;
  int64_t idsOffset = 0, logitsOffset = 0, tokenOffset = 0; ///< in io
  int64_t vocab = 0, maxTokens = 1;
  int64_t channels = 1; ///< hbm.channels, which tiles rotate over
  /// A forward function's io (empty for a decoder) and the rows a call may
  /// take at most.
  std::vector<IoTensor> inputs, outputs;
  int64_t maxRows = 0;
};

/// Lowers `decode` (accel.entry = "decode") of a module whose linears carry
/// accel-pack's `accel.image`. Errors are emitted at the op they concern.
/// `maxPrompt` sizes the io region's token ids; `prefillTile` is the rows
/// the prefill step takes at a time (accel-tile's accel.prefill_tile);
/// `share` decides which steps call their attention as subroutines.
mlir::FailureOr<LoweredModel> lowerDecode(mlir::func::FuncOp decode,
                                          const hw::Config &config,
                                          int64_t maxPrompt,
                                          int64_t prefillTile,
                                          SharePolicy share);

/// Lowers `forward` (accel.entry = "forward": a graph without attention,
/// every op row-wise over the flattened leading dimensions of its tensors)
/// to the entry point `forward`, which runs the graph's step over the r5
/// input rows a tile of `prefillTile` rows at a time. Errors name the op
/// (or input) the engine cannot run row by row.
mlir::FailureOr<LoweredModel> lowerForward(mlir::func::FuncOp forward,
                                           const hw::Config &config,
                                           int64_t prefillTile);

} // namespace accel::lowering

#endif // ACCEL_LIB_CONVERSION_ACCELTOISA_DECODECODEGEN_H
