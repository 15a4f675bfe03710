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

/// HBM placement and the lowering for the hardware config at `configPath`
/// with a prefill step of `prefillTile` rows, then the dependency tokens.
inline std::string lowerPipeline(llvm::StringRef configPath,
                                 int64_t prefillTile) {
  std::string config = "config='" + configPath.str() + "'";
  std::string tile = " prefill-tile=" + std::to_string(prefillTile);
  return "accel-place-hbm{" + config + tile + "},accel-lower-to-isa{" +
         config + tile + "},accel-insert-tokens{" + config + "}";
}

} // namespace accel::accelisa

#endif // ACCEL_TARGET_ISA_PIPELINE_H
