//===- Int8Attention.cpp - accel-int8-attention ---------------------------===//
//
// Selects the integer attention numerics (docs/NUMERICS.md §6.5) for every
// attention op of the module: accel.attention, band_attention and
// cache_attention get `int8_attention`. Each needs a quantized KV cache,
// keys rotated before they are cached, and at most 65536 keys a query can
// see (the int32 bound of §6.5); an op without is an error naming it.
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace accel {
#define GEN_PASS_DEF_INT8ATTENTION
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;

namespace {

/// The most keys a query of `op` can see (the rows of its keys), or
/// ShapedType::kDynamic.
int64_t keyRows(Operation *op) {
  auto rows = [](Value v) {
    return v ? cast<RankedTensorType>(v.getType()).getDimSize(1) : 0;
  };
  auto sum = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || ShapedType::isDynamic(b)
               ? ShapedType::kDynamic
               : a + b;
  };
  if (auto whole = dyn_cast<AttentionOp>(op))
    return sum(rows(whole.getKey()), rows(whole.getPastKey()));
  if (auto band = dyn_cast<BandAttentionOp>(op))
    return sum(rows(band.getKey()), rows(band.getSinkKey()));
  return rows(cast<CacheAttentionOp>(op).getKeyCache());
}

struct Int8AttentionPass
    : public accel::impl::Int8AttentionBase<Int8AttentionPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](Operation *op) {
      if (!isa<AttentionOp, BandAttentionOp, CacheAttentionOp>(op))
        return WalkResult::advance();
      if (!op->getAttr("kv_quant")) {
        op->emitError("accel-int8-attention: the attention has no quantized "
                      "KV cache (kv_quant); integer attention reads the "
                      "cache's integers (quantize it: ")
            << optionReference("scheme", "accel-quantize") << ")";
        return WalkResult::interrupt();
      }
      auto cache = dyn_cast<CacheAttentionOp>(op);
      auto band = dyn_cast<BandAttentionOp>(op);
      if ((cache && cache.getRopeCos()) || (band && band.getRopeCos())) {
        op->emitError("accel-int8-attention: keys are rotated after they are "
                      "read (")
            << optionReference("rope-positions", "accel-lambda-attention")
            << "=cache); integer attention needs absolute RoPE positions";
        return WalkResult::interrupt();
      }
      int64_t keys = keyRows(op);
      if (!ShapedType::isDynamic(keys) && keys > 65536) {
        op->emitError("accel-int8-attention: a query may see up to ")
            << keys << " keys, more than the 65536 whose int32 sums integer "
            << "attention bounds (docs/NUMERICS.md §6.5; use Λ ("
            << optionReference("window", "accel-lambda-attention")
            << ") or a smaller "
            << optionReference("max-context", "accel-lambda-attention") << ")";
        return WalkResult::interrupt();
      }
      op->setAttr("int8_attention", UnitAttr::get(op->getContext()));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
