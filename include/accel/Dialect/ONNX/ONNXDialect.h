//===- ONNXDialect.h - the onnx import dialect ------------------*- C++ -*-===//

#ifndef ACCEL_DIALECT_ONNX_ONNXDIALECT_H
#define ACCEL_DIALECT_ONNX_ONNXDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ONNX/ONNXDialect.h.inc"

#define GET_OP_CLASSES
#include "ONNX/ONNXOps.h.inc"

#endif // ACCEL_DIALECT_ONNX_ONNXDIALECT_H
