//===- Diagnostics.h - compiler-style diagnostics ---------------*- C++ -*-===//
//
// Diagnostics as compilers print them, `where: error: what`, where `where` is
// `file:line:col` or, for imported models, the ONNX node name.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_SUPPORT_DIAGNOSTICS_H
#define ACCEL_SUPPORT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace accel {

/// `file:line:col`, or an op's name (with its file position if it has one);
/// empty for an unknown location.
std::string formatLocation(mlir::Location loc);

/// The name an op is known by: its NameLoc's name (the ONNX node or
/// initializer name after import), else `file:line:col`; empty if neither.
std::string locationName(mlir::Location loc);

/// A dense_resource key for a tensor named `name` that the MLIR printer
/// writes bare and the parser reads back: letters, digits, `_` and `.`,
/// anything else replaced by `_` (ONNX names such as `onnx::MatMul_5` are
/// not). The tensor's own name stays in its op's location.
std::string resourceKey(llvm::StringRef name);

/// How a pass names an option in a diagnostic: "`option`" (one of its
/// own), or "owner's `option`" (another pass's, or the import's: owner
/// "the import"). Streamed as one argument of the diagnostic
/// (`diag << optionReference("max-context")`), a driver that sets the option
/// from one of its own names that one instead (accelc's --max-context,
/// accel.compile's max_context: accelisa::compileModule).
std::string optionReference(llvm::StringRef option,
                            llvm::StringRef owner = "");
/// The option a diagnostic argument names if it is an optionReference;
/// empty otherwise.
llvm::StringRef referencedOption(llvm::StringRef argument);

/// One diagnostic and its notes, one line each: `where: severity: message`.
std::string formatDiagnostic(mlir::Diagnostic &diag);

/// Collects every diagnostic emitted on a context while it lives.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext &context);
  /// Everything collected, one diagnostic per line.
  const std::string &text() const { return collected; }
  /// Each diagnostic collected, with its notes.
  const std::vector<std::string> &diagnostics() const { return each; }
  /// An error holding the collected text, or `fallback` if there is none.
  llvm::Error takeError(llvm::StringRef fallback) const;

private:
  std::string collected;
  std::vector<std::string> each;
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace accel

#endif // ACCEL_SUPPORT_DIAGNOSTICS_H
