//===- accel-as.cpp - the engine's assembler
//-------------------------------===//
//
// Assembles docs/ISA.md assembly into a package (docs/FORMATS.md §5) or, with
// --raw, into bare instruction words:
//
//   accel-as prog.s -o prog.accel [--metadata=m.json] [--config=u280.json]
//            [--weights=w.img] [--params=p.bin] [--tokenizer=t.json]
//   accel-as prog.s --raw -o prog.bin
//
// Errors are one line (`file:line:col: error: ...`), the exit status is 1,
// and the output file is written only when everything succeeded.
//
//===----------------------------------------------------------------------===//

#include "accel/Hardware/Config.h"
#include "accel/ISA/AsmParser.h"
#include "accel/ISA/Encoding.h"
#include "accel/Package/Package.h"
#include "accel/Package/ProgramSections.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace accel;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("accel-as options");
cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                               cl::desc("<input.s | ->"), cl::cat(category));
cl::opt<std::string> outputPath("o", cl::Required, cl::desc("Output file"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<bool> raw("raw",
                  cl::desc("Write bare instruction words, not a package"),
                  cl::cat(category));
cl::opt<std::string>
    metadataPath("metadata",
                 cl::desc("JSON object merged into the metadata section"),
                 cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> configPath("config",
                                cl::desc("Hardware config to check and embed"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> weightsPath("weights", cl::desc("Weight image to embed"),
                                 cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> paramsPath("params", cl::desc("Parameter blob to embed"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> tokenizerPath("tokenizer",
                                   cl::desc("Tokenizer file to embed"),
                                   cl::value_desc("file"), cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "accel-as") << message << '\n';
  return 1;
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> read(llvm::StringRef path) {
  auto buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "%s: cannot read: %s",
                                   path.str().c_str(),
                                   buffer.getError().message().c_str());
  return std::move(*buffer);
}

llvm::ArrayRef<uint8_t> bytesOf(const llvm::MemoryBuffer &buffer) {
  return {reinterpret_cast<const uint8_t *>(buffer.getBufferStart()),
          buffer.getBufferSize()};
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "accel engine assembler\n");

  auto input = read(inputPath);
  if (!input)
    return fail(llvm::toString(input.takeError()));
  llvm::Expected<isa::Program> program = isa::parseAssembly(
      (*input)->getBuffer(), inputPath == "-" ? llvm::StringRef("<stdin>")
                                              : llvm::StringRef(inputPath));
  if (!program) {
    llvm::errs() << llvm::toString(program.takeError()) << '\n';
    return 1;
  }
  llvm::Expected<std::vector<uint8_t>> code = isa::encodeCode(program->code);
  if (!code)
    return fail(inputPath + ": " + llvm::toString(code.takeError()));

  if (raw) {
    if (llvm::Error err = package::writeAtomically(outputPath, *code))
      return fail(llvm::toString(std::move(err)));
    return 0;
  }

  llvm::json::Object metadata;
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> keep;
  if (!metadataPath.empty()) {
    auto buffer = read(metadataPath);
    if (!buffer)
      return fail(llvm::toString(buffer.takeError()));
    llvm::Expected<llvm::json::Value> parsed =
        llvm::json::parse((*buffer)->getBuffer());
    if (!parsed)
      return fail(metadataPath + ": " + llvm::toString(parsed.takeError()));
    if (!parsed->getAsObject())
      return fail(metadataPath + ": expected a JSON object");
    metadata = std::move(*parsed->getAsObject());
  }
  llvm::Expected<std::string> metadataText =
      package::metadataJSON(*program, std::move(metadata));
  if (!metadataText)
    return fail(metadataPath + ": " + llvm::toString(metadataText.takeError()));
  std::string symbols = package::symbolsJSON(*program);
  auto asBytes = [](const std::string &s) {
    return llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(s.data()),
                                   s.size());
  };

  std::vector<package::Section> sections = {
      {package::SectionKind::Code, *code},
      {package::SectionKind::Metadata, asBytes(*metadataText)},
      {package::SectionKind::Symbols, asBytes(symbols)},
  };
  auto embed = [&](const std::string &path,
                   package::SectionKind kind) -> llvm::Error {
    if (path.empty())
      return llvm::Error::success();
    auto buffer = read(path);
    if (!buffer)
      return buffer.takeError();
    sections.push_back({kind, bytesOf(**buffer)});
    keep.push_back(std::move(*buffer));
    return llvm::Error::success();
  };
  if (!configPath.empty())
    if (llvm::Expected<hw::Config> config = hw::loadConfig(configPath); !config)
      return fail(llvm::toString(config.takeError()));
  for (auto [path, kind] :
       {std::pair(&configPath, package::SectionKind::Config),
        std::pair(&weightsPath, package::SectionKind::Weights),
        std::pair(&paramsPath, package::SectionKind::Params),
        std::pair(&tokenizerPath, package::SectionKind::Tokenizer)})
    if (llvm::Error err = embed(*path, kind))
      return fail(llvm::toString(std::move(err)));
  if (llvm::Error err = package::write(outputPath, sections))
    return fail(llvm::toString(std::move(err)));
  return 0;
}
