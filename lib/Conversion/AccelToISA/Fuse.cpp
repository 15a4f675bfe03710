//===- Fuse.cpp - accel-fuse ----------------------------------------------===//
//
// Decides the fusions of the decode step (AccelPasses.td) and records them
// as attributes, which accel-allocate-buffers and accel-lower-to-isa read:
// an activation in its linear's epilogue (accel.epilogue), one int8 form of
// a value shared by the linears reading it (accel.quantized), RoPE in place
// (accel.in_place).
//
//===----------------------------------------------------------------------===//

#include "Placement.h"

#include "accel/Transforms/Passes.h"

namespace accel {
#define GEN_PASS_DEF_FUSE
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::lowering;

namespace {

struct FusePass : public accel::impl::FuseBase<FusePass> {
  using FuseBase::FuseBase;

  void runOnOperation() override {
    func::FuncOp decode = findLowered(getOperation());
    if (!decode)
      return;
    Block &body = decode.getBody().front();
    for (Operation &op : body)
      for (StringRef name : {kEpilogueAttr, kQuantizedAttr, kInPlaceAttr})
        op.removeAttr(name);
    for (Operation &op : body) {
      if (auto activation = dyn_cast<ActivationOp>(op); activation && epilogue)
        if (auto linear = activation.getInput().getDefiningOp<LinearOp>();
            linear && linear->hasOneUse())
          linear->setAttr(kEpilogueAttr,
                          EpilogueAttr::get(&getContext(),
                                            activation.getKind()));
      // The first linear with integer weights that quantizes a value gives
      // the int8 form the others with its quantization share.
      if (auto linear = dyn_cast<LinearOp>(op); linear && quantize)
        if (Operation *def = linear.getInput().getDefiningOp();
            def && linear.getActQuantAttr() && linear.getWeightQuantAttr() &&
            !def->hasAttr(kQuantizedAttr))
          def->setAttr(kQuantizedAttr, linear.getActQuantAttr());
      if (auto r = dyn_cast<RopeOp>(op); r && rope)
        if (r.getInput().getDefiningOp() && r.getInput().hasOneUse())
          r->setAttr(kInPlaceAttr, UnitAttr::get(&getContext()));
    }
  }
};

} // namespace
