//===- SharePolicy.h - accel-lower-to-isa's share-attention -----*- C++ -*-===//
//
// The policy accel-lower-to-isa's share-attention option names, parsed in
// one place for the pass and for the drivers (accelisa::compileModule),
// which check it before their pipelines run.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_CONVERSION_SHAREPOLICY_H
#define ACCEL_CONVERSION_SHAREPOLICY_H

#include "accel/Support/Diagnostics.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringSwitch.h"

namespace accel {

/// Whether the steps' layers share their attention as subroutines
/// (accel-lower-to-isa's share-attention): Auto keeps each step's attention
/// in line unless the program would then not fit the config's instruction
/// memory, then shares the prefill step's, and if still too big the decode
/// step's too; Always shares both steps' attention, Never neither.
enum class SharePolicy { Auto, Always, Never };

/// The policy `value` names (auto, always, never); otherwise an error at
/// `loc`, after `prefix`, naming the option by optionReference (so a driver
/// names its own: accelc's --share-attention).
inline mlir::FailureOr<SharePolicy>
parseSharePolicy(mlir::Location loc, llvm::StringRef value,
                 llvm::StringRef prefix = "") {
  std::optional<SharePolicy> share =
      llvm::StringSwitch<std::optional<SharePolicy>>(value)
          .Case("auto", SharePolicy::Auto)
          .Case("always", SharePolicy::Always)
          .Case("never", SharePolicy::Never)
          .Default(std::nullopt);
  if (share)
    return *share;
  return mlir::emitError(loc)
         << prefix << optionReference("share-attention")
         << " must be auto, always or never, not '" << value << "'";
}

} // namespace accel

#endif // ACCEL_CONVERSION_SHAREPOLICY_H
