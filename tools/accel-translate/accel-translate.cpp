//===- accel-translate.cpp - accelisa to and from assembly, code, packages ===//
//
// mlir-translate with accel's translations (lib/Target/ISA):
//
//   accel-translate --accelisa-to-asm prog.mlir
//   accel-translate --asm-to-accelisa prog.s
//   accel-translate --accelisa-to-package prog.mlir -o prog.accel
//   accel-translate --package-to-accelisa prog.accel
//
//===----------------------------------------------------------------------===//

#include "accel/Target/ISA/Translate.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  accel::accelisa::registerTranslations();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "accel translation driver\n"));
}
