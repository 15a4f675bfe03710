//===- Module.h - accel's small C++ API -------------------------*- C++ -*-===//
//
// The surface that the Python module (and any embedding program) uses: an IR
// module with its own context, parsed, printed, summarised and transformed by
// pass pipelines. Diagnostics come back as error text with their locations.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_API_MODULE_H
#define ACCEL_API_MODULE_H

#include "accel/Frontend/ONNXImport.h"
#include "accel/Reference/Tensor.h"
#include "accel/Target/ISA/Compile.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace accel::api {

class Module {
public:
  /// Parses and verifies IR text; `bufferName` names it in diagnostics.
  static llvm::Expected<Module> parse(llvm::StringRef text,
                                      llvm::StringRef bufferName = "<string>");
  /// Reads, parses and verifies an IR file (textual or bytecode).
  static llvm::Expected<Module> load(llvm::StringRef path);
  /// Imports an ONNX model: the sizes of its symbolic input dimensions,
  /// shape inference and its limits as `options` say.
  static llvm::Expected<Module> importONNX(llvm::StringRef path,
                                           const ONNXImportOptions &options);

  /// Runs a function on the reference executor: `function` by name, or by
  /// default the main one (`main_graph`, else the module's only function).
  /// Inputs are matched to arguments by their ONNX name (or `arg<i>`);
  /// results are named by their ONNX name (or `result<i>`). An unknown
  /// function is an error that lists the module's functions.
  llvm::Expected<std::map<std::string, reference::Tensor>>
  referenceRun(const std::map<std::string, reference::Tensor> &inputs,
               llvm::StringRef function = {}) const;
  /// Runs a function as the quantized golden model (docs/NUMERICS.md,
  /// reference::runGolden); function, inputs and results as for
  /// referenceRun.
  llvm::Expected<std::map<std::string, reference::Tensor>>
  goldenRun(const std::map<std::string, reference::Tensor> &inputs,
            llvm::StringRef function = {}) const;
  /// The main function's inputs and outputs: names and types as text (none
  /// when the module has no main function).
  std::vector<std::pair<std::string, std::string>> inputs() const;
  std::vector<std::pair<std::string, std::string>> outputs() const;
  /// The inputs and outputs of the function named `function` (the main one
  /// when empty), or an error that lists the module's functions.
  llvm::Expected<std::vector<std::pair<std::string, std::string>>>
  functionInputs(llvm::StringRef function) const;
  llvm::Expected<std::vector<std::pair<std::string, std::string>>>
  functionOutputs(llvm::StringRef function) const;
  /// The names of the module's functions with a body, in module order.
  std::vector<std::string> functions() const;

  /// The module as IR text (generic op form if `generic`).
  std::string toMLIR(bool generic = false) const;
  /// How many ops of each name the module holds, e.g. {"accel.linear": 7}.
  std::map<std::string, int64_t> opCounts() const;
  /// Runs a textual pass pipeline, e.g. "builtin.module(canonicalize)"; a
  /// pipeline not anchored on builtin.module is nested in one. On success,
  /// `warnings` (if given) receives the warnings and remarks the passes
  /// emitted, one per entry. On failure the module may be partly
  /// transformed.
  llvm::Error runPipeline(llvm::StringRef pipeline,
                          std::vector<std::string> *warnings = nullptr);
  /// Compiles the module in place to the .accel package at `path`, as
  /// accelc does with the flags `options` stands for: raising, compression,
  /// Λ attention, packing, lowering. Afterwards the module holds the
  /// accelisa.program, and the float weights the compression replaced are
  /// freed; on failure it may be partly compiled.
  llvm::Error compileToPackage(llvm::StringRef path,
                               const accelisa::CompileOptions &options);

  ~Module();
  Module(Module &&) noexcept;
  Module &operator=(Module &&) noexcept;

private:
  struct State;
  explicit Module(std::unique_ptr<State> state);
  llvm::Expected<std::map<std::string, reference::Tensor>>
  runFunction(const std::map<std::string, reference::Tensor> &inputs,
              llvm::StringRef function, bool golden) const;
  std::unique_ptr<State> state;
};

} // namespace accel::api

#endif // ACCEL_API_MODULE_H
