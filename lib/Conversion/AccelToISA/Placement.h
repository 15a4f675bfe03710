//===- Placement.h - where a program's data lives in HBM --------*- C++ -*-===//
//
// Internal to the accel -> ISA lowering: the HBM layout of a compiled model
// (docs/ENGINE.md §4), which accel-place-hbm (PlaceHBM.cpp) decides and
// records as #accel.hbm attributes and accel-lower-to-isa reads, and the
// names of the other passes' decisions. Every region (weights, kv, act, io)
// sits at the same offset in every channel; within the weights region each matrix's tiles
// rotate over the channels, and everything a run-time index selects (an
// embedding row, a KV cache slot) is striped over channels, since a DMA's
// first channel is an immediate. The channel count C is the config's
// hbm.channels (a power of two: a DMA spreads its rows over 2^k channels).
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_LIB_CONVERSION_ACCELTOISA_PLACEMENT_H
#define ACCEL_LIB_CONVERSION_ACCELTOISA_PLACEMENT_H

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Hardware/Config.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/bit.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace accel::lowering {

constexpr int64_t kAlign = 64;

inline int64_t alignTo(int64_t value, int64_t align) {
  return (value + align - 1) / align * align;
}

/// What the host copies into the weights region before the first call:
/// `bytes` of the parameter blob from `sourceOffset` to (channel, offset).
struct Segment {
  int64_t sourceOffset, bytes;
  int64_t channel, offset; ///< offset within the weights region
};

/// A matrix of the weight image, `tiles` tiles of `tileBytes` (the stride of
/// full tiles) from `imageOffset`: tile t goes to channel (firstChannel + t)
/// mod C at base + (t div C) · tileBytes of the weights region.
struct TiledMatrix {
  int64_t imageOffset = 0, bytes = 0, firstChannel = 0, base = 0, tiles = 0,
          tileBytes = 0;
};

/// Rows of `rowBytes` selected at run time, each striped over `channels`
/// channels in pieces of `stripe` bytes: row r's piece i on channel
/// (firstChannel + i) at base + r · stripe.
struct StripedRows {
  int64_t firstChannel = 0, base = 0, rows = 0, rowBytes = 0, channels = 1,
          stripe = 0;
  /// The bytes [from, to) of a row of `dataBytes` that piece i holds (empty
  /// past the row's end: padding).
  std::pair<int64_t, int64_t> piece(int64_t i, int64_t dataBytes) const {
    int64_t from = i * stripe;
    return {from, std::max(from, std::min(from + stripe, dataBytes))};
  }
  /// The channel of piece i over an HBM of `hbmChannels` channels.
  int64_t channelOf(int64_t i, int64_t hbmChannels) const {
    return (firstChannel + i) % hbmChannels;
  }
};

/// Stripes rows of `rowBytes` (padded) over the most of `channels` channels
/// that keep pieces 64-byte multiples.
StripedRows stripeRows(int64_t rows, int64_t rowBytes, int64_t channels);

/// What each channel of `striped` holds of its rows when row r is the
/// `rowBytes` bytes at `data` + r · rowBytes: `column(bytes, channel)` once
/// per piece i, with piece i of every row (zero-padded to the stripe, row
/// r's at r · stripe), channel (firstChannel + i) mod `channels`.
void forEachStripedColumn(
    const StripedRows &striped, const uint8_t *data, int64_t rowBytes,
    int64_t channels,
    llvm::function_ref<void(llvm::ArrayRef<uint8_t>, int64_t)> column);

/// How many KV records of a cache striped over `recordChannels` of the
/// `channels` channels share one row of channels, at most `most`
/// (accel-place-hbm's layout, its accel.hbm_regions' kv_records_per_row):
/// with s of them, record r's piece i is on channel firstChannel + (r mod
/// s) · recordChannels + i at base + (r div s) · stripe, so that a run of
/// records moves over s · recordChannels channels at once. s is a power of
/// two (the code finds a record's row and channel group by shift and mask):
/// the channels are (the lowering checks it), but `most` comes from the IR.
inline int64_t kvRecordsPerRow(int64_t channels, int64_t recordChannels,
                               int64_t most) {
  return int64_t(llvm::bit_floor(uint64_t(
      std::max<int64_t>(1, std::min(channels / recordChannels, most)))));
}

/// A layer's KV cache in HBM and its record format.
struct CacheLayout {
  StripedRows keys, values;
  int64_t slots = 0, record = 0, headDim = 0, kvHeads = 0;
  int64_t group = 0, bits = 0, sink = 0, window = 0;
  int64_t qpk = 1; ///< query heads per KV head (vaset / maset qpk)
  unsigned format = 2; ///< vaset kvfmt: 0 asym, 1 sym, 2 f32
};

/// The record format of `attention`'s cache (`record` unpadded, nothing
/// placed), or an error at `attention` if the lowering cannot take it.
mlir::FailureOr<CacheLayout> cacheFormat(CacheAttentionOp attention);

/// The attribute name of a placement (#accel.hbm) and of the module's
/// region sizes (a dictionary of bytes per channel: weights, kv).
inline constexpr llvm::StringLiteral kHbmAttr = "accel.hbm";
inline constexpr llvm::StringLiteral kRegionsAttr = "accel.hbm_regions";

/// The two forms of a placement (a matrix's tiles rotate over all
/// `channels`).
HbmAttr toAttr(mlir::MLIRContext *context, const TiledMatrix &matrix,
               int64_t channels);
HbmAttr toAttr(mlir::MLIRContext *context, const StripedRows &rows);
StripedRows stripedRows(HbmAttr attr, int64_t rows);

/// The other decisions the lowering reads (AccelPasses.td): accel-fuse's
/// (on a linear, on the op defining a value, on a rope), accel-tile's (on
/// the module, on a linear, on the output tail's ops) and accel-allocate-buffers' (on the op defining
/// values; on the module, the act bytes each step uses).
inline constexpr llvm::StringLiteral kEpilogueAttr = "accel.epilogue";
inline constexpr llvm::StringLiteral kQuantizedAttr = "accel.quantized";
inline constexpr llvm::StringLiteral kInPlaceAttr = "accel.in_place";
inline constexpr llvm::StringLiteral kPrefillTileAttr = "accel.prefill_tile";
inline constexpr llvm::StringLiteral kLoadTilesAttr = "accel.load_tiles";
inline constexpr llvm::StringLiteral kWeightOffsetsAttr =
    "accel.weight_offsets";
inline constexpr llvm::StringLiteral kLastRowAttr = "accel.last_row";
inline constexpr llvm::StringLiteral kActAttr = "accel.act";
inline constexpr llvm::StringLiteral kActBytesAttr = "accel.act_bytes";
inline constexpr llvm::StringLiteral kPrmAttr = "accel.prm";

/// accel-tile's prefill tile, or an error at `module` for the pass `pass`.
mlir::FailureOr<int64_t> prefillTileOf(mlir::ModuleOp module,
                                       llvm::StringRef pass);

/// The decode function (accel.entry = "decode") of `module`, or null.
mlir::func::FuncOp findDecode(mlir::ModuleOp module);

/// The function the lowering turns into code: the decode function, else the
/// function marked accel.entry = "forward" (a graph without attention, run
/// once over its input rows), else null.
mlir::func::FuncOp findLowered(mlir::ModuleOp module);

/// Whether `fn` is a forward function (accel.entry = "forward").
bool isForward(mlir::func::FuncOp fn);

/// The steps the lowering emits for `fn` and the rows each takes (the keys
/// of accel.act, accel.prm and accel.attention_layout): "decode" (1) and
/// "prefill" (`prefillTile`) for a decode function, "forward"
/// (`prefillTile`) for a forward function.
llvm::SmallVector<std::pair<llvm::StringRef, int64_t>, 2>
stepsOf(mlir::func::FuncOp fn, int64_t prefillTile);

/// The constant row an operand of the element-wise op `user` repeats along
/// its rows: when `operand` is an accel.broadcast of an fp32 constant whose
/// every dimension is 1 but the last, the result's features, that
/// constant (a parameter the step loads, as a linear's bias); null when
/// `operand` is not a broadcast; an error at `user` naming why the engine
/// cannot run any other broadcast.
mlir::FailureOr<mlir::Value> broadcastRow(mlir::Operation *user,
                                          mlir::Value operand);

/// The hardware config at `path` (empty: the bundled one) for the pass
/// `pass`; errors at `module` if it does not load or if its hbm.channels is
/// not a power of two.
mlir::FailureOr<hw::Config> loadPlacementConfig(mlir::ModuleOp module,
                                                llvm::StringRef pass,
                                                llvm::StringRef path);

/// A growing per-channel layout of one region.
class RegionLayout {
public:
  explicit RegionLayout(int64_t channels) : used(channels, 0) {}
  /// Reserves `bytes` in every channel; returns the offset.
  int64_t reserveAll(int64_t bytes);
  /// Reserves `bytes` in channel `channel` alone; returns the offset.
  int64_t reserveOne(int64_t channel, int64_t bytes);
  /// Reserves `bytes` at one offset in the `count` channels from `first`
  /// (mod the channel count); returns the offset.
  int64_t reserveRun(int64_t first, int64_t count, int64_t bytes);
  /// The bytes each channel needs (the largest channel's use).
  int64_t perChannelBytes() const;

private:
  std::vector<int64_t> used;
};

} // namespace accel::lowering

#endif // ACCEL_LIB_CONVERSION_ACCELTOISA_PLACEMENT_H
