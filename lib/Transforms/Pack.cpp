//===- Pack.cpp - accel-pack: the engine's weight image -------------------===//
//
// Reads every accel.linear's weight (with its scales, zero points and N:M
// setting) out of the IR, lays it out in the weight image of
// docs/FORMATS.md (lib/Transforms/WeightImage.cpp), writes the image and
// records in the IR where each linear's tensors lie. WeightPacker
// (accel/Transforms/Pack.h) does the same a batch of linears at a time.
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Support/AtomicOutput.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Support/IntElements.h"
#include "accel/Transforms/Pack.h"
#include "accel/Transforms/Passes.h"
#include "accel/Transforms/WeightImage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <future>

#include <unistd.h>

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
/// Integer elements unpacked at a time within a chunk.
constexpr uint64_t kReadElements = 1024;

/// The elements of a constant tensor as bit patterns (row-major; in the low
/// `width` bits), checked once by get() and then read from any thread.
class ConstantBits {
public:
  /// The constant `value`; an error naming `what` when it cannot be read.
  static FailureOr<ConstantBits> get(Operation *op, Value value,
                                     StringRef what) {
    auto type = cast<RankedTensorType>(value.getType());
    if (!type.hasStaticShape())
      return op->emitError("accel-pack: the ")
             << what << " has a dynamic shape " << type;
    auto constant = value.getDefiningOp<arith::ConstantOp>();
    if (!constant)
      return op->emitError("accel-pack: the ") << what << " is not a constant";
    ConstantBits bits;
    bits.count = type.getNumElements();
    Attribute attr = constant.getValue();
    if (isa<IntegerType>(type.getElementType())) {
      llvm::Expected<IntElements> elements = IntElements::get(attr);
      if (!elements)
        return op->emitError("accel-pack: the ")
               << what << ": " << llvm::toString(elements.takeError());
      bits.integers.emplace(std::move(*elements));
      return bits;
    }
    if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
      bits.dense = dense;
      return bits;
    }
    auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
    if (!resource)
      return op->emitError("accel-pack: the ")
             << what << " is not a dense or dense_resource constant";
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return op->emitError("accel-pack: the ")
             << what << "'s data is not available (an elided resource)";
    bits.data = blob->getData();
    bits.bytes = type.getElementTypeBitWidth() / 8;
    if (bits.data.size() != bits.count * bits.bytes)
      return op->emitError("accel-pack: the ")
             << what << "'s blob holds " << bits.data.size()
             << " bytes, expected " << bits.count * bits.bytes;
    return bits;
  }

  /// Calls `store(i, bits)` for every element i in [begin, end) (all if
  /// `end` is 0), chunks of a large range from several threads (on one
  /// when called from a parallel loop). `store` is inlined (two calls per
  /// weight were a tenth of a compile).
  template <typename Store>
  void read(Store store, uint64_t begin = 0, uint64_t end = 0) const {
    if (end == 0)
      end = count;
    uint64_t chunks = (end - begin + kChunk - 1) / kChunk;
    auto forChunks = [&](auto range) {
      llvm::parallelFor(0, chunks, [&](uint64_t chunk) {
        uint64_t i = begin + chunk * kChunk;
        range(i, std::min(end, i + kChunk));
      });
    };
    if (integers) {
      // A few thousand elements at a time, unpacked a byte at a time.
      forChunks([&](uint64_t i, uint64_t e) {
        uint64_t values[kReadElements];
        for (; i < e; i += kReadElements) {
          uint64_t n = std::min(e - i, kReadElements);
          integers->read(i, MutableArrayRef<uint64_t>(values, n));
          for (uint64_t j = 0; j < n; ++j)
            store(i + j, values[j]);
        }
      });
      return;
    }
    if (dense) {
      uint64_t i = 0;
      for (const APFloat &v : dense.getValues<APFloat>()) {
        if (i >= begin && i < end)
          store(i, v.bitcastToAPInt().getZExtValue());
        ++i;
      }
      return;
    }
    forChunks([&](uint64_t i, uint64_t e) {
      for (; i < e; ++i) {
        uint64_t v = 0;
        for (unsigned b = 0; b < bytes; ++b)
          v |= uint64_t(uint8_t(data[i * bytes + b])) << (8 * b);
        store(i, v);
      }
    });
  }

  /// An integer constant's packed bytes (IntElements::packedBytes).
  ArrayRef<uint8_t> packed() const {
    return integers ? integers->packedBytes() : ArrayRef<uint8_t>();
  }

private:
  uint64_t count = 0;
  std::optional<IntElements> integers;
  DenseElementsAttr dense;
  ArrayRef<char> data; ///< a float blob, `bytes` per element
  unsigned bytes = 0;
};

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

/// Output rows per run packed at once: whole tiles of about this many
/// weights (the run's integers take 8 bytes each while read: 512 KiB stay
/// in a core's cache from reading to packing).
constexpr int64_t kRunElements = int64_t(1) << 16;
/// Tasks packing a matrix's runs per thread of the pool: a few, so that the
/// threads stay busy when runs take unequal times.
constexpr int64_t kPackTasksPerThread = 4;

/// The rows of one run of `spec`'s matrix: whole tiles, all of them when
/// the matrix is one tile or its weight is stored transposed (float
/// weights, read whole).
int64_t runRows(const MatrixSpec &spec, bool transposed) {
  if (transposed || spec.rowsPerTile >= spec.rows)
    return spec.rows;
  int64_t tiles = std::max<int64_t>(
      1, kRunElements / std::max<int64_t>(1, spec.cols * spec.rowsPerTile));
  return std::min(spec.rows, tiles * spec.rowsPerTile);
}

/// Reads a linear's scales and zero points (all rows) into `data`.
LogicalResult readGroups(LinearOp op, const MatrixSpec &spec,
                         MatrixData &data) {
  data.scales.clear();
  data.zeroPoints.clear();
  if (!isInteger(spec.format))
    return success();
  auto groups = [](Value value) {
    return cast<RankedTensorType>(value.getType()).getNumElements();
  };
  FailureOr<ConstantBits> scales =
      ConstantBits::get(op, op.getScales(), "scales");
  if (failed(scales))
    return failure();
  data.scales.resize(groups(op.getScales()));
  scales->read([&](uint64_t i, uint64_t s) { data.scales[i] = uint16_t(s); });
  Value zeroPoints = op.getZeroPoints();
  if (!zeroPoints)
    return success();
  FailureOr<ConstantBits> zeros =
      ConstantBits::get(op, zeroPoints, "zero points");
  if (failed(zeros))
    return failure();
  data.zeroPoints.resize(groups(zeroPoints));
  zeros->read([&](uint64_t i, uint64_t z) { data.zeroPoints[i] = int64_t(z); });
  return success();
}

/// The scales and zero points of rows [row0, row0 + run.rows) out of
/// `groups` (readGroups) into `data`.
void sliceGroups(const MatrixSpec &spec, const MatrixData &groups,
                 const MatrixSpec &run, int64_t row0, MatrixData &data) {
  uint64_t perRow = isInteger(spec.format) ? spec.cols / spec.group : 0;
  auto slice = [&](const auto &all, auto &out) {
    if (all.empty())
      return out.clear();
    out.assign(all.begin() + row0 * perRow,
               all.begin() + (row0 + run.rows) * perRow);
  };
  slice(groups.scales, data.scales);
  slice(groups.zeroPoints, data.zeroPoints);
}

/// Reads rows [row0, row0 + run.rows) of a linear's weight (`weight`,
/// stored [K, N] when `transposed`), in the logical [N, K] order, into
/// `data` (whose buffers are reused from run to run: a 7B model's weights
/// are not page-faulted in afresh, 8 bytes per value), with their scales
/// and zero points out of `groups` (readGroups).
void readRun(const ConstantBits &weight, bool transposed,
             const MatrixSpec &spec, const MatrixData &groups,
             const MatrixSpec &run, int64_t row0, MatrixData &data) {
  uint64_t begin = uint64_t(row0) * uint64_t(spec.cols);
  uint64_t count = uint64_t(run.rows) * uint64_t(spec.cols);
  data.values.resize(count);
  bool symmetric = spec.format == ValueFormat::IntSymmetric;
  weight.read(
      [&](uint64_t i, uint64_t v) {
        int64_t value = int64_t(v);
        if (symmetric && (v >> (spec.bits - 1)) & 1)
          value -= int64_t(1) << spec.bits; // sign-extend
        // A transposed (float) weight is stored [K, N] (and read whole).
        uint64_t at = i - begin;
        if (transposed)
          at = (i % spec.rows) * spec.cols + i / spec.rows;
        data.values[at] = value;
      },
      begin, begin + count);
  sliceGroups(spec, groups, run, row0, data);
}

/// Where the image goes: an AtomicOutput at `output` (nothing if `output`
/// is empty), and the checksum of what was written after the header.
class ImageOutput {
public:
  /// Opens the output; an error when it cannot.
  llvm::Error open(StringRef output) {
    if (output.empty())
      return llvm::Error::success();
    file.emplace();
    return file->open(output);
  }
  /// Appends `bytes`, the header's first kHeaderBytes excluded from the
  /// checksum.
  void write(ArrayRef<uint8_t> bytes, bool header = false) {
    crc = llvm::crc32(crc, header ? bytes.drop_front(kHeaderBytes) : bytes);
    if (file)
      file->stream().write(reinterpret_cast<const char *>(bytes.data()),
                           bytes.size());
  }
  uint32_t checksum() const { return crc; }
  /// Writes the header again (now with its checksum) and renames the file
  /// into place.
  llvm::Error finish(ArrayRef<uint8_t> header) {
    if (!file)
      return llvm::Error::success();
    file->stream().pwrite(reinterpret_cast<const char *>(header.data()),
                          header.size(), 0);
    return file->keep();
  }

private:
  std::optional<AtomicOutput> file;
  uint32_t crc = 0;
};

/// Packs `op`'s weight, laid out as `spec`, into `region` (zeroed,
/// matrixLayout(spec).bytes or more); errors are emitted on the op.
LogicalResult packLinear(LinearOp op, const MatrixSpec &spec,
                         MutableArrayRef<uint8_t> region) {
  MatrixLayout layout = matrixLayout(spec);
  MatrixData groups;
  FailureOr<ConstantBits> weight =
      ConstantBits::get(op, op.getWeight(), "weight");
  if (failed(weight) || failed(readGroups(op, spec, groups)))
    return failure();
  bool transposed = op.getTransposedWeight();
  // A quantized weight's values are packed straight from its blob's bits;
  // others are read as 64-bit values first.
  ArrayRef<uint8_t> packed =
      transposed ? ArrayRef<uint8_t>() : weight->packed();
  int64_t rows = runRows(spec, transposed);
  int64_t runs = (spec.rows + rows - 1) / rows;
  // The runs are read and packed by a few tasks per thread, each through a
  // buffer of its own that stays in its core's cache from reading to
  // packing; the error of the first failing run is reported.
  std::vector<std::string> errors(runs);
  auto pack = [&](int64_t task, int64_t tasks) {
    MatrixData data;
    for (int64_t r = task; r < runs; r += tasks) {
      MatrixSpec run = spec;
      int64_t row0 = r * rows;
      run.rows = std::min(rows, spec.rows - row0);
      uint64_t at = uint64_t(row0 / spec.rowsPerTile) * layout.full.bytes;
      MutableArrayRef<uint8_t> to = region.slice(at, matrixLayout(run).bytes);
      llvm::Error err = llvm::Error::success();
      if (!packed.empty()) {
        sliceGroups(spec, groups, run, row0, data);
        err = packMatrix(
            run, PackedValues{packed, uint64_t(row0) * uint64_t(spec.cols)},
            data, to, row0);
      } else {
        readRun(*weight, transposed, spec, groups, run, row0, data);
        err = packMatrix(run, data, to, row0);
      }
      if (err)
        errors[r] = llvm::toString(std::move(err));
    }
  };
  // One run (a small or transposed weight) spreads its own loops.
  int64_t tasks = std::min<int64_t>(
      runs, kPackTasksPerThread * int64_t(llvm::parallel::getThreadCount()));
  if (tasks == 1)
    pack(0, 1);
  else
    llvm::parallelFor(0, tasks, [&](int64_t task) { pack(task, tasks); });
  for (const std::string &error : errors)
    if (!error.empty())
      return op.emitError("accel-pack: ") << error;
  return success();
}

/// Packs the weights of `ops` (laid out as `specs`) one at a time, each into
/// a region padded to kAlign that `write(i, region)` gets in the background
/// while the next is packed (two regions alternate; the calls are made in
/// order, one at a time).
LogicalResult
packLinears(ArrayRef<LinearOp> ops, ArrayRef<MatrixSpec> specs,
            const std::function<void(size_t, ArrayRef<uint8_t>)> &write) {
  std::vector<uint8_t> regions[2];
  std::future<void> writing;
  for (auto [i, op] : llvm::enumerate(ops)) {
    std::vector<uint8_t> &region = regions[i % 2];
    region.assign(llvm::alignTo(matrixLayout(specs[i]).bytes, kAlign), 0);
    if (failed(packLinear(op, specs[i], region)))
      return failure();
    if (writing.valid())
      writing.wait();
    writing = std::async(std::launch::async,
                         [&write, &region, i = i] { write(i, region); });
  }
  if (writing.valid())
    writing.wait();
  return success();
}

/// The linears of an image, in walk order: those packed (`ops`, laid out as
/// `specs`) and those sharing a packed one's region (an equal PackedWeight).
struct ImageLinears {
  std::vector<LinearOp> ops;
  std::vector<MatrixSpec> specs;
  std::vector<std::pair<LinearOp, size_t>> sharing;
};

Attribute constantOf(Value value) {
  auto constant = value ? value.getDefiningOp<arith::ConstantOp>()
                        : arith::ConstantOp();
  return constant ? constant.getValue() : Attribute();
}

/// The linears of `module`'s image, every op's settings checked (errors
/// emitted on the op) before any weight is read.
FailureOr<ImageLinears> imageLinears(ModuleOp module, int64_t rowsPerTile) {
  ImageLinears linears;
  llvm::DenseMap<PackedWeight, size_t> packed;
  bool failedAny = false;
  module.walk([&](LinearOp op) {
    FailureOr<MatrixSpec> spec = readSpec(op, rowsPerTile);
    if (failed(spec)) {
      failedAny = true;
      return;
    }
    auto [it, added] =
        packed.try_emplace(PackedWeight::of(op, *spec), linears.ops.size());
    if (!added) {
      linears.sharing.emplace_back(op, it->second);
      return;
    }
    linears.ops.push_back(op);
    linears.specs.push_back(*spec);
  });
  if (failedAny)
    return failure();
  return linears;
}

/// Records where each linear lies in the image (accel.image) and the image
/// (accel.weight_image).
void annotate(ModuleOp module, const ImageLinears &linears,
              ArrayRef<ImageEntry> entries, uint64_t total, uint32_t crc) {
  Builder b(module.getContext());
  auto i64 = [&](uint64_t v) { return b.getI64IntegerAttr(int64_t(v)); };
  for (auto [i, op] : llvm::enumerate(linears.ops)) {
    const ImageEntry &e = entries[i];
    const MatrixSpec &spec = linears.specs[i];
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
  for (auto [op, index] : linears.sharing)
    op->setAttr("accel.image", linears.ops[index]->getAttr("accel.image"));
  module->setAttr(
      "accel.weight_image",
      b.getDictionaryAttr({b.getNamedAttr("bytes", i64(total)),
                           b.getNamedAttr("crc32", i64(crc)),
                           b.getNamedAttr("linears", i64(linears.ops.size())),
                           b.getNamedAttr("version", i64(kVersion))}));
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
    FailureOr<ImageLinears> linears =
        imageLinears(module, static_cast<int64_t>(rowsPerTile));
    if (failed(linears))
      return signalPassFailure();
    // The image is written as it is packed, a matrix at a time: it is
    // never whole in memory.
    uint64_t total = 0;
    std::vector<ImageEntry> entries = placeMatrices(linears->specs, total);
    std::vector<uint8_t> head = imageHead(entries, total);
    ImageOutput out;
    if (llvm::Error err = out.open(output)) {
      module.emitError("accel-pack: ") << llvm::toString(std::move(err));
      return signalPassFailure();
    }
    out.write(head, /*header=*/true);
    if (failed(packLinears(linears->ops, linears->specs,
                           [&out](size_t, ArrayRef<uint8_t> region) {
                             out.write(region);
                           })))
      return signalPassFailure();
    uint32_t crc = out.checksum();
    setChecksum(head, crc);
    if (llvm::Error err =
            out.finish(ArrayRef<uint8_t>(head).take_front(kHeaderBytes))) {
      module.emitError("accel-pack: ") << llvm::toString(std::move(err));
      return signalPassFailure();
    }
    annotate(module, *linears, entries, total, crc);
  }
};

/// Releases the blob of `value`'s dense_resource constant when only linears
/// use it.
void releaseBlob(Value value) {
  auto constant =
      value ? value.getDefiningOp<arith::ConstantOp>() : arith::ConstantOp();
  auto resource =
      constant ? dyn_cast<DenseResourceElementsAttr>(constant.getValue())
               : DenseResourceElementsAttr();
  if (!resource || !llvm::all_of(constant->getUsers(), [](Operation *user) {
        return llvm::isa<LinearOp>(user);
      }))
    return;
  if (auto *entry = resource.getRawHandle().getResource())
    entry->setBlob(AsmResourceBlob());
}

} // namespace

WeightPacker::~WeightPacker() {
  if (file) {
    // The file goes: a failed write is not an error here (a stream
    // destroyed with one is a fatal error).
    file->flush();
    file->clear_error();
    file.reset();
    ::close(fd);
  }
  if (!path.empty())
    llvm::sys::fs::remove(path);
}

PackedWeight PackedWeight::of(LinearOp op, const MatrixSpec &spec) {
  return {constantOf(op.getWeight()), constantOf(op.getScales()),
          constantOf(op.getZeroPoints()), op.getTransposedWeight(), spec};
}

bool PackedWeight::operator==(const PackedWeight &other) const {
  return weight == other.weight && scales == other.scales &&
         zeroPoints == other.zeroPoints && transposed == other.transposed &&
         spec == other.spec;
}

unsigned llvm::DenseMapInfo<PackedWeight>::getHashValue(
    const PackedWeight &key) {
  return llvm::hash_combine(key.weight, key.scales, key.zeroPoints,
                            key.transposed, key.spec);
}

LogicalResult WeightPacker::packAll(ArrayRef<LinearOp> ops,
                                    ArrayRef<MatrixSpec> specs) {
  if (ops.empty())
    return success();
  if (!file) {
    SmallString<128> created;
    if (std::error_code ec = llvm::sys::fs::createUniqueFile(
            output + ".weights-%%%%%%", fd, created))
      return emitError(UnknownLoc::get(LinearOp(ops.front()).getContext()))
             << "cannot write '" << output << "': " << ec.message();
    path = created.str().str();
    file.emplace(fd, /*shouldClose=*/false);
  }
  size_t first = regions.size();
  for (auto [op, spec] : llvm::zip_equal(ops, specs)) {
    Region region{size, llvm::alignTo(matrixLayout(spec).bytes, kAlign)};
    size += region.bytes;
    packed.try_emplace(PackedWeight::of(op, spec), regions.size());
    regions.push_back(region);
  }
  return packLinears(ops, specs, [&](size_t i, ArrayRef<uint8_t> bytes) {
    regions[first + i].crc32 = llvm::crc32(bytes);
    file->write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  });
}

LogicalResult WeightPacker::packQuantized(ModuleOp module) {
  std::vector<LinearOp> ops;
  std::vector<MatrixSpec> specs;
  llvm::DenseSet<PackedWeight> batch;
  bool failedAny = false;
  module.walk([&](LinearOp op) {
    if (!op.getWeightQuantAttr())
      return;
    FailureOr<MatrixSpec> spec = readSpec(op, rowsPerTile);
    if (failed(spec)) {
      failedAny = true;
      return;
    }
    // Packed already, or earlier in this batch.
    PackedWeight key = PackedWeight::of(op, *spec);
    if (packed.count(key) || !batch.insert(key).second)
      return;
    ops.push_back(op);
    specs.push_back(*spec);
  });
  if (failedAny || failed(packAll(ops, specs)))
    return failure();
  for (LinearOp op : ops)
    for (Value value : {op.getWeight(), op.getScales(), op.getZeroPoints()})
      releaseBlob(value);
  return success();
}

FailureOr<ImageParts> WeightPacker::finish(ModuleOp module) {
  FailureOr<ImageLinears> linears = imageLinears(module, rowsPerTile);
  if (failed(linears))
    return failure();
  std::vector<LinearOp> missing;
  std::vector<MatrixSpec> missingSpecs;
  for (auto [op, spec] : llvm::zip_equal(linears->ops, linears->specs))
    if (!packed.count(PackedWeight::of(op, spec))) {
      missing.push_back(op);
      missingSpecs.push_back(spec);
    }
  if (failed(packAll(missing, missingSpecs)))
    return failure();
  if (file) {
    file->flush();
    if (file->has_error())
      return module.emitError("accel-pack: cannot write '")
             << path << "': " << file->error().message();
  }

  ImageParts parts;
  std::vector<ImageEntry> entries = placeMatrices(linears->specs, parts.bytes);
  parts.head = imageHead(entries, parts.bytes);
  uint32_t crc =
      llvm::crc32(ArrayRef<uint8_t>(parts.head).drop_front(kHeaderBytes));
  for (auto [op, spec] : llvm::zip_equal(linears->ops, linears->specs)) {
    const Region &region = regions[packed.at(PackedWeight::of(op, spec))];
    crc = crc32Combine(crc, region.crc32, region.bytes);
    parts.ranges.emplace_back(region.offset, region.bytes);
  }
  setChecksum(parts.head, crc);
  parts.crc32 = crc32Combine(
      llvm::crc32(ArrayRef<uint8_t>(parts.head).take_front(kHeaderBytes)),
      crc, parts.bytes - kHeaderBytes);
  parts.file = path;
  annotate(module, *linears, entries, parts.bytes, crc);
  return parts;
}
