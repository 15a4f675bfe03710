//===- TranslateRegistration.cpp - accel-translate's translations ---------===//
//
//   --accelisa-to-asm        the canonical assembly of the module's program
//   --asm-to-accelisa        assembly (docs/ISA.md §6) to an accelisa.program
//   --accelisa-to-bin        bare instruction words (labels are lost)
//   --bin-to-accelisa        bare instruction words to a program
//   --accelisa-to-package    a package of code, symbols and metadata
//   --package-to-accelisa    a package's program, its names restored
//
//===----------------------------------------------------------------------===//

#include "accel/Target/ISA/Translate.h"

#include "accel/ISA/AsmParser.h"
#include "accel/ISA/AsmPrinter.h"
#include "accel/ISA/Encoding.h"
#include "accel/Package/Package.h"
#include "accel/Package/ProgramSections.h"
#include "accel/Target/ISA/WritePackage.h"

#include "mlir/IR/Builders.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace accel;
using namespace accel::accelisa;

namespace {

void registerDialects(DialectRegistry &registry) {
  registry.insert<AccelISADialect>();
}

FailureOr<isa::Program> programOf(Operation *op) {
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    return op->emitError("expected a module");
  FailureOr<ProgramOp> program = findProgram(module);
  if (failed(program))
    return failure();
  return exportProgram(*program);
}

/// A module holding `program`, or null after an error.
OwningOpRef<Operation *> moduleOf(MLIRContext *context,
                                  llvm::Expected<isa::Program> program,
                                  StringRef source, StringRef name) {
  Location loc = FileLineColLoc::get(context, source, 0, 0);
  if (!program) {
    // The assembler's errors are `file:line:col: error: message`.
    std::string message = llvm::toString(program.takeError());
    StringRef rest = message;
    auto [position, text] = rest.split(": error: ");
    auto [prefix, column] = position.rsplit(':');
    auto [file, line] = prefix.rsplit(':');
    unsigned lineNo = 0, columnNo = 0;
    if (!text.empty() && !line.getAsInteger(10, lineNo) &&
        !column.getAsInteger(10, columnNo)) {
      loc = FileLineColLoc::get(context, file, lineNo, columnNo);
      rest = text;
    }
    emitError(loc) << rest;
    return nullptr;
  }
  context->loadDialect<AccelISADialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder builder = OpBuilder::atBlockEnd(module->getBody());
  importProgram(builder, loc, *program, name);
  return module.release().getOperation();
}

StringRef bufferOf(const llvm::SourceMgr &sourceMgr, StringRef &name) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  name = buffer->getBufferIdentifier();
  return buffer->getBuffer();
}

llvm::ArrayRef<uint8_t> bytesOf(StringRef text) {
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

/// The program of a package, and its name from the metadata.
llvm::Expected<isa::Program> readPackage(StringRef bytes, StringRef source,
                                         std::string &name) {
  llvm::Expected<package::Package> pkg = package::Package::fromBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, source));
  if (!pkg)
    return pkg.takeError();
  if (auto metadata = pkg->get(package::SectionKind::Metadata)) {
    StringRef text(reinterpret_cast<const char *>(metadata->data()),
                   metadata->size());
    if (llvm::Expected<llvm::json::Value> value = llvm::json::parse(text)) {
      if (auto *object = value->getAsObject())
        if (std::optional<StringRef> program = object->getString("program"))
          name = program->str();
    } else {
      return value.takeError();
    }
  }
  return package::readProgram(*pkg);
}

} // namespace

void accelisa::registerTranslations() {
  static TranslateFromMLIRRegistration toAsm(
      "accelisa-to-asm", "accelisa.program to canonical assembly",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        FailureOr<isa::Program> program = programOf(op);
        if (failed(program))
          return failure();
        isa::printProgram(os, *program);
        return success();
      },
      registerDialects);
  static TranslateFromMLIRRegistration toBin(
      "accelisa-to-bin", "accelisa.program to bare instruction words",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        FailureOr<isa::Program> program = programOf(op);
        if (failed(program))
          return failure();
        llvm::Expected<std::vector<uint8_t>> code =
            isa::encodeCode(program->code);
        if (!code)
          return op->emitError() << llvm::toString(code.takeError());
        os.write(reinterpret_cast<const char *>(code->data()), code->size());
        return success();
      },
      registerDialects);
  static TranslateFromMLIRRegistration toPackage(
      "accelisa-to-package",
      "accelisa.program to a package (code, symbols, metadata)",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError("expected a module");
        FailureOr<std::vector<uint8_t>> bytes =
            buildPackage(module, PackageOptions());
        if (failed(bytes))
          return failure();
        os.write(reinterpret_cast<const char *>(bytes->data()),
                 bytes->size());
        return success();
      },
      registerDialects);

  static TranslateToMLIRRegistration fromAsm(
      "asm-to-accelisa", "assembly to an accelisa.program",
      [](const std::shared_ptr<llvm::SourceMgr> &sourceMgr,
         MLIRContext *context) {
        StringRef source;
        StringRef text = bufferOf(*sourceMgr, source);
        return moduleOf(context, isa::parseAssembly(text, source), source,
                        "program");
      },
      registerDialects);
  static TranslateToMLIRRegistration fromBin(
      "bin-to-accelisa", "bare instruction words to an accelisa.program",
      [](const std::shared_ptr<llvm::SourceMgr> &sourceMgr,
         MLIRContext *context) {
        StringRef source;
        StringRef bytes = bufferOf(*sourceMgr, source);
        llvm::Expected<std::vector<isa::Instruction>> code =
            isa::decodeCode(bytesOf(bytes));
        llvm::Expected<isa::Program> program =
            code ? llvm::Expected<isa::Program>(isa::Program{*code, {}})
                 : llvm::Expected<isa::Program>(code.takeError());
        return moduleOf(context, std::move(program), source, "program");
      },
      registerDialects);
  static TranslateToMLIRRegistration fromPackage(
      "package-to-accelisa", "a package's program to an accelisa.program",
      [](const std::shared_ptr<llvm::SourceMgr> &sourceMgr,
         MLIRContext *context) {
        StringRef source;
        StringRef bytes = bufferOf(*sourceMgr, source);
        std::string name = "program";
        llvm::Expected<isa::Program> program =
            readPackage(bytes, source, name);
        return moduleOf(context, std::move(program), source, name);
      },
      registerDialects);
}
