//===- accel-as-fuzzer.cpp - libFuzzer target: the assembler --------------===//
//
// Text -> isa::parseAssembly (accel-as). What assembles must also encode,
// decode back to the same instructions and print to text that assembles to
// the same code: the assembler, the encoder and the printer agree.
//
//===----------------------------------------------------------------------===//

#include "accel/ISA/AsmParser.h"
#include "accel/ISA/AsmPrinter.h"
#include "accel/ISA/Encoding.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace accel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<isa::Program> program = isa::parseAssembly(text, "<fuzz>");
  if (!program) {
    llvm::consumeError(program.takeError());
    return 0;
  }
  llvm::Expected<std::vector<uint8_t>> code = isa::encodeCode(program->code);
  if (!code) {
    llvm::consumeError(code.takeError());
    return 0;
  }
  llvm::Expected<std::vector<isa::Instruction>> decoded =
      isa::decodeCode(*code);
  if (!decoded) {
    llvm::errs() << "encoded code does not decode: "
                 << llvm::toString(decoded.takeError()) << '\n';
    abort();
  }
  std::string printed;
  llvm::raw_string_ostream os(printed);
  isa::printProgram(os, *program);
  llvm::Expected<isa::Program> reparsed =
      isa::parseAssembly(printed, "<printed>");
  if (!reparsed) {
    llvm::errs() << "printed program does not assemble: "
                 << llvm::toString(reparsed.takeError()) << '\n'
                 << printed;
    abort();
  }
  llvm::Expected<std::vector<uint8_t>> recoded =
      isa::encodeCode(reparsed->code);
  if (!recoded || *recoded != *code) {
    if (!recoded)
      llvm::consumeError(recoded.takeError());
    llvm::errs() << "printed program encodes differently:\n" << printed;
    abort();
  }
  return 0;
}
