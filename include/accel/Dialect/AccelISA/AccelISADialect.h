//===- AccelISADialect.h - the accelisa dialect -----------------*- C++ -*-===//

#ifndef ACCEL_DIALECT_ACCELISA_ACCELISADIALECT_H
#define ACCEL_DIALECT_ACCELISA_ACCELISADIALECT_H

#include "mlir/IR/Dialect.h"

#include "AccelISA/AccelISADialect.h.inc"

#endif // ACCEL_DIALECT_ACCELISA_ACCELISADIALECT_H
