//===- Timing.h - the timing model's counters and its cost formulas -*- C++
//-*-//
//
// docs/ENGINE.md §6 as the simulator models it (docs/SIMULATOR.md, "The
// timing model"): the event-driven scheduler (lib/Sim/Timing.cpp) runs the
// dispatcher and the four unit queues against one clock and fills a
// CallTiming per call; the cost of each data instruction is a formula of
// its operands and the hardware config (lib/Sim/Cost.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_SIM_TIMING_H
#define ACCEL_SIM_TIMING_H

#include "accel/Sim/Machine.h"

#include "llvm/ADT/SmallVector.h"

#include <string>

namespace accel::sim {

/// Why a unit could not go on although it had work (docs/SIMULATOR.md).
enum class Stall : unsigned {
  TokenWait, ///< waiting for a token from the other unit
  TokenFull, ///< waiting to give a token: T[self -> other] at capacity
  QueueFull, ///< the dispatcher: the other unit's queue is full
  Drain,     ///< the dispatcher: barrier/halt waits for every unit
};
constexpr unsigned kNumStalls = 4;
llvm::StringRef stallName(Stall stall);

struct UnitTiming {
  uint64_t busy = 0;         ///< cycles executing instructions
  uint64_t instructions = 0; ///< executed (ctl: executed by the dispatcher)
  uint64_t dispatched = 0;   ///< ctl: data instructions queued
  uint64_t contention = 0;   ///< DMA: cycles inside busy waiting for a channel
  /// stalls[kind][other unit] in cycles.
  std::array<std::array<uint64_t, isa::kNumUnits>, kNumStalls> stalls{};
};

/// What the timing model measured over one call of an entry point.
struct CallTiming {
  std::string entry;
  uint32_t position = 0, tokens = 0;
  uint64_t cycles = 0;
  std::array<UnitTiming, isa::kNumUnits> units{};
  uint64_t hbmReadBytes = 0, hbmWriteBytes = 0;
  /// Dense multiply-accumulates (tokens x rows x K) and the cycles the
  /// matrix unit needs for them at its modelled MAC rate.
  uint64_t macs = 0;
  double macCycles = 0;
  uint64_t fp32Ops = 0, sramBytes = 0;
  /// Dynamic energy in pJ (docs/ENGINE.md §6 "Energy").
  double macPJ = 0, fp32PJ = 0, hbmPJ = 0, sramPJ = 0;
};

/// One instruction on the timeline (the Perfetto trace).
struct TraceSlice {
  const char *mnemonic = nullptr;
  uint32_t pc = 0;
  uint8_t unit = 0;
  uint64_t start = 0, cycles = 0;
};

/// The instruction timeline of a whole run: calls one after another.
struct Timeline {
  uint64_t limit = 1u << 20; ///< slices kept; later ones are dropped
  bool truncated = false;
  uint64_t offset = 0; ///< the cycle the current call starts at
  std::vector<TraceSlice> slices;
  struct Span {
    std::string name;
    uint64_t start = 0, cycles = 0;
  };
  std::vector<Span> calls;
};

/// A DMA instruction's traffic: bytes per touched channel (rows rounded up
/// to `hbm.burst_bytes`) and the bytes it moves.
struct DmaTraffic {
  uint64_t rows = 0, bytes = 0;
  llvm::SmallVector<std::pair<unsigned, uint64_t>, 32> channels;
};
DmaTraffic dmaTraffic(const hw::Config &config, const Op &op);
/// Cycles channel-local traffic of `bytes` occupies one channel:
/// ⌈bytes / hbmEffectiveBytesPerCycle()⌉.
uint64_t channelCycles(const hw::Config &config, uint64_t bytes);

/// Cycles of a matrix instruction (docs/SIMULATOR.md "Matrix unit"); adds
/// its MACs, bytes and energy to `counts`. Faults for mv/mm before mcfg.
llvm::Expected<uint64_t> matrixCycles(const Machine &m, const Op &op,
                                      CallTiming &counts);
/// Cycles of a vector instruction (docs/SIMULATOR.md "Vector unit"); adds
/// its operations, bytes and energy to `counts`. Faults for an attention
/// instruction before vaset.
llvm::Expected<uint64_t> vectorCycles(const Machine &m, const Op &op,
                                      CallTiming &counts);

} // namespace accel::sim

#endif // ACCEL_SIM_TIMING_H
