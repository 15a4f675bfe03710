//===- Placement.cpp - where a program's data lives in HBM ----------------===//

#include "Placement.h"

#include "accel/ISA/ISA.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstring>

using namespace mlir;
using namespace accel;
using namespace accel::lowering;

StripedRows accel::lowering::stripeRows(int64_t rows, int64_t rowBytes,
                                        int64_t channels) {
  StripedRows s;
  s.rows = rows;
  s.rowBytes = alignTo(rowBytes, kAlign);
  // The most channels (a power of two up to C) that split the padded row
  // into equal 64-byte multiples, so that pieces laid side by side on chip
  // are the row again.
  int64_t chunks = s.rowBytes / kAlign;
  s.channels = 1;
  while (s.channels * 2 <= channels && chunks % (s.channels * 2) == 0)
    s.channels *= 2;
  s.stripe = s.rowBytes / s.channels;
  return s;
}

void accel::lowering::forEachStripedColumn(
    const StripedRows &striped, const uint8_t *data, int64_t rowBytes,
    int64_t channels,
    llvm::function_ref<void(llvm::ArrayRef<uint8_t>, int64_t)> column) {
  std::vector<uint8_t> bytes;
  for (int64_t i = 0; i < striped.channels; ++i) {
    bytes.assign(striped.rows * striped.stripe, 0);
    auto [from, to] = striped.piece(i, rowBytes);
    for (int64_t r = 0; r < striped.rows && from < to; ++r)
      std::memcpy(bytes.data() + r * striped.stripe, data + r * rowBytes + from,
                  to - from);
    column(bytes, striped.channelOf(i, channels));
  }
}

int64_t RegionLayout::reserveAll(int64_t bytes) {
  int64_t offset = *std::max_element(used.begin(), used.end());
  offset = alignTo(offset, kAlign);
  std::fill(used.begin(), used.end(), offset + alignTo(bytes, kAlign));
  return offset;
}

int64_t RegionLayout::reserveOne(int64_t channel, int64_t bytes) {
  return reserveRun(channel, 1, bytes);
}

int64_t RegionLayout::reserveRun(int64_t first, int64_t count,
                                 int64_t bytes) {
  int64_t n = used.size(), offset = 0;
  for (int64_t i = 0; i < count; ++i)
    offset = std::max(offset, used[(first + i) % n]);
  offset = alignTo(offset, kAlign);
  for (int64_t i = 0; i < count; ++i)
    used[(first + i) % n] = offset + alignTo(bytes, kAlign);
  return offset;
}

int64_t RegionLayout::perChannelBytes() const {
  return *std::max_element(used.begin(), used.end());
}

FailureOr<CacheLayout> accel::lowering::cacheFormat(CacheAttentionOp attention) {
  if (!attention.getKeyCache().getDefiningOp<KVCacheWriteOp>() ||
      !attention.getValueCache().getDefiningOp<KVCacheWriteOp>())
    return attention.emitError("the engine lowering needs the cache written "
                               "by accel.kv_cache_write right before");
  CacheLayout c;
  c.kvHeads = attention.getNumKvHeads();
  c.qpk = attention.getNumHeads() / c.kvHeads;
  c.headDim = attention.getHeadDim();
  c.slots = attention.getKeyCache().getType().getDimSize(1);
  if (QuantAttr kv = attention.getKvQuantAttr()) {
    c.format = kv.getSymmetric() ? 1 : 0;
    c.bits = kv.getBits();
    c.group = kv.getEffectiveGroupSize(c.headDim);
  } else {
    c.group = c.headDim;
  }
  if (LambdaAttr lambda = attention.getLambdaAttr())
    c.sink = lambda.getSink(), c.window = lambda.getWindow();
  c.record = isa::kvRecordBytes(c.kvHeads, c.headDim, c.format, c.bits,
                                c.group);
  return c;
}

HbmAttr accel::lowering::toAttr(MLIRContext *context,
                                const TiledMatrix &matrix, int64_t channels) {
  return HbmAttr::get(context, matrix.firstChannel, matrix.base, channels,
                      matrix.tileBytes);
}

HbmAttr accel::lowering::toAttr(MLIRContext *context, const StripedRows &rows) {
  return HbmAttr::get(context, rows.firstChannel, rows.base, rows.channels,
                      rows.stripe);
}

StripedRows accel::lowering::stripedRows(HbmAttr attr, int64_t rows) {
  StripedRows s;
  s.firstChannel = attr.getChannel();
  s.base = attr.getOffset();
  s.rows = rows;
  s.channels = attr.getChannels();
  s.stripe = attr.getStride();
  s.rowBytes = s.channels * s.stripe;
  return s;
}

/// The function of `module` marked accel.entry = `name`, or null.
static func::FuncOp findEntry(ModuleOp module, StringRef name) {
  for (auto fn : module.getOps<func::FuncOp>())
    if (auto entry = fn->getAttrOfType<StringAttr>("accel.entry");
        entry && entry.getValue() == name)
      return fn;
  return {};
}

func::FuncOp accel::lowering::findDecode(ModuleOp module) {
  return findEntry(module, "decode");
}

func::FuncOp accel::lowering::findLowered(ModuleOp module) {
  func::FuncOp decode = findDecode(module);
  return decode ? decode : findEntry(module, "forward");
}

bool accel::lowering::isForward(func::FuncOp fn) {
  auto entry = fn->getAttrOfType<StringAttr>("accel.entry");
  return entry && entry.getValue() == "forward";
}

SmallVector<std::pair<StringRef, int64_t>, 2>
accel::lowering::stepsOf(func::FuncOp fn, int64_t prefillTile) {
  if (isForward(fn))
    return {{"forward", prefillTile}};
  return {{"decode", 1}, {"prefill", prefillTile}};
}

FailureOr<hw::Config>
accel::lowering::loadPlacementConfig(ModuleOp module, StringRef pass,
                                     StringRef path) {
  std::string file = path.empty() ? ACCEL_DEFAULT_CONFIG : path.str();
  llvm::Expected<hw::Config> config = hw::loadConfig(file);
  if (!config)
    return module.emitError(pass) << ": "
                                  << llvm::toString(config.takeError());
  if (!llvm::isPowerOf2_64(config->hbmChannels))
    return module.emitError(pass)
           << ": " << file << ": hbm.channels = " << config->hbmChannels
           << " is not a power of two (a DMA spreads its rows over 2^k "
              "channels, docs/ISA.md §5.1)";
  return std::move(*config);
}

FailureOr<int64_t> accel::lowering::prefillTileOf(ModuleOp module,
                                                  StringRef pass) {
  auto tile = module->getAttrOfType<IntegerAttr>(kPrefillTileAttr);
  if (!tile)
    return module.emitError(pass)
           << ": the module has no accel.prefill_tile: run accel-tile first";
  return tile.getInt();
}

FailureOr<Value> accel::lowering::broadcastRow(Operation *user,
                                               Value operand) {
  auto broadcast = operand.getDefiningOp<BroadcastOp>();
  if (!broadcast)
    return Value();
  Value row = broadcast.getInput();
  RankedTensorType type = broadcast.getInput().getType();
  if (!row.getDefiningOp<arith::ConstantOp>())
    return user->emitError("the engine repeats only a constant row along "
                           "the rows, not the computed ")
           << type;
  ArrayRef<int64_t> shape = type.getShape(),
                   to = broadcast.getType().getShape();
  int64_t features = to.empty() ? 1 : to.back();
  if (!type.getElementType().isF32() || shape.empty() ||
      shape.back() != features ||
      llvm::any_of(shape.drop_back(), [](int64_t dim) { return dim != 1; }))
    return user->emitError("the engine repeats a constant along the rows "
                           "only as an fp32 row of the ")
           << features << " features (every other dimension 1), not this "
           << type << " (repeated to " << broadcast.getType() << ")";
  return row;
}

