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

namespace accel {

/// `file:line:col`, or an op's name (with its file position if it has one);
/// empty for an unknown location.
std::string formatLocation(mlir::Location loc);

/// One diagnostic and its notes, one line each: `where: severity: message`.
std::string formatDiagnostic(mlir::Diagnostic &diag);

/// Collects every diagnostic emitted on a context while it lives.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext &context);
  /// Everything collected, one diagnostic per line.
  const std::string &text() const { return collected; }
  /// An error holding the collected text, or `fallback` if there is none.
  llvm::Error takeError(llvm::StringRef fallback) const;

private:
  std::string collected;
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace accel

#endif // ACCEL_SUPPORT_DIAGNOSTICS_H
