//===- F32Activations.cpp - accel-f32-activations -------------------------===//
//
// Widens the f16/bf16 activations of a half-precision model to the engine's
// fp32, leaving its weights (linear weights, embedding tables, RoPE tables)
// in their own type and storage.
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Reference/Executor.h"
#include "accel/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace accel {
#define GEN_PASS_DEF_F32ACTIVATIONS
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;

namespace {

bool isHalf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  Type element = tensor ? tensor.getElementType() : type;
  return element.isF16() || element.isBF16();
}

/// `type` with an f32 element type in place of f16/bf16.
Type widened(Type type) {
  Float32Type f32 = Float32Type::get(type.getContext());
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return isHalf(type) ? tensor.clone(f32) : type;
  return isHalf(type) ? Type(f32) : type;
}

/// Whether a use reads its operand as a weight (or a quantized weight's
/// scales), which keeps its type.
bool isWeightUse(OpOperand &use) {
  Operation *user = use.getOwner();
  if (auto linear = dyn_cast<LinearOp>(user))
    return use.get() == linear.getWeight() ||
           use.get() == linear.getScales() ||
           use.get() == linear.getZeroPoints();
  if (auto embedding = dyn_cast<EmbeddingOp>(user))
    return use.get() == embedding.getTable();
  if (auto rope = dyn_cast<RopeOp>(user))
    return use.get() == rope.getCos() || use.get() == rope.getSin();
  return false;
}

struct F32ActivationsPass
    : public accel::impl::F32ActivationsBase<F32ActivationsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool failedAny = false;
    SmallVector<Operation *> casts;
    module.walk([&](Operation *op) {
      if (failedAny)
        return;
      if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
        if (!isHalf(constant.getType()) ||
            llvm::all_of(constant->getUses(), isWeightUse))
          return;
        failedAny = failed(widenConstant(constant));
        return;
      }
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument argument : block.getArguments())
            argument.setType(widened(argument.getType()));
      for (OpResult result : op->getResults())
        result.setType(widened(result.getType()));
      if (isa<arith::ExtFOp, arith::TruncFOp>(op) &&
          op->getOperand(0).getType() == op->getResult(0).getType())
        casts.push_back(op);
    });
    if (failedAny)
      return signalPassFailure();
    for (Operation *cast : casts) {
      cast->getResult(0).replaceAllUsesWith(cast->getOperand(0));
      cast->erase();
    }
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      SmallVector<Type> inputs, results;
      for (Type type : fn.getArgumentTypes())
        inputs.push_back(widened(type));
      for (Type type : fn.getResultTypes())
        results.push_back(widened(type));
      fn.setFunctionType(FunctionType::get(&getContext(), inputs, results));
    }
  }

  /// Replaces a half-precision constant read as an activation by an f32
  /// one; a weight use keeps the original.
  LogicalResult widenConstant(arith::ConstantOp constant) {
    llvm::Expected<reference::Tensor> tensor =
        reference::fromAttribute(constant.getValue());
    if (!tensor)
      return constant.emitError("cannot widen an f16 constant to f32: ")
             << llvm::toString(tensor.takeError());
    Type type = widened(constant.getType());
    TypedAttr value;
    if (auto tensorType = dyn_cast<RankedTensorType>(type))
      value = DenseElementsAttr::get(tensorType, tensor->getFloats());
    else
      value = FloatAttr::get(type, tensor->getFloats()[0]);
    OpBuilder builder(constant);
    auto wide = builder.create<arith::ConstantOp>(constant.getLoc(), value);
    constant.getResult().replaceUsesWithIf(
        wide, [](OpOperand &use) { return !isWeightUse(use); });
    if (constant->use_empty())
      constant->erase();
    return success();
  }
};

} // namespace
