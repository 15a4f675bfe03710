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
// A decoder is lowered with --decode or --lambda (entries prefill and
// decode); a graph without attention (an MLP, a norm + linear block) is
// lowered as it is, to the entry forward over its rows (docs/ISA.md §7).
//
//===----------------------------------------------------------------------===//

#include "accel/Frontend/ONNXImport.h"
#include "accel/InitAccel.h"
#include "accel/ISA/AsmPrinter.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Target/ISA/Compile.h"
#include "accel/Target/ISA/Translate.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

#include <sys/resource.h>

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
cl::opt<double> shapeInferenceTimeout(
    "shape-inference-timeout",
    cl::desc("Wall-clock limit of ONNX shape inference (its child process is "
             "killed past it)"),
    cl::value_desc("seconds"),
    cl::init(accel::ONNXImportOptions().shapeInferenceSeconds),
    cl::cat(category));
cl::opt<uint64_t> shapeInferenceMemory(
    "shape-inference-memory",
    cl::desc("Address space ONNX shape inference's child process may map "
             "beyond what it inherits"),
    cl::value_desc("MiB"),
    cl::init(accel::ONNXImportOptions().shapeInferenceMemoryMiB),
    cl::cat(category));
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
    cl::value_desc("file"),
    cl::init(accel::accelisa::defaultConfigPath().str()), cl::cat(category));
cl::opt<std::string> tokenizerPath(
    "tokenizer",
    cl::desc("The model's tokenizer file, carried in the package (accel-sim "
             "--prompt reads it)"),
    cl::value_desc("file"), cl::init(""), cl::cat(category));
cl::opt<bool> printWeights(
    "print-weights",
    cl::desc("Print weight blobs in full (by default large ones are elided)"),
    cl::init(false), cl::cat(category));

cl::opt<bool> compileStats(
    "compile-stats",
    cl::desc("Print the compilation's wall time, CPU time and peak memory "
             "when it succeeds (always on a terminal)"),
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
cl::opt<std::string> quantHead(
    "quant-head",
    cl::desc("Precision of the LM head (the linear named lm_head): none "
             "(float), or w8a8, w4a8, w2a8 (quantized as --quant quantizes "
             "the other linears, at these weight bits)"),
    cl::value_desc("w8a8|w4a8|w2a8|none"), cl::init("none"),
    cl::cat(compressionCategory));
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
cl::opt<int64_t> kvGroup(
    "kv-group",
    cl::desc("KV cache quantization group size along the head dim (-1: the "
             "head dim, one scale per token and head; 0: per channel)"),
    cl::value_desc("G"), cl::init(accel::accelisa::CompileOptions().kvGroup),
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
             "(main_graph_decode) and return the caches from prefill; "
             "without it and --lambda, a graph without attention compiles "
             "to the entry forward, run once over its input rows"),
    cl::init(false), cl::cat(attentionCategory));
cl::opt<std::string> ropePositions(
    "rope-positions",
    cl::desc("RoPE positions of cached keys: absolute, or cache (ranks "
             "within the Λ cache, as StreamingLLM)"),
    cl::value_desc("absolute|cache"), cl::init("absolute"),
    cl::cat(attentionCategory));
cl::opt<std::string> attentionNumerics(
    "attention",
    cl::desc("Attention numerics: f32 (NUMERICS 6, the vector unit), or int8 "
             "(NUMERICS 6.5: int8 query and probabilities times the "
             "quantized KV cache on the matrix unit; needs a --quant scheme "
             "and absolute RoPE positions)"),
    cl::value_desc("f32|int8"), cl::init("f32"), cl::cat(attentionCategory));
cl::opt<int64_t> tile("tile", cl::desc("Query rows per prefill tile"),
                      cl::value_desc("rows"), cl::init(64),
                      cl::cat(attentionCategory));
cl::opt<int64_t> prefillTile(
    "prefill-tile",
    cl::desc("Prompt tokens (a forward graph's rows) the prefill (forward) "
             "step takes at a time (matrix-matrix mode)"),
    cl::value_desc("tokens"), cl::init(16), cl::cat(attentionCategory));
cl::opt<std::string> shareAttention(
    "share-attention",
    cl::desc("Whether the steps' layers call their attention as shared "
             "subroutines: auto (only when the program would not fit the "
             "instruction memory in line), always, or never"),
    cl::value_desc("auto|always|never"), cl::init("auto"),
    cl::cat(attentionCategory));
cl::opt<int64_t> maxContext(
    "max-context",
    cl::desc("KV-cache slots without Λ, and the positions an absolute RoPE "
             "table covers"),
    cl::value_desc("tokens"), cl::init(4096), cl::cat(attentionCategory));

/// Prints what the compilation took: wall time since `start`, CPU time
/// (user + system) and peak resident memory.
void printStats(std::chrono::steady_clock::time_point start) {
  double wall = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  llvm::sys::TimePoint<> elapsed;
  std::chrono::nanoseconds user, system;
  llvm::sys::Process::GetTimeUsage(elapsed, user, system);
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  llvm::errs() << llvm::formatv(
      "accelc: compiled in {0:F1} s wall, {1:F1} s CPU ({2:F1} user + {3:F1} "
      "system), peak RSS {4:F2} GB\n",
      wall, std::chrono::duration<double>(user + system).count(),
      std::chrono::duration<double>(user).count(),
      std::chrono::duration<double>(system).count(),
      double(usage.ru_maxrss) * 1024.0 / 1e9);
}

/// Reads the input by extension: an ONNX model (`.onnx`), one in ONNX's
/// textual syntax (`.onnxtxt`), or MLIR (text or bytecode).
OwningOpRef<ModuleOp> load(MLIRContext &context) {
  StringRef path(inputPath);
  if (path.ends_with(".onnx") || path.ends_with(".onnxtxt")) {
    accel::ONNXImportOptions options;
    options.defaultDimValue = defaultDim;
    options.inferShapes = !noShapeInference;
    options.shapeInferenceSeconds = shapeInferenceTimeout;
    options.shapeInferenceMemoryMiB = shapeInferenceMemory;
    options.shapeInferenceSecondsSetting = "accelc --shape-inference-timeout";
    options.shapeInferenceMemorySetting = "accelc --shape-inference-memory";
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

/// The compilation flags.
accel::accelisa::CompileOptions compileOptions() {
  accel::accelisa::CompileOptions options;
  options.prune = prune;
  options.pruneCriterion = pruneCriterion;
  options.masks = masks;
  options.quant = quant;
  options.quantMethod = quantMethod;
  options.quantHead = quantHead;
  options.calibration = calibration;
  options.group = group;
  options.kvGroup = kvGroup;
  options.lambda = lambda;
  options.decode = decode;
  options.ropePositions = ropePositions;
  options.attention = attentionNumerics;
  options.tile = tile;
  options.prefillTile = prefillTile;
  options.maxContext = maxContext;
  options.shareAttention = shareAttention;
  options.configPath = configPath;
  options.tokenizerPath = tokenizerPath;
  options.report = report;
  options.reportFormat = reportFormat;
  options.weightImage = weightImage;
  if (llvm::errs().is_displayed())
    options.progress = [](size_t done, size_t total) {
      llvm::errs() << "\raccelc: compressed " << done << "/" << total << " ops"
                   << (done == total ? "\n" : "");
    };
  return options;
}

/// Compiles the module as far as `kind` asks: a package is written to -o.
LogicalResult compile(MLIRContext &context, ModuleOp module, Emit kind) {
  if (kind == Emit::MLIR) {
    if (prune != "none" || quant != "none" || lambda != "none" || decode)
      return emitError(UnknownLoc::get(&context))
             << "--prune, --quant, --lambda and --decode apply to "
                "--emit=accel";
    return success();
  }
  if (kind == Emit::Package)
    return accel::accelisa::compileToPackage(module, outputPath,
                                             compileOptions());
  return accel::accelisa::compileModule(module, compileOptions(),
                                        lowersToISA(kind));
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
  auto start = std::chrono::steady_clock::now();
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
  OwningOpRef<ModuleOp> module = load(context);
  if (!module || failed(compile(context, *module, kind)))
    return 1;
  if (compileStats || llvm::errs().is_displayed())
    printStats(start);
  if (kind == Emit::Package)
    return 0;
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
