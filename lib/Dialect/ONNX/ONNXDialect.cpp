//===- ONNXDialect.cpp - the onnx import dialect --------------------------===//

#include "accel/Dialect/ONNX/ONNXDialect.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace accel::onnxir;

#include "ONNX/ONNXDialect.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ONNX/ONNXOps.cpp.inc"
      >();
}

LogicalResult NodeOp::verify() {
  if (getOpType().empty())
    return emitOpError("needs a non-empty op_type");
  return success();
}

int64_t NodeOp::getIntAttr(StringRef name, int64_t fallback) {
  if (auto attr = dyn_cast_or_null<IntegerAttr>(getOnnxAttr(name)))
    return attr.getInt();
  return fallback;
}

float NodeOp::getFloatAttr(StringRef name, float fallback) {
  if (auto attr = dyn_cast_or_null<FloatAttr>(getOnnxAttr(name)))
    return static_cast<float>(attr.getValueAsDouble());
  return fallback;
}

bool NodeOp::hasInput(unsigned i) {
  return i < getInputs().size() && !isa<NoneType>(getInputs()[i].getType());
}

#define GET_OP_CLASSES
#include "ONNX/ONNXOps.cpp.inc"
