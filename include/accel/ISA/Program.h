//===- Program.h - a program: instructions, labels, entry points -*- C++
//-*-===//
//
// What the assembler reads and the disassembler prints: the code, and the
// names of positions in it. Labels and entry points live in a package's
// symbol table (docs/FORMATS.md §5); raw code has none, and the printer
// names every branch target `.L<index>`.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_ISA_PROGRAM_H
#define ACCEL_ISA_PROGRAM_H

#include "accel/ISA/ISA.h"

#include <string>
#include <vector>

namespace accel::isa {

struct Symbol {
  std::string name;
  uint32_t index; ///< the instruction it names (may equal the code size)
  bool entry;     ///< an entry point (`.entry name`), else a label
};

struct Program {
  std::vector<Instruction> code;
  /// In order of index; at one index, in the order they were defined.
  std::vector<Symbol> symbols;
};

} // namespace accel::isa

#endif // ACCEL_ISA_PROGRAM_H
