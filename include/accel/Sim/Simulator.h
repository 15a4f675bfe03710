//===- Simulator.h - functional execution of engine programs ----*- C++ -*-===//
//
// The execution model of docs/ISA.md §3 over a Machine: the control unit
// fetches, executes scalar instructions and dispatches the others (their
// registers read at dispatch) to the ld, st, mx and vec queues; each unit
// executes its queue in order, taking and giving tokens. The functional
// scheduler interleaves the units deterministically (control until it
// blocks, then each unit in turn until it blocks, repeated); any interleaving
// that respects the tokens gives the same result for a race-free program.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_SIM_SIMULATOR_H
#define ACCEL_SIM_SIMULATOR_H

#include "accel/ISA/Program.h"
#include "accel/Sim/Machine.h"
#include "accel/Sim/Timing.h"

#include "llvm/Support/raw_ostream.h"

namespace accel::sim {

/// The step limit of a call over `tokens` tokens at `position` of a program
/// of `codeSize` instructions, when none is given (docs/SIMULATOR.md):
/// 16 x codeSize x (tokens + 1 + (position + tokens) / 256), at least 2^24.
/// A compiled call executes about half its code per decode step and a third
/// per prefill token; at 15-40 M instructions/s a runaway stops within
/// about a second (small programs) or a small multiple of a real call.
uint64_t defaultStepLimit(uint64_t codeSize, uint64_t tokens,
                          uint64_t position);

/// What a data run does with a race (docs/ISA.md §3 "Ordering",
/// docs/SIMULATOR.md "Races").
enum class RaceCheck { Off, Warn, Error };

struct RunOptions {
  /// Instructions executed (by every unit together) before the run is
  /// stopped as a runaway; 0 in Session::call: defaultStepLimit.
  uint64_t maxSteps = uint64_t(1) << 32;
  /// One line per executed instruction, when set.
  llvm::raw_ostream *trace = nullptr;
  /// Names of branch targets in the trace (else `.L<index>`).
  llvm::ArrayRef<isa::Symbol> symbols;
  /// Schedule with the timing model (docs/ENGINE.md §6) instead of the
  /// functional interleaving; its counters go to `timing` when set.
  bool timed = false;
  /// Execute the data effects of load/store/mv/mm and the vector
  /// instructions. When false (timing only, needs `timed`) only control
  /// flow, registers, lds/sts and the mcfg/vaset state are executed; data
  /// buffers keep what sts wrote (else 0).
  bool data = true;
  CallTiming *timing = nullptr;
  /// Races between units: an error (the first one stops the call), a
  /// warning on `warnings` per pair of instructions, or not checked. Only
  /// data runs check them.
  RaceCheck races = RaceCheck::Error;
  llvm::raw_ostream *warnings = nullptr;
  /// Instruction slices for the trace, when set (needs `timed`).
  Timeline *timeline = nullptr;
};

struct RunStats {
  uint64_t steps = 0;
  std::array<uint64_t, isa::kNumUnits> executed{};
  /// Races found (RaceCheck::Warn; each pair of instructions once).
  uint64_t races = 0;
};

/// The scalar semantics of a control instruction other than halt and
/// barrier (ISA §4): registers, the program counter and lds/sts.
llvm::Error executeControl(Machine &machine, const isa::Instruction &instr,
                           uint32_t pc, uint32_t codeSize, uint32_t &nextPc);

class Simulator {
public:
  Simulator(const hw::Config &config, std::vector<isa::Instruction> code);

  Machine &machine() { return state; }
  llvm::ArrayRef<isa::Instruction> code() const { return program; }

  /// Runs from instruction `entry` until `halt`, from the machine's current
  /// registers. Errors: a fault (instruction index, mnemonic, condition), a
  /// deadlock (what every unit waits for), the step limit, token counters
  /// not 0 at halt.
  llvm::Error run(uint32_t entry, const RunOptions &options,
                  RunStats *stats = nullptr);

private:
  Machine state;
  std::vector<isa::Instruction> program;
};

} // namespace accel::sim

#endif // ACCEL_SIM_SIMULATOR_H
