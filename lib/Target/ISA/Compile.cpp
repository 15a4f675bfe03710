//===- Compile.cpp - from an imported module to a package -----------------===//

#include "accel/Target/ISA/Compile.h"

#include "accel/Conversion/SharePolicy.h"
#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Package/Package.h"
#include "accel/Support/AtomicOutput.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Target/ISA/CodeFootprint.h"
#include "accel/Target/ISA/Pipeline.h"
#include "accel/Target/ISA/Translate.h"
#include "accel/Target/ISA/WritePackage.h"
#include "accel/Transforms/Pack.h"
#include "accel/Transforms/Passes.h"
#include "accel/Transforms/RaiseONNX.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <deque>

using namespace mlir;
using namespace accel;
using namespace accel::accelisa;

llvm::StringRef accel::accelisa::defaultConfigPath() {
  return ACCEL_DEFAULT_CONFIG;
}

namespace {

InFlightDiagnostic error(ModuleOp module) {
  return emitError(UnknownLoc::get(module.getContext()));
}

/// Escapes a pass option value for a textual pipeline.
std::string optionValue(StringRef value) {
  if (value.empty())
    return "''";
  if (value.find_first_of(" {}'\"") == StringRef::npos)
    return value.str();
  return "'" + value.str() + "'";
}

/// How errors name the option of accelc flag `flag` (CompileOptions::
/// optionName).
std::string option(const CompileOptions &options, StringRef flag) {
  return options.optionName ? options.optionName(flag) : "--" + flag.str();
}

/// The accelc flag that sets pass option `option` (in the pipelines below),
/// the import's option (`dim`) or the driver's (`decode`), for the options
/// pass errors name (optionReference); empty for any other.
StringRef flagSetting(StringRef option) {
  return llvm::StringSwitch<StringRef>(option)
      .Case("window", "lambda")
      .Case("scheme", "quant")
      .Cases("tile", "rope-positions", "max-context", "prefill-tile", option)
      .Cases("share-attention", "dim", "decode", option)
      .Default("");
}

/// While it lives, every diagnostic names the pass options a pass names
/// (optionReference) as the driver names its option that sets them
/// (option(): accelc's --max-context, accel.compile's max_context).
class DriverOptionNames {
public:
  DriverOptionNames(MLIRContext *context, const CompileOptions &options)
      : options(options),
        handler(context, [this](Diagnostic &diag) {
          rename(diag);
          for (Diagnostic &note : diag.getNotes())
            rename(note);
          return failure(); // on to the driver's handler
        }) {}

private:
  void rename(Diagnostic &diag) {
    for (DiagnosticArgument &argument : diag.getArguments()) {
      if (argument.getKind() !=
          DiagnosticArgument::DiagnosticArgumentKind::String)
        continue;
      StringRef flag = flagSetting(referencedOption(argument.getAsString()));
      if (flag.empty())
        continue;
      names.push_back(option(options, flag));
      argument = DiagnosticArgument(StringRef(names.back()));
    }
  }

  const CompileOptions &options;
  std::deque<std::string> names; ///< the arguments' new text
  ScopedDiagnosticHandler handler;
};

/// The compression part of the pipeline (empty when none is asked for), or
/// failure after an error about the flags. A non-empty `layers` regex
/// limits both passes to the linears it names. Magnitude pruning before a
/// round-to-nearest quantization runs inside accel-quantize (prune-n,
/// prune-m: each weight read once, no pruned float copy), then accel-prune
/// for the linears it left float.
FailureOr<std::string> compressionPipeline(ModuleOp module,
                                           const CompileOptions &options,
                                           StringRef layers = "") {
  std::string prune;
  unsigned n = 0, m = 0;
  if (options.prune != "none") {
    auto [nText, mText] = StringRef(options.prune).split(':');
    if (nText.getAsInteger(10, n) || mText.getAsInteger(10, m)) {
      error(module) << option(options, "prune")
                    << " expects N:M (e.g. 2:4) or none, got '"
                    << options.prune << "'";
      return failure();
    }
    prune += "accel-prune{n=" + std::to_string(n) + " m=" + std::to_string(m) +
             " criterion=" + optionValue(options.pruneCriterion);
    if (!options.masks.empty())
      prune += " masks=" + optionValue(options.masks);
    if (!options.calibration.empty())
      prune += " calibration=" + optionValue(options.calibration);
    if (!layers.empty())
      prune += " layers=" + optionValue(layers);
    prune += "}";
  } else if (!options.masks.empty()) {
    error(module) << option(options, "masks") << " needs "
                  << option(options, "prune") << "=N:M";
    return failure();
  }
  unsigned headBits = 0;
  if (options.quantHead != "none") {
    StringRef head = options.quantHead;
    if (!head.consume_front("w") || !head.consume_back("a8") ||
        head.getAsInteger(10, headBits) ||
        (headBits != 2 && headBits != 4 && headBits != 8)) {
      error(module) << option(options, "quant-head")
                    << " expects w8a8, w4a8, w2a8 or none, got '"
                    << options.quantHead << "'";
      return failure();
    }
    if (options.quant == "none") {
      error(module) << option(options, "quant-head") << "="
                    << options.quantHead << " needs " << option(options, "quant")
                    << " (the head is quantized with the "
                       "other linears)";
      return failure();
    }
  }
  if (options.kvGroup < -1) {
    error(module) << option(options, "kv-group")
                  << " expects a group size, 0 (per channel) or -1 "
                     "(the head dim), got "
                  << options.kvGroup;
    return failure();
  }
  if (options.quant == "none")
    return prune;
  bool fused = !prune.empty() && options.pruneCriterion == "magnitude" &&
               options.masks.empty() && options.calibration.empty() &&
               options.quantMethod == "rtn";
  std::string quantize =
      "accel-quantize{scheme=" + optionValue(options.quant) +
      " method=" + optionValue(options.quantMethod) +
      " group=" + std::to_string(options.group) +
      " kv-group=" + std::to_string(options.kvGroup) +
      " head-bits=" + std::to_string(headBits);
  if (fused)
    quantize += " prune-n=" + std::to_string(n) + " prune-m=" + std::to_string(m);
  if (!options.calibration.empty())
    quantize += " calibration=" + optionValue(options.calibration);
  if (!layers.empty())
    quantize += " layers=" + optionValue(layers);
  quantize += "}";
  if (prune.empty())
    return quantize;
  return fused ? quantize + "," + prune : prune + "," + quantize;
}

/// The accel-lambda-attention step (empty when neither --lambda nor
/// --decode asks for it), or failure after an error about the flags.
FailureOr<std::string> attentionPipeline(ModuleOp module,
                                         const CompileOptions &options) {
  int64_t sink = 0, window = 0;
  if (options.lambda != "none") {
    auto [sinkText, windowText] = StringRef(options.lambda).split(',');
    if (sinkText.trim().getAsInteger(10, sink) ||
        windowText.trim().getAsInteger(10, window) || sink < 0 || window <= 0) {
      error(module)
          << option(options, "lambda")
          << " expects S,W (sink tokens, window > 0; e.g. 4,1020) "
          << "or none, got '" << options.lambda << "'";
      return failure();
    }
  } else if (!options.decode) {
    return std::string();
  }
  return "accel-lambda-attention{sink=" + std::to_string(sink) +
         " window=" + std::to_string(window) +
         " tile=" + std::to_string(options.tile) +
         " rope-positions=" + optionValue(options.ropePositions) +
         " max-context=" + std::to_string(options.maxContext) + "}";
}

/// Runs a textual pipeline; `what` names it in errors. A tool's
/// -mlir-timing (when it registered the option) reports each pass's time.
LogicalResult runPipeline(ModuleOp module, StringRef pipeline, StringRef what) {
  PassManager pm(module.getContext());
  applyDefaultTimingPassManagerCLOptions(pm);
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  if (failed(parsePassPipeline(pipeline, pm, errorStream)))
    return error(module) << what << " '" << pipeline
                         << "' is not available: " << errors;
  return pm.run(module);
}

/// Lowers the compressed, packed module to an accelisa.program with
/// accelisa::lowerPipeline, unless the module holds a program already.
LogicalResult lowerToISA(ModuleOp module, const CompileOptions &options) {
  if (!module.getOps<ProgramOp>().empty())
    return success();
  std::string pipeline = lowerPipeline(options.configPath, options.prefillTile,
                                       options.shareAttention);
  if (failed(runPipeline(module, pipeline, "the lowering to instructions")))
    return failure();
  if (module.getOps<ProgramOp>().empty())
    return error(module) << "the lowering to instructions ('" << pipeline
                         << "') produced no accelisa.program";
  return success();
}

/// Prints the code footprint after the compression report (text).
LogicalResult reportFootprint(ModuleOp module, const CompileOptions &options) {
  auto programs = module.getOps<ProgramOp>();
  if (options.report.empty() || programs.empty())
    return success();
  FailureOr<isa::Program> program = exportProgram(*programs.begin());
  if (failed(program))
    return failure();
  CodeFootprint footprint = codeFootprint(*program);
  bool json = options.reportFormat == "json";
  if (options.report == "-") {
    // Standard output holds the report already: a JSON one stays JSON.
    if (!json)
      printCodeFootprint(llvm::outs(), footprint);
    return success();
  }
  // The report with the footprint after it (text) or as its "code" member
  // (JSON), renamed into place whole.
  auto report = llvm::MemoryBuffer::getFile(options.report);
  if (!report)
    return module.emitError("cannot read '")
           << options.report << "': " << report.getError().message();
  llvm::json::Object object;
  if (json) {
    llvm::Expected<llvm::json::Value> parsed =
        llvm::json::parse((*report)->getBuffer());
    if (!parsed)
      return module.emitError("'") << options.report << "' is not JSON: "
                                   << llvm::toString(parsed.takeError());
    if (!parsed->getAsObject())
      return module.emitError("'") << options.report
                                   << "' is not a JSON object";
    object = std::move(*parsed->getAsObject());
  }
  if (llvm::Error err = llvm::writeToOutput(
          options.report, [&](llvm::raw_ostream &os) {
            if (!json) {
              os << (*report)->getBuffer();
              printCodeFootprint(os, footprint);
              return llvm::Error::success();
            }
            llvm::json::Array entries;
            for (const EntryFootprint &entry : footprint.entries)
              entries.push_back(llvm::json::Object{
                  {"name", entry.name},
                  {"index", entry.index},
                  {"instructions", entry.instructions},
                  {"bytes", entry.bytes}});
            object["code"] = llvm::json::Object{
                {"entries", std::move(entries)},
                {"instructions", footprint.instructions},
                {"bytes", footprint.bytes}};
            os << llvm::formatv("{0:2}", llvm::json::Value(std::move(object)))
               << "\n";
            return llvm::Error::success();
          }))
    return module.emitError("cannot write '")
           << options.report << "': " << llvm::toString(std::move(err));
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
/// selected: then everything is compressed in one run. A `packer` packs
/// each batch's quantized weights (and releases them) as soon as it is done.
LogicalResult compress(ModuleOp module, const CompileOptions &options,
                       StringRef compression, WeightPacker *packer) {
  std::string whole = "func.func(" + compression.str() + ")";
  std::vector<std::pair<std::string, int64_t>> ops;
  llvm::StringSet<> seen;
  bool named = true;
  module.walk([&](Operation *op) {
    int64_t elements = 0;
    if (auto linear = dyn_cast<LinearOp>(op))
      elements = linear.getWeight().getType().getNumElements();
    else if (!llvm::isa<AttentionOp>(op))
      return;
    std::string name = locationName(op->getLoc());
    named &= !name.empty();
    if (seen.insert(name).second)
      ops.emplace_back(name, elements);
  });
  if (!options.calibration.empty() || !named || ops.empty())
    return failure(failed(runPipeline(module, whole, "the pipeline")) ||
                   (packer && failed(packer->packQuantized(module))));
  for (size_t done = 0; done < ops.size();) {
    std::string regex;
    for (int64_t elements = 0; done < ops.size() && elements < kStreamElements;
         ++done) {
      regex +=
          (regex.empty() ? "" : "|") + llvm::Regex::escape(ops[done].first);
      elements += ops[done].second;
    }
    FailureOr<std::string> batch =
        compressionPipeline(module, options, "^(" + regex + ")$");
    if (failed(batch) ||
        failed(runPipeline(module, "func.func(" + *batch + ")",
                           "the pipeline")) ||
        (packer && failed(packer->packQuantized(module))))
      return failure();
    if (options.progress)
      options.progress(done, ops.size());
  }
  return success();
}

llvm::ArrayRef<uint8_t> bytesOf(const llvm::MemoryBuffer &buffer) {
  return {reinterpret_cast<const uint8_t *>(buffer.getBufferStart()),
          buffer.getBufferSize()};
}

/// Writes the package of a lowered module: its program, the weight image of
/// `parts` (its regions copied from their file), the config and the
/// tokenizer.
LogicalResult writeCompiledPackage(ModuleOp module, StringRef path,
                                   const CompileOptions &options,
                                   const image::ImageParts &parts) {
  std::unique_ptr<llvm::MemoryBuffer> config, vocabulary;
  for (auto [file, buffer] :
       {std::pair(StringRef(options.configPath), &config),
        std::pair(StringRef(options.tokenizerPath), &vocabulary)}) {
    if (file.empty())
      continue;
    auto contents = llvm::MemoryBuffer::getFile(
        file, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!contents)
      return error(module) << "cannot read '" << file
                           << "': " << contents.getError().message();
    *buffer = std::move(*contents);
  }
  PackageOptions packageOptions;
  packageOptions.weightImageParts = &parts;
  if (config) {
    packageOptions.configJSON = config->getBuffer();
    packageOptions.configPath = options.configPath;
  }
  if (vocabulary)
    packageOptions.tokenizer = bytesOf(*vocabulary);
  return writePackage(module, path, packageOptions);
}

/// Writes the image of `parts` to `path` atomically.
LogicalResult writeImage(ModuleOp module, StringRef path,
                         const image::ImageParts &parts) {
  AtomicOutput out;
  if (llvm::Error err = out.open(path))
    return error(module) << llvm::toString(std::move(err));
  out.stream().write(reinterpret_cast<const char *>(parts.head.data()),
                     parts.head.size());
  if (llvm::Error err = package::appendRanges(out, parts.file, parts.ranges))
    return error(module) << llvm::toString(std::move(err));
  if (llvm::Error err = out.keep())
    return error(module) << llvm::toString(std::move(err));
  return success();
}

/// The side outputs (the compression report, the weight image) that a
/// compilation writes before it can still fail (lowering, the package) and
/// that did not exist before it: removed unless kept, so a failed
/// compilation leaves no new file behind.
class SideOutputs {
public:
  explicit SideOutputs(const CompileOptions &options) {
    for (StringRef path : {StringRef(options.report),
                           StringRef(options.weightImage)})
      if (!path.empty() && path != "-" && !llvm::sys::fs::exists(path))
        created.push_back(path.str());
  }
  ~SideOutputs() {
    for (const std::string &path : created)
      llvm::sys::fs::remove(path);
  }
  void keep() { created.clear(); }

private:
  std::vector<std::string> created;
};

/// Marks the graph a module raised to run on the engine without a decode
/// step: its function is the `forward` entry (docs/ISA.md §7), run once
/// over its input rows. Errors name each ONNX node left unraised (the
/// engine cannot run it) and a graph with attention (the engine runs
/// attention as a decoder step, over a KV cache).
LogicalResult markForward(ModuleOp module, const CompileOptions &options) {
  auto functions = module.getOps<func::FuncOp>();
  if (functions.empty() || llvm::any_of(functions, [](func::FuncOp fn) {
        return fn->hasAttr("accel.entry");
      }))
    return success();
  bool unraised = false;
  WalkResult attention = module.walk([&](Operation *op) {
    if (op->getName().getStringRef() == "onnx.node") {
      auto type = op->getAttrOfType<StringAttr>("op_type");
      InFlightDiagnostic diag =
          op->emitError() << (type ? type.getValue() : StringRef("the node"))
                          << " was not raised to an accel op: the engine "
                             "cannot run it";
      if (std::string reason = raise::elementwiseUnraisedReason(op);
          !reason.empty())
        diag << " (" << reason << ")";
      unraised = true;
    }
    if (!llvm::isa<AttentionOp>(op))
      return WalkResult::advance();
    op->emitError("the graph has attention: the engine runs it as a decoder "
                  "step over a KV cache; compile with ")
        << option(options, "decode") << " or " << option(options, "lambda");
    return WalkResult::interrupt();
  });
  if (unraised || attention.wasInterrupted())
    return failure();
  if (!llvm::hasSingleElement(functions))
    return error(module) << "the module has "
                         << llvm::range_size(functions)
                         << " functions: the forward entry runs one graph";
  (*functions.begin())
      ->setAttr("accel.entry", StringAttr::get(module.getContext(), "forward"));
  return success();
}

/// compileModule; a `packer` packs the weights instead of accel-pack (each
/// batch's as soon as it is compressed, released once packed: a package
/// holds them in its image), the image's parts in `parts`.
LogicalResult compile(ModuleOp module, const CompileOptions &options,
                      bool lower, WeightPacker *packer,
                      image::ImageParts *parts) {
  DriverOptionNames names(module.getContext(), options);
  SideOutputs sideOutputs(options);
  if (failed(parseSharePolicy(UnknownLoc::get(module.getContext()),
                              options.shareAttention)))
    return failure();
  FailureOr<std::string> compression = compressionPipeline(module, options);
  if (failed(compression))
    return failure();
  FailureOr<std::string> attention = attentionPipeline(module, options);
  if (failed(attention))
    return failure();
  if (options.attention != "f32" && options.attention != "int8")
    return error(module) << option(options, "attention")
                         << " expects f32 or int8, got '"
                         << options.attention << "'";
  // A graph lowered without a decode step reports what was not raised as
  // errors (markForward).
  bool forward = lower && attention->empty();
  if (failed(runPipeline(module,
                         forward ? "func.func(accel-raise-onnx{report-unraised="
                                   "0}),accel-f32-activations,canonicalize,cse"
                                 : "func.func(accel-raise-onnx),accel-f32-"
                                   "activations,canonicalize,cse",
                         "the pipeline")))
    return failure();
  if (!compression->empty() &&
      failed(compress(module, options, *compression, packer)))
    return failure();
  if (forward && failed(markForward(module, options)))
    return failure();
  std::string pipeline;
  auto add = [&](StringRef passes) {
    pipeline += (pipeline.empty() ? "" : ",") + passes.str();
  };
  if (!attention->empty())
    add(*attention + ",cse");
  if (options.attention == "int8")
    add("accel-int8-attention");
  if (!options.report.empty())
    add("accel-compression-report{format=" + options.reportFormat +
        " output=" + options.report + "}");
  if (!packer && !options.weightImage.empty())
    add("accel-pack{output=" + optionValue(options.weightImage) + "}");
  else if (!packer && lower)
    add("accel-pack");
  if (!pipeline.empty() &&
      failed(runPipeline(module, pipeline, "the pipeline")))
    return failure();
  if (packer) {
    FailureOr<image::ImageParts> packed = packer->finish(module);
    if (failed(packed))
      return failure();
    *parts = std::move(*packed);
  }
  if (lower && failed(lowerToISA(module, options)))
    return failure();
  if (failed(reportFootprint(module, options)))
    return failure();
  sideOutputs.keep();
  return success();
}

} // namespace

LogicalResult accel::accelisa::compileModule(ModuleOp module,
                                             const CompileOptions &options,
                                             bool lower) {
  return compile(module, options, lower, /*packer=*/nullptr,
                 /*parts=*/nullptr);
}

LogicalResult accel::accelisa::compileToPackage(ModuleOp module, StringRef path,
                                                const CompileOptions &options) {
  if (path == "-")
    return error(module) << "a package is binary: name the output file with -o";
  SideOutputs sideOutputs(options);
  // The package is written from the parts of the weight image, whose
  // regions the packer wrote to a temporary file beside it as it packed each
  // batch; --weight-image writes the image from them too.
  WeightPacker packer(PackOptions().rowsPerTile, path);
  image::ImageParts parts;
  if (failed(compile(module, options, /*lower=*/true, &packer, &parts)) ||
      (!options.weightImage.empty() &&
       failed(writeImage(module, options.weightImage, parts))) ||
      failed(writeCompiledPackage(module, path, options, parts)))
    return failure();
  sideOutputs.keep();
  return success();
}
