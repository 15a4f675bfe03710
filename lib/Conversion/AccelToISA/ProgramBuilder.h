//===- ProgramBuilder.h - the instructions the lowering emits ---*- C++ -*-===//
//
// Internal to the accel -> ISA lowering: a list of instructions with their
// branch targets, labels and entry points, and the scratch registers the
// code generator borrows for addresses and counts. Dependency tokens are
// accel-insert-tokens's business, after the lowering.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_CONVERSION_ACCELTOISA_PROGRAMBUILDER_H
#define ACCEL_LIB_CONVERSION_ACCELTOISA_PROGRAMBUILDER_H

#include "accel/ISA/ISA.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace accel::lowering {

/// One instruction of the program being built.
struct Emitted {
  isa::Instruction instruction;
  std::string target;                        ///< branch or jump target label
  llvm::SmallVector<std::string, 1> labels;  ///< labels naming it
  llvm::SmallVector<std::string, 1> entries; ///< entry points at it
};

class ProgramBuilder {
public:
  /// Code whose scratch registers go on from another builder's
  /// `scratchAt()` (0: from r16).
  explicit ProgramBuilder(unsigned scratchAt = 0) : nextScratch(scratchAt) {}

  /// Appends `instruction` (a branch or jump to `target`).
  Emitted &emit(isa::Instruction instruction, llvm::StringRef target = {});
  /// Names the next instruction.
  void label(llvm::StringRef name);
  void entry(llvm::StringRef name);

  /// A scratch register holding `value` (r0 for 0), set by an `addi` now.
  /// Scratch registers rotate over r16..r31: the registers an instruction
  /// names are read when it is dispatched, so a value is needed only until
  /// the next instruction that uses it has been emitted.
  unsigned constant(int64_t value);
  /// A fresh scratch register (not yet set).
  unsigned scratch();

  /// Emits into a section of its own until endSection (a subroutine's
  /// body, placed later by append), its scratch registers from r16.
  void beginSection();
  /// The code emitted since beginSection; emission goes on where it was.
  std::vector<Emitted> endSection();
  /// Appends the code of a section.
  void append(std::vector<Emitted> section);

  std::vector<Emitted> &getCode() { return code; }
  /// Where the next scratch register is in the rotation.
  unsigned scratchAt() const { return nextScratch; }

private:
  std::vector<Emitted> code, outside;
  llvm::SmallVector<std::string, 2> pendingLabels, pendingEntries,
      outsideLabels;
  unsigned nextScratch, outsideScratch = 0;
};

} // namespace accel::lowering

#endif // ACCEL_LIB_CONVERSION_ACCELTOISA_PROGRAMBUILDER_H
