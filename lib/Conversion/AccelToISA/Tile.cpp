//===- Tile.cpp - accel-tile ----------------------------------------------===//
//
// Decides the step's tile sizes from the hardware config's on-chip buffers
// (AccelPasses.td): the prefill step's rows (accel.prefill_tile on the
// module), checked against the KV records a step reads, the ops the prefill
// runs on the prompt's last row alone (accel.last_row), and each linear's
// weight load group (accel.load_tiles), which accel-place-hbm,
// accel-allocate-buffers and accel-lower-to-isa read.
//
//===----------------------------------------------------------------------===//

#include "Placement.h"

#include "accel/ISA/ISA.h"
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
/// The most slots of the weight buffer's ring: the load unit runs at most
/// this many groups ahead of the matrix unit, each a token it gives the
/// matrix unit, below queues.token_capacity.
constexpr int64_t kMaxWeightSlots = 8;

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

  /// The bytes of one weight tile of `op` (accel-pack's accel.image).
  FailureOr<int64_t> tileBytesOf(LinearOp op) {
    auto image = op->getAttrOfType<DictionaryAttr>("accel.image");
    auto tileBytes =
        image ? image.getAs<IntegerAttr>("tile_bytes") : IntegerAttr();
    if (!tileBytes)
      return op.emitError("the weight is not in the weight image: run "
                          "accel-pack before lowering to the engine");
    return tileBytes.getInt();
  }

  /// The load group of `op`: G tiles (a power of two) with G · tile bytes
  /// within `slot` bytes, one slot of the weight buffer's ring.
  FailureOr<int64_t> loadGroup(LinearOp op, int64_t slot) {
    FailureOr<int64_t> bytes = tileBytesOf(op);
    if (failed(bytes))
      return failure();
    if (*bytes > slot)
      return op.emitError("a weight tile of ")
             << *bytes << " bytes exceeds a weight buffer slot (" << slot
             << " bytes); pack with fewer rows per tile or lower "
             << "weight-slots";
    if (int64_t forced = loadTiles; forced > 0) {
      if (forced * *bytes > slot)
        return op.emitError("accel-tile: load-tiles=")
               << forced << ": " << forced << " tiles of " << *bytes
               << " bytes exceed a weight buffer slot (" << slot
               << " bytes)";
      return forced;
    }
    int64_t group = int64_t(config->hbmChannels) * kTilesPerChannel;
    while (group > 1 && group * *bytes > slot)
      group /= 2;
    return group;
  }

  /// The weight buffer's slots: `weight-slots`, or as many (up to
  /// kMaxWeightSlots) as hold each linear's group as it is in half the
  /// buffer, so that more slots never mean smaller loads.
  FailureOr<int64_t> weightSlots(ArrayRef<LinearOp> linears) {
    if (weightSlotsOption > 0)
      return int64_t(weightSlotsOption);
    int64_t buffer = bufferBytes(*config, isa::Buffer::Wgt);
    int64_t largest = 0;
    for (LinearOp linear : linears) {
      FailureOr<int64_t> group = loadGroup(linear, buffer / 2);
      FailureOr<int64_t> bytes = tileBytesOf(linear);
      if (failed(group) || failed(bytes))
        return failure();
      largest = std::max(largest, *group * *bytes);
    }
    int64_t slots = kMaxWeightSlots;
    while (slots > 2 && slotBytes(slots) < largest)
      --slots;
    return slots;
  }

  /// One of `slots` slots: the buffer's share, 64-byte aligned.
  int64_t slotBytes(int64_t slots) {
    return bufferBytes(*config, isa::Buffer::Wgt) / slots / kAlign * kAlign;
  }

  /// A step of `prefillTile` rows reads the records of the earlier
  /// positions its queries see and its own, keys and values.
  LogicalResult checkRecords(CacheAttentionOp op) {
    FailureOr<CacheLayout> c = cacheFormat(op);
    if (failed(c))
      return failure();
    int64_t rows = prefillTile;
    int64_t loaded = (c->window > 0 ? c->sink + c->window - 1 : c->slots) + rows;
    int64_t kvBytes = bufferBytes(*config, isa::Buffer::Kv);
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
    config = loadPlacementConfig(module, "accel-tile", configPath);
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
    if (weightSlotsOption == 1 || weightSlotsOption < 0 ||
        weightSlotsOption > kMaxWeightSlots) {
      module.emitError("accel-tile: weight-slots must be 0 or in 2..")
          << kMaxWeightSlots;
      return signalPassFailure();
    }
    Builder b(module.getContext());
    module->setAttr(kPrefillTileAttr, b.getI64IntegerAttr(prefillTile));
    Block &body = decode.getBody().front();
    for (Operation &op : body)
      op.removeAttr(kLastRowAttr);
    if (outputTail)
      markOutputTail(body);
    SmallVector<LinearOp> linears(body.getOps<LinearOp>());
    FailureOr<int64_t> slots = weightSlots(linears);
    if (failed(slots))
      return signalPassFailure();
    module->setAttr(kWeightSlotsAttr, b.getI64IntegerAttr(*slots));
    for (LinearOp linear : linears) {
      FailureOr<int64_t> group = loadGroup(linear, slotBytes(*slots));
      if (failed(group))
        return signalPassFailure();
      linear->setAttr(kLoadTilesAttr, b.getI64IntegerAttr(*group));
    }
    for (auto attention : body.getOps<CacheAttentionOp>())
      if (failed(checkRecords(attention)))
        return signalPassFailure();
  }
};

} // namespace
