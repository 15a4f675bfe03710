//===- Reference.h - the ISA's tables as Markdown ---------------*- C++ -*-===//
//
// docs/ISA.md's opcode and bit-layout tables, printed from the one table of
// ISA.h so that the document cannot drift from the encoder (a lit test
// compares them).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_ISA_REFERENCE_H
#define ACCEL_ISA_REFERENCE_H

#include "llvm/Support/raw_ostream.h"

namespace accel::isa {

void printReference(llvm::raw_ostream &os);

} // namespace accel::isa

#endif // ACCEL_ISA_REFERENCE_H
