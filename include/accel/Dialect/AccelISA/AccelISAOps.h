//===- AccelISAOps.h - accelisa ops: programs and instructions --*- C++ -*-===//
//
// The op classes are generated: the instruction ops from the one instruction
// table (accel-isa-odsgen), the structural ops (program, label, entry) from
// dialects/AccelISA/AccelISAStructure.td.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_DIALECT_ACCELISA_ACCELISAOPS_H
#define ACCEL_DIALECT_ACCELISA_ACCELISAOPS_H

#include "accel/Dialect/AccelISA/AccelISADialect.h"
#include "accel/ISA/ISA.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"

namespace accel::accelisa {

/// The table-driven assembly and verifier every instruction op uses
/// (InstructionAsm.cpp, Instruction.cpp).
mlir::ParseResult parseInstruction(mlir::OpAsmParser &parser,
                                   mlir::OperationState &result,
                                   isa::Opcode opcode);
void printInstruction(mlir::OpAsmPrinter &printer, mlir::Operation *op);
mlir::LogicalResult verifyInstruction(mlir::Operation *op);

} // namespace accel::accelisa

#define GET_OP_CLASSES
#include "AccelISA/AccelISAOps.h.inc"

#endif // ACCEL_DIALECT_ACCELISA_ACCELISAOPS_H
