//===- PackageMetadata.cpp - the metadata JSON of a compiled package ------===//
//
// docs/FORMATS.md §5.2. The model's shapes come from its accel ops (those
// left beside the program after lowering): the embedding table gives the
// vocabulary and hidden size, the attention ops the layers, heads and the
// Λ and KV-cache settings, the first quantized linear the weight and
// activation settings. The lowering's own facts (`accel.model`, `accel.io`,
// `accel.hbm`, `accel.placement`, `accel.params` dictionaries on the module,
// every `accel.<key>` attribute of the program) are copied as they are.
//
//===----------------------------------------------------------------------===//

#include "accel/Target/ISA/WritePackage.h"

#include "accel/Dialect/Accel/AccelAttrs.h"
#include "accel/Dialect/AccelISA/AccelISAOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace accel;
namespace json = llvm::json;

namespace {

json::Value toJSON(Attribute attr) {
  if (auto boolean = dyn_cast<BoolAttr>(attr))
    return boolean.getValue();
  if (auto integer = dyn_cast<IntegerAttr>(attr))
    return integer.getValue().getSExtValue();
  if (auto fp = dyn_cast<FloatAttr>(attr))
    return fp.getValueAsDouble();
  if (auto string = dyn_cast<StringAttr>(attr))
    return string.getValue();
  if (auto array = dyn_cast<DenseI64ArrayAttr>(attr))
    return json::Array(array.asArrayRef());
  if (auto array = dyn_cast<DenseI32ArrayAttr>(attr))
    return json::Array(array.asArrayRef());
  if (auto array = dyn_cast<ArrayAttr>(attr)) {
    // Reserved: a json::Value's move may throw, so a growing vector copies
    // its elements (a 7B package's placement list, 89,106 objects, cost
    // 0.5 GB so).
    json::Array out;
    out.reserve(array.size());
    for (Attribute element : array)
      out.push_back(toJSON(element));
    return out;
  }
  if (auto dict = dyn_cast<DictionaryAttr>(attr)) {
    json::Object out;
    for (NamedAttribute named : dict)
      out[named.getName().getValue()] = toJSON(named.getValue());
    return out;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  attr.print(os);
  return text;
}

bool isAttention(Operation *op) {
  StringRef name = op->getName().getStringRef();
  return name == "accel.attention" || name == "accel.band_attention" ||
         name == "accel.cache_attention";
}

json::Object modelMetadata(ModuleOp module) {
  json::Object model;
  int64_t layers = 0;
  module.walk([&](func::FuncOp func) {
    int64_t count = 0;
    func.walk([&](Operation *op) { count += isAttention(op); });
    layers = std::max(layers, count);
  });
  if (layers)
    model["layers"] = layers;
  module.walk([&](func::FuncOp func) {
    if (auto bound = func->getAttrOfType<IntegerAttr>("accel.max_positions"))
      model["max_positions"] = bound.getInt();
  });
  bool seenEmbedding = false, seenAttention = false, seenLinear = false;
  module.walk([&](Operation *op) {
    StringRef name = op->getName().getStringRef();
    if (name == "accel.embedding" && !seenEmbedding) {
      auto table = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
      if (table && table.getRank() == 2 && table.hasStaticShape()) {
        model["vocab"] = table.getDimSize(0);
        model["hidden"] = table.getDimSize(1);
        seenEmbedding = true;
      }
    } else if (isAttention(op) && !seenAttention) {
      seenAttention = true;
      auto heads = op->getAttrOfType<IntegerAttr>("num_heads");
      auto kvHeads = op->getAttrOfType<IntegerAttr>("num_kv_heads");
      if (heads && kvHeads) {
        model["heads"] = heads.getInt();
        model["kv_heads"] = kvHeads.getInt();
        auto result = dyn_cast<RankedTensorType>(op->getResult(0).getType());
        if (result && !result.isDynamicDim(result.getRank() - 1))
          model["head_dim"] =
              result.getDimSize(result.getRank() - 1) / heads.getInt();
      }
      if (auto lambda = op->getAttrOfType<LambdaAttr>("lambda"))
        model["lambda"] = json::Object{{"sink", lambda.getSink()},
                                       {"window", lambda.getWindow()}};
      if (auto kv = op->getAttrOfType<QuantAttr>("kv_quant"))
        model["kv_quant"] = json::Object{{"bits", int64_t(kv.getBits())},
                                         {"group", kv.getGroupSize()},
                                         {"symmetric", kv.getSymmetric()}};
    } else if (name == "accel.linear" && !seenLinear &&
               op->hasAttr("weight_quant")) {
      seenLinear = true;
      auto quant = [](QuantAttr q) {
        return json::Object{{"bits", int64_t(q.getBits())},
                            {"group", q.getGroupSize()},
                            {"symmetric", q.getSymmetric()}};
      };
      if (auto w = op->getAttrOfType<QuantAttr>("weight_quant"))
        model["weight_quant"] = quant(w);
      if (auto a = op->getAttrOfType<QuantAttr>("act_quant"))
        model["act_quant"] = quant(a);
      if (auto s = op->getAttrOfType<SparsityAttr>("sparsity"))
        model["sparsity"] =
            std::to_string(s.getN()) + ":" + std::to_string(s.getM());
    }
  });
  if (auto given = module->getAttrOfType<DictionaryAttr>("accel.model"))
    for (NamedAttribute named : given)
      model[named.getName().getValue()] = toJSON(named.getValue());
  return model;
}

} // namespace

json::Object accelisa::packageMetadata(ModuleOp module, ProgramOp program,
                                       StringRef configName) {
  json::Object metadata;
  metadata["program"] = program.getSymName();
  json::Object model = modelMetadata(module);
  if (!model.empty())
    metadata["model"] = std::move(model);
  for (StringRef key : {"io", "hbm", "placement", "params"})
    if (Attribute attr = module->getAttr(("accel." + key).str()))
      metadata[key] = toJSON(attr);
  // The lowering's facts about the program: `accel.<key>` -> `key` (the
  // params blob is a section, not metadata).
  for (NamedAttribute named : program->getDiscardableAttrs()) {
    StringRef key = named.getName().getValue();
    if (key.consume_front("accel.") && !llvm::isa<ElementsAttr>(named.getValue()))
      metadata[key] = toJSON(named.getValue());
  }
  if (Attribute image = module->getAttr("accel.weight_image"))
    metadata["weights"] = toJSON(image);
  if (!configName.empty())
    metadata["config"] = configName;
  return metadata;
}
