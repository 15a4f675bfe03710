//===- LowerToISA.cpp - accel-lower-to-isa --------------------------------===//
//
// Lowers the decode step to an `accelisa.program` (AccelPasses.td): the code
// from DecodeCodegen, materialized as accelisa ops, and the data layout the
// package writer needs as attributes of the program.
//
//===----------------------------------------------------------------------===//

#include "DecodeCodegen.h"

#include "accel/Dialect/AccelISA/AccelISABuilder.h"
#include "accel/Dialect/AccelISA/AccelISADialect.h"
#include "accel/Dialect/AccelISA/AccelISAOps.h"
#include "accel/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace accel {
#define GEN_PASS_DEF_LOWERTOISA
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::lowering;

namespace {

/// The data layout of `model` as a dictionary: region sizes per channel, the
/// io offsets, the matrices of the weight image and the parameter segments
/// (each as [source offset, bytes, channel, offset]).
DictionaryAttr layoutAttr(Builder &b, const LoweredModel &model) {
  auto i64 = [&](int64_t v) { return b.getI64IntegerAttr(v); };
  SmallVector<Attribute> matrices, segments;
  for (const TiledMatrix &m : model.matrices)
    matrices.push_back(b.getDenseI64ArrayAttr(
        {m.imageOffset, m.tiles, m.tileBytes, m.firstChannel, m.base}));
  for (const Segment &s : model.segments)
    segments.push_back(b.getDenseI64ArrayAttr(
        {s.sourceOffset, s.bytes, s.channel, s.offset}));
  return b.getDictionaryAttr({
      b.getNamedAttr("weights_bytes", i64(model.weightsBytes)),
      b.getNamedAttr("kv_bytes", i64(model.kvBytes)),
      b.getNamedAttr("act_bytes", i64(model.actBytes)),
      b.getNamedAttr("io_bytes", i64(model.ioBytes)),
      b.getNamedAttr("ids_offset", i64(model.idsOffset)),
      b.getNamedAttr("logits_offset", i64(model.logitsOffset)),
      b.getNamedAttr("token_offset", i64(model.tokenOffset)),
      b.getNamedAttr("vocab", i64(model.vocab)),
      b.getNamedAttr("matrices", b.getArrayAttr(matrices)),
      b.getNamedAttr("segments", b.getArrayAttr(segments)),
  });
}

struct LowerToISAPass
    : public accel::impl::LowerToISABase<LowerToISAPass> {
  using LowerToISABase::LowerToISABase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp decode;
    for (auto fn : module.getOps<func::FuncOp>())
      if (auto entry = fn->getAttrOfType<StringAttr>("accel.entry");
          entry && entry.getValue() == "decode")
        decode = fn;
    if (!decode) {
      module.emitError("accel-lower-to-isa: no decode function (run "
                       "accel-lambda-attention, or accelc --decode)");
      return signalPassFailure();
    }
    std::string path = configPath.empty() ? ACCEL_DEFAULT_CONFIG
                                          : std::string(configPath);
    llvm::Expected<hw::Config> config = hw::loadConfig(path);
    if (!config) {
      module.emitError("accel-lower-to-isa: ")
          << llvm::toString(config.takeError());
      return signalPassFailure();
    }
    if (maxPrompt <= 0) {
      module.emitError("accel-lower-to-isa: max-prompt must be > 0");
      return signalPassFailure();
    }
    FailureOr<LoweredModel> model = lowerDecode(decode, *config, maxPrompt);
    if (failed(model))
      return signalPassFailure();

    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPointToEnd(module.getBody());
    Location loc = decode.getLoc();
    accelisa::ProgramOp program =
        accelisa::buildProgram(builder, loc, "model");
    for (const Emitted &e : model->code) {
      for (const std::string &entry : e.entries)
        accelisa::buildEntry(builder, loc, entry);
      for (const std::string &label : e.labels)
        accelisa::buildLabel(builder, loc, label);
      accelisa::buildInstruction(builder, loc, e.instruction, e.target);
    }
    program->setAttr("accel.layout", layoutAttr(builder, *model));
    auto blobType = RankedTensorType::get(
        {static_cast<int64_t>(model->params.size())}, builder.getI8Type());
    program->setAttr(
        "accel.params",
        DenseResourceElementsAttr::get(
            blobType, "accel_params",
            HeapAsmResourceBlob::allocateAndCopyInferAlign(
                ArrayRef<char>(reinterpret_cast<const char *>(
                                   model->params.data()),
                               model->params.size()))));
  }
};

} // namespace
