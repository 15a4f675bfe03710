//===- accel-opt.cpp - the accel optimizer driver -------------------------===//
//
// mlir-opt for accel: parses IR in the accel dialect and the upstream
// dialects it uses, runs passes or pipelines, prints the result. `-o FILE`
// is written to a temporary file next to FILE and renamed into place when
// the run succeeds: a failed run leaves an existing FILE as it was and no
// temporary file behind (MLIR's own driver truncates FILE first).
//
//===----------------------------------------------------------------------===//

#include "accel/InitAccel.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  accel::registerAccelDialects(registry);
  accel::registerAccelPasses();
  auto [inputPath, outputPath] = mlir::registerAndParseCLIOptions(
      argc, argv, "accel optimizer driver\n", registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();
  // The dialect listing writes no output file.
  if (config.shouldShowDialects())
    return mlir::asMainReturnCode(
        mlir::MlirOptMain(argc, argv, inputPath, outputPath, registry));

  llvm::InitLLVM init(argc, argv);
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      mlir::openInputFile(inputPath, &error);
  if (!input) {
    llvm::errs() << "accel-opt: " << error << "\n";
    return 1;
  }
  // Unset when no temporary file could be made. When MlirOptMain fails it
  // has reported why: that error needs no message of its own.
  std::optional<bool> optimized;
  llvm::Error written =
      llvm::writeToOutput(outputPath, [&](llvm::raw_ostream &os) {
        optimized = mlir::succeeded(
            mlir::MlirOptMain(os, std::move(input), registry, config));
        return *optimized ? llvm::Error::success()
                         : llvm::createStringError(
                               llvm::inconvertibleErrorCode(), "failed");
      });
  if (optimized && !*optimized) {
    llvm::consumeError(std::move(written));
    return 1;
  }
  if (written) {
    llvm::errs() << "accel-opt: cannot write '" << outputPath
                 << "': " << llvm::toString(std::move(written)) << "\n";
    return 1;
  }
  return 0;
}
