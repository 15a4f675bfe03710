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

/// Checks the weight image against the module's `accel.weight_image`.
LogicalResult checkWeightImage(ModuleOp module,
                               llvm::ArrayRef<uint8_t> bytes) {
  auto info = module->getAttrOfType<DictionaryAttr>("accel.weight_image");
  if (!info) {
    if (bytes.empty())
      return success();
    return module.emitError("a weight image was given, but the module has "
                            "no accel.weight_image (run accel-pack)");
  }
  if (bytes.empty())
    return module.emitError("the module was packed (accel.weight_image) but "
                            "no weight image was given");
  llvm::Expected<image::Image> directory = image::readDirectory(bytes);
  if (!directory)
    return module.emitError("the weight image is invalid: ")
           << llvm::toString(directory.takeError());
  auto expect = [&](StringRef key, uint64_t actual) -> LogicalResult {
    auto attr = info.getAs<IntegerAttr>(key);
    if (attr && uint64_t(attr.getInt()) == actual)
      return success();
    return module.emitError("the weight image does not match "
                            "accel.weight_image: its ")
           << key << " is " << actual << ", the module says "
           << (attr ? std::to_string(attr.getInt()) : std::string("nothing"));
  };
  return failure(failed(expect("bytes", bytes.size())) ||
                 failed(expect("crc32", directory->crc32)));
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

FailureOr<std::vector<uint8_t>>
accelisa::buildPackage(ModuleOp module, const PackageOptions &options) {
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
  if (failed(checkWeightImage(module, options.weightImage)))
    return failure();

  std::string configName;
  if (!options.configJSON.empty()) {
    llvm::Expected<hw::Config> config =
        hw::parseConfig(options.configJSON, options.configPath);
    if (!config)
      return module.emitError("invalid hardware config: ")
             << llvm::toString(config.takeError());
    configName = config->name;
  }
  llvm::Expected<std::string> metadata = package::metadataJSON(
      *program, packageMetadata(module, *programOp, configName));
  if (!metadata)
    return module.emitError("cannot write the package metadata: ")
           << llvm::toString(metadata.takeError());
  std::string symbols = package::symbolsJSON(*program);

  std::vector<package::Section> sections = {
      {package::SectionKind::Code, *code},
      {package::SectionKind::Metadata, bytesOf(*metadata)},
      {package::SectionKind::Symbols, bytesOf(symbols)},
  };
  auto add = [&](package::SectionKind kind, llvm::ArrayRef<uint8_t> bytes) {
    if (!bytes.empty())
      sections.push_back({kind, bytes});
  };
  add(package::SectionKind::Config,
      {reinterpret_cast<const uint8_t *>(options.configJSON.data()),
       options.configJSON.size()});
  add(package::SectionKind::Weights, options.weightImage);
  add(package::SectionKind::Params,
      options.params.empty() ? paramsOf(*programOp) : options.params);
  add(package::SectionKind::Tokenizer, options.tokenizer);
  llvm::Expected<std::vector<uint8_t>> bytes = package::build(sections);
  if (!bytes)
    return module.emitError("cannot build the package: ")
           << llvm::toString(bytes.takeError());
  return std::move(*bytes);
}

LogicalResult accelisa::writePackage(ModuleOp module, StringRef path,
                                     const PackageOptions &options) {
  FailureOr<std::vector<uint8_t>> bytes = buildPackage(module, options);
  if (failed(bytes))
    return failure();
  if (llvm::Error err = package::writeAtomically(path, *bytes))
    return module.emitError("cannot write '")
           << path << "': " << llvm::toString(std::move(err));
  return success();
}
