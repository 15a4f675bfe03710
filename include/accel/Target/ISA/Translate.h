//===- Translate.h - accelisa programs <-> isa::Program ---------*- C++ -*-===//
//
// An `accelisa.program` is an isa::Program written as ops: instructions in
// order, labels and entries naming positions. Exporting numbers the
// instructions from 0, resolves targets to indices and keeps every label
// and entry as a symbol (but for `.L<index>` labels at their own index,
// which the assembly printer regenerates); importing makes a label for
// every symbol and a `.L<index>` label for every target without one.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_TARGET_ISA_TRANSLATE_H
#define ACCEL_TARGET_ISA_TRANSLATE_H

#include "accel/Dialect/AccelISA/AccelISAOps.h"
#include "accel/ISA/Program.h"

#include "mlir/IR/BuiltinOps.h"

namespace accel::accelisa {

/// The one `accelisa.program` of `module`; an error on the module if it
/// holds none or several.
mlir::FailureOr<ProgramOp> findProgram(mlir::ModuleOp module);

/// The isa::Program `program` holds. Errors (on the offending op): an
/// instruction that isa::verify rejects, an undefined or repeated name, a
/// target at the end of the code, a `.L<n>` label not at instruction n.
mlir::FailureOr<isa::Program> exportProgram(ProgramOp program);

/// Creates `accelisa.program @name` holding `program` at the insertion
/// point (which is left after it).
ProgramOp importProgram(mlir::OpBuilder &builder, mlir::Location loc,
                        const isa::Program &program, llvm::StringRef name);

/// Registers accel-translate's translations (TranslateRegistration.cpp):
/// accelisa to and from assembly, bare code and packages.
void registerTranslations();

} // namespace accel::accelisa

#endif // ACCEL_TARGET_ISA_TRANSLATE_H
