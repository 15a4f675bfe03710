//===- AccelDialect.h - the accel dialect -----------------------*- C++ -*-===//

#ifndef ACCEL_DIALECT_ACCEL_ACCELDIALECT_H
#define ACCEL_DIALECT_ACCEL_ACCELDIALECT_H

#include "mlir/IR/Dialect.h"

#include "Accel/AccelDialect.h.inc"

#endif // ACCEL_DIALECT_ACCEL_ACCELDIALECT_H
