//===- Tile.cpp - accel-tile ----------------------------------------------===//
//
// Decides the step's tile sizes from the hardware config's on-chip buffers
// (AccelPasses.td): the prefill step's rows (accel.prefill_tile on the
// module), checked against the KV records a step reads, the ops the prefill
// runs on the prompt's last row alone (accel.last_row), each linear's
// weight load group (accel.load_tiles) and where each of its groups goes in
// the weight buffer's ring (accel.weight_offsets), which accel-place-hbm,
// accel-allocate-buffers and accel-lower-to-isa read.
//
//===----------------------------------------------------------------------===//

#include "AttentionLayout.h"

#include "accel/ISA/ISA.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

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
/// The most slots of a weight buffer ring of equal slots (weight-slots).
constexpr int64_t kMaxWeightSlots = 8;
/// The ring by bytes takes groups of up to this share of the buffer, so
/// that the load unit can fill the rest while the matrix unit reads one.
constexpr int64_t kGroupsPerBuffer = 3;

int64_t bufferBytes(const hw::Config &config, isa::Buffer buffer) {
  return config.buffers[static_cast<unsigned>(buffer)].bytes;
}

/// Marks the prefill step's output tail (accel.last_row): the row-wise ops
/// only the logits need (the final norm and the LM head), which the prompt's
/// last tile runs for its last row alone. They must read one activation
/// from before them, read by nothing else, so that its first row may hold
/// its last.
void markOutputTail(Block &body) {
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() == 0)
    return;
  // Users come after their operands: walking backwards, an op joins the
  // tail when everything it feeds is the tail or the logits.
  llvm::SmallPtrSet<Operation *, 8> tail;
  for (Operation &op : llvm::reverse(body.without_terminator())) {
    if (!llvm::isa<RMSNormOp, LayerNormOp, LinearOp, ActivationOp,
                   arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp>(
            op) ||
        op.use_empty())
      continue;
    bool onlyLogits = llvm::all_of(op.getUses(), [&](OpOperand &use) {
      return tail.contains(use.getOwner()) ||
             (use.getOwner() == ret && use.getOperandNumber() == 0);
    });
    if (onlyLogits)
      tail.insert(&op);
  }
  // While the tail reads more than one such activation, it starts one op
  // later.
  SmallVector<Operation *> order;
  for (Operation &op : body)
    if (tail.contains(&op))
      order.push_back(&op);
  for (size_t first = 0; first < order.size(); ++first) {
    SetVector<Value> inputs;
    for (Operation *op : ArrayRef(order).drop_front(first))
      for (Value operand : op->getOperands()) {
        auto type = dyn_cast<RankedTensorType>(operand.getType());
        if (type && type.getRank() == 3 &&
            !tail.contains(operand.getDefiningOp()))
          inputs.insert(operand);
      }
    if (inputs.size() == 1 &&
        llvm::all_of(inputs[0].getUsers(),
                     [&](Operation *user) { return tail.contains(user); })) {
      for (Operation *op : ArrayRef(order).drop_front(first))
        op->setAttr(kLastRowAttr, UnitAttr::get(op->getContext()));
      return;
    }
    tail.erase(order[first]);
  }
}

struct TilePass : public accel::impl::TileBase<TilePass> {
  using TileBase::TileBase;

  FailureOr<hw::Config> config = failure();

  /// The field `name` of `op`'s accel.image (accel-pack's): `tiles` or
  /// `tile_bytes`.
  FailureOr<int64_t> imageField(LinearOp op, StringRef name) {
    auto image = op->getAttrOfType<DictionaryAttr>("accel.image");
    auto field = image ? image.getAs<IntegerAttr>(name) : IntegerAttr();
    if (!field)
      return op.emitError("the weight is not in the weight image: run "
                          "accel-pack before lowering to the engine");
    return field.getInt();
  }

  /// The most bytes one load may bring: a slot of the ring of
  /// `weight-slots` equal slots, or in the ring by bytes the buffer's
  /// kGroupsPerBuffer-th part; 64-byte aligned.
  int64_t largestLoad() {
    int64_t parts =
        weightSlotsOption > 0 ? int64_t(weightSlotsOption) : kGroupsPerBuffer;
    return bufferBytes(*config, isa::Buffer::Wgt) / parts / kAlign * kAlign;
  }

  /// The load group of `op`: G tiles (a power of two) with G · tile bytes
  /// within largestLoad().
  FailureOr<int64_t> loadGroup(LinearOp op) {
    FailureOr<int64_t> bytes = imageField(op, "tile_bytes");
    if (failed(bytes))
      return failure();
    int64_t most = largestLoad();
    StringRef what = weightSlotsOption > 0 ? "a weight buffer slot"
                                           : "a third of the weight buffer";
    if (*bytes > most)
      return op.emitError("a weight tile of ")
             << *bytes << " bytes exceeds " << what << " (" << most
             << " bytes); pack with fewer rows per tile";
    if (int64_t forced = loadTiles; forced > 0) {
      if (forced * *bytes > most)
        return op.emitError("accel-tile: load-tiles=")
               << forced << ": " << forced << " tiles of " << *bytes
               << " bytes exceed " << what << " (" << most << " bytes)";
      return forced;
    }
    int64_t group = int64_t(config->hbmChannels) * kTilesPerChannel;
    while (group > 1 && group * *bytes > most)
      group /= 2;
    return group;
  }

  /// Where the step's loads put each group of `group` tiles of `linear`
  /// in the weight buffer, in program order from `ring` (the next byte of
  /// the ring by bytes, or the next slot): the ring by bytes puts groups
  /// back to back, a group that would pass the buffer's end at its start;
  /// equal slots take the groups in turn.
  FailureOr<SmallVector<int64_t>> ringOffsets(LinearOp linear, int64_t group,
                                              int64_t &ring) {
    FailureOr<int64_t> tiles = imageField(linear, "tiles"),
                       tileBytes = imageField(linear, "tile_bytes");
    if (failed(tiles) || failed(tileBytes))
      return failure();
    int64_t buffer = bufferBytes(*config, isa::Buffer::Wgt);
    SmallVector<int64_t> offsets;
    for (int64_t first = 0; first < *tiles; first += group) {
      if (weightSlotsOption > 0) {
        offsets.push_back(ring * largestLoad());
        ring = (ring + 1) % weightSlotsOption;
        continue;
      }
      int64_t bytes = std::min(group, *tiles - first) * *tileBytes;
      if (ring + bytes > buffer)
        ring = 0;
      offsets.push_back(ring);
      ring = alignTo(ring + bytes, kAlign);
    }
    return offsets;
  }

  /// A step of `prefillTile` rows reads the records of the earlier
  /// positions its queries see and its own, keys and values; the earlier
  /// ones may stream through the kv buffer, at least one at a time beside
  /// its own (and with Λ the sinks, AttentionLayout's streamedSinks).
  LogicalResult checkRecords(CacheAttentionOp op) {
    FailureOr<CacheLayout> c = cacheFormat(op);
    if (failed(c))
      return failure();
    int64_t rows = prefillTile;
    int64_t loaded = streamedSinks(*c) + 1 + rows;
    int64_t kvBytes = bufferBytes(*config, isa::Buffer::Kv);
    if (2 * alignTo(loaded * c->record, kAlign) > kvBytes)
      return op.emitError("accel-tile: the ")
             << loaded << " KV records a step of " << rows
             << " rows reads (" << c->record << " bytes each, keys and "
             << "values) do not fit the kv buffer (" << kvBytes
             << " bytes); lower " << optionReference("prefill-tile");
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp decode = findLowered(module);
    if (!decode)
      return;
    config = loadPlacementConfig(module, "accel-tile", configPath);
    if (failed(config))
      return signalPassFailure();
    if (prefillTile < 1 || prefillTile > 255) {
      module.emitError("accel-tile: ")
          << optionReference("prefill-tile") << " must be in 1..255";
      return signalPassFailure();
    }
    if (loadTiles < 0 || (loadTiles & (loadTiles - 1)) != 0) {
      module.emitError("accel-tile: load-tiles must be 0 or a power of two");
      return signalPassFailure();
    }
    if (weightSlotsOption == 1 || weightSlotsOption < 0 ||
        weightSlotsOption > kMaxWeightSlots) {
      module.emitError("accel-tile: weight-slots must be 0 (a ring by bytes) "
                       "or in 2..")
          << kMaxWeightSlots;
      return signalPassFailure();
    }
    Builder b(module.getContext());
    module->setAttr(kPrefillTileAttr, b.getI64IntegerAttr(prefillTile));
    Block &body = decode.getBody().front();
    for (Operation &op : body)
      op.removeAttr(kLastRowAttr);
    // A forward function returns every row of its outputs.
    if (outputTail && !isForward(decode))
      markOutputTail(body);
    int64_t ring = 0;
    for (LinearOp linear : body.getOps<LinearOp>()) {
      FailureOr<int64_t> group = loadGroup(linear);
      if (failed(group))
        return signalPassFailure();
      FailureOr<SmallVector<int64_t>> offsets =
          ringOffsets(linear, *group, ring);
      if (failed(offsets))
        return signalPassFailure();
      linear->setAttr(kLoadTilesAttr, b.getI64IntegerAttr(*group));
      linear->setAttr(kWeightOffsetsAttr, b.getDenseI64ArrayAttr(*offsets));
    }
    for (auto attention : body.getOps<CacheAttentionOp>())
      if (failed(checkRecords(attention)))
        return signalPassFailure();
  }
};

} // namespace
