//===- PlaceHBM.cpp - accel-place-hbm -------------------------------------===//
//
// Decides where the decode function's data lives in HBM (docs/ENGINE.md §4,
// AccelPasses.td) and records it as #accel.hbm attributes, which
// accel-lower-to-isa reads: walking the ops in order, each packed matrix's
// tiles rotate over the channels from the next first channel, each
// embedding table and KV cache is striped from the next channel on, and
// each parameter goes whole to the next channel.
//
//===----------------------------------------------------------------------===//

#include "Placement.h"

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
         b.getNamedAttr("prefill_tile", b.getI64IntegerAttr(largestTile))});
  }

private:
  /// The first channel of the next piece of data (not reduced mod C).
  int64_t take(int64_t count) {
    int64_t first = next;
    next += count;
    return first % channels;
  }
  LogicalResult placeParam(Operation *user, Value value);
  LogicalResult placeTable(EmbeddingOp op);
  LogicalResult placeMatrix(LinearOp op);
  LogicalResult placeCache(CacheAttentionOp op);

  const hw::Config &config;
  int64_t channels, largestTile;
  RegionLayout weights, kv;
  int64_t next;
};

LogicalResult Placer::placeParam(Operation *user, Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return user->emitError("the engine needs this operand as a constant");
  if (constant->hasAttr(kHbmAttr))
    return success();
  int64_t bytes = cast<RankedTensorType>(value.getType()).getNumElements() * 4;
  int64_t channel = take(1);
  int64_t offset = weights.reserveOne(channel, bytes);
  constant->setAttr(kHbmAttr,
                    HbmAttr::get(user->getContext(), channel, offset, 1, 0));
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
  // units divide the record's (ENGINE §4): pad the record to the stride of
  // 2^k units that loads a run fastest (fewest units per channel, then the
  // fewest bytes) while the records a step reads fit the kv buffer.
  auto perChannel = [&](int64_t units) {
    return units / stripeRows(1, units * kAlign, channels).channels;
  };
  int64_t units = c->record / kAlign, best = units;
  int64_t loaded =
      (c->window > 0 ? c->sink + c->window - 1 : c->slots) + largestTile;
  int64_t kvBytes = config.buffers[static_cast<unsigned>(accel::isa::Buffer::Kv)]
                        .bytes;
  for (int64_t n = 2; n <= channels; n *= 2) {
    int64_t padded = alignTo(units, n);
    if (2 * loaded * padded * kAlign <= kvBytes &&
        perChannel(padded) < perChannel(best))
      best = padded;
  }
  for (Value cache : {op.getKeyCache(), op.getValueCache()}) {
    StripedRows rows = stripeRows(c->slots, best * kAlign, channels);
    rows.firstChannel = take(rows.channels);
    rows.base =
        kv.reserveRun(rows.firstChannel, rows.channels, c->slots * rows.stripe);
    cache.getDefiningOp()->setAttr(kHbmAttr, toAttr(op.getContext(), rows));
  }
  return success();
}

LogicalResult Placer::place(func::FuncOp decode) {
  for (Operation &op : decode.getBody().front()) {
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](EmbeddingOp e) { return placeTable(e); })
            .Case([&](RMSNormOp n) { return placeParam(n, n.getWeight()); })
            .Case([&](LayerNormOp n) {
              if (failed(placeParam(n, n.getWeight())))
                return failure();
              return n.getBias() ? placeParam(n, n.getBias()) : success();
            })
            .Case([&](LinearOp l) {
              if (failed(placeMatrix(l)))
                return failure();
              return l.getBias() ? placeParam(l, l.getBias()) : success();
            })
            .Case([&](RopeOp r) -> LogicalResult {
              for (Value table : {r.getCos(), r.getSin()}) {
                auto slice = table.getDefiningOp<tensor::ExtractSliceOp>();
                if (!slice || slice.getType().getDimSize(0) != 1)
                  return r.emitError(
                      "the decode step's RoPE must read one row of a table "
                      "at the position (run accel-lambda-attention)");
                if (failed(placeParam(r, slice.getSource())))
                  return failure();
              }
              return success();
            })
            .Case([&](CacheAttentionOp a) { return placeCache(a); })
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
    func::FuncOp decode = findDecode(module);
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
