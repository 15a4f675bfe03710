//===- accel-translate.cpp - accelisa to and from assembly, code, packages ===//
//
// mlir-translate with accel's translations (lib/Target/ISA):
//
//   accel-translate --accelisa-to-asm prog.mlir
//   accel-translate --asm-to-accelisa prog.s
//   accel-translate --accelisa-to-package prog.mlir -o prog.accel
//   accel-translate --package-to-accelisa prog.accel
//
// `-o FILE` is written to a temporary file next to FILE and renamed into
// place when the translation succeeds: a failed run leaves FILE as it was.
//
//===----------------------------------------------------------------------===//

#include "accel/Target/ISA/Translate.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

int main(int argc, char **argv) {
  accel::accelisa::registerTranslations();
  const char *overview = "accel translation driver\n";

  // Find `-o FILE` (`--o FILE`, `-o=FILE`, `--o=FILE`): mlirTranslateMain
  // opens the file it names before translating.
  std::vector<char *> args(argv, argv + argc);
  int at = -1;
  std::string prefix, output;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if ((arg == "-o" || arg == "--o") && i + 1 < argc) {
      at = ++i;
      prefix.clear();
      output = argv[i];
    } else if (arg.starts_with("-o=") || arg.starts_with("--o=")) {
      at = i;
      prefix = arg.split('=').first.str() + "=";
      output = arg.split('=').second.str();
    }
  }
  if (at < 0 || output == "-")
    return mlir::failed(mlir::mlirTranslateMain(argc, argv, overview));

  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(output + ".tmp-%%%%%%");
  if (!temp) {
    llvm::errs() << "error: cannot create a temporary file for '" << output
                 << "': " << llvm::toString(temp.takeError()) << "\n";
    return 1;
  }
  std::string replaced = prefix + temp->TmpName;
  args[at] = replaced.data();
  if (mlir::failed(mlir::mlirTranslateMain(argc, args.data(), overview))) {
    llvm::consumeError(temp->discard());
    return 1;
  }
  if (llvm::Error err = temp->keep(output)) {
    llvm::errs() << "error: cannot write '" << output
                 << "': " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  return 0;
}
