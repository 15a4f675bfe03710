//===- accel-objdump.cpp - the engine's disassembler ----------------------===//
//
// Prints a package's (or raw code's) instructions as assembly that accel-as
// reads back to the same bytes, its header and section table (--headers), or
// one section's bytes (--section=NAME). --isa-reference prints the ISA's bit
// tables (docs/ISA.md embeds them).
//
//===----------------------------------------------------------------------===//

#include "accel/ISA/AsmPrinter.h"
#include "accel/ISA/Encoding.h"
#include "accel/ISA/Reference.h"
#include "accel/Package/Package.h"
#include "accel/Package/ProgramSections.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace accel;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("accel-objdump options");
cl::opt<std::string> inputPath(cl::Positional, cl::desc("<package | raw code>"),
                               cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("Output file (default: stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(category));
cl::opt<bool> headers("headers",
                      cl::desc("Print the package header and section table"),
                      cl::cat(category));
cl::opt<std::string>
    sectionName("section", cl::desc("Print one section's bytes as they are"),
                cl::value_desc("name"), cl::cat(category));
cl::opt<bool> isaReference("isa-reference",
                           cl::desc("Print the ISA's bit tables (Markdown)"),
                           cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "accel-objdump") << message << '\n';
  return 1;
}

void printHeaders(llvm::raw_ostream &os, const package::Package &p) {
  os << inputPath << ": accel package version " << package::kVersion << ", "
     << p.sections().size() << " sections, " << p.bytes().size() << " bytes\n";
  os << "idx  section     offset      size        crc32\n";
  for (auto [i, s] : llvm::enumerate(p.sections()))
    os << llvm::format("%-4u %-11s ", unsigned(i),
                       package::sectionName(s.kind).str().c_str())
       << llvm::format_hex(s.offset, 10) << "  " << llvm::format_hex(s.size, 10)
       << "  " << llvm::format_hex(s.crc32, 10) << '\n';
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "accel engine disassembler\n");

  std::string text;
  llvm::raw_string_ostream os(text);
  if (isaReference) {
    isa::printReference(os);
  } else {
    if (inputPath.empty())
      return fail("no input file");
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(
        inputPath, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!buffer)
      return fail(inputPath + ": cannot read: " + buffer.getError().message());
    llvm::ArrayRef<uint8_t> bytes(
        reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
        (*buffer)->getBufferSize());

    isa::Program program;
    if (package::isPackage(bytes)) {
      llvm::Expected<package::Package> p =
          package::Package::fromBuffer(std::move(*buffer));
      if (!p)
        return fail(inputPath + ": " + llvm::toString(p.takeError()));
      if (headers) {
        printHeaders(os, *p);
      } else if (!sectionName.empty()) {
        const package::SectionEntry *found = nullptr;
        for (const package::SectionEntry &s : p->sections())
          if (package::sectionName(s.kind) == sectionName)
            found = &s;
        if (!found)
          return fail(inputPath + ": no section '" + sectionName + "'");
        llvm::ArrayRef<uint8_t> data =
            p->bytes().slice(found->offset, found->size);
        os.write(reinterpret_cast<const char *>(data.data()), data.size());
      } else {
        llvm::Expected<isa::Program> read = package::readProgram(*p);
        if (!read)
          return fail(inputPath + ": " + llvm::toString(read.takeError()));
        isa::printProgram(os, *read);
      }
    } else {
      if (headers || !sectionName.empty())
        return fail(inputPath + ": not an accel package (raw code has no "
                                "headers or sections)");
      llvm::Expected<std::vector<isa::Instruction>> code =
          isa::decodeCode(bytes);
      if (!code)
        return fail(inputPath + ": " + llvm::toString(code.takeError()));
      program.code = std::move(*code);
      isa::printProgram(os, program);
    }
  }

  if (outputPath == "-") {
    llvm::outs() << text;
    return 0;
  }
  if (llvm::Error err = package::writeAtomically(
          outputPath,
          llvm::ArrayRef<uint8_t>(
              reinterpret_cast<const uint8_t *>(text.data()), text.size())))
    return fail(llvm::toString(std::move(err)));
  return 0;
}
