//===- CodeFootprint.h - bytes of code per entry point ----------*- C++ -*-===//
//
// The instruction-footprint report: for each entry point, the instructions
// it can reach (fall-through, branches, jumps and jal; a `jr` ends a path),
// their bytes, and the code size as a whole. Code does not grow with the
// context length: lengths and positions are registers (docs/ISA.md §7).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_TARGET_ISA_CODEFOOTPRINT_H
#define ACCEL_TARGET_ISA_CODEFOOTPRINT_H

#include "accel/ISA/Program.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace accel::accelisa {

struct EntryFootprint {
  std::string name;
  uint32_t index = 0;        ///< the entry's instruction
  uint64_t instructions = 0; ///< reachable from it
  uint64_t bytes = 0;
};

struct CodeFootprint {
  std::vector<EntryFootprint> entries;
  uint64_t instructions = 0, bytes = 0; ///< the whole code
};

CodeFootprint codeFootprint(const isa::Program &program);

/// A table: one line per entry, then the total.
void printCodeFootprint(llvm::raw_ostream &os, const CodeFootprint &footprint);

} // namespace accel::accelisa

#endif // ACCEL_TARGET_ISA_CODEFOOTPRINT_H
