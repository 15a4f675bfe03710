//===- AccelISABuilder.h - building accelisa programs -----------*- C++ -*-===//
//
// What the lowering from `accel` calls to write instructions: an
// isa::Instruction (accel/ISA/ISA.h: Instruction::create(opcode), then set()
// each field by name) becomes its accelisa op, labels and entry points
// become `accelisa.label` / `accelisa.entry`. Put them in the body of an
// `accelisa.program` (ProgramOp::create(builder, loc, name), then
// setInsertionPointToEnd(&program.getBody().front())).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_DIALECT_ACCELISA_ACCELISABUILDER_H
#define ACCEL_DIALECT_ACCELISA_ACCELISABUILDER_H

#include "accel/ISA/ISA.h"

#include "mlir/IR/Builders.h"

namespace accel::accelisa {

class ProgramOp;

/// Creates the accelisa op for `instruction` (its opcode, token masks and
/// every field); for branches/jumps, `target` names the label.
mlir::Operation *buildInstruction(mlir::OpBuilder &builder, mlir::Location loc,
                                  const isa::Instruction &instruction,
                                  llvm::StringRef target = {});

/// Creates `accelisa.label @name` / `accelisa.entry @name` at the insertion
/// point.
void buildLabel(mlir::OpBuilder &builder, mlir::Location loc,
                llvm::StringRef name);
void buildEntry(mlir::OpBuilder &builder, mlir::Location loc,
                llvm::StringRef name);

/// Creates an empty `accelisa.program @name` at the insertion point and
/// moves the insertion point into its body.
ProgramOp buildProgram(mlir::OpBuilder &builder, mlir::Location loc,
                       llvm::StringRef name);

} // namespace accel::accelisa

#endif // ACCEL_DIALECT_ACCELISA_ACCELISABUILDER_H
