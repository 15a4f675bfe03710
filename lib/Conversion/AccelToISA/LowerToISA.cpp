//===- LowerToISA.cpp - accel-lower-to-isa --------------------------------===//
//
// Lowers the decode step, or a forward function, to an `accelisa.program`
// (AccelPasses.td): the code from DecodeCodegen, materialized as accelisa
// ops, and the data layout the package writer needs as attributes of the
// program.
//
//===----------------------------------------------------------------------===//

#include "DecodeCodegen.h"

#include "accel/Dialect/AccelISA/AccelISABuilder.h"
#include "accel/Dialect/AccelISA/AccelISADialect.h"
#include "accel/Dialect/AccelISA/AccelISAOps.h"
#include "accel/Support/Diagnostics.h"
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

/// The host's view of `model` (docs/FORMATS.md §5.2): `hbm` (bytes per
/// channel of each region), `io` (where the token ids, the logits and the
/// greedy token are; a forward function's inputs and outputs) and
/// `placement` (what to copy where before the first call: every weight tile
/// of the image and every parameter segment).
SmallVector<NamedAttribute> hostAttrs(Builder &b, const LoweredModel &model) {
  auto i64 = [&](int64_t v) { return b.getI64IntegerAttr(v); };
  auto slot = [&](int64_t offset, int64_t bytes) {
    return b.getDictionaryAttr({b.getNamedAttr("offset", i64(offset)),
                                b.getNamedAttr("bytes", i64(bytes)),
                                b.getNamedAttr("channel", i64(0))});
  };
  auto segment = [&](StringRef section, int64_t offset, int64_t bytes,
                     int64_t channel, int64_t regionOffset) {
    return b.getDictionaryAttr(
        {b.getNamedAttr("section", b.getStringAttr(section)),
         b.getNamedAttr("offset", i64(offset)),
         b.getNamedAttr("bytes", i64(bytes)),
         b.getNamedAttr("region", b.getStringAttr("weights")),
         b.getNamedAttr("channel", i64(channel)),
         b.getNamedAttr("region_offset", i64(regionOffset))});
  };
  SmallVector<Attribute> placement;
  for (const TiledMatrix &m : model.matrices)
    for (int64_t t = 0; t < m.tiles; ++t)
      placement.push_back(segment(
          "weights", m.imageOffset + t * m.tileBytes,
          std::min(m.tileBytes, m.bytes - t * m.tileBytes),
          (m.firstChannel + t) % model.channels,
          m.base + t / model.channels * m.tileBytes));
  for (const Segment &s : model.segments)
    placement.push_back(
        segment("params", s.sourceOffset, s.bytes, s.channel, s.offset));
  DictionaryAttr io;
  if (model.maxRows) {
    // A forward function's inputs and outputs.
    auto tensors = [&](ArrayRef<IoTensor> list) {
      SmallVector<Attribute> out;
      for (const IoTensor &t : list)
        out.push_back(b.getDictionaryAttr(
            {b.getNamedAttr("name", b.getStringAttr(t.name)),
             b.getNamedAttr("offset", i64(t.offset)),
             b.getNamedAttr("bytes", i64(t.bytes)),
             b.getNamedAttr("channel", i64(0)),
             b.getNamedAttr("row_bytes", i64(t.rowBytes)),
             b.getNamedAttr("dtype", b.getStringAttr(t.ids ? "i32" : "f32")),
             b.getNamedAttr("shape", b.getDenseI64ArrayAttr(t.shape))}));
      return b.getArrayAttr(out);
    };
    io = b.getDictionaryAttr(
        {b.getNamedAttr("max_rows", i64(model.maxRows)),
         b.getNamedAttr("inputs", tensors(model.inputs)),
         b.getNamedAttr("outputs", tensors(model.outputs))});
  } else {
    io = b.getDictionaryAttr(
        {b.getNamedAttr("tokens", slot(model.idsOffset, model.maxTokens * 4)),
         b.getNamedAttr("logits", slot(model.logitsOffset, model.vocab * 4)),
         b.getNamedAttr("token", slot(model.tokenOffset, 4))});
  }
  return {
      b.getNamedAttr(
          "accel.hbm",
          b.getDictionaryAttr({b.getNamedAttr("weights", i64(model.weightsBytes)),
                               b.getNamedAttr("kv", i64(model.kvBytes)),
                               b.getNamedAttr("act", i64(model.actBytes)),
                               b.getNamedAttr("io", i64(model.ioBytes))})),
      b.getNamedAttr("accel.io", io),
      b.getNamedAttr("accel.placement", b.getArrayAttr(placement))};
}

struct LowerToISAPass
    : public accel::impl::LowerToISABase<LowerToISAPass> {
  using LowerToISABase::LowerToISABase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp decode = findLowered(module);
    if (!decode) {
      module.emitError("accel-lower-to-isa: no decode function ("
                       "accel-lambda-attention makes one: ")
          << optionReference("decode", "the driver")
          << ") and no forward function (accel.entry = \"forward\")";
      return signalPassFailure();
    }
    FailureOr<hw::Config> config =
        loadPlacementConfig(module, "accel-lower-to-isa", configPath);
    if (failed(config))
      return signalPassFailure();
    if (maxPrompt <= 0) {
      module.emitError("accel-lower-to-isa: max-prompt must be > 0");
      return signalPassFailure();
    }
    FailureOr<int64_t> prefillTile =
        prefillTileOf(module, "accel-lower-to-isa");
    if (failed(prefillTile))
      return signalPassFailure();
    FailureOr<SharePolicy> share =
        parseSharePolicy(module.getLoc(), shareAttention,
                         "accel-lower-to-isa: ");
    if (failed(share))
      return signalPassFailure();
    FailureOr<LoweredModel> model =
        isForward(decode)
            ? lowerForward(decode, *config, *prefillTile)
            : lowerDecode(decode, *config, maxPrompt, *prefillTile, *share);
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
    for (NamedAttribute attr : hostAttrs(builder, *model))
      program->setAttr(attr.getName(), attr.getValue());
    auto blobType = RankedTensorType::get(
        {static_cast<int64_t>(model->params.size())}, builder.getI8Type());
    // The blob takes the parameter bytes over rather than a copy of them.
    auto params =
        std::make_unique<SmallVector<uint8_t, 0>>(std::move(model->params));
    ArrayRef<char> bytes(reinterpret_cast<const char *>(params->data()),
                         params->size());
    program->setAttr(
        "accel.params",
        DenseResourceElementsAttr::get(
            blobType, "accel_params",
            AsmResourceBlob(
                bytes, alignof(uint8_t),
                [params = std::move(params)](void *, size_t, size_t) mutable {
                  params.reset();
                },
                /*dataIsMutable=*/true)));
  }
};

} // namespace
