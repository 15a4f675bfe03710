//===- Config.h - the engine's hardware config ------------------*- C++ -*-===//
//
// Every hardware number of the engine, read from one JSON file
// (configs/u280.json; docs/ENGINE.md says what each means). Every leaf of the
// file is `{"value": ..., "unit": ..., "source": ...}` and must name its
// source. The loader checks every field and reports `file: json.path:
// message`. LLVM Support only: the compiler and the simulator both read it.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_HARDWARE_CONFIG_H
#define ACCEL_HARDWARE_CONFIG_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace accel::hw {

/// The on-chip buffers, in the ISA's buffer-id order (wgt, act, kv, scr, prm).
constexpr unsigned kNumBuffers = 5;
extern const char *const kBufferNames[kNumBuffers];

struct BufferConfig {
  bool uram = true; ///< else BRAM36
  uint64_t blocks = 0;
  uint64_t bytes = 0; ///< derived: blocks x the block's data bytes
};

/// A what-if: a field of the config that only the simulator's timing model
/// reads, given another value for one run (accel-sim --what-if).
struct TimingOverride {
  std::string key;  ///< the field's JSON path: "vector.reduction_rows"
  std::string text; ///< the value as given
  llvm::json::Value value = nullptr;
  /// The value the config had (set by parseConfig).
  llvm::json::Value configValue = nullptr;
};

struct Config {
  std::string name;
  std::string part;

  // Device resources.
  uint64_t dsp = 0, luts = 0, registers = 0;
  uint64_t uram = 0, uramBits = 0, uramDataBits = 0;
  uint64_t bram36 = 0, bram36Bits = 0, bram36DataBits = 0;

  double clockMHz = 0;

  // HBM.
  uint64_t hbmChannels = 0, hbmChannelBytes = 0;
  double hbmChannelGBps = 0;
  uint64_t hbmLatencyCycles = 0, hbmBurstBytes = 0;
  double hbmEfficiency = 0;

  // Matrix unit.
  uint64_t matrixDsp = 0;
  uint64_t macsPerDspW8 = 0, macsPerDspW4 = 0, macsPerDspW2 = 0;
  uint64_t fp32MacsPerCycle = 0, matrixPipelineCycles = 0;
  uint64_t accumulatorBram36 = 0;

  // Vector unit.
  uint64_t vectorLanes = 0, vectorDsp = 0;
  uint64_t addCycles = 0, mulCycles = 0, divCycles = 0, sqrtCycles = 0,
           expCycles = 0, vectorIssueCycles = 0;
  /// Rows a reduction (vrmsnorm, vqact, vsoftmax, vpq, ...) has in flight:
  /// a row enters while up to this many - 1 earlier rows drain (1: none).
  uint64_t vectorReductionRows = 0;

  std::array<BufferConfig, kNumBuffers> buffers;

  uint64_t queueDepth = 0, tokenCapacity = 0;
  uint64_t dispatchPerCycle = 0, takenBranchCycles = 0, imemUram = 0;
  uint64_t dmaIssueCycles = 0;
  double hostGBps = 0;

  double int8MacPJ = 0, fp32OpPJ = 0, hbmBytePJ = 0, sramBytePJ = 0,
         staticW = 0;

  /// The what-ifs this config was read with, in the order given.
  std::vector<TimingOverride> timingOverrides;

  // ---- Derived quantities (docs/ENGINE.md "Derived quantities") ----------

  /// Peak bytes per engine cycle of one HBM channel.
  double hbmBytesPerCycle() const;
  /// hbmBytesPerCycle() x efficiency: what the timing model streams.
  double hbmEffectiveBytesPerCycle() const;
  /// Dense MACs per cycle for int8 activations and `weightBits`-bit weights
  /// (2 -> the w2 path; 3, 4 -> w4; 8 -> w8); 0 for other widths.
  uint64_t macsPerCycle(unsigned weightBits) const;
  /// Effective MACs per cycle with n:m sparsity (pruned weights skipped:
  /// x m / n); dense when n == 0.
  double effectiveMacsPerCycle(unsigned weightBits, unsigned n,
                               unsigned m) const;
  /// Bytes of a URAM / BRAM36 block the buffers use.
  uint64_t uramBlockBytes() const { return uramDataBits / 8; }
  uint64_t bram36BlockBytes() const { return bram36DataBits / 8; }
  /// Instructions the on-chip instruction memory holds.
  uint64_t imemInstructions() const { return imemUram * uramBlockBytes() / 16; }
  /// Read width of on-chip buffer `buffer` (ISA §2.2 ids): 8 bytes per
  /// URAM (72-bit port, 64 data bits), 4 per BRAM36 (36-bit port).
  uint64_t readBytesPerCycle(unsigned buffer) const;
  /// The weight buffer's (buffer 0) read width.
  uint64_t weightReadBytesPerCycle() const { return readBytesPerCycle(0); }
};

/// Parses and checks a config. `fileName` prefixes every error. Then
/// applies `overrides` in turn, each checked as the file's value would be
/// ("what-if KEY=VALUE: ..." errors): a key that is not a field of the
/// config, one that is not in timingOverrideKeys(), one given twice or a
/// value out of the field's range is an error.
llvm::Expected<Config>
parseConfig(llvm::StringRef json, llvm::StringRef fileName,
            llvm::ArrayRef<TimingOverride> overrides = {});
llvm::Expected<Config>
loadConfig(llvm::StringRef path, llvm::ArrayRef<TimingOverride> overrides = {});

/// The fields a TimingOverride may change (docs/SIMULATOR.md "What-if"):
/// those the compiler does not read and the functional results do not
/// depend on.
llvm::ArrayRef<const char *> timingOverrideKeys();
/// Parses "KEY=VALUE" (VALUE a number; KEY is checked by parseConfig).
llvm::Expected<TimingOverride> parseTimingOverride(llvm::StringRef text);

} // namespace accel::hw

#endif // ACCEL_HARDWARE_CONFIG_H
