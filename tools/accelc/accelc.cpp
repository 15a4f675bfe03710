//===- accelc.cpp - the accel compiler driver -----------------------------===//
//
// accelc takes a model (ONNX, or MLIR at any accel level) through the
// compiler and writes the stage asked for with --emit:
//
//   accelc model.onnx --emit=mlir      the imported module (onnx dialect)
//   accelc model.onnx --emit=accel     raised to accel ops
//   accelc model.onnx --prune=2:4 --quant=w2a8kv4 --emit=accel
//                                      raised and compressed
//   accelc model.onnx ... -o model.accel
//                                      lowered to instructions and packaged
//                                      (--emit=package; docs/FORMATS.md §5)
//   accelc model.onnx ... --emit=isa   the accelisa program (MLIR)
//   accelc model.onnx ... --emit=asm   its canonical assembly
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Frontend/ONNXImport.h"
#include "accel/InitAccel.h"
#include "accel/ISA/AsmPrinter.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Target/ISA/CodeFootprint.h"
#include "accel/Target/ISA/Pipeline.h"
#include "accel/Target/ISA/Translate.h"
#include "accel/Target/ISA/WritePackage.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit { MLIR, Accel, ISA, Asm, Package };

cl::OptionCategory category("accelc options");

cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                               cl::desc("<model.onnx | model.onnxtxt | "
                                        "module.mlir>"),
                               cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(category));
cl::opt<Emit> emit(
    "emit", cl::desc("What to write"), cl::init(Emit::Accel),
    cl::values(clEnumValN(Emit::MLIR, "mlir",
                          "the imported module: one onnx.node per ONNX node"),
               clEnumValN(Emit::Accel, "accel",
                          "the module raised to accel ops"),
               clEnumValN(Emit::ISA, "isa",
                          "the module lowered to an accelisa.program"),
               clEnumValN(Emit::Asm, "asm",
                          "the canonical assembly of the program"),
               clEnumValN(Emit::Package, "package",
                          "the .accel package (the default for -o "
                          "*.accel)")),
    cl::cat(category));
cl::list<std::string>
    dims("dim", cl::desc("Give a symbolic input dimension a size"),
         cl::value_desc("name=size"), cl::CommaSeparated, cl::cat(category));
cl::opt<int64_t> defaultDim(
    "default-dim",
    cl::desc("Size for symbolic dimensions not named by --dim (0: keep "
             "them dynamic)"),
    cl::init(0), cl::cat(category));
cl::opt<bool> noShapeInference("no-shape-inference",
                               cl::desc("Skip ONNX shape inference"),
                               cl::init(false), cl::cat(category));
cl::opt<std::string> weightImage(
    "weight-image",
    cl::desc("Pack the quantized weights into this weight image file "
             "(accel-pack, docs/FORMATS.md); the module records where each "
             "layer's tensors are"),
    cl::value_desc("file"), cl::init(""), cl::cat(category));
cl::opt<std::string> report(
    "report",
    cl::desc("Write the compression report (weights and KV-cache storage per "
             "layer, accel-compression-report) to this file ('-': standard "
             "output, before the module)"),
    cl::value_desc("file"), cl::init(""), cl::cat(category));
cl::opt<std::string> reportFormat(
    "report-format", cl::desc("Format of --report: text or json"),
    cl::init("text"), cl::cat(category));
cl::opt<std::string> configPath(
    "config",
    cl::desc("Hardware config the program is compiled for, embedded in the "
             "package"),
    cl::value_desc("file"), cl::init(ACCEL_DEFAULT_CONFIG), cl::cat(category));
cl::opt<std::string> tokenizerPath(
    "tokenizer",
    cl::desc("The model's tokenizer file, carried in the package (accel-sim "
             "--prompt reads it)"),
    cl::value_desc("file"), cl::init(""), cl::cat(category));
cl::opt<bool> printWeights(
    "print-weights",
    cl::desc("Print weight blobs in full (by default large ones are elided)"),
    cl::init(false), cl::cat(category));

cl::OptionCategory compressionCategory(
    "accelc compression options",
    "Applied after raising, in this order: accel-prune, accel-quantize");
cl::opt<std::string> prune(
    "prune",
    cl::desc("N:M semi-structured sparsity of linear weights along K "
             "(e.g. 2:4), or none"),
    cl::value_desc("N:M|none"), cl::init("none"), cl::cat(compressionCategory));
cl::opt<std::string> pruneCriterion(
    "prune-criterion",
    cl::desc("Pruning score: magnitude, or wanda (needs --calibration)"),
    cl::value_desc("magnitude|wanda"), cl::init("magnitude"),
    cl::cat(compressionCategory));
cl::opt<std::string> masks(
    "masks",
    cl::desc("ONNX file of bool/uint8 keep masks named like the weight "
             "initializers (override the pruning scores)"),
    cl::value_desc("file"), cl::init(""), cl::cat(compressionCategory));
cl::opt<std::string> quant(
    "quant", cl::desc("Quantization scheme: w2a8kv4, w4a8kv4, w8a8kv8 or none"),
    cl::value_desc("scheme"), cl::init("none"), cl::cat(compressionCategory));
cl::opt<std::string> quantMethod(
    "quant-method",
    cl::desc("Weight quantizer: rtn (round to nearest), or calibrated (GPTQ, "
             "needs --calibration)"),
    cl::value_desc("rtn|calibrated"), cl::init("rtn"),
    cl::cat(compressionCategory));
cl::opt<std::string> calibration(
    "calibration",
    cl::desc("Calibration token ids, one sequence per line (for "
             "--prune-criterion=wanda and --quant-method=calibrated)"),
    cl::value_desc("file"), cl::init(""), cl::cat(compressionCategory));
cl::opt<int64_t> group("group",
                       cl::desc("Weight quantization group size along K (0: "
                                "per channel)"),
                       cl::value_desc("G"), cl::init(128),
                       cl::cat(compressionCategory));

cl::OptionCategory attentionCategory(
    "accelc attention options",
    "Applied after compression by accel-lambda-attention");
cl::opt<std::string> lambda(
    "lambda",
    cl::desc("Λ-shaped attention: S sink tokens and a window of the W most "
             "recent (e.g. 4,1020); implies --decode"),
    cl::value_desc("S,W|none"), cl::init("none"), cl::cat(attentionCategory));
cl::opt<bool> decode(
    "decode",
    cl::desc("Derive the one-token decode function over a bounded KV cache "
             "(main_graph_decode) and return the caches from prefill"),
    cl::init(false), cl::cat(attentionCategory));
cl::opt<std::string> ropePositions(
    "rope-positions",
    cl::desc("RoPE positions of cached keys: absolute, or cache (ranks "
             "within the Λ cache, as StreamingLLM)"),
    cl::value_desc("absolute|cache"), cl::init("absolute"),
    cl::cat(attentionCategory));
cl::opt<int64_t> tile("tile", cl::desc("Query rows per prefill tile"),
                      cl::value_desc("rows"), cl::init(64),
                      cl::cat(attentionCategory));
cl::opt<int64_t> prefillTile(
    "prefill-tile",
    cl::desc("Prompt tokens the prefill step takes at a time (matrix-matrix "
             "mode)"),
    cl::value_desc("tokens"), cl::init(16), cl::cat(attentionCategory));
cl::opt<int64_t> maxContext(
    "max-context",
    cl::desc("KV-cache slots without Λ, and the positions an absolute RoPE "
             "table covers"),
    cl::value_desc("tokens"), cl::init(4096), cl::cat(attentionCategory));

/// Escapes a pass option value for a textual pipeline.
std::string optionValue(StringRef value) {
  if (value.empty())
    return "''";
  if (value.find_first_of(" {}'\"") == StringRef::npos)
    return value.str();
  return "'" + value.str() + "'";
}

/// The compression part of the pipeline (empty when none is asked for), or
/// failure after an error about the flags. A non-empty `layers` regex
/// limits both passes to the linears it names.
FailureOr<std::string> compressionPipeline(MLIRContext &context,
                                           StringRef layers = "") {
  auto error = [&]() { return emitError(UnknownLoc::get(&context)); };
  std::string passes;
  if (prune != "none") {
    auto [nText, mText] = StringRef(prune).split(':');
    unsigned n = 0, m = 0;
    if (nText.getAsInteger(10, n) || mText.getAsInteger(10, m)) {
      error() << "--prune expects N:M (e.g. 2:4) or none, got '" << prune
              << "'";
      return failure();
    }
    passes += "accel-prune{n=" + std::to_string(n) + " m=" +
              std::to_string(m) + " criterion=" + optionValue(pruneCriterion);
    if (!masks.empty())
      passes += " masks=" + optionValue(masks);
    if (!calibration.empty())
      passes += " calibration=" + optionValue(calibration);
    if (!layers.empty())
      passes += " layers=" + optionValue(layers);
    passes += "}";
  } else if (!masks.empty()) {
    error() << "--masks needs --prune=N:M";
    return failure();
  }
  if (quant != "none") {
    if (!passes.empty())
      passes += ",";
    passes += "accel-quantize{scheme=" + optionValue(quant) +
              " method=" + optionValue(quantMethod) +
              " group=" + std::to_string(group);
    if (!calibration.empty())
      passes += " calibration=" + optionValue(calibration);
    if (!layers.empty())
      passes += " layers=" + optionValue(layers);
    passes += "}";
  }
  return passes;
}

/// The accel-lambda-attention step (empty when neither --lambda nor
/// --decode asks for it), or failure after an error about the flags.
FailureOr<std::string> attentionPipeline(MLIRContext &context) {
  int64_t sink = 0, window = 0;
  if (lambda != "none") {
    auto [sinkText, windowText] = StringRef(lambda).split(',');
    if (sinkText.trim().getAsInteger(10, sink) ||
        windowText.trim().getAsInteger(10, window) || sink < 0 ||
        window <= 0) {
      emitError(UnknownLoc::get(&context))
          << "--lambda expects S,W (sink tokens, window > 0; e.g. 4,1020) "
          << "or none, got '" << lambda << "'";
      return failure();
    }
  } else if (!decode) {
    return std::string();
  }
  return "accel-lambda-attention{sink=" + std::to_string(sink) +
         " window=" + std::to_string(window) +
         " tile=" + std::to_string(tile) +
         " rope-positions=" + optionValue(ropePositions) +
         " max-context=" + std::to_string(maxContext) + "}";
}

/// Reads the input by extension: an ONNX model (`.onnx`), one in ONNX's
/// textual syntax (`.onnxtxt`), or MLIR (text or bytecode).
OwningOpRef<ModuleOp> load(MLIRContext &context) {
  StringRef path(inputPath);
  if (path.ends_with(".onnx") || path.ends_with(".onnxtxt")) {
    accel::ONNXImportOptions options;
    options.defaultDimValue = defaultDim;
    options.inferShapes = !noShapeInference;
    for (const std::string &dim : dims) {
      auto [name, size] = StringRef(dim).split('=');
      int64_t value = 0;
      if (name.empty() || size.getAsInteger(10, value) || value <= 0) {
        emitError(UnknownLoc::get(&context))
            << "--dim expects name=size with a positive size, got '" << dim
            << "'";
        return nullptr;
      }
      options.dimValues[name] = value;
    }
    if (path.ends_with(".onnx"))
      return accel::importONNXFile(context, path, options);
    auto file = llvm::MemoryBuffer::getFileOrSTDIN(path);
    if (!file) {
      emitError(FileLineColLoc::get(&context, path, 0, 0))
          << "cannot read '" << path << "': " << file.getError().message();
      return nullptr;
    }
    StringRef dir = llvm::sys::path::parent_path(path);
    return accel::importONNXText(context, (*file)->getBuffer(), path,
                                 dir.empty() ? "." : dir, options);
  }
  return parseSourceFile<ModuleOp>(inputPath, &context);
}

/// What to write: --emit, or a package for `-o *.accel` without --emit.
Emit emitKind() {
  if (emit.getNumOccurrences() == 0 &&
      StringRef(outputPath).ends_with(".accel"))
    return Emit::Package;
  return emit;
}

bool lowersToISA(Emit kind) {
  return kind == Emit::ISA || kind == Emit::Asm || kind == Emit::Package;
}

/// Runs a textual pipeline; `what` names it in errors. -mlir-timing
/// (--help-hidden) reports each pass's time.
LogicalResult runPipeline(MLIRContext &context, ModuleOp module,
                          StringRef pipeline, StringRef what) {
  PassManager pm(&context);
  applyDefaultTimingPassManagerCLOptions(pm);
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  if (failed(parsePassPipeline(pipeline, pm, errorStream)))
    return emitError(UnknownLoc::get(&context))
           << what << " '" << pipeline << "' is not available: " << errors;
  return pm.run(module);
}

/// Lowers the compressed, packed module to an accelisa.program with
/// accelisa::lowerPipeline, unless the module holds a program already.
LogicalResult lowerToISA(MLIRContext &context, ModuleOp module) {
  if (!module.getOps<accel::accelisa::ProgramOp>().empty())
    return success();
  std::string pipeline =
      accel::accelisa::lowerPipeline(configPath, prefillTile);
  if (failed(runPipeline(context, module, pipeline,
                         "the lowering to instructions")))
    return failure();
  if (module.getOps<accel::accelisa::ProgramOp>().empty())
    return emitError(UnknownLoc::get(&context))
           << "the lowering to instructions ('" << pipeline
           << "') produced no accelisa.program";
  return success();
}

/// Prints the code footprint after the compression report (text).
LogicalResult reportFootprint(ModuleOp module) {
  auto programs = module.getOps<accel::accelisa::ProgramOp>();
  if (report.empty() || programs.empty())
    return success();
  FailureOr<accel::isa::Program> program =
      accel::accelisa::exportProgram(*programs.begin());
  if (failed(program))
    return failure();
  accel::accelisa::CodeFootprint footprint =
      accel::accelisa::codeFootprint(*program);
  if (report == "-") {
    accel::accelisa::printCodeFootprint(llvm::outs(), footprint);
    return success();
  }
  std::error_code error;
  llvm::raw_fd_ostream os(report, error, llvm::sys::fs::OF_Append);
  if (error)
    return module.emitError("cannot write '")
           << report << "': " << error.message();
  accel::accelisa::printCodeFootprint(os, footprint);
  return success();
}

/// Weight elements compressed per run of the compression passes.
constexpr int64_t kStreamElements = int64_t(1) << 26;

/// Runs the compression passes a few ops at a time: accel-prune then
/// accel-quantize on each batch of linears (and attention ops) holding about
/// kStreamElements weights, named by an anchored `layers` regex. Each weight
/// goes from the mmapped model to its quantized form before the next batch
/// is read, so the float copies of a 7B model never coexist. Calibration
/// needs every linear float while it runs, and unnamed ops cannot be
/// selected: then everything is compressed in one run.
LogicalResult compress(MLIRContext &context, ModuleOp module,
                       StringRef compression) {
  std::string whole = "func.func(" + compression.str() + ")";
  std::vector<std::pair<std::string, int64_t>> ops;
  llvm::StringSet<> seen;
  bool named = true;
  module.walk([&](Operation *op) {
    int64_t elements = 0;
    if (auto linear = dyn_cast<accel::LinearOp>(op))
      elements = linear.getWeight().getType().getNumElements();
    else if (!isa<accel::AttentionOp>(op))
      return;
    std::string name = accel::locationName(op->getLoc());
    named &= !name.empty();
    if (seen.insert(name).second)
      ops.emplace_back(name, elements);
  });
  if (!calibration.empty() || !named || ops.empty())
    return runPipeline(context, module, whole, "the pipeline");
  bool progress = llvm::errs().is_displayed();
  for (size_t done = 0; done < ops.size();) {
    std::string regex;
    for (int64_t elements = 0;
         done < ops.size() && elements < kStreamElements; ++done) {
      regex += (regex.empty() ? "" : "|") + llvm::Regex::escape(ops[done].first);
      elements += ops[done].second;
    }
    FailureOr<std::string> batch =
        compressionPipeline(context, "^(" + regex + ")$");
    if (failed(batch) ||
        failed(runPipeline(context, module, "func.func(" + *batch + ")",
                           "the pipeline")))
      return failure();
    if (progress)
      llvm::errs() << "\raccelc: compressed " << done << "/" << ops.size()
                   << " ops" << (done == ops.size() ? "\n" : "");
  }
  return success();
}

/// `imagePath`: where accel-pack writes the weight image (empty: nowhere).
LogicalResult compile(MLIRContext &context, ModuleOp module, Emit kind,
                      StringRef imagePath) {
  if (kind == Emit::MLIR) {
    if (prune != "none" || quant != "none" || lambda != "none" || decode)
      return emitError(UnknownLoc::get(&context))
             << "--prune, --quant, --lambda and --decode apply to "
                "--emit=accel";
    return success();
  }
  FailureOr<std::string> compression = compressionPipeline(context);
  if (failed(compression))
    return failure();
  FailureOr<std::string> attention = attentionPipeline(context);
  if (failed(attention))
    return failure();
  if (failed(runPipeline(context, module,
                         "func.func(accel-raise-onnx),canonicalize,cse",
                         "the pipeline")))
    return failure();
  if (!compression->empty() && failed(compress(context, module, *compression)))
    return failure();
  std::string pipeline;
  auto add = [&](StringRef passes) {
    pipeline += (pipeline.empty() ? "" : ",") + passes.str();
  };
  if (!attention->empty())
    add(*attention + ",cse");
  if (!report.empty())
    add("accel-compression-report{format=" + reportFormat +
        " output=" + report + "}");
  if (!imagePath.empty())
    add("accel-pack{output=" + optionValue(imagePath) + "}");
  else if (lowersToISA(kind))
    add("accel-pack");
  if (!pipeline.empty() &&
      failed(runPipeline(context, module, pipeline, "the pipeline")))
    return failure();
  if (lowersToISA(kind) && failed(lowerToISA(context, module)))
    return failure();
  return reportFootprint(module);
}

llvm::ArrayRef<uint8_t> bytesOf(const llvm::MemoryBuffer &buffer) {
  return {reinterpret_cast<const uint8_t *>(buffer.getBufferStart()),
          buffer.getBufferSize()};
}

/// Writes the package: the program, the weight image at `imagePath`, the
/// hardware config of --config.
LogicalResult emitPackage(MLIRContext &context, ModuleOp module,
                          StringRef imagePath) {
  if (outputPath == "-")
    return emitError(UnknownLoc::get(&context))
           << "a package is binary: name the output file with -o";
  std::unique_ptr<llvm::MemoryBuffer> image, config, vocabulary;
  for (auto [path, buffer] :
       {std::pair(imagePath, &image),
        std::pair(StringRef(configPath), &config),
        std::pair(StringRef(tokenizerPath), &vocabulary)}) {
    if (path.empty())
      continue;
    auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
    if (!file)
      return emitError(UnknownLoc::get(&context))
             << "cannot read '" << path << "': " << file.getError().message();
    *buffer = std::move(*file);
  }
  accel::accelisa::PackageOptions options;
  if (image)
    options.weightImage = bytesOf(*image);
  if (config) {
    options.configJSON = config->getBuffer();
    options.configPath = configPath;
  }
  if (vocabulary)
    options.tokenizer = bytesOf(*vocabulary);
  return accel::accelisa::writePackage(module, outputPath, options);
}

LogicalResult emitAssembly(ModuleOp module) {
  FailureOr<accel::accelisa::ProgramOp> program =
      accel::accelisa::findProgram(module);
  if (failed(program))
    return failure();
  FailureOr<accel::isa::Program> code =
      accel::accelisa::exportProgram(*program);
  if (failed(code))
    return failure();
  if (llvm::Error err = llvm::writeToOutput(
          outputPath, [&](llvm::raw_ostream &os) -> llvm::Error {
            accel::isa::printProgram(os, *code);
            return llvm::Error::success();
          }))
    return module.emitError("cannot write '")
           << outputPath << "': " << llvm::toString(std::move(err));
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // -mlir-print-debuginfo (locations: the ONNX node names) and the other
  // printing options, listed under --help-hidden.
  mlir::registerAsmPrinterCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions(
      {&category, &compressionCategory, &attentionCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "accelc: compile an LLM (ONNX) for the accel FPGA engine\n");

  DialectRegistry registry;
  accel::registerAccelDialects(registry);
  accel::registerAccelPasses();
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    llvm::errs() << "accelc: " << accel::formatDiagnostic(diag) << "\n";
    return success();
  });

  Emit kind = emitKind();
  // A package needs the weight image in memory: accel-pack writes it to
  // --weight-image, or to a temporary file.
  SmallString<128> imagePath(weightImage);
  std::optional<llvm::FileRemover> removeImage;
  if (kind == Emit::Package && imagePath.empty()) {
    if (std::error_code error = llvm::sys::fs::createTemporaryFile(
            "accelc-weights", "wimg", imagePath)) {
      llvm::errs() << "accelc: cannot create a temporary file: "
                   << error.message() << "\n";
      return 1;
    }
    removeImage.emplace(imagePath);
  }

  OwningOpRef<ModuleOp> module = load(context);
  if (!module || failed(compile(context, *module, kind, imagePath)))
    return 1;
  if (kind == Emit::Package)
    return failed(emitPackage(context, *module, imagePath));
  if (kind == Emit::Asm)
    return failed(emitAssembly(*module));

  OpPrintingFlags flags;
  if (!printWeights)
    flags.elideLargeResourceString(1024);
  if (llvm::Error err = llvm::writeToOutput(
          outputPath, [&](llvm::raw_ostream &os) -> llvm::Error {
            module->print(os, flags);
            return llvm::Error::success();
          })) {
    llvm::errs() << "accelc: cannot write '" << outputPath
                 << "': " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  return 0;
}
