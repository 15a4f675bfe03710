//===- Machine.h - the engine's architectural state -------------*- C++ -*-===//
//
// Everything docs/ISA.md §2 names: registers, the five on-chip buffers sized
// from the hardware config, HBM as sparse per-channel storage, the unit
// queues and token counters, and the matrix and attention configuration the
// vector and matrix units hold. The functional scheduler (Simulator.h) and a
// timing model share it: the unit semantics (execute*) only read and write
// this state and never schedule.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_SIM_MACHINE_H
#define ACCEL_SIM_MACHINE_H

#include "accel/Hardware/Config.h"
#include "accel/ISA/ISA.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace accel::sim {

namespace detail {
class RaceDetector;
} // namespace detail

/// Whether an instruction reads bytes or writes them (a read-modify-write
/// counts as a write): what the race detector (lib/Sim/Races.cpp) records.
enum class Use : uint8_t { Read, Write };

/// A byte range [lo, hi) one instruction used: of buffer `space`, or of HBM
/// channel `space - isa::kNumBuffers`.
struct Access {
  uint64_t lo = 0, hi = 0;
  uint32_t space = 0;
  Use use = Use::Read;
};

/// A failed run-time check: the condition, without the instruction (the
/// scheduler adds its index and mnemonic).
llvm::Error fault(const llvm::Twine &message);
/// `0x` and the hex digits of `value`, for fault messages.
std::string hex(uint64_t value);

/// HBM: `channels` pseudo-channels of `channelBytes` each, allocated lazily
/// in pages; unwritten bytes read as 0.
class Hbm {
public:
  static constexpr uint64_t kPageBytes = 64 * 1024;

  Hbm(unsigned channels, uint64_t channelBytes);
  unsigned channels() const { return numChannels; }
  uint64_t channelBytes() const { return bytesPerChannel; }

  /// Faults when [offset, offset + size) is outside the channel.
  llvm::Error read(unsigned channel, uint64_t offset,
                   llvm::MutableArrayRef<uint8_t> out) const;
  llvm::Error write(unsigned channel, uint64_t offset,
                    llvm::ArrayRef<uint8_t> in);
  /// Bytes allocated so far (pages x page size).
  uint64_t allocatedBytes() const;
  /// When set, every checked range read() and write() move is appended.
  std::vector<Access> *log = nullptr;

private:
  llvm::Error check(unsigned channel, uint64_t offset, uint64_t size) const;

  unsigned numChannels;
  uint64_t bytesPerChannel;
  std::vector<llvm::DenseMap<uint64_t, std::unique_ptr<uint8_t[]>>> pages;
};

/// The on-chip buffers, each a byte array of the config's size.
class Buffers {
public:
  explicit Buffers(const hw::Config &config);
  uint64_t size(unsigned buffer) const { return mem[buffer].size(); }
  /// The bytes [addr, addr + size) of `buffer`, which the caller will
  /// read or write as `use` says; faults when outside.
  llvm::Expected<uint8_t *> span(unsigned buffer, uint64_t addr, uint64_t size,
                                 Use use);
  /// Every byte to 0 (buffers hold no state between calls).
  void clear();
  /// When set, every non-empty range span() hands out is appended.
  std::vector<Access> *log = nullptr;

private:
  std::array<std::vector<uint8_t>, isa::kNumBuffers> mem;
  /// The bytes span() has handed out since the last clear(), as [lo, hi):
  /// the only ones that can be non-zero.
  std::array<std::pair<uint64_t, uint64_t>, isa::kNumBuffers> touched;
};

inline float loadF32(const uint8_t *p) {
  float v;
  std::memcpy(&v, p, 4);
  return v;
}
inline void storeF32(uint8_t *p, float v) { std::memcpy(p, &v, 4); }
inline uint32_t loadU32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline void storeU32(uint8_t *p, uint32_t v) { std::memcpy(p, &v, 4); }
inline uint16_t loadU16(const uint8_t *p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

/// The matrix unit's state set by `mcfg` (ISA §5.2).
struct MatrixConfig {
  uint32_t k = 0, g = 0, ga = 0, r = 0;
  unsigned fmt = 0, bits = 0, n = 0, m = 0;
  bool afp = false;
  /// N:M sparse: the kept positions of every pattern code, `n` per code in
  /// code order (docs/FORMATS.md §1.4), and the code width in bits.
  std::vector<uint8_t> patterns;
  unsigned codeBits = 0;
  /// N:4 integer weights: each group's lanes by pattern code and values
  /// (lib/Sim/Kernels.h, expansionTable), when the table is small.
  std::vector<int16_t> expansion;
};

/// The vector unit's attention state set by `vaset` (ISA §5.7).
struct AttnConfig {
  uint32_t hd = 0, kvh = 0, kvg = 0, recu = 0, qpk = 0;
  unsigned fmt = 0, bits = 0;
  uint64_t sink = 0, window = 0;
  bool causal = false;

  uint32_t group() const { return kvg ? kvg : hd; }
  /// The KV head of row `r` of a multi-row mqk / vpq / mpv whose row 0
  /// reads KV head `h` (ISA §5.9): `qpk` rows per KV head (0: 1).
  uint64_t rowHead(uint64_t h, uint64_t r) const {
    return h + r / (qpk ? qpk : 1);
  }
  /// The KV record stride (ISA §5.7): `recu` 64-byte units, or the
  /// record's end rounded up to 64 bytes when `recu` is 0.
  uint64_t recordBytes() const;
};

/// The vector unit's RoPE tables set by `vrset` (ISA §5.7), which `vqk`
/// rotates by when its `rope` bit is set: row-major [P, rot] fp32 tables.
struct RopeConfig {
  unsigned cosBuf = 0, sinBuf = 0;
  uint64_t cos = 0, sin = 0; ///< the tables' addresses
  uint32_t rot = 0;
  bool interleaved = false;
};

/// A dispatched instruction: its field values with every register field
/// replaced by the register's value at dispatch time (ISA §3).
struct Op {
  const isa::Instruction *instr = nullptr;
  uint32_t pc = 0;
  std::array<int64_t, isa::kMaxFields> v{};
  /// The cycle the dispatcher queued it (the timing model's; 0 otherwise).
  uint64_t dispatched = 0;

  /// The value of field `name`: a register's value for register fields.
  int64_t get(llvm::StringRef name) const;
  /// A buffer field's id.
  unsigned buf(llvm::StringRef name) const { return unsigned(get(name)); }
};

/// One unit's queue and the instruction it is executing.
struct UnitState {
  std::deque<Op> queue;
  std::optional<Op> current;
  uint8_t waitsTaken = 0;    ///< wait bits of `current` already satisfied
  uint8_t releasesGiven = 0; ///< rel bits of `current` already given
  bool executed = false;     ///< `current`'s semantics are done
  bool idle() const { return !current && queue.empty(); }
};

struct Machine {
  explicit Machine(const hw::Config &config);

  const hw::Config &config;
  std::array<uint32_t, isa::kNumRegisters> regs{};
  Buffers buffers;
  Hbm hbm;
  /// tokens[u][v] = T[u -> v].
  std::array<std::array<uint64_t, isa::kNumUnits>, isa::kNumUnits> tokens{};
  std::array<UnitState, isa::kNumUnits> units;
  std::optional<MatrixConfig> matrix;
  std::optional<AttnConfig> attn;
  std::optional<RopeConfig> rope;
  /// The matrix unit's record format, set by `maset` (ISA §5.9).
  std::optional<AttnConfig> matrixAttn;
  /// The race detector of the running call, when it checks races.
  detail::RaceDetector *races = nullptr;

  /// The state a call starts from (ISA §7): registers, buffers, queues,
  /// tokens and unit configuration reset; HBM kept.
  void resetForCall();
};

/// Bytes of the ⌈rows / R⌉ consecutive weight tiles an `mv`/`mm` of `rows`
/// output features reads under `config` (ISA §5.3, FORMATS §1.4).
uint64_t weightTileBytes(const MatrixConfig &config, uint64_t rows);

/// The semantics of one dispatched instruction of each data unit (ISA §5).
/// They fault (fault()) on invalid run-time operands.
llvm::Error executeDma(Machine &machine, const Op &op);
llvm::Error executeMatrix(Machine &machine, const Op &op);
llvm::Error executeVector(Machine &machine, const Op &op);
/// The attention instructions (vaset vkvq vqk vsoftmax vpv vpq; maset mqk
/// mpv); called by executeVector and executeMatrix.
llvm::Error executeAttention(Machine &machine, const Op &op);
/// The RoPE tables a `vqk rope=1` under the record format `attn` rotates
/// by; faults without a `vrset`, or with `rot` above the head dimension.
llvm::Expected<const RopeConfig *> vqkRotation(const Machine &machine,
                                               const AttnConfig &attn);

} // namespace accel::sim

#endif // ACCEL_SIM_MACHINE_H
