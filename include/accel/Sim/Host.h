//===- Host.h - the host side of the program ABI ----------------*- C++ -*-===//
//
// What the host does around the engine (docs/ISA.md §7, docs/FORMATS.md §5):
// open a package, choose the HBM regions' bases, copy the placement segments
// into HBM once, then per call write the input token ids into the io region,
// set r1..r7, run an entry point to halt and read the logits and the greedy
// token; or, for a forward package, write its input rows, run `forward` and
// read its output rows. HBM (the KV cache) is kept between calls.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_SIM_HOST_H
#define ACCEL_SIM_HOST_H

#include "accel/ISA/Program.h"
#include "accel/Package/Package.h"
#include "accel/Sim/Simulator.h"

#include "llvm/Support/JSON.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace accel::sim {

/// The four HBM regions of the ABI, in the order of r1..r4.
enum class Region : unsigned { Weights = 0, Kv = 1, Act = 2, Io = 3 };
constexpr unsigned kNumRegions = 4;
llvm::StringRef regionName(Region region);

/// An item of the io region (FORMATS §5.2 "io").
struct IoSlot {
  uint64_t offset = 0, bytes = 0;
  unsigned channel = 0;
};

/// A forward package's input or output (FORMATS §5.2 "io": "inputs",
/// "outputs"): rows of `rowBytes` packed from the slot's offset, fp32 or
/// (`ids`) int32 token ids.
struct IoTensor {
  std::string name;
  IoSlot slot;
  uint64_t rowBytes = 0;
  bool ids = false;
};

/// An error about one forward input, inputs()[index] (Session::
/// callForward's rows): a driver can say where that input came from.
class InputError : public llvm::ErrorInfo<InputError> {
public:
  static char ID;
  InputError(size_t index, std::string message)
      : index(index), message(std::move(message)) {}
  void log(llvm::raw_ostream &os) const override { os << message; }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

  size_t index;
  std::string message; ///< names the input
};

class Session {
public:
  /// Opens `path` and checks its metadata. The package's config section is
  /// the hardware, read with the timing `overrides` (hw::parseConfig), else
  /// `fallbackConfig` (an error when neither exists; read it with the
  /// overrides too). Without `withData` (timing only) the placement
  /// segments are checked but not copied into HBM, and a section they name
  /// may be missing: a package without its weights can be timed.
  static llvm::Expected<std::unique_ptr<Session>>
  open(llvm::StringRef path, const hw::Config *fallbackConfig,
       bool withData = true, llvm::ArrayRef<hw::TimingOverride> overrides = {});

  const hw::Config &config() const { return hwConfig; }
  Simulator &simulator() { return *sim; }
  const isa::Program &program() const { return prog; }
  uint64_t regionBase(Region region) const { return bases[unsigned(region)]; }
  const std::optional<IoSlot> &ioSlot(llvm::StringRef name) const;

  /// The index of entry point `name`.
  llvm::Expected<uint32_t> entry(llvm::StringRef name) const;

  /// One call (ISA §7): resets the on-chip state, writes `tokens` into the
  /// io region (when the metadata names it; each below the metadata's
  /// model.vocab, when it gives one; their positions below
  /// model.max_positions, when it gives one), sets r1..r7 (r5 = number of
  /// tokens, r6 = `position`, r7 = 1) and runs `entry` to halt.
  llvm::Error call(llvm::StringRef entry, llvm::ArrayRef<int32_t> tokens,
                   uint32_t position, const RunOptions &options,
                   RunStats *stats = nullptr);

  /// The outputs of the last call (FORMATS §5.2 "io": "logits", "token").
  llvm::Expected<std::vector<float>> logits();
  llvm::Expected<uint32_t> token();

  /// A forward package (metadata io.max_rows): its inputs and outputs (at
  /// least one of each) and the rows a call may take (at least 1; each
  /// slot holds that many rows).
  bool isForward() const { return maxRows.has_value(); }
  const std::vector<IoTensor> &inputs() const { return forwardInputs; }
  const std::vector<IoTensor> &outputs() const { return forwardOutputs; }
  uint64_t maxRowCount() const { return maxRows.value_or(0); }

  /// The rows `bytes` bytes of inputs()[index] hold: an error (naming
  /// neither the input nor where the bytes come from) unless they are
  /// whole rows of it, 1 to maxRowCount() of them.
  llvm::Expected<uint64_t> inputRows(size_t index, uint64_t bytes) const;

  /// One call of the forward entry over `rows` rows (ISA §7: r5 = rows,
  /// r6 = 0): `data[i]` holds the rows of inputs()[i], rows × rowBytes
  /// little-endian bytes (token ids each below model.vocab, when given);
  /// errors name the input (an InputError when its rows or token ids are
  /// wrong).
  llvm::Error callForward(uint64_t rows,
                          llvm::ArrayRef<std::vector<uint8_t>> data,
                          const RunOptions &options,
                          RunStats *stats = nullptr);
  /// The `rows` rows of outputs()[index] the last call wrote.
  llvm::Expected<std::vector<uint8_t>> output(size_t index, uint64_t rows);

private:
  Session(hw::Config config, isa::Program program);
  llvm::Error parseMetadata(const package::Package &package,
                            llvm::StringRef text, bool withData);
  /// Reads io.inputs and io.outputs of a forward package's `io`, inside
  /// an io region of `ioBytes`.
  llvm::Error parseForwardIo(const llvm::json::Object &io,
                             uint64_t ioBytes);
  /// An error unless token id `id` (input `where`) is in model.vocab, when
  /// the metadata gives it.
  llvm::Error checkTokenId(int32_t id, const llvm::Twine &where) const;
  /// Sets r1..r7 (r5 = `count`, r6 = `position`) and runs entry `index`.
  llvm::Error run(uint32_t index, uint64_t count, uint32_t position,
                  const RunOptions &options, RunStats *stats);

  hw::Config hwConfig;
  isa::Program prog;
  std::unique_ptr<Simulator> sim;
  std::array<uint64_t, kNumRegions> bases{};
  std::optional<IoSlot> tokensSlot, logitsSlot, tokenSlot;
  /// The vocabulary (metadata model.vocab): token ids are checked against
  /// it, as the program reads embedding row `id` unchecked.
  std::optional<uint64_t> vocab;
  /// The positions a call may use (metadata model.max_positions): the
  /// program reads RoPE and position rows and cache slots unchecked.
  std::optional<uint64_t> maxPositions;
  std::optional<uint64_t> maxRows;
  std::vector<IoTensor> forwardInputs, forwardOutputs;
};

} // namespace accel::sim

#endif // ACCEL_SIM_HOST_H
