//===- PlaceHBM.cpp - accel-place-hbm -------------------------------------===//
//
// Decides where the decode function's data lives in HBM (docs/ENGINE.md §4,
// AccelPasses.td) and records it as #accel.hbm attributes, which
// accel-lower-to-isa reads: walking the ops in order, each packed matrix's
// tiles rotate over the channels from the next first channel, each
// embedding table and parameter a step loads whole is striped from the next
// channel on, each RoPE table by rank rotates its rows over the channels,
// and each other RoPE table goes whole to the next channel. The KV caches
// rotate among themselves: the first starts at the next channel, each
// later one where the previous cache's channels end, whatever weights lie
// between; the next channel still steps past each cache's channels.
//
//===----------------------------------------------------------------------===//

#include "AttentionLayout.h"

#include "accel/ISA/ISA.h"
#include "accel/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

namespace accel {
#define GEN_PASS_DEF_PLACEHBM
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::lowering;

namespace {

/// The most KV records that share a row of channels (kvRecordsPerRow): a
/// run of records that starts inside a row moves its first ones one DMA
/// per channel group.
constexpr int64_t kKvRecordsPerRow = 4;

class Placer {
public:
  Placer(const hw::Config &config, int64_t firstChannel, int64_t largestTile)
      : config(config), channels(int64_t(config.hbmChannels)),
        largestTile(largestTile), weights(channels), kv(channels),
        next(firstChannel) {}

  LogicalResult place(func::FuncOp decode);
  /// The bytes each channel needs for the weights and KV regions.
  int64_t perChannelBytes() const {
    return weights.perChannelBytes() + kv.perChannelBytes();
  }

  DictionaryAttr regions(Builder &b) const {
    return b.getDictionaryAttr(
        {b.getNamedAttr("weights", b.getI64IntegerAttr(weights.perChannelBytes())),
         b.getNamedAttr("kv", b.getI64IntegerAttr(kv.perChannelBytes())),
         b.getNamedAttr("prefill_tile", b.getI64IntegerAttr(largestTile)),
         b.getNamedAttr("kv_records_per_row",
                        b.getI64IntegerAttr(kKvRecordsPerRow))});
  }

private:
  /// The first channel of the next piece of data (not reduced mod C).
  int64_t take(int64_t count) {
    int64_t first = next;
    next += count;
    return first % channels;
  }
  LogicalResult placeParam(Operation *user, Value value, bool striped);
  LogicalResult placeTable(EmbeddingOp op);
  LogicalResult placeMatrix(LinearOp op);
  LogicalResult placeCache(CacheAttentionOp op);
  LogicalResult placeRankTables(CacheAttentionOp op);

  const hw::Config &config;
  int64_t channels, largestTile;
  RegionLayout weights, kv;
  int64_t next;
  /// The KV caches rotate from where the first one starts, apart from the
  /// weights (which skip the channels a cache takes, as if it were among
  /// them): layers whose caches have the same shape start them on the same
  /// channels when their rows take every channel, so that a step's
  /// attention can be one subroutine for them (accel-lower-to-isa).
  std::optional<int64_t> kvFirst;
  int64_t kvTaken = 0;
};

/// A parameter (on its constant): one a step loads whole (a norm's weight
/// or shift, a linear's bias, the row an element-wise op repeats along its
/// rows: `striped`) is striped as an embedding row is,
/// in the most pieces (up to C) of whole 64-byte units, piece i on channel
/// c0 + i, so that one load brings it from all those channels at once; a
/// RoPE table, read a row at a time, goes whole to the next channel.
LogicalResult Placer::placeParam(Operation *user, Value value, bool striped) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return user->emitError("the engine needs this operand as a constant");
  if (constant->hasAttr(kHbmAttr))
    return success();
  int64_t bytes = cast<RankedTensorType>(value.getType()).getNumElements() * 4;
  if (!striped) {
    int64_t channel = take(1);
    int64_t offset = weights.reserveOne(channel, bytes);
    constant->setAttr(kHbmAttr,
                      HbmAttr::get(user->getContext(), channel, offset, 1, 0));
    return success();
  }
  StripedRows whole = stripeRows(1, bytes, channels);
  whole.firstChannel = take(whole.channels);
  whole.base =
      weights.reserveRun(whole.firstChannel, whole.channels, whole.stripe);
  constant->setAttr(kHbmAttr, toAttr(user->getContext(), whole));
  return success();
}

LogicalResult Placer::placeTable(EmbeddingOp op) {
  auto constant = op.getTable().getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return op.emitError("the engine needs this operand as a constant");
  if (constant->hasAttr(kHbmAttr))
    return success();
  auto type = op.getTable().getType();
  int64_t rows = type.getDimSize(0), hidden = type.getDimSize(1);
  StripedRows striped = stripeRows(rows, hidden * 4, channels);
  striped.firstChannel = take(striped.channels);
  // Row r's piece i goes to channel firstChannel + i at base + r · stripe.
  striped.base = weights.reserveRun(striped.firstChannel, striped.channels,
                                    rows * striped.stripe);
  constant->setAttr(kHbmAttr, toAttr(op.getContext(), striped));
  return success();
}

LogicalResult Placer::placeMatrix(LinearOp op) {
  auto image = op->getAttrOfType<DictionaryAttr>("accel.image");
  auto tiles = image ? image.getAs<IntegerAttr>("tiles") : IntegerAttr();
  auto tileBytes =
      image ? image.getAs<IntegerAttr>("tile_bytes") : IntegerAttr();
  if (!tiles || !tileBytes)
    return op.emitError("the weight is not in the weight image: run "
                        "accel-pack before lowering to the engine");
  // Tile t on channel (c0 + t) mod C at base + (t div C) · stride.
  TiledMatrix matrix;
  matrix.firstChannel = take(1);
  matrix.tileBytes = tileBytes.getInt();
  matrix.base = weights.reserveAll(
      ((tiles.getInt() + channels - 1) / channels) * matrix.tileBytes);
  op->setAttr(kHbmAttr, toAttr(op.getContext(), matrix, channels));
  return success();
}

LogicalResult Placer::placeCache(CacheAttentionOp op) {
  auto keys = op.getKeyCache().getDefiningOp<KVCacheWriteOp>();
  if (keys && keys->hasAttr(kHbmAttr))
    return success();
  FailureOr<CacheLayout> c = cacheFormat(op);
  if (failed(c))
    return failure();
  // A run of records moves as one DMA over as many channels as 64-byte
  // units divide the record's, times the records sharing a row of channels
  // (ENGINE §4, kvRecordsPerRow): pad the record to the stride of 2^k units
  // that loads a run fastest (fewest units per channel, then the fewest
  // bytes) while the records a step reads fit the kv buffer (a cache
  // streamed through it: a step's own records, one more and with Λ the
  // sinks, streamedSinks).
  auto perChannel = [&](int64_t units) {
    int64_t n = stripeRows(1, units * kAlign, channels).channels;
    return double(units) /
           double(n * kvRecordsPerRow(channels, n, kKvRecordsPerRow));
  };
  int64_t units = c->record / kAlign, best = units;
  int64_t loaded =
      (c->window > 0 ? c->sink + c->window - 1 : c->slots) + largestTile;
  int64_t kvBytes = config.buffers[static_cast<unsigned>(accel::isa::Buffer::Kv)]
                        .bytes;
  if (2 * loaded * c->record > kvBytes)
    loaded = streamedSinks(*c) + largestTile + 1;
  for (int64_t n = 2; n <= channels; n *= 2) {
    int64_t padded = alignTo(units, n);
    if (2 * loaded * padded * kAlign <= kvBytes &&
        perChannel(padded) < perChannel(best))
      best = padded;
  }
  for (Value cache : {op.getKeyCache(), op.getValueCache()}) {
    StripedRows rows = stripeRows(c->slots, best * kAlign, channels);
    int64_t perRow = kvRecordsPerRow(channels, rows.channels, kKvRecordsPerRow);
    int64_t first = take(perRow * rows.channels);
    if (!kvFirst)
      kvFirst = first;
    rows.firstChannel = (*kvFirst + kvTaken) % channels;
    kvTaken += perRow * rows.channels;
    rows.base = kv.reserveRun(rows.firstChannel, perRow * rows.channels,
                              (c->slots + perRow - 1) / perRow * rows.stripe);
    cache.getDefiningOp()->setAttr(kHbmAttr, toAttr(op.getContext(), rows));
  }
  return success();
}

/// rope-positions=cache: the RoPE tables' rows rotate over the channels as
/// a matrix's tiles do (row i on channel (c0 + i) mod C at base + (i div C)
/// · row bytes), so that one load brings a run of ranks from every channel.
LogicalResult Placer::placeRankTables(CacheAttentionOp op) {
  if (!op.getRopeCos())
    return success();
  for (Value table : {op.getRopeCos(), op.getRopeSin()}) {
    auto constant = table.getDefiningOp<arith::ConstantOp>();
    if (!constant)
      return op.emitError("the engine needs the RoPE tables as constants");
    if (constant->hasAttr(kHbmAttr))
      continue;
    auto type = cast<RankedTensorType>(table.getType());
    TiledMatrix rows;
    rows.firstChannel = take(1);
    rows.tileBytes = alignTo(type.getDimSize(1) * 4, kAlign);
    rows.base = weights.reserveAll(
        (type.getDimSize(0) + channels - 1) / channels * rows.tileBytes);
    constant->setAttr(kHbmAttr, toAttr(op.getContext(), rows, channels));
  }
  return success();
}

LogicalResult Placer::place(func::FuncOp decode) {
  for (Operation &op : decode.getBody().front()) {
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](EmbeddingOp e) { return placeTable(e); })
            .Case([&](RMSNormOp n) {
              return placeParam(n, n.getWeight(), true);
            })
            .Case([&](LayerNormOp n) {
              if (failed(placeParam(n, n.getWeight(), true)))
                return failure();
              return n.getBias() ? placeParam(n, n.getBias(), true)
                                 : success();
            })
            .Case([&](LinearOp l) {
              if (failed(placeMatrix(l)))
                return failure();
              return l.getBias() ? placeParam(l, l.getBias(), true)
                                 : success();
            })
            .Case<arith::AddFOp, arith::SubFOp, arith::MulFOp,
                  arith::DivFOp>([&](Operation *e) -> LogicalResult {
              for (Value operand : e->getOperands()) {
                FailureOr<Value> row = broadcastRow(e, operand);
                if (failed(row) || (*row && failed(placeParam(e, *row, true))))
                  return failure();
              }
              return success();
            })
            .Case([&](RopeOp r) -> LogicalResult {
              for (Value table : {r.getCos(), r.getSin()}) {
                auto slice = table.getDefiningOp<tensor::ExtractSliceOp>();
                if (!slice || slice.getType().getDimSize(0) != 1)
                  return r.emitError(
                      "the decode step's RoPE must read one row of a table "
                      "at the position (run accel-lambda-attention)");
                if (failed(placeParam(r, slice.getSource(), false)))
                  return failure();
              }
              return success();
            })
            .Case([&](CacheAttentionOp a) {
              if (failed(placeCache(a)))
                return failure();
              return placeRankTables(a);
            })
            .Default([](Operation *) { return success(); });
    if (failed(result))
      return failure();
  }
  return success();
}

struct PlaceHBMPass : public accel::impl::PlaceHBMBase<PlaceHBMPass> {
  using PlaceHBMBase::PlaceHBMBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp decode = findLowered(module);
    if (!decode)
      return;
    FailureOr<hw::Config> config =
        loadPlacementConfig(module, "accel-place-hbm", configPath);
    if (failed(config))
      return signalPassFailure();
    if (firstChannel < 0 || firstChannel >= int64_t(config->hbmChannels)) {
      module.emitError("accel-place-hbm: first-channel must be in 0..")
          << config->hbmChannels - 1;
      return signalPassFailure();
    }
    FailureOr<int64_t> prefillTile = prefillTileOf(module, "accel-place-hbm");
    if (failed(prefillTile))
      return signalPassFailure();
    // A second run places afresh.
    decode.walk([](Operation *op) { op->removeAttr(kHbmAttr); });
    Placer placer(*config, firstChannel, *prefillTile);
    if (failed(placer.place(decode)))
      return signalPassFailure();
    if (uint64_t(placer.perChannelBytes()) > config->hbmChannelBytes) {
      module.emitError("accel-place-hbm: the weights and KV cache need ")
          << placer.perChannelBytes() << " bytes in each HBM channel, the "
          << "config's channels have " << config->hbmChannelBytes
          << " (a smaller max-context, lower-bit weights or KV, or a "
             "config with more HBM)";
      return signalPassFailure();
    }
    Builder b(module.getContext());
    module->setAttr(kRegionsAttr, placer.regions(b));
  }
};

} // namespace
