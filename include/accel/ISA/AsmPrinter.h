//===- AsmPrinter.h - assembly text of instructions and programs -*- C++
//-*-===//
//
// The canonical assembly of docs/ISA.md §Assembly: the parser reads back
// exactly what this prints, so print(parse(print(p))) == print(p).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_ISA_ASMPRINTER_H
#define ACCEL_ISA_ASMPRINTER_H

#include "accel/ISA/Program.h"

#include "llvm/ADT/FunctionExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace accel::isa {

/// What differs between the texts that print an instruction's operands (the
/// assembly, the accelisa dialect): how an fp32 value and a branch target
/// (an instruction index) are written.
struct OperandStyle {
  llvm::function_ref<std::string(uint32_t)> f32;
  llvm::function_ref<std::string(uint32_t)> target;
};

/// Prints `instr`'s operands as docs/ISA.md §6 orders them, each after
/// ", ": the positional ones, the `key=value` ones that are not 0, then the
/// `wait=`/`rel=` masks (a bit with no unit as its number).
void printOperands(llvm::raw_ostream &os, const Instruction &instr,
                   OperandStyle style);

/// Prints one instruction, without indentation or newline; `targetName`
/// names branch targets (default: `.L<index>`).
void printInstruction(llvm::raw_ostream &os, const Instruction &instr,
                      llvm::function_ref<std::string(uint32_t)> targetName);
std::string toString(const Instruction &instr);

/// Prints a whole program: `.entry` directives, labels and instructions.
void printProgram(llvm::raw_ostream &os, const Program &program);

/// An fp32 bit pattern as the assembly writes it: the shortest decimal that
/// reads back to the same bits, `inf`/`-inf`, or hex bits for NaNs.
std::string formatF32(uint32_t bits);

} // namespace accel::isa

#endif // ACCEL_ISA_ASMPRINTER_H
