//===- InstructionAccesses.h - what instructions read and write -*- C++ -*-===//
//
// Internal to accel-insert-tokens: the bytes of the buffers and of HBM an
// instruction reads and writes, from its fields, the ranges of values its
// registers may hold (RegisterRanges.h) and the unit state `mcfg`,
// `vaset`, `maset` and `vrset` set before it in program order. An access
// covers the bytes from the lowest to the highest address the ranges
// allow, for the largest count; an unknown address or count runs to the
// end of the buffer. HBM is tracked per region (the base register r1..r4
// an address derives from, every region where none), channel and offset.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_CONVERSION_ACCELTOISA_INSTRUCTIONACCESSES_H
#define ACCEL_LIB_CONVERSION_ACCELTOISA_INSTRUCTIONACCESSES_H

#include "RegisterRanges.h"

#include "accel/ISA/ISA.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <utility>

namespace accel::lowering {

/// Access spaces: the five buffers, then HBM by region (base register
/// r1..r4) and channel: space kHbmSpace + (region - 1) * channels + channel.
constexpr unsigned kHbmSpace = isa::kNumBuffers;

struct Access {
  unsigned space;
  int64_t lo, hi; ///< bytes [lo, hi); hi = -1: to the end of the space
  bool write;
};

class AccessModel {
public:
  explicit AccessModel(int64_t channels) : channels(channels) {}
  /// The registers' values before the next instruction.
  void setRegisters(const Registers *before) { regs = before; }
  /// Forgets the unit state (control arrives from elsewhere).
  void forgetState() {
    matrixConfig = attentionConfig = std::nullopt;
    rankTables = std::nullopt;
  }
  /// What `i` reads and writes; the unit state it sets is kept for the
  /// instructions after it.
  llvm::SmallVector<Access, 6> accessesOf(const isa::Instruction &i);

private:
  /// The values register field `name` may hold.
  const RegisterRange &reg(const isa::Instruction &i, llvm::StringRef name) const {
    return (*regs)[i.get(name)];
  }
  /// The unsigned values of register field `name` (any for a based one).
  std::pair<int64_t, int64_t> values(const isa::Instruction &i,
                                     llvm::StringRef name) const {
    const RegisterRange &r = reg(i, name);
    return r.base ? RegisterRange::top().asUnsigned() : r.asUnsigned();
  }
  /// The largest count `reg + imm` may be, if known.
  std::optional<int64_t> count(const isa::Instruction &i, llvm::StringRef reg,
                               llvm::StringRef imm = "") const;
  /// `bytes` (unknown: to the end) from buffer address `reg + imm + off`,
  /// the register and `off` anywhere in their ranges.
  void onChip(llvm::SmallVectorImpl<Access> &out, const isa::Instruction &i,
              llvm::StringRef buf, llvm::StringRef reg, int64_t imm,
              std::optional<int64_t> bytes, bool write,
              std::pair<int64_t, int64_t> off = {0, 0}) const;
  void hbm(llvm::SmallVectorImpl<Access> &out, const isa::Instruction &i,
           bool write) const;

  int64_t channels;
  const Registers *regs = nullptr; ///< before the current instruction
  std::optional<isa::Instruction> matrixConfig, attentionConfig;
  /// The RoPE tables `vrset` set, with its address registers' values.
  struct RankTables {
    unsigned cosBuf, sinBuf;
    RegisterRange cos, sin;
    int64_t rot;
  };
  std::optional<RankTables> rankTables;
  /// The table rows a `vqk` with rope=1 reads (ISA §5.7): rows R[rp] and
  /// R[rk] .. R[rk] + n - 1 of both tables; every buffer when unknown.
  void rankTableReads(llvm::SmallVectorImpl<Access> &out,
                      const isa::Instruction &i,
                      std::optional<int64_t> n) const;
};

} // namespace accel::lowering

#endif // ACCEL_LIB_CONVERSION_ACCELTOISA_INSTRUCTIONACCESSES_H
