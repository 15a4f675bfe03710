//===- InitAccel.cpp - register accel's dialects and passes ---------------===//

#include "accel/InitAccel.h"

#include "accel/Dialect/Accel/AccelDialect.h"
#include "accel/Dialect/AccelISA/AccelISADialect.h"
#include "accel/Dialect/ONNX/ONNXDialect.h"
#include "accel/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void accel::registerAccelDialects(mlir::DialectRegistry &registry) {
  registry.insert<accel::AccelDialect, accel::accelisa::AccelISADialect,
                  accel::onnxir::ONNXDialect,
                  mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::math::MathDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect>();
}

void accel::registerAccelPasses() {
  static bool registered = [] {
    accel::registerAccelTransformsPasses();
    // Upstream passes that accel pipelines use: canonicalize, cse, ...
    mlir::registerTransformsPasses();
    return true;
  }();
  (void)registered;
}
