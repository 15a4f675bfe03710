//===- AllocateBuffers.cpp - accel-allocate-buffers -----------------------===//
//
// Decides where the decode function's values live in the act buffer in each
// step (AccelPasses.td) and records it as #accel.homes attributes, which
// accel-lower-to-isa reads: first-fit by liveness over the ops in order, for
// the decode step (one row) and the prefill step (accel.prefill_tile rows);
// and where the parameters each op loads go in the prm buffer (accel.prm);
// and where each attention layer keeps its KV records, scores and the
// integer attention's operands in the kv and scratch buffers
// (accel.attention_layout, AttentionLayout.h).
//
//===----------------------------------------------------------------------===//

#include "AttentionLayout.h"
#include "Placement.h"

#include "accel/ISA/ISA.h"
#include "accel/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/DenseMap.h"

#include <map>

namespace accel {
#define GEN_PASS_DEF_ALLOCATEBUFFERS
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::lowering;

namespace {

/// The homes of one op in one step, as #accel.homes records them, and
/// where the parameters it loads go in the prm buffer (accel.prm).
struct Slots {
  int64_t result = -1, quantized = -1, scales = -1, temp = -1;
  SmallVector<int64_t, 2> params;
};

/// First-fit allocation of one step's values in the act buffer.
class Allocator {
public:
  Allocator(func::FuncOp decode, StringRef step, int64_t rows, int64_t size,
            int64_t prmSize)
      : decode(decode), step(step), rows(rows), size(size), prmSize(prmSize) {}

  LogicalResult run();
  const llvm::DenseMap<Operation *, Slots> &getSlots() const { return slots; }
  /// A forward function's fp32 inputs: argument index -> home offset.
  const std::map<unsigned, int64_t> &getArgSlots() const { return argSlots; }
  int64_t getPeak() const { return peak; }

  /// The rows `op`'s values have in this step: one in accel-tile's output
  /// tail (accel.last_row), which runs on the prompt's last row alone.
  int64_t rowsOf(Operation *op) const {
    return op->hasAttr(kLastRowAttr) ? 1 : rows;
  }

private:
  /// `bytes` per row for `op`'s rows; an error at `op` if they do not fit.
  FailureOr<int64_t> allocate(Operation *op, int64_t bytes);
  void release(int64_t offset) { used.erase(offset); }
  /// Gives `value` a home of `bytes` per row: its op's result slot.
  LogicalResult define(Value value, int64_t bytes);
  /// `to` takes over the home of `from`.
  void alias(Value to, Value from);
  /// `bytes` of the prm buffer for a parameter `op` loads, the next in a
  /// ring: parameters are loaded where they are used, so a place is free
  /// again once the ring comes round.
  LogicalResult param(Operation *op, int64_t bytes);
  LogicalResult allocateLinear(LinearOp op);
  LogicalResult allocateActivation(ActivationOp op);
  void freeDead(Operation *op);

  func::FuncOp decode;
  StringRef step;
  int64_t rows, size, prmSize, prmNext = 0, peak = 0;
  std::map<int64_t, int64_t> used;
  /// Per value: its home's offset and bytes per row.
  llvm::DenseMap<Value, std::pair<int64_t, int64_t>> homes;
  /// Per value: the offsets of its shared int8 form and scales.
  llvm::DenseMap<Value, std::pair<int64_t, int64_t>> quantized;
  llvm::DenseMap<Value, Operation *> lastUse;
  llvm::DenseMap<Operation *, Slots> slots;
  std::map<unsigned, int64_t> argSlots;
};

FailureOr<int64_t> Allocator::allocate(Operation *op, int64_t bytes) {
  bytes = alignTo(rowsOf(op) * bytes, kAlign);
  int64_t at = 0;
  for (auto [start, length] : used) {
    if (start - at >= bytes)
      break;
    at = std::max(at, start + length);
  }
  if (at + bytes > size)
    return op->emitError("accel-allocate-buffers: the live values of the ")
           << (step == "decode" ? "decode step"
                                : step.str() + " step of " +
                                      std::to_string(rows) + " rows")
           << " do not fit the act buffer (" << size
           << " bytes); lower the prefill tile";
  used[at] = bytes;
  peak = std::max(peak, at + bytes);
  return at;
}

LogicalResult Allocator::param(Operation *op, int64_t bytes) {
  if (bytes > prmSize)
    return op->emitError("accel-allocate-buffers: ")
           << bytes << " bytes of parameters do not fit the prm buffer ("
           << prmSize << " bytes)";
  if (prmNext + bytes > prmSize)
    prmNext = 0;
  slots[op].params.push_back(prmNext);
  prmNext += bytes;
  return success();
}

/// The padded bytes of a parameter (an f32 constant).
static int64_t paramBytes(Value value) {
  return alignTo(cast<RankedTensorType>(value.getType()).getNumElements() * 4,
                 kAlign);
}

LogicalResult Allocator::define(Value value, int64_t bytes) {
  Operation *op = value.getDefiningOp();
  FailureOr<int64_t> at = allocate(op, bytes);
  if (failed(at))
    return failure();
  homes[value] = {*at, bytes};
  slots[op].result = *at;
  return success();
}

void Allocator::alias(Value to, Value from) {
  auto home = homes.find(from);
  if (home == homes.end())
    return;
  homes[to] = home->second;
  slots[to.getDefiningOp()].result = home->second.first;
  homes.erase(from);
  lastUse.erase(from);
}

/// The bytes per row of `value`'s home (0 if it has none).
static int64_t rowBytes(const llvm::DenseMap<Value, std::pair<int64_t, int64_t>>
                            &homes,
                        Value value) {
  auto it = homes.find(value);
  return it == homes.end() ? 0 : it->second.second;
}

LogicalResult Allocator::allocateLinear(LinearOp op) {
  Value input = op.getInput();
  int64_t k = op.getInFeatures();
  QuantAttr actQuant = op.getActQuantAttr();
  bool integer = bool(op.getWeightQuantAttr());
  Operation *def = input.getDefiningOp();
  bool shared = actQuant && integer && def &&
                def->getAttr(kQuantizedAttr) == actQuant;
  std::optional<int64_t> temporary, own;
  Slots &s = slots[op];
  if (op.getBias() && failed(param(op, paramBytes(op.getBias()))))
    return failure();
  if (actQuant && !(shared && quantized.count(input))) {
    int64_t group = actQuant.isPerChannel() ? 0 : actQuant.getGroupSize();
    int64_t groups = group ? k / group : 1;
    FailureOr<int64_t> q = allocate(op, integer ? k : 4 * k);
    FailureOr<int64_t> scales = allocate(op, groups * 4);
    if (failed(q) || failed(scales))
      return failure();
    s.quantized = *q, s.scales = *scales;
    if (!integer) { // fake quantization: fp32 values, no scales kept
      release(*scales);
      temporary = *q;
    } else if (shared) {
      quantized[input] = {*q, *scales};
    } else {
      temporary = *q, own = *scales;
    }
  }
  if (failed(define(op.getResult(), op.getOutFeatures() * 4)))
    return failure();
  if (temporary)
    release(*temporary);
  if (own)
    release(*own);
  return success();
}

LogicalResult Allocator::allocateActivation(ActivationOp op) {
  auto type = op.getInput().getType();
  int64_t width = type.getDimSize(type.getRank() - 1);
  auto producer = op.getInput().getDefiningOp<LinearOp>();
  bool fused = producer && producer->hasAttr(kEpilogueAttr);
  if (!op.getUp()) {
    if (fused) {
      alias(op.getResult(), op.getInput());
      return success();
    }
    return define(op.getResult(), width * 4);
  }
  std::optional<int64_t> activated;
  if (!fused) {
    FailureOr<int64_t> tmp = allocate(op, width * 4);
    if (failed(tmp))
      return failure();
    activated = slots[op].temp = *tmp;
  }
  if (failed(define(op.getResult(), width * 4)))
    return failure();
  if (activated)
    release(*activated);
  return success();
}

void Allocator::freeDead(Operation *op) {
  SmallVector<Value> read(op->getOperands());
  // The rows a cache write takes die with the attention reading the cache.
  if (auto attention = dyn_cast<CacheAttentionOp>(op))
    for (Value cache : {attention.getKeyCache(), attention.getValueCache()})
      if (auto write = cache.getDefiningOp<KVCacheWriteOp>())
        read.push_back(write.getRows());
  for (Value operand : read) {
    auto last = lastUse.find(operand);
    if (last == lastUse.end() || last->second != op)
      continue;
    if (auto home = homes.find(operand); home != homes.end()) {
      release(home->second.first);
      homes.erase(home);
    }
    if (auto q = quantized.find(operand); q != quantized.end()) {
      release(q->second.first);
      release(q->second.second);
      quantized.erase(q);
    }
  }
}

LogicalResult Allocator::run() {
  Block &body = decode.getBody().front();
  for (Operation &op : body)
    for (Value operand : op.getOperands())
      lastUse[operand] = &op;
  // The rows a cache write takes are read by the attention after it.
  for (Operation &op : body)
    if (auto attention = dyn_cast<CacheAttentionOp>(op))
      for (Value cache : {attention.getKeyCache(), attention.getValueCache()})
        if (auto write = cache.getDefiningOp<KVCacheWriteOp>())
          lastUse[write.getRows()] = &op;
  // A forward function's fp32 inputs are loaded into homes of their own
  // (its token ids are read by the embedding).
  if (isForward(decode))
    for (BlockArgument arg : body.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type || !type.getElementType().isF32() || arg.use_empty())
        continue;
      FailureOr<int64_t> at =
          allocate(decode, type.getDimSize(type.getRank() - 1) * 4);
      if (failed(at))
        return failure();
      homes[arg] = {*at, type.getDimSize(type.getRank() - 1) * 4};
      argSlots[arg.getArgNumber()] = *at;
    }
  for (Operation &op : body) {
    LogicalResult result = success();
    if (auto e = dyn_cast<EmbeddingOp>(op))
      result = define(e.getResult(),
                      alignTo(e.getTable().getType().getDimSize(1) * 4,
                              kAlign));
    else if (auto norm = dyn_cast<RMSNormOp>(op))
      result = succeeded(param(norm, paramBytes(norm.getWeight())))
                   ? define(norm.getResult(), rowBytes(homes, norm.getInput()))
                   : failure();
    else if (auto norm = dyn_cast<LayerNormOp>(op))
      result = succeeded(param(norm, paramBytes(norm.getWeight()))) &&
                       (!norm.getBias() ||
                        succeeded(param(norm, paramBytes(norm.getBias()))))
                   ? define(norm.getResult(), rowBytes(homes, norm.getInput()))
                   : failure();
    else if (auto linear = dyn_cast<LinearOp>(op))
      result = allocateLinear(linear);
    else if (auto rope = dyn_cast<RopeOp>(op)) {
      // The cos and sin rows of the step's positions.
      int64_t tableRows = rows * rope.getCos().getType().getDimSize(1) * 4;
      if (failed(param(rope, tableRows)) || failed(param(rope, tableRows)))
        return failure();
      if (rope->hasAttr(kInPlaceAttr))
        alias(rope.getResult(), rope.getInput());
      else
        result = define(rope.getResult(), rowBytes(homes, rope.getInput()));
    } else if (auto attention = dyn_cast<CacheAttentionOp>(op))
      result = define(attention.getResult(),
                      rowBytes(homes, attention.getQuery()));
    else if (auto activation = dyn_cast<ActivationOp>(op))
      result = allocateActivation(activation);
    else if (llvm::isa<arith::AddFOp, arith::SubFOp, arith::MulFOp,
                       arith::DivFOp>(op)) {
      // A row it repeats along its rows is a parameter it loads.
      for (Value operand : op.getOperands()) {
        FailureOr<Value> row = broadcastRow(&op, operand);
        if (failed(row) || (*row && failed(param(&op, paramBytes(*row)))))
          return failure();
      }
      if (auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType());
          type && type.getRank() >= 1)
        result = define(op.getResult(0),
                        type.getDimSize(type.getRank() - 1) * 4);
    }
    if (failed(result))
      return failure();
    freeDead(&op);
  }
  return success();
}

struct AllocateBuffersPass
    : public accel::impl::AllocateBuffersBase<AllocateBuffersPass> {
  using AllocateBuffersBase::AllocateBuffersBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp decode = findLowered(module);
    if (!decode)
      return;
    FailureOr<hw::Config> config =
        loadPlacementConfig(module, "accel-allocate-buffers", configPath);
    FailureOr<int64_t> tile =
        succeeded(config) ? prefillTileOf(module, "accel-allocate-buffers")
                          : FailureOr<int64_t>(failure());
    if (failed(tile))
      return signalPassFailure();
    auto bytesOf = [&](isa::Buffer buffer) {
      return config->buffers[static_cast<unsigned>(buffer)].bytes;
    };
    decode.walk([](Operation *op) {
      op->removeAttr(kActAttr);
      op->removeAttr(kPrmAttr);
      op->removeAttr(kAttentionLayoutAttr);
    });
    for (unsigned i = 0; i < decode.getNumArguments(); ++i)
      decode.removeArgAttr(i, kActAttr);
    Builder b(module.getContext());
    llvm::DenseMap<Operation *, SmallVector<NamedAttribute, 2>> homes, params;
    SmallVector<NamedAttribute, 2> peaks;
    SmallVector<SmallVector<NamedAttribute, 1>> argHomes(
        decode.getNumArguments());
    for (auto [step, rows] : stepsOf(decode, *tile)) {
      Allocator allocator(decode, step, rows, bytesOf(isa::Buffer::Act),
                          bytesOf(isa::Buffer::Prm));
      if (failed(allocator.run()))
        return signalPassFailure();
      for (auto [index, at] : allocator.getArgSlots())
        argHomes[index].push_back(b.getNamedAttr(
            step, HomesAttr::get(b.getContext(), rows, at, -1, -1, -1)));
      for (auto &[op, s] : allocator.getSlots()) {
        if (s.result >= 0 || s.quantized >= 0 || s.temp >= 0)
          homes[op].push_back(b.getNamedAttr(
              step, HomesAttr::get(b.getContext(), allocator.rowsOf(op),
                                   s.result, s.quantized, s.scales, s.temp)));
        if (!s.params.empty())
          params[op].push_back(
              b.getNamedAttr(step, b.getDenseI64ArrayAttr(s.params)));
      }
      peaks.push_back(
          b.getNamedAttr(step, b.getI64IntegerAttr(allocator.getPeak())));
    }
    for (auto &[op, steps] : homes)
      op->setAttr(kActAttr, b.getDictionaryAttr(steps));
    for (auto [index, steps] : llvm::enumerate(argHomes))
      if (!steps.empty())
        decode.setArgAttr(index, kActAttr, b.getDictionaryAttr(steps));
    for (auto &[op, steps] : params)
      op->setAttr(kPrmAttr, b.getDictionaryAttr(steps));
    module->setAttr(kActBytesAttr, b.getDictionaryAttr(peaks));
    // Each attention's layout in each step, for KV records at the stride
    // accel-place-hbm placed them at (unpadded before it).
    WalkResult planned = decode.walk([&](CacheAttentionOp op) {
      FailureOr<CacheLayout> c = cacheFormat(op);
      if (failed(c))
        return WalkResult::interrupt();
      if (auto placed = op.getKeyCache().getDefiningOp()->getAttrOfType<HbmAttr>(
              kHbmAttr))
        c->record = stripedRows(placed, c->slots).rowBytes;
      SmallVector<NamedAttribute, 2> steps;
      for (auto [step, rows] : stepsOf(decode, *tile)) {
        FailureOr<AttentionLayout> layout =
            planAttention(op, *c, *config, rows);
        if (failed(layout))
          return WalkResult::interrupt();
        steps.push_back(
            b.getNamedAttr(step, toAttr(module.getContext(), *layout)));
      }
      op->setAttr(kAttentionLayoutAttr, b.getDictionaryAttr(steps));
      return WalkResult::advance();
    });
    if (planned.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
