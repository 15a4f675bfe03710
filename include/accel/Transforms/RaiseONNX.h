//===- RaiseONNX.h - what accel-raise-onnx decided --------------*- C++ -*-===//
//
// accel-raise-onnx decides which ONNX nodes become accel ops
// (lib/Transforms/RaiseONNX). A driver that reports what stayed a node asks
// it why, rather than re-deriving its rules.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_TRANSFORMS_RAISEONNX_H
#define ACCEL_TRANSFORMS_RAISEONNX_H

#include "mlir/IR/Operation.h"

#include <string>

namespace accel::raise {

/// Why accel-raise-onnx leaves element-wise ONNX node `node` (Add, Sub, Mul,
/// Div of the default domain, two inputs, a float result of static shape)
/// unraised: which operand it cannot take as an operand of the result's
/// type (a computed one that broadcasts, a constant that does not broadcast
/// to the result, one of another element type), the operand named by its
/// ONNX name, its op's location name, or else its kind or input number.
/// Empty if `node` is not such a node or the raise takes both operands.
std::string elementwiseUnraisedReason(mlir::Operation *node);

} // namespace accel::raise

#endif // ACCEL_TRANSFORMS_RAISEONNX_H
