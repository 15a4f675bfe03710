//===- AsmParser.h - assembly text to a program -----------------*- C++ -*-===//

#ifndef ACCEL_ISA_ASMPARSER_H
#define ACCEL_ISA_ASMPARSER_H

#include "accel/ISA/Program.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace accel::isa {

/// Parses docs/ISA.md §Assembly. The first error is returned as
/// `file:line:col: error: message`.
llvm::Expected<Program> parseAssembly(llvm::StringRef text,
                                      llvm::StringRef fileName);

} // namespace accel::isa

#endif // ACCEL_ISA_ASMPARSER_H
