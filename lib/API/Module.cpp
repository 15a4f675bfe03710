//===- Module.cpp - accel's small C++ API ---------------------------------===//

#include "accel/API/Module.h"

#include "accel/InitAccel.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace accel::api;

struct Module::State {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;

  State() : context(makeRegistry()) {
    // Threads would only help large pipelines, and Python callers may fork.
    context.disableMultithreading();
    // Errors name the op by location; the IR dump would drown them.
    context.printOpOnDiagnostic(false);
  }

  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    accel::registerAccelDialects(registry);
    return registry;
  }
};

namespace {

/// A location as compilers print it: `file:line:col`, or an op's name (the
/// ONNX node name for imported models).
std::string formatLocation(mlir::Location loc) {
  if (auto file = mlir::dyn_cast<mlir::FileLineColLoc>(loc))
    return (file.getFilename().strref() + ":" + llvm::Twine(file.getLine()) +
            ":" + llvm::Twine(file.getColumn()))
        .str();
  if (auto name = mlir::dyn_cast<mlir::NameLoc>(loc)) {
    std::string child = formatLocation(name.getChildLoc());
    return child.empty() ? name.getName().str()
                         : name.getName().str() + " (" + child + ")";
  }
  if (auto callSite = mlir::dyn_cast<mlir::CallSiteLoc>(loc))
    return formatLocation(callSite.getCallee());
  if (auto fused = mlir::dyn_cast<mlir::FusedLoc>(loc))
    for (mlir::Location inner : fused.getLocations())
      if (std::string text = formatLocation(inner); !text.empty())
        return text;
  return "";
}

/// Collects every diagnostic emitted while it lives, as "loc: error: msg".
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext &context)
      : handler(&context, [this](mlir::Diagnostic &diag) {
          llvm::raw_string_ostream os(text);
          if (!text.empty())
            os << "\n";
          if (std::string where = formatLocation(diag.getLocation());
              !where.empty())
            os << where << ": ";
          switch (diag.getSeverity()) {
          case mlir::DiagnosticSeverity::Error:
            os << "error: ";
            break;
          case mlir::DiagnosticSeverity::Warning:
            os << "warning: ";
            break;
          case mlir::DiagnosticSeverity::Note:
            os << "note: ";
            break;
          case mlir::DiagnosticSeverity::Remark:
            os << "remark: ";
            break;
          }
          os << diag.str();
          for (mlir::Diagnostic &note : diag.getNotes())
            os << "\n"
               << formatLocation(note.getLocation()) << ": note: "
               << note.str();
          return mlir::success();
        }) {}

  llvm::Error error(llvm::StringRef fallback) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   text.empty() ? fallback.str() : text);
  }

private:
  std::string text;
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace

Module::Module(std::unique_ptr<State> state) : state(std::move(state)) {}
Module::~Module() = default;
Module::Module(Module &&) noexcept = default;
Module &Module::operator=(Module &&) noexcept = default;

llvm::Expected<Module> Module::parse(llvm::StringRef text,
                                     llvm::StringRef bufferName) {
  auto state = std::make_unique<State>();
  DiagnosticCollector diagnostics(state->context);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, bufferName), llvm::SMLoc());
  state->module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &state->context);
  if (!state->module)
    return diagnostics.error("cannot parse " + bufferName.str());
  return Module(std::move(state));
}

llvm::Expected<Module> Module::load(llvm::StringRef path) {
  auto state = std::make_unique<State>();
  DiagnosticCollector diagnostics(state->context);
  state->module =
      mlir::parseSourceFile<mlir::ModuleOp>(path, &state->context);
  if (!state->module)
    return diagnostics.error("cannot read or parse '" + path.str() + "'");
  return Module(std::move(state));
}

std::string Module::toMLIR(bool generic) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::OpPrintingFlags flags;
  if (generic)
    flags.printGenericOpForm();
  state->module->print(os, flags);
  return text;
}

std::map<std::string, int64_t> Module::opCounts() const {
  std::map<std::string, int64_t> counts;
  state->module->walk([&](mlir::Operation *op) {
    if (op != state->module->getOperation())
      ++counts[op->getName().getStringRef().str()];
  });
  return counts;
}

llvm::Error Module::runPipeline(llvm::StringRef pipeline) {
  accel::registerAccelPasses();
  DiagnosticCollector diagnostics(state->context);
  // "canonicalize,cse" is shorthand for "builtin.module(canonicalize,cse)".
  std::string text = pipeline.trim().str();
  if (!llvm::StringRef(text).starts_with("builtin.module("))
    text = "builtin.module(" + text + ")";
  std::string parseErrors;
  llvm::raw_string_ostream errorStream(parseErrors);
  mlir::FailureOr<mlir::OpPassManager> parsed =
      mlir::parsePassPipeline(text, errorStream);
  if (mlir::failed(parsed))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "invalid pass pipeline '" + pipeline.str() +
                                       "': " + parseErrors);
  mlir::PassManager pm(&state->context);
  static_cast<mlir::OpPassManager &>(pm) = *parsed;
  if (mlir::failed(pm.run(*state->module)))
    return diagnostics.error("pass pipeline '" + pipeline.str() + "' failed");
  return llvm::Error::success();
}
