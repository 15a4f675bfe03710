//===- WritePackage.cpp - the compiler's .accel package -------------------===//

#include "accel/Target/ISA/WritePackage.h"

#include "accel/Hardware/Config.h"
#include "accel/ISA/Encoding.h"
#include "accel/Package/Package.h"
#include "accel/Package/ProgramSections.h"
#include "accel/Target/ISA/Translate.h"
#include "accel/Transforms/WeightImage.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"


using namespace mlir;
using namespace accel;
using namespace accel::accelisa;

namespace {

llvm::ArrayRef<uint8_t> bytesOf(const std::string &text) {
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

/// Checks the weight image (`bytes`, or its `parts`) against the module's
/// `accel.weight_image`.
LogicalResult checkWeightImage(ModuleOp module, llvm::ArrayRef<uint8_t> bytes,
                               const image::ImageParts *parts) {
  auto info = module->getAttrOfType<DictionaryAttr>("accel.weight_image");
  bool given = !bytes.empty() || parts;
  if (!info) {
    if (!given)
      return success();
    return module.emitError("a weight image was given, but the module has "
                            "no accel.weight_image (run accel-pack)");
  }
  if (!given)
    return module.emitError("the module was packed (accel.weight_image) but "
                            "no weight image was given");
  uint64_t size = parts ? parts->bytes : bytes.size();
  uint32_t crc = 0;
  if (parts) {
    llvm::Expected<image::ImageHeader> header = image::readHeader(parts->head);
    if (!header)
      return module.emitError("the weight image is invalid: ")
             << llvm::toString(header.takeError());
    crc = header->crc32;
  } else {
    llvm::Expected<image::Image> directory = image::readDirectory(bytes);
    if (!directory)
      return module.emitError("the weight image is invalid: ")
             << llvm::toString(directory.takeError());
    crc = directory->crc32;
  }
  auto expect = [&](StringRef key, uint64_t actual) -> LogicalResult {
    auto attr = info.getAs<IntegerAttr>(key);
    if (attr && uint64_t(attr.getInt()) == actual)
      return success();
    return module.emitError("the weight image does not match "
                            "accel.weight_image: its ")
           << key << " is " << actual << ", the module says "
           << (attr ? std::to_string(attr.getInt()) : std::string("nothing"));
  };
  return failure(failed(expect("bytes", size)) ||
                 failed(expect("crc32", crc)));
}

/// The bytes of the program's `accel.params` (i8 elements), if any.
llvm::ArrayRef<uint8_t> paramsOf(ProgramOp program) {
  ArrayRef<char> data;
  if (auto blob =
          program->getAttrOfType<DenseResourceElementsAttr>("accel.params")) {
    if (AsmResourceBlob *resource = blob.getRawHandle().getBlob())
      data = resource->getData();
  } else if (auto dense =
                 program->getAttrOfType<DenseElementsAttr>("accel.params")) {
    if (!dense.isSplat())
      data = dense.getRawData();
  }
  return {reinterpret_cast<const uint8_t *>(data.data()), data.size()};
}

} // namespace

namespace {
/// The bytes the sections of a package refer to.
struct PackageParts {
  std::vector<uint8_t> code;
  std::string metadata, symbols;
};
} // namespace

/// The sections of `module`'s package, their bytes in `parts` or `options`.
static FailureOr<std::vector<package::Section>>
packageSections(ModuleOp module, const PackageOptions &options,
                PackageParts &parts) {
  FailureOr<ProgramOp> programOp = findProgram(module);
  if (failed(programOp))
    return failure();
  FailureOr<isa::Program> program = exportProgram(*programOp);
  if (failed(program))
    return failure();
  llvm::Expected<std::vector<uint8_t>> code = isa::encodeCode(program->code);
  if (!code)
    return programOp->emitError("cannot encode the program: ")
           << llvm::toString(code.takeError());
  parts.code = std::move(*code);
  if (failed(checkWeightImage(module, options.weightImage,
                              options.weightImageParts)))
    return failure();

  std::string configName;
  if (!options.configJSON.empty()) {
    llvm::Expected<hw::Config> config =
        hw::parseConfig(options.configJSON, options.configPath);
    if (!config)
      return module.emitError("invalid hardware config: ")
             << llvm::toString(config.takeError());
    configName = config->name;
    if (program->code.size() > config->imemInstructions())
      return programOp->emitError("the program's ")
             << program->code.size()
             << " instructions do not fit the instruction memory of '"
             << options.configPath << "' (" << config->imemInstructions()
             << " instructions: control.imem_uram)";
  }
  llvm::Expected<std::string> metadata = package::metadataJSON(
      *program, packageMetadata(module, *programOp, configName));
  if (!metadata)
    return module.emitError("cannot write the package metadata: ")
           << llvm::toString(metadata.takeError());
  parts.metadata = std::move(*metadata);
  parts.symbols = package::symbolsJSON(*program);

  std::vector<package::Section> sections = {
      {package::SectionKind::Code, parts.code},
      {package::SectionKind::Metadata, bytesOf(parts.metadata)},
      {package::SectionKind::Symbols, bytesOf(parts.symbols)},
  };
  auto add = [&](package::SectionKind kind, llvm::ArrayRef<uint8_t> bytes) {
    if (!bytes.empty())
      sections.push_back({kind, bytes});
  };
  add(package::SectionKind::Config,
      {reinterpret_cast<const uint8_t *>(options.configJSON.data()),
       options.configJSON.size()});
  if (const image::ImageParts *parts = options.weightImageParts)
    sections.push_back({package::SectionKind::Weights, parts->head,
                        parts->file, parts->ranges, parts->crc32});
  else
    add(package::SectionKind::Weights, options.weightImage);
  add(package::SectionKind::Params,
      options.params.empty() ? paramsOf(*programOp) : options.params);
  add(package::SectionKind::Tokenizer, options.tokenizer);
  return sections;
}

FailureOr<std::vector<uint8_t>>
accelisa::buildPackage(ModuleOp module, const PackageOptions &options) {
  PackageParts parts;
  FailureOr<std::vector<package::Section>> sections =
      packageSections(module, options, parts);
  if (failed(sections))
    return failure();
  llvm::Expected<std::vector<uint8_t>> bytes = package::build(*sections);
  if (!bytes)
    return module.emitError("cannot build the package: ")
           << llvm::toString(bytes.takeError());
  return std::move(*bytes);
}

LogicalResult accelisa::writePackage(ModuleOp module, StringRef path,
                                     const PackageOptions &options) {
  PackageParts parts;
  FailureOr<std::vector<package::Section>> sections =
      packageSections(module, options, parts);
  if (failed(sections))
    return failure();
  if (llvm::Error err = package::write(path, *sections))
    return module.emitError("cannot write '")
           << path << "': " << llvm::toString(std::move(err));
  return success();
}
