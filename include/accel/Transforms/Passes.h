//===- Passes.h - passes over the accel dialect -----------------*- C++ -*-===//

#ifndef ACCEL_TRANSFORMS_PASSES_H
#define ACCEL_TRANSFORMS_PASSES_H

#include "accel/Dialect/Accel/AccelDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace accel {

#define GEN_PASS_DECL
#include "Accel/AccelPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "Accel/AccelPasses.h.inc"

} // namespace accel

#endif // ACCEL_TRANSFORMS_PASSES_H
