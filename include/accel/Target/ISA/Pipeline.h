//===- Pipeline.h - the pass pipeline from accel IR to accelisa -*- C++ -*-===//
//
// What accelc runs, after compression and accel-pack, to turn the module's
// `accel` functions into an `accelisa.program` (--emit=isa, --emit=asm,
// --emit=package): a textual pass pipeline over the module.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_TARGET_ISA_PIPELINE_H
#define ACCEL_TARGET_ISA_PIPELINE_H

#define ACCEL_LOWER_PIPELINE "accel-lower-to-isa,accel-insert-tokens"

#endif // ACCEL_TARGET_ISA_PIPELINE_H
