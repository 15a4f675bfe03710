//===- AccelDialect.cpp - the accel dialect -------------------------------===//

#include "accel/Dialect/Accel/AccelDialect.h"
#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Dialect/Accel/AttentionLayoutFields.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace accel;

#include "Accel/AccelDialect.cpp.inc"

void AccelDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "Accel/AccelOps.cpp.inc"
      >();
}

/// A step of the lowering (the keys of accel.act, accel.prm and
/// accel.attention_layout): decode and prefill, or a forward function's one.
static bool isStep(StringRef name) {
  return name == "decode" || name == "prefill" || name == "forward";
}

/// The lowering's decisions, where their passes put them (AccelPasses.td).
LogicalResult AccelDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  if (name == "accel.epilogue") {
    auto epilogue = dyn_cast<EpilogueAttr>(value);
    auto linear = dyn_cast<LinearOp>(op);
    if (!epilogue || !linear)
      return op->emitOpError("accel.epilogue must be an #accel.epilogue on "
                             "an accel.linear");
    auto activation = linear->hasOneUse()
                          ? dyn_cast<ActivationOp>(*linear->user_begin())
                          : ActivationOp();
    if (!activation || activation.getInput() != linear.getResult() ||
        activation.getKind() != epilogue.getKind())
      return op->emitOpError("accel.epilogue needs the linear's one user to "
                             "be an accel.activation of that kind reading "
                             "it as its input");
    return success();
  }
  if (name == "accel.quantized") {
    auto quant = dyn_cast<QuantAttr>(value);
    if (!quant || op->getNumResults() != 1)
      return op->emitOpError("accel.quantized must be an #accel.quant on an "
                             "op of one result");
    bool read = llvm::any_of(op->getResult(0).getUsers(), [&](Operation *u) {
      auto linear = dyn_cast<LinearOp>(u);
      return linear && linear.getInput() == op->getResult(0) &&
             linear.getActQuantAttr() == quant;
    });
    if (!read)
      return op->emitOpError("accel.quantized: no accel.linear reads the "
                             "result with that activation quantization");
    return success();
  }
  if (name == "accel.in_place") {
    auto rope = dyn_cast<RopeOp>(op);
    if (!isa<UnitAttr>(value) || !rope)
      return op->emitOpError("accel.in_place must be a unit attribute on an "
                             "accel.rope");
    if (!rope.getInput().getDefiningOp() || !rope.getInput().hasOneUse())
      return op->emitOpError("accel.in_place needs an input that only this "
                             "rope reads");
    return success();
  }
  if (name == "accel.last_row") {
    if (!isa<UnitAttr>(value))
      return op->emitOpError("accel.last_row must be a unit attribute");
    for (OpOperand &use : op->getUses()) {
      Operation *user = use.getOwner();
      if (!user->hasAttr("accel.last_row") &&
          !(user->hasTrait<OpTrait::IsTerminator>() &&
            use.getOperandNumber() == 0))
        return op->emitOpError("accel.last_row: a result feeds an op "
                               "outside the output tail, not only the "
                               "logits");
    }
    return success();
  }
  if (name == "accel.prefill_tile" || name == "accel.load_tiles") {
    auto tile = dyn_cast<IntegerAttr>(value);
    bool onModule = isa<ModuleOp>(op);
    if (!tile || onModule != (name == "accel.prefill_tile") ||
        (!onModule && !isa<LinearOp>(op)))
      return op->emitOpError(name) << " must be an integer on "
                                   << (name == "accel.prefill_tile"
                                           ? "the module"
                                           : "an accel.linear");
    int64_t v = tile.getInt();
    if (onModule && (v < 1 || v > 255))
      return op->emitOpError("accel.prefill_tile = ")
             << v << " is not in 1..255";
    if (!onModule && (v < 1 || (v & (v - 1)) != 0))
      return op->emitOpError("accel.load_tiles = ")
             << v << " is not a power of two";
    return success();
  }
  if (name == "accel.prm") {
    auto steps = dyn_cast<DictionaryAttr>(value);
    if (!steps || steps.empty() || !llvm::all_of(steps, [](NamedAttribute s) {
          auto offsets = dyn_cast<DenseI64ArrayAttr>(s.getValue());
          return isStep(s.getName()) &&
                 offsets && llvm::all_of(offsets.asArrayRef(), [](int64_t o) {
                   return o >= 0 && o % 64 == 0;
                 });
        }))
      return op->emitOpError("accel.prm must map decode and prefill (or "
                             "forward) to arrays of offsets, multiples of 64");
    return success();
  }
  if (name == "accel.attention_layout") {
    auto steps = dyn_cast<DictionaryAttr>(value);
    bool valid =
        steps && !steps.empty() && isa<CacheAttentionOp>(op) &&
        llvm::all_of(steps, [](NamedAttribute s) {
          auto fields = dyn_cast<DictionaryAttr>(s.getValue());
          return isStep(s.getName()) &&
                 fields && llvm::all_of(fields, [](NamedAttribute f) {
                   auto v = dyn_cast<IntegerAttr>(f.getValue());
                   return v && v.getInt() >= 0;
                 });
        });
    if (!valid)
      return op->emitOpError("accel.attention_layout must be on an "
                             "accel.cache_attention and map decode and "
                             "prefill to dictionaries of non-negative "
                             "integers");
    // A misspelled field would otherwise be ignored.
    for (NamedAttribute s : steps)
      for (NamedAttribute f : cast<DictionaryAttr>(s.getValue()))
        if (!llvm::is_contained(kAttentionLayoutFields, f.getName().getValue()))
          return op->emitOpError("accel.attention_layout of the ")
                 << s.getName().getValue() << " step has an unknown field '"
                 << f.getName().getValue() << "'";
    return success();
  }
  if (name == "accel.act") {
    auto steps = dyn_cast<DictionaryAttr>(value);
    if (!steps || steps.empty() || !llvm::all_of(steps, [](NamedAttribute s) {
          return isStep(s.getName()) &&
                 isa<HomesAttr>(s.getValue());
        }))
      return op->emitOpError("accel.act must map decode and prefill (or "
                             "forward) to #accel.homes");
    return success();
  }
  return success();
}
