//===- AccelAttentionOps.cpp - the attention family of the accel dialect --===//
//
// accel.attention (the whole-sequence form the front end raises to), and the
// positioned forms accel-lambda-attention produces: accel.band_attention (a
// prefill tile), accel.cache_attention (a decode step) and
// accel.kv_cache_write (the bounded cache they share).
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"

#include "VerifyHelpers.h"

#include <cmath>

using namespace mlir;
using namespace accel;
using namespace accel::detail;

namespace {

using NamedType = std::pair<StringRef, RankedTensorType>;

int64_t headDimOf(RankedTensorType query, int64_t heads) {
  int64_t hidden = innermost(query);
  return ShapedType::isDynamic(hidden) ? ShapedType::kDynamic : hidden / heads;
}

float effectiveScale(std::optional<APFloat> scale, int64_t headDim) {
  if (scale)
    return scale->convertToFloat();
  return 1.0f / std::sqrt(static_cast<float>(headDim));
}

/// Checks the query `[B, T, H * D]`, the key/value-like tensors
/// `[B, L, Hkv * D]` and the result (the query's type). Returns Hkv * D
/// (dynamic when the query's width is).
FailureOr<int64_t> verifyHeads(Operation *op, RankedTensorType query,
                               ArrayRef<NamedType> kvs, int64_t heads,
                               int64_t kvHeads, RankedTensorType result) {
  if (query.getRank() != 3)
    return op->emitOpError("query must be [B, T, heads * head_dim] (rank 3), "
                           "got ")
           << shapeStr(query.getShape());
  for (auto [name, type] : kvs)
    if (type.getRank() != 3)
      return op->emitOpError()
             << name << " must be [B, L, kv_heads * head_dim] (rank 3), got "
             << shapeStr(type.getShape());
  if (heads % kvHeads != 0)
    return op->emitOpError("num_heads (")
           << heads << ") must be a multiple of num_kv_heads (" << kvHeads
           << ")";
  int64_t hidden = innermost(query);
  if (!ShapedType::isDynamic(hidden) && hidden % heads != 0)
    return op->emitOpError("num_heads (")
           << heads << ") does not divide the query hidden size " << hidden;
  int64_t headDim = headDimOf(query, heads);
  int64_t kvHidden = ShapedType::isDynamic(headDim) ? ShapedType::kDynamic
                                                    : kvHeads * headDim;
  for (auto [name, type] : kvs) {
    if (!dimsAgree(innermost(type), kvHidden))
      return op->emitOpError()
             << name << " hidden size " << innermost(type)
             << " must be num_kv_heads * head_dim = " << kvHeads << " * "
             << headDim;
    if (!dimsAgree(type.getDimSize(0), query.getDimSize(0)))
      return op->emitOpError()
             << name << " batch " << type.getDimSize(0)
             << " does not match the query batch " << query.getDimSize(0);
  }
  if (!shapesAgree(result.getShape(), query.getShape()) ||
      result.getElementType() != query.getElementType())
    return op->emitOpError("result must have the query's type ") << query;
  return kvHidden;
}

/// Checks that a key tensor and its value tensor have one shape.
LogicalResult verifyPair(Operation *op, StringRef what, RankedTensorType key,
                         RankedTensorType value) {
  if (!shapesAgree(key.getShape(), value.getShape()))
    return op->emitOpError()
           << what << " keys and values must have one shape, got "
           << shapeStr(key.getShape()) << " and " << shapeStr(value.getShape());
  return success();
}

LogicalResult verifyScaleAndKVQuant(Operation *op,
                                    std::optional<APFloat> scale,
                                    QuantAttr kvQuant, int64_t headDim) {
  if (scale && (!scale->isFiniteNonZero() || scale->isNegative()))
    return op->emitOpError("scale must be finite and > 0, got ")
           << scale->convertToFloat();
  if (!kvQuant)
    return success();
  if (kvQuant.getBits() != 4 && kvQuant.getBits() != 8)
    return op->emitOpError("KV cache quantization must be 4 or 8 bits, got ")
           << kvQuant.getBits();
  if (!kvQuant.isPerChannel() && !ShapedType::isDynamic(headDim) &&
      headDim % kvQuant.getGroupSize() != 0)
    return op->emitOpError("KV quantization group size ")
           << kvQuant.getGroupSize() << " does not divide the head dim "
           << headDim;
  return success();
}

/// int8_attention (NUMERICS §6.5) reads the cache's integers: it needs
/// kv_quant, and keys that are not rotated after they are read.
LogicalResult verifyInt8Attention(Operation *op, bool int8, QuantAttr kvQuant,
                                  Value rankRope) {
  if (!int8)
    return success();
  if (!kvQuant)
    return op->emitOpError("int8_attention needs a quantized KV cache "
                           "(kv_quant)");
  if (rankRope)
    return op->emitOpError("int8_attention needs keys rotated before they "
                           "are cached (absolute RoPE positions), not "
                           "rope(...)");
  return success();
}

/// Checks a cache of `[B, C, E]` against Λ: a ring of `sink + window` slots.
LogicalResult verifyCacheSlots(Operation *op, RankedTensorType cache,
                               LambdaAttr lambda) {
  int64_t slots = cache.getDimSize(1);
  if (lambda && !ShapedType::isDynamic(slots) && slots != lambda.getSpan())
    return op->emitOpError("a Λ cache has sink + window = ")
           << lambda.getSpan() << " slots, got " << slots;
  return success();
}

/// Checks the rank-indexed RoPE tables of the positioned attention ops.
LogicalResult verifyRankRope(Operation *op, Value cos, Value sin,
                             std::optional<RopeStyle> style, LambdaAttr lambda,
                             int64_t headDim) {
  if (!cos)
    return success();
  if (!style)
    return op->emitOpError("rope tables need a rope style");
  if (!lambda)
    return op->emitOpError("positions within the cache (rope) need `lambda`");
  auto table = cast<RankedTensorType>(cos.getType());
  if (table != sin.getType())
    return op->emitOpError("rope cos and sin tables must have one type");
  if (table.getRank() != 2)
    return op->emitOpError("rope tables must be [P, R], got ")
           << shapeStr(table.getShape());
  int64_t rows = table.getDimSize(0), rotary = table.getDimSize(1);
  if (!ShapedType::isDynamic(rows) && rows < lambda.getSpan())
    return op->emitOpError("rope tables need a row per cache position (")
           << lambda.getSpan() << "), got " << rows;
  if (ShapedType::isDynamic(rotary))
    return success();
  if (rotary % 2 != 0 || rotary == 0)
    return op->emitOpError("rotary dimension must be even and > 0, got ")
           << rotary;
  if (!ShapedType::isDynamic(headDim) && rotary > headDim)
    return op->emitOpError("rotary dimension ")
           << rotary << " exceeds the head dim " << headDim;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

int64_t AttentionOp::getHeadDim() {
  return headDimOf(getQuery().getType(), getNumHeads());
}

float AttentionOp::getEffectiveScale() {
  return effectiveScale(getScale(), getHeadDim());
}

LogicalResult AttentionOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType(),
       v = getValue().getType();
  FailureOr<int64_t> kvHidden =
      verifyHeads(*this, q, {{"key", k}, {"value", v}}, getNumHeads(),
                  getNumKvHeads(), getResult().getType());
  if (failed(kvHidden))
    return failure();
  if (!dimsAgree(k.getDimSize(1), v.getDimSize(1)))
    return emitOpError("key and value lengths differ: ")
           << k.getDimSize(1) << " vs " << v.getDimSize(1);

  if (bool(getPastKey()) != bool(getPastValue()))
    return emitOpError("past key and past value come together");
  if (Value pastKey = getPastKey()) {
    auto pk = cast<RankedTensorType>(pastKey.getType());
    auto pv = cast<RankedTensorType>(getPastValue().getType());
    if (pk.getRank() != 3 || pv.getRank() != 3 ||
        !shapesAgree(pk.getShape(), pv.getShape()))
      return emitOpError("past key and value must both be [B, P, ")
             << "num_kv_heads * head_dim], got " << shapeStr(pk.getShape())
             << " and " << shapeStr(pv.getShape());
    if (!dimsAgree(pk.getDimSize(0), q.getDimSize(0)) ||
        !dimsAgree(innermost(pk), *kvHidden))
      return emitOpError("past key/value must be [")
             << q.getDimSize(0) << ", P, " << *kvHidden << "], got "
             << shapeStr(pk.getShape());
  }
  if (getLambdaAttr() && !getCausal())
    return emitOpError("Λ-shaped attention (lambda) needs `causal`");
  return failure(
      failed(verifyScaleAndKVQuant(*this, getScale(), getKvQuantAttr(),
                                   getHeadDim())) ||
      failed(verifyInt8Attention(*this, getInt8Attention(), getKvQuantAttr(),
                                 nullptr)));
}

//===----------------------------------------------------------------------===//
// KVCacheWriteOp
//===----------------------------------------------------------------------===//

LogicalResult KVCacheWriteOp::verify() {
  auto cache = getCache().getType(), rows = getRows().getType();
  if (cache.getRank() != 3 || rows.getRank() != 3)
    return emitOpError("cache and rows must be [B, C, E] and [B, T, E], got ")
           << shapeStr(cache.getShape()) << " and "
           << shapeStr(rows.getShape());
  if (!dimsAgree(cache.getDimSize(0), rows.getDimSize(0)) ||
      !dimsAgree(innermost(cache), innermost(rows)))
    return emitOpError("rows ")
           << shapeStr(rows.getShape()) << " do not fit the cache "
           << shapeStr(cache.getShape()) << " (batch and width must match)";
  if (cache.getElementType() != rows.getElementType())
    return emitOpError("rows must have the cache's element type ")
           << cache.getElementType();
  return verifyCacheSlots(*this, cache, getLambdaAttr());
}

//===----------------------------------------------------------------------===//
// BandAttentionOp
//===----------------------------------------------------------------------===//

int64_t BandAttentionOp::getHeadDim() {
  return headDimOf(getQuery().getType(), getNumHeads());
}

float BandAttentionOp::getEffectiveScale() {
  return effectiveScale(getScale(), getHeadDim());
}

LogicalResult BandAttentionOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType(),
       v = getValue().getType();
  SmallVector<NamedType> kvs = {{"key", k}, {"value", v}};
  if (bool(getSinkKey()) != bool(getSinkValue()))
    return emitOpError("sink keys and sink values come together");
  if (Value sinkKey = getSinkKey()) {
    kvs.push_back({"sink key", cast<RankedTensorType>(sinkKey.getType())});
    kvs.push_back(
        {"sink value", cast<RankedTensorType>(getSinkValue().getType())});
  }
  if (failed(verifyHeads(*this, q, kvs, getNumHeads(), getNumKvHeads(),
                         getResult().getType())) ||
      failed(verifyPair(*this, "band", k, v)))
    return failure();
  LambdaAttr lambda = getLambdaAttr();
  if (getSinkKey()) {
    if (failed(verifyPair(*this, "sink", kvs[2].second, kvs[3].second)))
      return failure();
    if (!lambda)
      return emitOpError("sinks need `lambda`");
    int64_t sinks = kvs[2].second.getDimSize(1);
    if (!ShapedType::isDynamic(sinks) && sinks > lambda.getSink())
      return emitOpError("")
             << sinks << " sink rows exceed the " << lambda.getSink()
             << " sink tokens of Λ";
  }
  return failure(
      failed(verifyScaleAndKVQuant(*this, getScale(), getKvQuantAttr(),
                                   getHeadDim())) ||
      failed(verifyRankRope(*this, getRopeCos(), getRopeSin(), getRopeStyle(),
                            lambda, getHeadDim())) ||
      failed(verifyInt8Attention(*this, getInt8Attention(), getKvQuantAttr(),
                                 getRopeCos())));
}

//===----------------------------------------------------------------------===//
// CacheAttentionOp
//===----------------------------------------------------------------------===//

int64_t CacheAttentionOp::getHeadDim() {
  return headDimOf(getQuery().getType(), getNumHeads());
}

float CacheAttentionOp::getEffectiveScale() {
  return effectiveScale(getScale(), getHeadDim());
}

LogicalResult CacheAttentionOp::verify() {
  auto q = getQuery().getType(), k = getKeyCache().getType(),
       v = getValueCache().getType();
  if (failed(verifyHeads(*this, q, {{"key cache", k}, {"value cache", v}},
                         getNumHeads(), getNumKvHeads(),
                         getResult().getType())) ||
      failed(verifyPair(*this, "cached", k, v)))
    return failure();
  if (!dimsAgree(q.getDimSize(1), 1))
    return emitOpError("a decode step has one query token, got ")
           << q.getDimSize(1);
  LambdaAttr lambda = getLambdaAttr();
  return failure(
      failed(verifyCacheSlots(*this, k, lambda)) ||
      failed(verifyScaleAndKVQuant(*this, getScale(), getKvQuantAttr(),
                                   getHeadDim())) ||
      failed(verifyRankRope(*this, getRopeCos(), getRopeSin(), getRopeStyle(),
                            lambda, getHeadDim())) ||
      failed(verifyInt8Attention(*this, getInt8Attention(), getKvQuantAttr(),
                                 getRopeCos())));
}
