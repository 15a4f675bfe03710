//===- Module.cpp - accel's small C++ API ---------------------------------===//

#include "accel/API/Module.h"

#include "accel/Frontend/ONNXImport.h"
#include "accel/InitAccel.h"
#include "accel/Reference/Executor.h"
#include "accel/Reference/Golden.h"
#include "accel/Support/Diagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
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


Module::Module(std::unique_ptr<State> state) : state(std::move(state)) {}
Module::~Module() = default;
Module::Module(Module &&) noexcept = default;
Module &Module::operator=(Module &&) noexcept = default;

llvm::Expected<Module> Module::parse(llvm::StringRef text,
                                     llvm::StringRef bufferName) {
  auto state = std::make_unique<State>();
  accel::DiagnosticCollector diagnostics(state->context);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, bufferName), llvm::SMLoc());
  state->module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &state->context);
  if (!state->module)
    return diagnostics.takeError("cannot parse " + bufferName.str());
  return Module(std::move(state));
}

llvm::Expected<Module> Module::load(llvm::StringRef path) {
  auto state = std::make_unique<State>();
  accel::DiagnosticCollector diagnostics(state->context);
  state->module =
      mlir::parseSourceFile<mlir::ModuleOp>(path, &state->context);
  if (!state->module)
    return diagnostics.takeError("cannot read or parse '" + path.str() + "'");
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

llvm::Error Module::runPipeline(llvm::StringRef pipeline,
                                std::vector<std::string> *warnings) {
  accel::registerAccelPasses();
  accel::DiagnosticCollector diagnostics(state->context);
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
    return diagnostics.takeError("pass pipeline '" + pipeline.str() + "' failed");
  if (warnings)
    *warnings = diagnostics.diagnostics();
  return llvm::Error::success();
}

llvm::Error
Module::compileToPackage(llvm::StringRef path,
                         const accel::accelisa::CompileOptions &options) {
  accel::registerAccelPasses();
  accel::DiagnosticCollector diagnostics(state->context);
  if (mlir::failed(
          accel::accelisa::compileToPackage(*state->module, path, options)))
    return diagnostics.takeError("cannot compile to '" + path.str() + "'");
  return llvm::Error::success();
}

llvm::Expected<Module> Module::importONNX(llvm::StringRef path,
                                          const ONNXImportOptions &options) {
  auto state = std::make_unique<State>();
  accel::DiagnosticCollector diagnostics(state->context);
  state->module = accel::importONNXFile(state->context, path, options);
  if (!state->module)
    return diagnostics.takeError("cannot import '" + path.str() + "'");
  return Module(std::move(state));
}

namespace {

/// The function a module runs by default: `main_graph` if there is one,
/// else the only function.
mlir::func::FuncOp mainFunction(mlir::ModuleOp module) {
  if (auto main = module.lookupSymbol<mlir::func::FuncOp>("main_graph"))
    return main;
  auto funcs = module.getOps<mlir::func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) == 1)
    return *funcs.begin();
  return {};
}

std::vector<std::string> functionNames(mlir::ModuleOp module) {
  std::vector<std::string> names;
  for (mlir::func::FuncOp fn : module.getOps<mlir::func::FuncOp>())
    if (!fn.isExternal())
      names.push_back(fn.getSymName().str());
  return names;
}

/// The function named `name` (the main one when empty), or an error that
/// lists the functions there are.
llvm::Expected<mlir::func::FuncOp> findFunction(mlir::ModuleOp module,
                                                llvm::StringRef name) {
  mlir::func::FuncOp fn =
      name.empty() ? mainFunction(module)
                   : module.lookupSymbol<mlir::func::FuncOp>(name);
  if (fn && !fn.isExternal())
    return fn;
  std::string available = llvm::join(functionNames(module), "', '");
  std::string what =
      name.empty() ? "no main_graph function nor a single function to run"
                   : "no function '" + name.str() + "' with a body";
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "the module has " + what +
          (available.empty() ? "; it has no functions"
                             : "; its functions: '" + available + "'"));
}

std::string nameOf(mlir::DictionaryAttr attrs, llvm::StringRef fallback,
                   unsigned index) {
  if (auto name = attrs ? attrs.getAs<mlir::StringAttr>("onnx.name")
                        : mlir::StringAttr())
    return name.str();
  return fallback.str() + std::to_string(index);
}

std::string typeText(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

using Signature = std::vector<std::pair<std::string, std::string>>;

Signature inputsOf(mlir::func::FuncOp fn) {
  Signature result;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    result.emplace_back(nameOf(fn.getArgAttrDict(i), "arg", i),
                        typeText(fn.getArgumentTypes()[i]));
  return result;
}

Signature outputsOf(mlir::func::FuncOp fn) {
  Signature result;
  for (unsigned i = 0; i < fn.getNumResults(); ++i)
    result.emplace_back(nameOf(fn.getResultAttrDict(i), "result", i),
                        typeText(fn.getResultTypes()[i]));
  return result;
}

} // namespace

Signature Module::inputs() const {
  mlir::func::FuncOp fn = mainFunction(*state->module);
  return fn ? inputsOf(fn) : Signature();
}

Signature Module::outputs() const {
  mlir::func::FuncOp fn = mainFunction(*state->module);
  return fn ? outputsOf(fn) : Signature();
}

llvm::Expected<Signature>
Module::functionInputs(llvm::StringRef function) const {
  llvm::Expected<mlir::func::FuncOp> fn =
      findFunction(*state->module, function);
  if (!fn)
    return fn.takeError();
  return inputsOf(*fn);
}

llvm::Expected<Signature>
Module::functionOutputs(llvm::StringRef function) const {
  llvm::Expected<mlir::func::FuncOp> fn =
      findFunction(*state->module, function);
  if (!fn)
    return fn.takeError();
  return outputsOf(*fn);
}

std::vector<std::string> Module::functions() const {
  return functionNames(*state->module);
}

llvm::Expected<std::map<std::string, accel::reference::Tensor>>
Module::referenceRun(
    const std::map<std::string, accel::reference::Tensor> &inputs,
    llvm::StringRef function) const {
  return runFunction(inputs, function, /*golden=*/false);
}

llvm::Expected<std::map<std::string, accel::reference::Tensor>>
Module::goldenRun(const std::map<std::string, accel::reference::Tensor> &inputs,
                  llvm::StringRef function) const {
  return runFunction(inputs, function, /*golden=*/true);
}

llvm::Expected<std::map<std::string, accel::reference::Tensor>>
Module::runFunction(
    const std::map<std::string, accel::reference::Tensor> &inputs,
    llvm::StringRef function, bool golden) const {
  llvm::Expected<mlir::func::FuncOp> fn =
      findFunction(*state->module, function);
  if (!fn)
    return fn.takeError();
  std::vector<accel::reference::Tensor> args;
  Signature wanted = inputsOf(*fn);
  for (const auto &[name, type] : wanted) {
    auto it = inputs.find(name);
    if (it == inputs.end())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "missing input '" + name + "' of type " +
                                         type);
    args.push_back(it->second);
  }
  for (const auto &[name, tensor] : inputs)
    if (llvm::none_of(wanted, [&](const auto &w) { return w.first == name; }))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "function '" + fn->getSymName().str() + "' has no input '" + name +
              "'");
  llvm::Expected<std::vector<accel::reference::Tensor>> results =
      golden ? accel::reference::runGolden(*fn, args)
             : accel::reference::run(*fn, args);
  if (!results)
    return results.takeError();
  std::map<std::string, accel::reference::Tensor> named;
  Signature names = outputsOf(*fn);
  for (size_t i = 0; i < results->size(); ++i)
    named.emplace(names[i].first, std::move((*results)[i]));
  return named;
}
