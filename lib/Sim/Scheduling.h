//===- Scheduling.h - what the functional and timed schedulers share ------===//
//
// Both schedulers of docs/ISA.md §3 (Simulator.cpp's functional interleaving
// and Timing.cpp's event-driven one) take and give tokens, dispatch, count
// steps, run the unit semantics and describe deadlocks the same way.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_SIM_SCHEDULING_H
#define ACCEL_LIB_SIM_SCHEDULING_H

#include "accel/Sim/Simulator.h"

namespace accel::sim::detail {

/// `instruction N (mnemonic)`.
std::string describe(const isa::Instruction &in, uint32_t pc);

/// The assembly text of `in`, branch targets by their `symbols` name (else
/// `.L<index>`).
void printAssembly(llvm::raw_ostream &os, const isa::Instruction &in,
                   llvm::ArrayRef<isa::Symbol> symbols);

/// The control unit's progress through its current instruction.
struct CtlProgress {
  uint32_t pc = 0, nextPc = 0;
  uint8_t taken = 0, given = 0;
  bool executed = false;
};

/// Takes the tokens of `mask` not yet in `taken` (in ascending unit order,
/// stopping at the first empty counter); true when all are taken. Sets
/// `progress` when a token moved; `missing` is the unit it waits for.
bool takeWaits(Machine &m, unsigned self, uint8_t mask, uint8_t &taken,
               bool &progress, unsigned *missing = nullptr);
/// Gives the tokens of `mask` not yet in `given`; true when all are given.
bool giveReleases(Machine &m, unsigned self, uint8_t mask, uint8_t &given,
                  bool &progress, unsigned *missing = nullptr);

/// The instruction with its register fields read now (ISA §3 dispatch).
Op dispatch(const Machine &m, const isa::Instruction &in, uint32_t pc);

/// Counts an executed instruction against the step limit and prints its
/// trace line.
llvm::Error countStep(const RunOptions &options, RunStats &stats, unsigned unit,
                      const isa::Instruction &in, uint32_t pc);

/// The semantics of a data instruction on its unit, faults named with the
/// instruction and unit.
llvm::Error executeData(Machine &m, unsigned unit, const Op &op);
/// A control instruction's semantics (halt and barrier: nothing).
llvm::Error executeCtl(Machine &m, const isa::Instruction &in, uint32_t pc,
                       uint32_t codeSize, uint32_t &nextPc);

/// The deadlock error: what every unit waits for.
llvm::Error deadlock(const Machine &m, llvm::ArrayRef<isa::Instruction> code,
                     const CtlProgress &ctl);
/// After halt: an error naming the token counters that are not 0.
llvm::Error checkCountersAtHalt(const Machine &m,
                                llvm::ArrayRef<isa::Instruction> code,
                                uint32_t pc);

/// The event-driven timing model (Timing.cpp) over the same semantics.
llvm::Error runTimed(Machine &m, llvm::ArrayRef<isa::Instruction> code,
                     uint32_t entry, const RunOptions &options,
                     RunStats &stats);

} // namespace accel::sim::detail

#endif // ACCEL_LIB_SIM_SCHEDULING_H
