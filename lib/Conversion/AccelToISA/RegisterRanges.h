//===- RegisterRanges.h - what an accelisa program's registers hold -*- C++
//-*-===//
//
// The ranges of values each scalar register can hold before each
// instruction of a program, found by abstract interpretation over its
// control flow (branches, jumps, calls and returns). accel-insert-tokens
// bounds the bytes an instruction touches with them.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_CONVERSION_ACCELTOISA_REGISTERRANGES_H
#define ACCEL_CONVERSION_ACCELTOISA_REGISTERRANGES_H

#include "accel/ISA/ISA.h"

#include "llvm/ADT/ArrayRef.h"

#include <array>
#include <optional>
#include <utility>
#include <vector>

namespace accel::lowering {

/// What is known of a 32-bit register: it holds `x mod 2^32` for some
/// integer x in [lo, hi], plus, when `base` is 1..4, the value the ABI
/// region base register r<base> had at entry (docs/ISA.md §7). A range of
/// 2^32 values or more knows nothing but the base.
struct RegisterRange {
  static constexpr int64_t kModulus = int64_t(1) << 32;

  unsigned base = 0;
  int64_t lo = 0, hi = kModulus - 1;

  static RegisterRange top(unsigned base = 0) {
    return RegisterRange{base, 0, kModulus - 1};
  }
  static RegisterRange constant(int64_t value) {
    return RegisterRange{0, value, value}.norm();
  }
  static RegisterRange of(unsigned base, int64_t lo, int64_t hi) {
    return RegisterRange{base, lo, hi}.norm();
  }

  bool isTop() const { return hi - lo >= kModulus - 1; }
  /// The interval of [0, 2^32) that holds the register's unsigned values
  /// (or a based register's offsets from its base).
  std::pair<int64_t, int64_t> asUnsigned() const;
  /// The interval of [-2^31, 2^31) that holds its two's complement values.
  std::pair<int64_t, int64_t> asSigned() const;
  /// The value, if a single number (no base).
  std::optional<int64_t> constant() const;

  bool operator==(const RegisterRange &o) const {
    return base == o.base && lo == o.lo && hi == o.hi;
  }
  bool operator!=(const RegisterRange &o) const { return !(*this == o); }

private:
  /// Wide ranges become top; otherwise lo is moved into [0, 2^32).
  RegisterRange norm() const;
};

using Registers = std::array<RegisterRange, isa::kNumRegisters>;

/// The registers before each instruction of `code` (none where control
/// never arrives). `targets[n]` is the instruction a branch, `jmp` or `jal`
/// at n goes to; `entries` are the entry points, where the ABI's registers
/// hold their documented values (r1..r4 the region bases, r5..r7 unknown,
/// the others 0). A `jr` may return after any `jal` its register's range
/// allows.
std::vector<std::optional<Registers>>
analyzeRegisters(llvm::ArrayRef<isa::Instruction> code,
                 llvm::ArrayRef<int64_t> targets,
                 llvm::ArrayRef<size_t> entries);

} // namespace accel::lowering

#endif // ACCEL_CONVERSION_ACCELTOISA_REGISTERRANGES_H
