//===- Pack.cpp - accel-pack: the engine's weight image -------------------===//
//
// Reads every accel.linear's weight (with its scales, zero points and N:M
// setting) out of the IR, lays it out in the weight image of
// docs/FORMATS.md (lib/Transforms/WeightImage.cpp), writes the image and
// records in the IR where each linear's tensors lie.
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Transforms/Passes.h"
#include "accel/Transforms/WeightImage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/raw_ostream.h"

namespace accel {
#define GEN_PASS_DEF_PACK
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::image;

namespace {

/// Elements per parallel chunk of a conversion.
constexpr uint64_t kChunk = uint64_t(1) << 16;

/// Calls `store(i, bits)` with the bit pattern of every element i of a
/// constant tensor (row-major; in the low `width` bits), a blob's elements
/// from several threads; an error naming `what` otherwise.
LogicalResult readBits(Operation *op, Value value, StringRef what,
                       llvm::function_ref<void(uint64_t, uint64_t)> store) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.hasStaticShape())
    return op->emitError("accel-pack: the ")
           << what << " has a dynamic shape " << type;
  unsigned width = type.getElementTypeBitWidth();
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return op->emitError("accel-pack: the ") << what << " is not a constant";
  uint64_t count = type.getNumElements();
  uint64_t mask = width >= 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
  Attribute attr = constant.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    uint64_t i = 0;
    if (isa<IntegerType>(type.getElementType()))
      for (const APInt &v : dense.getValues<APInt>())
        store(i++, v.getZExtValue() & mask);
    else
      for (const APFloat &v : dense.getValues<APFloat>())
        store(i++, v.bitcastToAPInt().getZExtValue());
    return success();
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return op->emitError("accel-pack: the ")
             << what << "'s data is not available (an elided resource)";
    ArrayRef<char> data = blob->getData();
    unsigned bytes = std::max(1u, (width + 7) / 8);
    if (data.size() != count * bytes)
      return op->emitError("accel-pack: the ")
             << what << "'s blob holds " << data.size() << " bytes, expected "
             << count * bytes;
    uint64_t chunks = (count + kChunk - 1) / kChunk;
    llvm::parallelFor(0, chunks, [&](uint64_t chunk) {
      for (uint64_t i = chunk * kChunk, e = std::min(count, i + kChunk); i < e;
           ++i) {
        uint64_t v = 0;
        for (unsigned b = 0; b < bytes; ++b)
          v |= uint64_t(uint8_t(data[i * bytes + b])) << (8 * b);
        store(i, v & mask);
      }
    });
    return success();
  }
  return op->emitError("accel-pack: the ")
         << what << " is not a dense or dense_resource constant";
}

/// How a linear's weight is laid out: checked from the types alone, so that
/// every op is checked before any weight is read.
FailureOr<MatrixSpec> readSpec(LinearOp op, int64_t rowsPerTile) {
  auto weightType = op.getWeight().getType();
  if (!weightType.hasStaticShape())
    return op.emitError("accel-pack: the weight has a dynamic shape ")
           << weightType;
  MatrixSpec spec;
  spec.rows = op.getOutFeatures();
  spec.cols = op.getInFeatures();
  spec.rowsPerTile =
      rowsPerTile ? rowsPerTile : std::max<int64_t>(spec.rows, 1);
  if (SparsityAttr sparsity = op.getSparsityAttr()) {
    spec.sparseN = sparsity.getN();
    spec.sparseM = sparsity.getM();
  }
  Type element = weightType.getElementType();
  if (QuantAttr quant = op.getWeightQuantAttr()) {
    spec.format = quant.getSymmetric() ? ValueFormat::IntSymmetric
                                       : ValueFormat::IntAsymmetric;
    spec.bits = quant.getBits();
    spec.group = quant.getEffectiveGroupSize(spec.cols);
    auto scalesType = cast<RankedTensorType>(op.getScales().getType());
    if (!scalesType.getElementType().isF16())
      return op.emitError("accel-pack: scales are packed as f16, got ")
             << scalesType.getElementType()
             << " (the weight image has no other scale format)";
    if (Value zeroPoints = op.getZeroPoints()) {
      auto zpType = cast<RankedTensorType>(zeroPoints.getType());
      if (zpType.getElementTypeBitWidth() != spec.bits)
        return op.emitError(
                   "accel-pack: zero points are packed at the weight's ")
               << spec.bits << " bits: expected i" << spec.bits << ", got "
               << zpType.getElementType();
    }
  } else {
    if (element.isF32())
      spec.format = ValueFormat::F32;
    else if (element.isF16())
      spec.format = ValueFormat::F16;
    else if (element.isBF16())
      spec.format = ValueFormat::BF16;
    else
      return op.emitError("accel-pack: float weights are packed as f32, f16 "
                          "or bf16, got ")
             << element;
    spec.bits = element.getIntOrFloatBitWidth();
  }
  if (std::string why = validate(spec); !why.empty())
    return op.emitError("accel-pack: ") << why;
  for (auto [value, what] :
       {std::pair<Value, StringRef>{op.getWeight(), "weight"},
        {op.getScales(), "scales"},
        {op.getZeroPoints(), "zero points"}})
    if (value && !value.getDefiningOp<arith::ConstantOp>())
      return op.emitError("accel-pack: the ") << what << " is not a constant";
  return spec;
}

/// Reads the contents of a linear's weight, in the logical [N, K] order,
/// into `data` (whose buffers are reused from matrix to matrix: a 7B model's
/// weights are not page-faulted in afresh, 8 bytes per value, one by one).
LogicalResult readData(LinearOp op, const MatrixSpec &spec, MatrixData &data) {
  uint64_t count = uint64_t(spec.rows) * uint64_t(spec.cols);
  data.values.resize(count);
  bool symmetric = spec.format == ValueFormat::IntSymmetric;
  bool transposed = op.getTransposedWeight();
  if (failed(readBits(op, op.getWeight(), "weight",
                      [&](uint64_t i, uint64_t v) {
                        int64_t value = int64_t(v);
                        if (symmetric && (v >> (spec.bits - 1)) & 1)
                          value -= int64_t(1) << spec.bits; // sign-extend
                        // A transposed (float) weight is stored [K, N].
                        uint64_t at = i;
                        if (transposed)
                          at = (i % spec.rows) * spec.cols + i / spec.rows;
                        data.values[at] = value;
                      })))
    return failure();
  data.scales.clear();
  data.zeroPoints.clear();
  if (!isInteger(spec.format))
    return success();
  auto groups = [](Value value) {
    return cast<RankedTensorType>(value.getType()).getNumElements();
  };
  data.scales.resize(groups(op.getScales()));
  if (failed(readBits(op, op.getScales(), "scales",
                      [&](uint64_t i, uint64_t s) {
                        data.scales[i] = uint16_t(s);
                      })))
    return failure();
  Value zeroPoints = op.getZeroPoints();
  if (!zeroPoints)
    return success();
  data.zeroPoints.resize(groups(zeroPoints));
  return readBits(op, zeroPoints, "zero points", [&](uint64_t i, uint64_t z) {
    data.zeroPoints[i] = int64_t(z);
  });
}

struct PackPass : public accel::impl::PackBase<PackPass> {
  using PackBase::PackBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (rowsPerTile < 0) {
      module.emitError("accel-pack: rows-per-tile must be >= 0 (0: one tile "
                       "per matrix), got ")
          << static_cast<int64_t>(rowsPerTile);
      return signalPassFailure();
    }
    // Check every op's settings first, then read and pack one weight at a
    // time (a layer's integers are 8 bytes each while read; the image holds
    // them packed).
    std::vector<LinearOp> linears;
    std::vector<MatrixSpec> specs;
    // A linear with the same weight, scales, zero points and settings as one
    // already packed (the decode step accel-lambda-attention derives repeats
    // the prefill's layers) shares its region: (op, index of the packed one).
    using WeightKey = std::tuple<Attribute, Attribute, Attribute, DictionaryAttr>;
    llvm::DenseMap<WeightKey, size_t> packed;
    std::vector<std::pair<LinearOp, size_t>> sharing;
    auto constantOf = [](Value value) -> Attribute {
      if (!value)
        return {};
      auto constant = value.getDefiningOp<arith::ConstantOp>();
      return constant ? constant.getValue() : Attribute();
    };
    bool failedAny = false;
    module.walk([&](LinearOp op) {
      WeightKey key{constantOf(op.getWeight()), constantOf(op.getScales()),
                    constantOf(op.getZeroPoints()), op->getAttrDictionary()};
      if (std::get<0>(key)) {
        if (auto it = packed.find(key); it != packed.end()) {
          sharing.emplace_back(op, it->second);
          return;
        }
        packed.try_emplace(key, linears.size());
      }
      FailureOr<MatrixSpec> spec =
          readSpec(op, static_cast<int64_t>(rowsPerTile));
      if (failed(spec)) {
        failedAny = true;
        return;
      }
      linears.push_back(op);
      specs.push_back(*spec);
    });
    if (failedAny)
      return signalPassFailure();

    Image image = layoutImage(specs);
    MatrixData data;
    for (auto [i, op] : llvm::enumerate(linears)) {
      if (failed(readData(op, specs[i], data))) {
        failedAny = true;
        continue;
      }
      if (llvm::Error err = packMatrix(specs[i], data, region(image, i))) {
        op.emitError("accel-pack: ") << llvm::toString(std::move(err));
        failedAny = true;
      }
    }
    if (failedAny)
      return signalPassFailure();
    sealImage(image);

    if (!output.empty()) {
      auto write = [&](raw_ostream &os) -> llvm::Error {
        os.write(reinterpret_cast<const char *>(image.bytes.data()),
                 image.bytes.size());
        return llvm::Error::success();
      };
      if (llvm::Error err = llvm::writeToOutput(output, write)) {
        module.emitError("accel-pack: cannot write '")
            << output << "': " << llvm::toString(std::move(err));
        return signalPassFailure();
      }
    }

    Builder b(module.getContext());
    auto i64 = [&](uint64_t v) { return b.getI64IntegerAttr(int64_t(v)); };
    for (auto [i, op] : llvm::enumerate(linears)) {
      const ImageEntry &e = image.entries[i];
      const MatrixSpec &spec = specs[i];
      MatrixLayout layout = matrixLayout(spec);
      SmallVector<NamedAttribute> fields{
          b.getNamedAttr("index", i64(i)),
          b.getNamedAttr("offset", i64(e.offset)),
          b.getNamedAttr("bytes", i64(e.bytes)),
          b.getNamedAttr("tiles", i64(layout.tiles)),
          b.getNamedAttr("rows_per_tile", i64(spec.rowsPerTile)),
          b.getNamedAttr("tile_bytes", i64(layout.full.bytes)),
          b.getNamedAttr("values", i64(layout.full.values))};
      if (isInteger(spec.format))
        fields.push_back(b.getNamedAttr("scales", i64(layout.full.scales)));
      if (spec.format == ValueFormat::IntAsymmetric)
        fields.push_back(
            b.getNamedAttr("zero_points", i64(layout.full.zeroPoints)));
      if (spec.sparse())
        fields.push_back(b.getNamedAttr("codes", i64(layout.full.codes)));
      op->setAttr("accel.image", b.getDictionaryAttr(fields));
    }
    for (auto [op, index] : sharing)
      op->setAttr("accel.image", linears[index]->getAttr("accel.image"));
    module->setAttr(
        "accel.weight_image",
        b.getDictionaryAttr({b.getNamedAttr("bytes", i64(image.bytes.size())),
                             b.getNamedAttr("crc32", i64(image.crc32)),
                             b.getNamedAttr("linears", i64(linears.size())),
                             b.getNamedAttr("version", i64(kVersion))}));
  }
};

} // namespace
