//===- Races.h - happens-before race detection ------------------*- C++ -*-===//
//
// docs/ISA.md §3 "Ordering": two accesses by different units to overlapping
// bytes, one of them a write, must be ordered by a chain of tokens, a
// `barrier` or `halt`. The detector keeps a vector clock per unit (ctl, ld,
// st, mx, vec) and, for every byte range of the buffers and HBM channels,
// the last write and the reads since it; an access not ordered after a
// conflicting one of another unit is a race. It sees only what the
// simulator executes: the ranges Buffers::span and Hbm::read/write hand out
// (Machine.h's Access log), the tokens taken and given, the dispatches.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_SIM_RACES_H
#define ACCEL_LIB_SIM_RACES_H

#include "accel/Sim/Simulator.h"

#include <deque>
#include <map>
#include <set>

namespace accel::sim::detail {

class RaceDetector {
public:
  /// Checks a call of `code` on `m` (registering its access logs there until
  /// destroyed); with RaceCheck::Warn each race (pair of instructions) is
  /// printed once to `warnings` and counted in `stats`.
  RaceDetector(Machine &m, llvm::ArrayRef<isa::Instruction> code,
               const RunOptions &options, RunStats &stats);
  ~RaceDetector();
  RaceDetector(const RaceDetector &) = delete;
  RaceDetector &operator=(const RaceDetector &) = delete;

  /// ctl dispatched an instruction to `unit`: it runs after everything ctl
  /// did so far.
  void dispatched(unsigned unit);
  /// `self` took a token from `from` / gave one to `to` (ISA §3: the
  /// counters are FIFOs, so the n-th take follows the n-th give).
  void took(unsigned from, unsigned self);
  void gave(unsigned self, unsigned to);
  /// `unit` starts executing instruction `pc`: its accesses go to the log.
  void begin(unsigned unit, uint32_t pc);
  /// The instruction begun last is done: checks and records its accesses.
  /// In error mode the first race is the error.
  llvm::Error end();
  /// `barrier` or `halt` with every unit idle: everything before is ordered
  /// before everything after.
  void drain();

private:
  using Clock = std::array<uint64_t, isa::kNumUnits>;
  /// An access of one instruction: its unit's clock value, and where.
  struct Epoch {
    uint64_t clock = 0; ///< 0: none
    uint32_t pc = 0;
  };
  /// The accesses to a byte range [start, hi) since its last write.
  struct Cell {
    uint64_t hi = 0;
    unsigned writer = 0;
    Epoch write;
    std::array<Epoch, isa::kNumUnits> reads{};
    bool sameAs(const Cell &other) const;
  };
  using Shadow = std::map<uint64_t, Cell>;

  /// Splits the cell holding `at` (if any) so a cell starts at `at`.
  void split(Shadow &shadow, uint64_t at);
  /// Clears the shadow state.
  void forget();
  /// Merges equal neighbouring cells of [lo, hi] into one.
  void merge(Shadow &shadow, uint64_t lo, uint64_t hi);
  llvm::Error access(const Access &a);
  llvm::Error race(const Access &a, uint64_t byte, unsigned otherUnit,
                   const Epoch &other, bool otherWrote);
  std::string instruction(unsigned unit, uint32_t pc) const;

  Machine &m;
  llvm::ArrayRef<isa::Instruction> code;
  const RunOptions &options;
  RunStats &stats;
  std::array<Clock, isa::kNumUnits> clocks{};
  /// The clock each given token carries, per channel T[u->v].
  std::array<std::array<std::deque<Clock>, isa::kNumUnits>, isa::kNumUnits>
      tokens;
  /// ctl's clock at each dispatch still queued, per unit.
  std::array<std::deque<Clock>, isa::kNumUnits> queued;
  /// Buffers, then HBM channels.
  std::vector<Shadow> shadows;
  /// Cells in `shadows`: past kMaxCells (a program touching millions of
  /// scattered ranges between barriers) they are forgotten, which can only
  /// miss races, so the detector's memory stays bounded (about 0.6 GB).
  uint64_t cells = 0;
  static constexpr uint64_t kMaxCells = uint64_t(1) << 22;
  std::vector<Access> log;
  unsigned unit = 0;
  uint32_t pc = 0;
  /// Pairs (earlier pc, later pc) already warned about.
  std::set<std::pair<uint32_t, uint32_t>> warned;
};

} // namespace accel::sim::detail

#endif // ACCEL_LIB_SIM_RACES_H
