//===- Report.h - the timing report: summary, JSON and trace ----*- C++ -*-===//
//
// What accel-sim prints and writes after a timed run (docs/SIMULATOR.md
// "Reports"): the calls' CallTiming turned into cycles and time for the
// prefill and each decode step, token/s, per-unit utilization, stall causes,
// achieved HBM bandwidth against the peak and the roofline bound, and
// energy; the same as JSON; the instruction timeline as a Chrome/Perfetto
// trace. Output files are written atomically (a temporary, then renamed).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_SIM_REPORT_H
#define ACCEL_SIM_REPORT_H

#include "accel/Hardware/Config.h"
#include "accel/Sim/Timing.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace accel::sim {

struct RunReport {
  const hw::Config *config = nullptr;
  std::string package, mode;
  /// The generation loop: the prompt's length and the greedy tokens.
  uint32_t promptTokens = 0;
  std::vector<uint32_t> generated;
  /// Every call in order; with a prefill entry first, the decode steps after.
  std::vector<CallTiming> calls;
  std::string prefillEntry = "prefill";
  bool traceTruncated = false;
};

/// The human-readable summary.
void printSummary(llvm::raw_ostream &os, const RunReport &report);
/// The report as JSON (docs/SIMULATOR.md lists its fields).
llvm::json::Value reportJson(const RunReport &report);
/// Writes `value` to `path` atomically ("-": stdout).
llvm::Error writeJson(llvm::StringRef path, const llvm::json::Value &value);
/// Writes `timeline` as Chrome trace-event JSON to `path` atomically: one
/// track per unit, one slice per instruction, one per call.
llvm::Error writeTrace(llvm::StringRef path, const Timeline &timeline,
                       const hw::Config &config);

} // namespace accel::sim

#endif // ACCEL_SIM_REPORT_H
