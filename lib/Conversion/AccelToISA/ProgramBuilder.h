//===- ProgramBuilder.h - instructions, their accesses, their tokens -*- C++ -*-===//
//
// Internal to the accel -> ISA lowering: the lowering appends instructions
// with the byte ranges each reads and writes (on-chip buffers, and the HBM
// areas the program writes); insertTokens() then gives every pair of
// accesses by different units to overlapping bytes, one of them a write, a
// dependency token (docs/ISA.md §3), pairing releases and waits in program
// order so that every token given is taken and the counters end at 0.
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

/// A byte range one instruction reads or writes: of an on-chip buffer
/// (`space` is the isa::Buffer) or of an HBM area the program writes
/// (`space` >= kHbmSpaces, one per area, e.g. a layer's key cache).
struct Access {
  unsigned space;
  int64_t lo, hi; ///< [lo, hi) bytes
  bool write;
};
constexpr unsigned kHbmSpaces = isa::kNumBuffers;

/// One instruction of the program being built.
struct Emitted {
  isa::Instruction instruction;
  std::string target;                ///< branch or jump target label
  llvm::SmallVector<std::string, 1> labels; ///< labels naming it
  llvm::SmallVector<std::string, 1> entries; ///< entry points at it
  llvm::SmallVector<Access, 4> accesses;
};

class ProgramBuilder {
public:
  /// `spaceBytes[s]`: the size of each access space (buffers, then HBM
  /// areas), for the dependency tracking granules.
  explicit ProgramBuilder(std::vector<int64_t> spaceBytes);

  /// Appends `instruction`, reading and writing `accesses`.
  Emitted &emit(isa::Instruction instruction,
                llvm::ArrayRef<Access> accesses = {},
                llvm::StringRef target = {});
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

  /// Adds the dependency tokens (straight-line code: the program must not
  /// branch backwards across accesses).
  void insertTokens();

  std::vector<Emitted> &getCode() { return code; }

private:
  std::vector<Emitted> code;
  std::vector<int64_t> spaceBytes;
  llvm::SmallVector<std::string, 2> pendingLabels, pendingEntries;
  unsigned nextScratch = 0;
};

} // namespace accel::lowering

#endif // ACCEL_LIB_CONVERSION_ACCELTOISA_PROGRAMBUILDER_H
