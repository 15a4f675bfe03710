//===- Pipeline.h - the pass pipeline from accel IR to accelisa -*- C++ -*-===//
//
// What accelc runs, after compression and accel-pack, to turn the module's
// `accel` functions into an `accelisa.program` (--emit=isa, --emit=asm,
// --emit=package): a textual pass pipeline over the module.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_TARGET_ISA_PIPELINE_H
#define ACCEL_TARGET_ISA_PIPELINE_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace accel::accelisa {

/// The lowering's decisions, each a pass that records it in the IR (the
/// fusions, the tiles for the hardware config at `configPath` with a
/// prefill step of `prefillTile` rows, the HBM placement, the act-buffer
/// homes), then the lowering that reads them (its attention shared as
/// `shareAttention` says) and the dependency tokens.
inline std::string lowerPipeline(llvm::StringRef configPath,
                                 int64_t prefillTile,
                                 llvm::StringRef shareAttention = "auto") {
  std::string config = "config='" + configPath.str() + "'";
  return "accel-fuse,accel-tile{" + config +
         " prefill-tile=" + std::to_string(prefillTile) +
         "},accel-place-hbm{" + config + "},accel-allocate-buffers{" +
         config + "},accel-lower-to-isa{" + config +
         " share-attention=" + shareAttention.str() +
         "},accel-insert-tokens{" + config + "}";
}

} // namespace accel::accelisa

#endif // ACCEL_TARGET_ISA_PIPELINE_H
