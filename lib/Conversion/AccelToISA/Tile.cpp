//===- Tile.cpp - accel-tile ----------------------------------------------===//
//
// Decides the step's tile sizes from the hardware config's on-chip buffers
// (AccelPasses.td): the prefill step's rows (accel.prefill_tile on the
// module), checked against the KV records a step reads, and each linear's
// weight load group (accel.load_tiles), which accel-place-hbm,
// accel-allocate-buffers and accel-lower-to-isa read.
//
//===----------------------------------------------------------------------===//

#include "Placement.h"

#include "accel/ISA/ISA.h"
#include "accel/Transforms/Passes.h"

namespace accel {
#define GEN_PASS_DEF_TILE
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::lowering;

namespace {

/// The most tiles a weight load takes from one channel: a load's issue and
/// HBM latency are paid once for that many tiles.
constexpr int64_t kTilesPerChannel = 4;

int64_t bufferBytes(const hw::Config &config, isa::Buffer buffer) {
  return config.buffers[static_cast<unsigned>(buffer)].bytes;
}

struct TilePass : public accel::impl::TileBase<TilePass> {
  using TileBase::TileBase;

  /// The load group of `op`: G tiles (a power of two) with G · tile bytes
  /// within half the weight buffer, so that groups alternate between the
  /// halves, a group loading while the matrix unit works on the previous.
  FailureOr<int64_t> loadGroup(LinearOp op, const hw::Config &config) {
    auto image = op->getAttrOfType<DictionaryAttr>("accel.image");
    auto tileBytes =
        image ? image.getAs<IntegerAttr>("tile_bytes") : IntegerAttr();
    if (!tileBytes)
      return op.emitError("the weight is not in the weight image: run "
                          "accel-pack before lowering to the engine");
    int64_t bytes = tileBytes.getInt();
    int64_t half = bufferBytes(config, isa::Buffer::Wgt) / 2;
    if (bytes > half)
      return op.emitError("a weight tile of ")
             << bytes << " bytes exceeds half the weight buffer; pack with "
             << "fewer rows per tile";
    if (int64_t forced = loadTiles; forced > 0) {
      if (forced * bytes > half)
        return op.emitError("accel-tile: load-tiles=")
               << forced << ": " << forced << " tiles of " << bytes
               << " bytes exceed half the weight buffer (" << half
               << " bytes)";
      return forced;
    }
    int64_t group = int64_t(config.hbmChannels) * kTilesPerChannel;
    while (group > 1 && group * bytes > half)
      group /= 2;
    return group;
  }

  /// A step of `prefillTile` rows reads the records of the earlier
  /// positions its queries see and its own, keys and values.
  LogicalResult checkRecords(CacheAttentionOp op, const hw::Config &config) {
    FailureOr<CacheLayout> c = cacheFormat(op);
    if (failed(c))
      return failure();
    int64_t rows = prefillTile;
    int64_t loaded = (c->window > 0 ? c->sink + c->window - 1 : c->slots) + rows;
    int64_t kvBytes = bufferBytes(config, isa::Buffer::Kv);
    if (2 * alignTo(loaded * c->record, kAlign) > kvBytes)
      return op.emitError("accel-tile: the ")
             << loaded << " KV records a step of " << rows
             << " rows reads (" << c->record << " bytes each, keys and "
             << "values) do not fit the kv buffer (" << kvBytes
             << " bytes); lower prefill-tile";
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp decode = findDecode(module);
    if (!decode)
      return;
    FailureOr<hw::Config> config =
        loadPlacementConfig(module, "accel-tile", configPath);
    if (failed(config))
      return signalPassFailure();
    if (prefillTile < 1 || prefillTile > 255) {
      module.emitError("accel-tile: prefill-tile must be in 1..255");
      return signalPassFailure();
    }
    if (loadTiles < 0 || (loadTiles & (loadTiles - 1)) != 0) {
      module.emitError("accel-tile: load-tiles must be 0 or a power of two");
      return signalPassFailure();
    }
    Builder b(module.getContext());
    module->setAttr(kPrefillTileAttr, b.getI64IntegerAttr(prefillTile));
    for (Operation &op : decode.getBody().front()) {
      if (auto linear = dyn_cast<LinearOp>(op)) {
        FailureOr<int64_t> group = loadGroup(linear, *config);
        if (failed(group))
          return signalPassFailure();
        linear->setAttr(kLoadTilesAttr, b.getI64IntegerAttr(*group));
      }
      if (auto attention = dyn_cast<CacheAttentionOp>(op))
        if (failed(checkRecords(attention, *config)))
          return signalPassFailure();
    }
  }
};

} // namespace
