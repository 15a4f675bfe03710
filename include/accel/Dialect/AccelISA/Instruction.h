//===- Instruction.h - accelisa ops <-> isa::Instruction --------*- C++ -*-===//
//
// The one mapping between an instruction op's attributes and the fields of
// an isa::Instruction: the builder, the verifier, the assembly and the
// translation all use it. Field attributes are named as in
// lib/ISA/Formats.cpp: i64 for integer, register, buffer and enum fields
// (the encoded code), f32 for fp32 fields (bit-exact), a flat symbol
// reference for a branch target; `wait` and `rel` are the token masks.
// `funct` fields have no attribute (the mnemonic fixes them).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_DIALECT_ACCELISA_INSTRUCTION_H
#define ACCEL_DIALECT_ACCELISA_INSTRUCTION_H

#include "accel/ISA/ISA.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"

#include <optional>

namespace accel::accelisa {

/// The name of the token-mask attributes.
constexpr llvm::StringLiteral kWaitAttr = "wait";
constexpr llvm::StringLiteral kReleaseAttr = "rel";

/// The opcode of `op` if it is an accelisa instruction op.
std::optional<isa::Opcode> getOpcode(mlir::Operation *op);

/// The instruction `op` holds. Absent fields are 0, and so is a target
/// field: getTarget() names it. `op` must be an instruction op whose
/// attributes have their types (the generated verifier checks them); token
/// masks outside 0..255 are kept as their low 8 bits.
isa::Instruction getInstruction(mlir::Operation *op);

/// The label a branch or jump op goes to; null for other instructions.
mlir::FlatSymbolRefAttr getTarget(mlir::Operation *op);

/// The attributes of `instruction`: every field but funct fields, and the
/// token masks; a target field becomes `target = @target` (none when
/// `target` is empty).
void getAttributes(mlir::MLIRContext *context,
                   const isa::Instruction &instruction, llvm::StringRef target,
                   mlir::NamedAttrList &attributes);

/// The name of an instruction op: `accelisa.<mnemonic>`.
std::string getOperationName(isa::Opcode opcode);

} // namespace accel::accelisa

#endif // ACCEL_DIALECT_ACCELISA_INSTRUCTION_H
