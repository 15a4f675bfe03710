//===- accel-onnx-fuzzer.cpp - libFuzzer target: the ONNX importer --------===//
//
// Bytes -> accel::importONNXBuffer (what accelc does with a .onnx file:
// protobuf parsing, the checker, shape inference, the IR builder), then the
// accel-raise-onnx pass on what imports. External data resolves against an
// empty directory, so a model naming any is rejected as missing data.
//
//===----------------------------------------------------------------------===//

#include "accel/Frontend/ONNXImport.h"
#include "accel/InitAccel.h"
#include "accel/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

namespace {

const std::string &emptyDir() {
  static const std::string dir = [] {
    llvm::SmallString<128> path;
    if (llvm::sys::fs::createUniqueDirectory("accel-onnx-fuzzer", path)) {
      llvm::errs() << "cannot create a temporary directory\n";
      abort();
    }
    return std::string(path);
  }();
  return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DialectRegistry registry;
  accel::registerAccelDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module =
      accel::importONNXBuffer(context, bytes, "<fuzz>", emptyDir());
  if (!module)
    return 0;
  PassManager pm(&context);
  pm.addNestedPass<func::FuncOp>(accel::createRaiseONNX());
  (void)pm.run(*module);
  return 0;
}
