//===- accel-translate.cpp - accelisa to and from assembly, code, packages ===//
//
// mlir-translate with accel's translations (lib/Target/ISA):
//
//   accel-translate --accelisa-to-asm prog.mlir
//   accel-translate --asm-to-accelisa prog.s
//   accel-translate --accelisa-to-package prog.mlir -o prog.accel
//   accel-translate --package-to-accelisa prog.accel
//
// MLIR's mlirTranslateMain opens (and truncates) its output before it
// translates, so this driver runs the requested translation itself and
// writes `-o FILE` through llvm::writeToOutput: a temporary file next to FILE,
// renamed into place when the translation succeeds. A failed run leaves FILE
// as it was. --split-input-file and --verify-diagnostics work as in
// mlir-translate.
//
//===----------------------------------------------------------------------===//

#include "accel/Target/ISA/Translate.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/ToolUtilities.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<input file>"),
                               cl::init("-"));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-': stdout)"),
                                cl::value_desc("file"), cl::init("-"));
cl::opt<bool> splitInputFile(
    "split-input-file",
    cl::desc("Translate each chunk of the input (split at '// -----') "
             "independently"),
    cl::init(false));
cl::opt<bool> verifyDiagnostics(
    "verify-diagnostics",
    cl::desc("Check that the diagnostics match the input's expected-* lines"),
    cl::init(false));

/// Runs `translation` on one chunk of the input, writing to `os`.
LogicalResult translateChunk(const Translation &translation,
                             std::unique_ptr<llvm::MemoryBuffer> chunk,
                             llvm::raw_ostream &os) {
  // The parsers expect a NUL-terminated buffer; a split chunk is not.
  if (!chunk->getBuffer().ends_with('\0'))
    chunk = llvm::MemoryBuffer::getMemBufferCopy(chunk->getBuffer(),
                                                 chunk->getBufferIdentifier());
  MLIRContext context;
  context.printOpOnDiagnostic(!verifyDiagnostics);
  auto sourceMgr = std::make_shared<llvm::SourceMgr>();
  sourceMgr->AddNewSourceBuffer(std::move(chunk), llvm::SMLoc());
  if (verifyDiagnostics) {
    SourceMgrDiagnosticVerifierHandler handler(*sourceMgr, &context);
    (void)translation(sourceMgr, os, &context);
    return handler.verify();
  }
  SourceMgrDiagnosticHandler handler(*sourceMgr, &context);
  return translation(sourceMgr, os, &context);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  accel::accelisa::registerTranslations();
  cl::opt<const Translation *, false, TranslationParser> translation(
      "", cl::desc("Translation to perform"), cl::Required);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerTranslationCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "accel translation driver\n");

  std::string error;
  std::optional<llvm::Align> alignment = translation->getInputAlignment();
  std::unique_ptr<llvm::MemoryBuffer> input =
      alignment ? openInputFile(inputPath, *alignment, &error)
                : openInputFile(inputPath, &error);
  if (!input) {
    llvm::errs() << "accel-translate: " << error << "\n";
    return 1;
  }
  // Unset when no temporary file could be made. A failed translation has
  // reported why: that error needs no message of its own.
  std::optional<bool> translated;
  llvm::Error written =
      llvm::writeToOutput(outputPath, [&](llvm::raw_ostream &os) {
        auto chunk = [&](std::unique_ptr<llvm::MemoryBuffer> buffer,
                         llvm::raw_ostream &out) {
          return translateChunk(*translation, std::move(buffer), out);
        };
        translated = succeeded(splitAndProcessBuffer(
            std::move(input), chunk, os,
            splitInputFile ? kDefaultSplitMarker : ""));
        return *translated ? llvm::Error::success()
                           : llvm::createStringError(
                                 llvm::inconvertibleErrorCode(), "failed");
      });
  if (translated && !*translated) {
    llvm::consumeError(std::move(written));
    return 1;
  }
  if (written) {
    llvm::errs() << "accel-translate: cannot write '" << outputPath
                 << "': " << llvm::toString(std::move(written)) << "\n";
    return 1;
  }
  return 0;
}
