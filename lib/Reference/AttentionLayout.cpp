//===- AttentionLayout.cpp - which keys each query of attention sees ------===//
//
// The position bookkeeping of the attention family, shared by the fp32 and
// golden modes because it involves no arithmetic on values: the Λ mask, the
// KV cache's slots (accel.kv_cache_write, which only moves rows), and where
// accel.attention, band_attention and cache_attention find the key of each
// position. The two modes compute §6 on the rows this file picks.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "accel/Dialect/Accel/AccelOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace accel::reference;
using namespace accel::reference::detail;

llvm::Expected<int64_t> detail::cacheSlot(int64_t position,
                                          std::optional<LambdaMask> lambda,
                                          int64_t slots) {
  int64_t slot = position;
  if (lambda && position >= lambda->sink)
    slot = lambda->sink + (position - lambda->sink) % lambda->window;
  if (slot >= slots)
    return fail("key position " + llvm::Twine(position) + " goes to slot " +
                llvm::Twine(slot) + ", outside the cache of " +
                llvm::Twine(slots) + " slots");
  return slot;
}

static std::optional<LambdaMask> lambdaOf(accel::LambdaAttr attr) {
  if (!attr)
    return std::nullopt;
  return LambdaMask{attr.getSink(), attr.getWindow()};
}

/// Calls `visit(j)` for every key position j a causal query at `position`
/// sees, ascending: j ≤ position, and with Λ only j < S or j > position − W.
static llvm::Error
forEachVisible(int64_t position, std::optional<LambdaMask> lambda,
               llvm::function_ref<llvm::Error(int64_t)> visit) {
  int64_t recent = 0;
  if (lambda) {
    for (int64_t j = 0; j < std::min(lambda->sink, position + 1); ++j)
      if (llvm::Error error = visit(j))
        return error;
    recent = std::max(lambda->sink, position - lambda->window + 1);
  }
  for (int64_t j = recent; j <= position; ++j)
    if (llvm::Error error = visit(j))
      return error;
  return llvm::Error::success();
}

llvm::Error
AttentionLayout::visibleRows(int64_t t,
                             llvm::SmallVectorImpl<int64_t> &result) const {
  result.clear();
  int64_t position = queryPosition + t;
  if (!causal) {
    for (int64_t j = 0; j < rows; ++j)
      result.push_back(j);
    return llvm::Error::success();
  }
  auto rowOf = [&](int64_t j) -> llvm::Error {
    switch (kind) {
    case Kind::Sequence:
      // accel.attention: keys past the last row are simply not there.
      if (j < rows)
        result.push_back(j);
      return llvm::Error::success();
    case Kind::Cache: {
      llvm::Expected<int64_t> slot = cacheSlot(j, lambda, rows);
      if (!slot)
        return fail("query position " + llvm::Twine(position) + ": " +
                    llvm::toString(slot.takeError()));
      result.push_back(*slot);
      return llvm::Error::success();
    }
    case Kind::Band:
      break;
    }
    int64_t bandRows = rows - sinkRows;
    if (j >= bandStart && j - bandStart < bandRows)
      result.push_back(sinkRows + (j - bandStart));
    else if (j < sinkRows)
      result.push_back(j);
    else
      return fail("query position " + llvm::Twine(position) +
                  " sees key position " + llvm::Twine(j) +
                  ", which neither the band (positions " +
                  llvm::Twine(bandStart) + " to " +
                  llvm::Twine(bandStart + bandRows - 1) + ") nor the " +
                  llvm::Twine(sinkRows) + " sink rows hold");
    return llvm::Error::success();
  };
  if (llvm::Error error = forEachVisible(position, lambda, rowOf))
    return error;
  if (ropeCos && static_cast<int64_t>(result.size()) > ropeCos->getDim(0))
    return fail("query position " + llvm::Twine(position) + " sees " +
                llvm::Twine(result.size()) + " keys, but the RoPE tables " +
                "have " + llvm::Twine(ropeCos->getDim(0)) + " rows");
  return llvm::Error::success();
}

/// A position operand: a non-negative index scalar.
static llvm::Expected<int64_t> positionOf(const Tensor *tensor,
                                          llvm::StringRef what) {
  llvm::Expected<int64_t> position = scalarInt(tensor, what);
  if (position && *position < 0)
    return fail(what + " is " + llvm::Twine(*position) + ", must be >= 0");
  return position;
}

/// An error unless `key` and `value` are [B, n, E] pairs fitting the query.
static llvm::Error checkRowPair(llvm::StringRef what, const Tensor &key,
                                const Tensor &value, const AttentionLayout &l) {
  if (key.getShape() != value.getShape() || key.getRank() != 3 ||
      key.getDim(0) != l.batch || key.getDim(2) != l.kvHeads * l.headDim)
    return fail(what + " keys " + formatShape(key.getShape()) + " and values " +
                formatShape(value.getShape()) + " must both be [" +
                llvm::Twine(l.batch) + ", n, " +
                llvm::Twine(l.kvHeads * l.headDim) + "]");
  return llvm::Error::success();
}

/// Fills the layout's query, head sizes and key/value parts, checking types
/// and shapes. The rows are `extraKey`/`extraValue` (past rows or sinks, if
/// any) followed by the op's own `key`/`value` rows.
static llvm::Error
setOperands(AttentionLayout &l, int64_t heads, int64_t kvHeads,
            const Tensor &query, const Tensor &key, const Tensor &value,
            const Tensor *extraKey, const Tensor *extraValue,
            llvm::function_ref<llvm::Error(const Tensor *)> checkType) {
  if (llvm::Error error = checkAttentionOperands(
          {&query, &key, &value, extraKey, extraValue}, checkType))
    return error;
  llvm::Expected<int64_t> headDim =
      attentionHeadDim(heads, kvHeads, query, key, value);
  if (!headDim)
    return headDim.takeError();
  l.query = &query;
  l.heads = heads, l.kvHeads = kvHeads, l.headDim = *headDim;
  l.batch = query.getDim(0), l.queries = query.getDim(1);
  if (bool(extraKey) != bool(extraValue))
    return fail("extra keys and values must come together");
  if (extraKey) {
    if (llvm::Error error = checkRowPair(
            l.kind == AttentionLayout::Kind::Band ? "sink" : "past", *extraKey,
            *extraValue, l))
      return error;
    l.keyParts.push_back(extraKey);
    l.valueParts.push_back(extraValue);
  }
  l.keyParts.push_back(&key);
  l.valueParts.push_back(&value);
  l.rows = 0;
  for (const Tensor *part : l.keyParts)
    l.rows += part->getDim(1);
  return llvm::Error::success();
}

/// The rank-indexed RoPE tables of band/cache attention, if any.
static llvm::Error
setRope(AttentionLayout &l, const Tensor *cos, const Tensor *sin,
        std::optional<accel::RopeStyle> style,
        llvm::function_ref<llvm::Error(const Tensor *)> checkType) {
  if (!cos)
    return llvm::Error::success();
  if (llvm::Error error = checkType(cos))
    return error;
  if (llvm::Error error = checkType(sin))
    return error;
  if (!style || !l.lambda || cos->getShape() != sin->getShape() ||
      cos->getRank() != 2 || cos->getDim(1) % 2 != 0 || cos->getDim(1) == 0 ||
      cos->getDim(1) > l.headDim)
    return fail("rope needs a style, `lambda` and cos/sin tables of one "
                "[P, R] shape with R even and 0 < R <= " +
                llvm::Twine(l.headDim) + ", got " +
                formatShape(cos->getShape()) + " and " +
                formatShape(sin->getShape()));
  l.ropeCos = cos, l.ropeSin = sin;
  l.interleaved = *style == accel::RopeStyle::Interleaved;
  return llvm::Error::success();
}

static std::optional<float> scaleOf(std::optional<llvm::APFloat> scale) {
  if (!scale)
    return std::nullopt;
  return scale->convertToFloat();
}

using TypeCheck = llvm::function_ref<llvm::Error(const Tensor *)>;

static llvm::Expected<AttentionLayout> layoutOf(accel::AttentionOp op,
                                                const AccelOperands &operands,
                                                TypeCheck checkType) {
  AttentionLayout l;
  const Tensor *pastKey = operands.get(op.getPastKey());
  if (llvm::Error error = setOperands(
          l, op.getNumHeads(), op.getNumKvHeads(), *operands.get(op.getQuery()),
          *operands.get(op.getKey()), *operands.get(op.getValue()), pastKey,
          operands.get(op.getPastValue()), checkType))
    return std::move(error);
  l.queryPosition = pastKey ? pastKey->getDim(1) : 0;
  l.causal = op.getCausal();
  l.lambda = lambdaOf(op.getLambdaAttr());
  l.scale = scaleOf(op.getScale());
  l.kvQuant = op.getKvQuantAttr();
  if (l.lambda && !l.causal)
    return fail("Λ-shaped attention (lambda) needs `causal`");
  return l;
}

static llvm::Expected<AttentionLayout> layoutOf(accel::BandAttentionOp op,
                                                const AccelOperands &operands,
                                                TypeCheck checkType) {
  AttentionLayout l;
  l.kind = AttentionLayout::Kind::Band;
  l.lambda = lambdaOf(op.getLambdaAttr());
  l.scale = scaleOf(op.getScale());
  l.kvQuant = op.getKvQuantAttr();
  const Tensor *sinkKey = operands.get(op.getSinkKey());
  if (llvm::Error error = setOperands(
          l, op.getNumHeads(), op.getNumKvHeads(), *operands.get(op.getQuery()),
          *operands.get(op.getKey()), *operands.get(op.getValue()), sinkKey,
          operands.get(op.getSinkValue()), checkType))
    return std::move(error);
  l.sinkRows = sinkKey ? sinkKey->getDim(1) : 0;
  if (llvm::Error error =
          setRope(l, operands.get(op.getRopeCos()),
                  operands.get(op.getRopeSin()), op.getRopeStyle(), checkType))
    return std::move(error);
  llvm::Expected<int64_t> queryPosition =
      positionOf(operands.get(op.getQueryPosition()), "the query position");
  if (!queryPosition)
    return queryPosition.takeError();
  llvm::Expected<int64_t> keyPosition =
      positionOf(operands.get(op.getKeyPosition()), "the key position");
  if (!keyPosition)
    return keyPosition.takeError();
  l.queryPosition = *queryPosition, l.bandStart = *keyPosition;
  return l;
}

static llvm::Expected<AttentionLayout> layoutOf(accel::CacheAttentionOp op,
                                                const AccelOperands &operands,
                                                TypeCheck checkType) {
  AttentionLayout l;
  l.kind = AttentionLayout::Kind::Cache;
  l.lambda = lambdaOf(op.getLambdaAttr());
  l.scale = scaleOf(op.getScale());
  l.kvQuant = op.getKvQuantAttr();
  if (llvm::Error error = setOperands(
          l, op.getNumHeads(), op.getNumKvHeads(), *operands.get(op.getQuery()),
          *operands.get(op.getKeyCache()), *operands.get(op.getValueCache()),
          nullptr, nullptr, checkType))
    return std::move(error);
  if (l.queries != 1)
    return fail("a decode step has one query row, got " +
                llvm::Twine(l.queries));
  if (llvm::Error error =
          setRope(l, operands.get(op.getRopeCos()),
                  operands.get(op.getRopeSin()), op.getRopeStyle(), checkType))
    return std::move(error);
  llvm::Expected<int64_t> position =
      positionOf(operands.get(op.getPosition()), "the position");
  if (!position)
    return position.takeError();
  l.queryPosition = *position;
  return l;
}

llvm::Expected<AttentionLayout>
detail::attentionLayout(mlir::Operation *op, const AccelOperands &operands,
                        TypeCheck checkType) {
  return llvm::TypeSwitch<mlir::Operation *, llvm::Expected<AttentionLayout>>(
             op)
      .Case<accel::AttentionOp, accel::BandAttentionOp,
            accel::CacheAttentionOp>([&](auto attention) {
        return layoutOf(attention, operands, checkType);
      })
      .Default([](mlir::Operation *) { return fail("not an attention op"); });
}

//===----------------------------------------------------------------------===//
// kv_cache_write
//===----------------------------------------------------------------------===//

Results detail::runKVCacheWrite(mlir::Operation *op,
                                const AccelOperands &operands) {
  auto write = llvm::cast<accel::KVCacheWriteOp>(op);
  const Tensor &cache = *operands.get(write.getCache());
  const Tensor &rows = *operands.get(write.getRows());
  llvm::Expected<int64_t> position =
      positionOf(operands.get(write.getPosition()), "the position");
  if (!position)
    return position.takeError();
  if (cache.getRank() != 3 || rows.getRank() != 3 ||
      cache.getDim(0) != rows.getDim(0) || cache.getDim(2) != rows.getDim(2) ||
      cache.getDType() != rows.getDType() || !cache.isFloat())
    return fail("rows " + rows.toString(0) + " do not fit the cache " +
                cache.toString(0) +
                ": both must be float [B, *, E] of one "
                "type");
  int64_t batch = cache.getDim(0), slots = cache.getDim(1),
          width = cache.getDim(2), count = rows.getDim(1);
  if (*position > std::numeric_limits<int64_t>::max() - count)
    return fail("the position " + llvm::Twine(*position) + " plus " +
                llvm::Twine(count) + " rows overflows");
  std::optional<LambdaMask> lambda = lambdaOf(write.getLambdaAttr());
  Tensor result = cache;
  for (int64_t t = 0; t < count; ++t) {
    llvm::Expected<int64_t> slot = cacheSlot(*position + t, lambda, slots);
    if (!slot)
      return fail("row " + llvm::Twine(t) + ": " +
                  llvm::toString(slot.takeError()));
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t e = 0; e < width; ++e)
        result.copyElement((b * slots + *slot) * width + e, rows,
                           (b * count + t) * width + e);
  }
  return single(std::move(result));
}
