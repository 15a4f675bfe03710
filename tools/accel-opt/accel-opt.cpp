//===- accel-opt.cpp - the accel optimizer driver -------------------------===//
//
// mlir-opt for accel: parses IR in the accel dialect and the upstream
// dialects it uses, runs passes or pipelines, prints the result.
//
//===----------------------------------------------------------------------===//

#include "accel/InitAccel.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  accel::registerAccelDialects(registry);
  accel::registerAccelPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "accel optimizer driver\n", registry));
}
