//===- AccelAttrs.h - compression settings ----------------------*- C++ -*-===//

#ifndef ACCEL_DIALECT_ACCEL_ACCELATTRS_H
#define ACCEL_DIALECT_ACCEL_ACCELATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "Accel/AccelEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Accel/AccelAttrs.h.inc"

#endif // ACCEL_DIALECT_ACCEL_ACCELATTRS_H
