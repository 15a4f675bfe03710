//===- InitAccel.h - register accel's dialects and passes -------*- C++ -*-===//
//
// One place that knows every dialect the compiler uses and every pass it
// defines, shared by accel-opt, accelc and the Python module.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_INITACCEL_H
#define ACCEL_INITACCEL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace accel {

/// Adds accel's dialects and the upstream dialects it works with.
void registerAccelDialects(mlir::DialectRegistry &registry);

/// Registers accel's passes and the upstream passes its pipelines use, so
/// that `--pass-pipeline=` and `-<pass-name>` find them. Idempotent.
void registerAccelPasses();

} // namespace accel

#endif // ACCEL_INITACCEL_H
