//===- AccelOps.h - accel dialect operations --------------------*- C++ -*-===//

#ifndef ACCEL_DIALECT_ACCEL_ACCELOPS_H
#define ACCEL_DIALECT_ACCEL_ACCELOPS_H

#include "accel/Dialect/Accel/AccelAttrs.h"
#include "accel/Dialect/Accel/AccelDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "Accel/AccelOps.h.inc"

#endif // ACCEL_DIALECT_ACCEL_ACCELOPS_H
