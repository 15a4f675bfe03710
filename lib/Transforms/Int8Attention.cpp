//===- Int8Attention.cpp - accel-int8-attention ---------------------------===//
//
// Selects the integer attention numerics (docs/NUMERICS.md §6.5) for every
// attention op of the module: accel.attention, band_attention and
// cache_attention get `int8_attention`. Each needs a quantized KV cache and
// keys rotated before they are cached; an op without is an error naming it.
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace accel {
#define GEN_PASS_DEF_INT8ATTENTION
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;

namespace {

struct Int8AttentionPass
    : public accel::impl::Int8AttentionBase<Int8AttentionPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](Operation *op) {
      if (!isa<AttentionOp, BandAttentionOp, CacheAttentionOp>(op))
        return WalkResult::advance();
      if (!op->getAttr("kv_quant")) {
        op->emitError("accel-int8-attention: the attention has no quantized "
                      "KV cache (kv_quant); integer attention reads the "
                      "cache's integers (compile with a --quant scheme)");
        return WalkResult::interrupt();
      }
      auto cache = dyn_cast<CacheAttentionOp>(op);
      auto band = dyn_cast<BandAttentionOp>(op);
      if ((cache && cache.getRopeCos()) || (band && band.getRopeCos())) {
        op->emitError("accel-int8-attention: keys are rotated after they are "
                      "read (rope-positions=cache); integer attention needs "
                      "absolute RoPE positions");
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
