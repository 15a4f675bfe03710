//===- Calibration.cpp - helpers shared by the compression passes ---------===//

#include "Calibration.h"

#include "accel/Support/Diagnostics.h"
#include "accel/Support/IntElements.h"

#include "accel/Reference/Executor.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Memory.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace accel;
using namespace accel::compression;

FailureOr<OpSelector> OpSelector::create(StringRef layers, StringRef exclude,
                                         std::string &error) {
  OpSelector selector;
  for (auto [text, slot, what] :
       {std::tuple{layers, &selector.layers, "layers"},
        std::tuple{exclude, &selector.exclude, "exclude"}}) {
    if (text.empty())
      continue;
    auto regex = std::make_shared<llvm::Regex>(text);
    std::string why;
    if (!regex->isValid(why)) {
      error = (Twine("invalid `") + what + "` regex '" + text + "': " + why)
                  .str();
      return failure();
    }
    *slot = std::move(regex);
  }
  return selector;
}

bool OpSelector::selects(Operation *op) const {
  std::string name = locationName(op->getLoc());
  if (layers && !layers->match(name))
    return false;
  return !(exclude && exclude->match(name));
}

int64_t FloatWeight::logicalIndex(int64_t i) const {
  if (!transposed)
    return i;
  int64_t k = i / rows, n = i % rows; // stored [K, N]
  return n * cols + k;
}

/// The side of a transpose tile: 32 floats are two cache lines.
constexpr int64_t kTransposeTile = 32;
/// How many tiles ahead a transpose prefetches its input rows: the hardware
/// prefetchers do not follow 32 rows at once, and waiting for each line of
/// the mapped model was half of the transpose's time.
constexpr int64_t kPrefetchTiles = 4;

/// `out[c * rows + r] = convert(in[r * stride + c])` for a row-major
/// [rows, cols] `in` whose rows are `stride` elements apart, bands of rows
/// spread over threads. Each tile goes through a local buffer, so that
/// every cache line of `in` and `out` is read or written whole at once (a
/// direct strided copy thrashes the cache when the row length is a power of
/// two, as LLaMA's are).
template <typename In, typename Convert>
static void transpose(const In *in, float *out, int64_t rows, int64_t cols,
                      int64_t stride, Convert convert) {
  int64_t bands = (rows + kTransposeTile - 1) / kTransposeTile;
  llvm::parallelFor(0, bands, [&](int64_t band) {
    In tile[kTransposeTile][kTransposeTile + 1];
    int64_t r0 = band * kTransposeTile;
    int64_t nr = std::min(rows - r0, kTransposeTile);
    for (int64_t c0 = 0; c0 < cols; c0 += kTransposeTile) {
      int64_t nc = std::min(cols - c0, kTransposeTile);
      int64_t ahead = c0 + kPrefetchTiles * kTransposeTile;
      for (int64_t r = 0; r < nr && ahead < cols; ++r)
        for (int64_t byte = 0; byte < int64_t(sizeof(In)) * kTransposeTile;
             byte += 64)
          __builtin_prefetch(reinterpret_cast<const char *>(
                                 &in[(r0 + r) * stride + ahead]) +
                             byte);
      for (int64_t r = 0; r < nr; ++r)
        for (int64_t c = 0; c < nc; ++c)
          tile[c][r] = in[(r0 + r) * stride + c0 + c];
      // Converted on the way out, a contiguous run at a time (vectorised).
      for (int64_t c = 0; c < nc; ++c) {
        float *to = out + (c0 + c) * rows + r0;
        for (int64_t r = 0; r < nr; ++r)
          to[r] = convert(tile[c][r]);
      }
    }
  });
}

static void transpose(const float *in, float *out, int64_t rows,
                      int64_t cols) {
  transpose(in, out, rows, cols, cols, [](float x) { return x; });
}

/// Logical rows [first, first + weight.rows) of a weight of `total` rows
/// stored in `in` (elements of type In, [total, K] or, transposed,
/// [K, total]) into `weight.values`, each element converted as it is read:
/// no f32 copy of the stored layout.
template <typename In, typename Convert>
static void readRows(const In *in, FloatWeight &weight, int64_t first,
                     int64_t total, Convert convert) {
  float *out = weight.values.data();
  int64_t k = weight.cols;
  if (weight.transposed) {
    transpose(in + first, out, k, weight.rows, total, convert);
    return;
  }
  llvm::parallelFor(0, weight.rows, [&](int64_t r) {
    const In *row = in + (first + r) * k;
    for (int64_t c = 0; c < k; ++c)
      out[r * k + c] = convert(row[c]);
  });
}

/// `bytes` as elements of type T, copied first if they are not aligned
/// for T (the importer aligns its blobs).
template <typename T>
static const T *alignedElements(ArrayRef<char> bytes,
                                std::vector<T> &copy) {
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(T) == 0)
    return reinterpret_cast<const T *>(bytes.data());
  copy.resize(bytes.size() / sizeof(T));
  std::memcpy(copy.data(), bytes.data(), bytes.size());
  return copy.data();
}

bool compression::hasFloatConstantWeight(LinearOp op) {
  auto type = op.getWeight().getType();
  return isa<FloatType>(type.getElementType()) && type.hasStaticShape() &&
         op.getWeight().getDefiningOp<arith::ConstantOp>();
}

FailureOr<FloatWeight> compression::readFloatWeight(LinearOp op) {
  return readFloatRows(op, 0, op.getOutFeatures());
}

FailureOr<FloatWeight> compression::readFloatRows(LinearOp op, int64_t first,
                                                  int64_t end) {
  if (!hasFloatConstantWeight(op))
    return failure();
  auto constant = op.getWeight().getDefiningOp<arith::ConstantOp>();
  FloatWeight weight;
  weight.constant = constant;
  weight.name = locationName(constant.getLoc());
  auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  if (resource && weight.name.empty())
    weight.name = resource.getRawHandle().getKey().str();
  weight.transposed = op.getTransposedWeight();
  int64_t total = op.getOutFeatures();
  weight.rows = end - first;
  weight.cols = op.getInFeatures();
  int64_t count = total * weight.cols;
  weight.values.resize(weight.rows * weight.cols);

  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  Type element = resource ? resource.getType().getElementType() : Type();
  if (blob && element.isF32() &&
      blob->getData().size() == size_t(count) * sizeof(float)) {
    std::vector<float> copy;
    readRows(alignedElements(blob->getData(), copy), weight, first, total,
             [](float x) { return x; });
    return weight;
  }
  if (blob && element.isF16() &&
      blob->getData().size() == size_t(count) * sizeof(uint16_t)) {
    std::vector<uint16_t> copy;
    // A lambda, so that the conversion is inlined into the transpose (through
    // a function pointer it was a quarter of a 7B compile's CPU).
    readRows(alignedElements(blob->getData(), copy), weight, first, total,
             [](uint16_t bits) { return reference::f16BitsToFloat(bits); });
    return weight;
  }

  llvm::Expected<reference::Tensor> tensor =
      reference::fromAttribute(constant.getValue());
  if (!tensor) {
    llvm::consumeError(tensor.takeError());
    return failure();
  }
  readRows(tensor->getFloats().data(), weight, first, total,
           [](float x) { return x; });
  return weight;
}

std::vector<float>
compression::storedValues(const FloatWeight &weight,
                          llvm::function_ref<float(int64_t, float)> select) {
  int64_t count = weight.rows * weight.cols;
  std::vector<float> logical(count);
  llvm::parallelFor(0, weight.rows, [&](int64_t n) {
    for (int64_t k = 0, i = n * weight.cols; k < weight.cols; ++k, ++i)
      logical[i] = select(i, weight.values[i]);
  });
  if (!weight.transposed)
    return logical;
  std::vector<float> stored(count);
  transpose(logical.data(), stored.data(), weight.rows, weight.cols);
  return stored;
}

void compression::eraseIfDead(arith::ConstantOp constant) {
  if (!constant->use_empty())
    return;
  auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  auto fn = constant->getParentOfType<func::FuncOp>();
  constant->erase();
  if (!resource || !fn)
    return;
  auto module = dyn_cast_or_null<ModuleOp>(fn->getParentOp());
  if (!module || llvm::range_size(module.getOps<func::FuncOp>()) != 1)
    return;
  bool used = fn.walk([&](Operation *op) {
                  for (NamedAttribute attr : op->getAttrs())
                    if (attr.getValue() == resource)
                      return WalkResult::interrupt();
                  return WalkResult::advance();
                }).wasInterrupted();
  if (!used)
    if (auto *entry = resource.getRawHandle().getResource())
      entry->setBlob(AsmResourceBlob());
}

/// Blobs of at least this many bytes get pages of their own.
constexpr size_t kMappedBlobBytes = size_t(1) << 20;

/// A mutable blob of `bytes` bytes. A large one is mapped memory of its own,
/// which goes back to the system when the blob is released: from the middle
/// of the heap it would stay in the process (a 7B model's quantized
/// weights, 1.8 GB in blobs of 4 to 11 MB, stayed resident through the
/// lowering after accelc had released them).
static AsmResourceBlob allocateBlob(size_t bytes, size_t align) {
  if (bytes >= kMappedBlobBytes) {
    std::error_code error;
    llvm::sys::MemoryBlock block = llvm::sys::Memory::allocateMappedMemory(
        bytes, nullptr, llvm::sys::Memory::MF_READ | llvm::sys::Memory::MF_WRITE,
        error);
    if (!error)
      return AsmResourceBlob(
          ArrayRef<char>(static_cast<char *>(block.base()), bytes), align,
          [block](void *, size_t, size_t) mutable {
            llvm::sys::Memory::releaseMappedMemory(block);
          },
          /*dataIsMutable=*/true);
  }
  return HeapAsmResourceBlob::allocate(bytes, align);
}

/// Constants of more elements than this are dense_resource blobs.
constexpr int64_t kDenseElements = 1024;

/// An elements attribute of `type` whose `bytes` bytes (`align`-aligned)
/// `fill` writes: above 1024 elements a DenseResourceElementsAttr on a new
/// heap blob keyed `name`, else a DenseElementsAttr.
static ElementsAttr makeElements(RankedTensorType type, size_t bytes,
                                 size_t align, StringRef name,
                                 llvm::function_ref<void(char *)> fill) {
  if (type.getNumElements() <= kDenseElements) {
    std::vector<char> data(bytes);
    fill(data.data());
    return DenseElementsAttr::getFromRawBuffer(type, data);
  }
  // A fresh blob: the weight it replaces (perhaps an mmapped model) is never
  // written.
  AsmResourceBlob blob = allocateBlob(bytes, align);
  fill(blob.getMutableData().data());
  return DenseResourceElementsAttr::get(type, accel::resourceKey(name),
                                        std::move(blob));
}

/// Elements per parallel chunk of a conversion.
constexpr size_t kConvertChunk = size_t(1) << 16;

/// Runs `body(i)` for every i in [0, count), chunks spread over threads.
static void parallelElements(size_t count,
                             llvm::function_ref<void(size_t)> body) {
  size_t chunks = (count + kConvertChunk - 1) / kConvertChunk;
  llvm::parallelFor(0, chunks, [&](size_t chunk) {
    size_t end = std::min(count, (chunk + 1) * kConvertChunk);
    for (size_t i = chunk * kConvertChunk; i < end; ++i)
      body(i);
  });
}

ElementsAttr compression::makeFloatElements(RankedTensorType type,
                                            ArrayRef<float> values,
                                            StringRef name) {
  auto elementType = cast<FloatType>(type.getElementType());
  unsigned width = elementType.getWidth() / 8;
  return makeElements(
      type, values.size() * width, width, name, [&](char *out) {
        if (elementType.isF32()) {
          std::memcpy(out, values.data(), values.size() * sizeof(float));
          return;
        }
        if (elementType.isF16()) {
          parallelElements(values.size(), [&](size_t i) {
            uint16_t bits = reference::floatToF16Bits(values[i]);
            std::memcpy(out + 2 * i, &bits, 2); // little endian
          });
          return;
        }
        parallelElements(values.size(), [&](size_t i) {
          llvm::APFloat value(values[i]);
          bool lost = false;
          value.convert(elementType.getFloatSemantics(),
                        llvm::APFloat::rmNearestTiesToEven, &lost);
          uint64_t bits = value.bitcastToAPInt().getZExtValue();
          std::memcpy(out + i * width, &bits, width); // little endian
        });
      });
}

ElementsAttr
compression::makeIntElements(RankedTensorType type,
                             llvm::function_ref<uint64_t(uint64_t)> bitsOf,
                             StringRef name) {
  unsigned bits = type.getElementTypeBitWidth();
  uint64_t count = type.getNumElements();
  bool blob = count > kDenseElements;
  unsigned width = std::max(1u, (bits + 7) / 8);
  uint64_t bytes = blob ? intBlobBytes(count, bits) : count * width;
  uint64_t mask = bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
  return makeElements(type, bytes, width, name, [&](char *out) {
    MutableArrayRef<uint8_t> data(reinterpret_cast<uint8_t *>(out), bytes);
    if (blob || bits >= 8)
      packIntElements(count, bits, bitsOf, data);
    else // one byte per element
      packIntElements(
          count, 8, [&](uint64_t i) { return bitsOf(i) & mask; }, data);
  });
}

AsmResourceBlob compression::allocatePackedInts(uint64_t count,
                                                unsigned bits) {
  size_t bytes = intBlobBytes(count, bits);
  if (bytes >= kMappedBlobBytes)
    return allocateBlob(bytes, 1); // fresh pages: zero
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(bytes, 1);
  std::memset(blob.getMutableData().data(), 0, bytes);
  return blob;
}

ElementsAttr compression::makePackedIntElements(RankedTensorType type,
                                                AsmResourceBlob packed,
                                                StringRef name) {
  unsigned bits = type.getElementTypeBitWidth();
  ArrayRef<char> bytes = packed.getData();
  assert(bits <= 8 &&
         bytes.size() == intBlobBytes(type.getNumElements(), bits));
  if (type.getNumElements() > kDenseElements)
    return DenseResourceElementsAttr::get(type, accel::resourceKey(name),
                                          std::move(packed));
  return makeIntElements(
      type,
      [&](uint64_t i) {
        uint64_t bit = i * bits, pair = uint8_t(bytes[bit / 8]);
        if (bit / 8 + 1 < bytes.size())
          pair |= uint64_t(uint8_t(bytes[bit / 8 + 1])) << 8;
        return pair >> (bit % 8);
      },
      name);
}

float compression::dequantize(int64_t q, GroupParams params) {
  return params.scale * static_cast<float>(q - params.zeroPoint);
}

FailureOr<std::vector<std::vector<int64_t>>>
compression::readCalibrationTokens(StringRef path, std::string &error) {
  auto file = llvm::MemoryBuffer::getFileOrSTDIN(path);
  if (!file) {
    error = ("cannot read calibration file '" + path +
             "': " + file.getError().message())
                .str();
    return failure();
  }
  std::vector<std::vector<int64_t>> sequences;
  SmallVector<StringRef> lines;
  (*file)->getBuffer().split(lines, '\n');
  for (auto [index, line] : llvm::enumerate(lines)) {
    SmallVector<StringRef> words;
    llvm::SplitString(line, words, " \t\r,");
    if (words.empty())
      continue;
    std::vector<int64_t> ids;
    for (StringRef word : words) {
      int64_t id = 0;
      if (word.getAsInteger(10, id) || id < 0) {
        error = (path + ":" + Twine(index + 1) + ": '" + word +
                 "' is not a token id")
                    .str();
        return failure();
      }
      ids.push_back(id);
    }
    sequences.push_back(std::move(ids));
  }
  if (sequences.empty()) {
    error = ("calibration file '" + path + "' holds no tokens").str();
    return failure();
  }
  return sequences;
}

LogicalResult compression::collectLinearInputs(
    func::FuncOp fn, ArrayRef<LinearOp> probes,
    const std::vector<std::vector<int64_t>> &tokens,
    llvm::function_ref<void(size_t, const reference::Tensor &)> visit,
    std::string &error) {
  if (fn.getNumArguments() != 1) {
    error = "calibration needs a function of one argument (the token ids), '" +
            fn.getSymName().str() + "' takes " +
            std::to_string(fn.getNumArguments());
    return failure();
  }
  auto argType = dyn_cast<RankedTensorType>(fn.getArgumentTypes()[0]);
  std::optional<reference::DType> dtype =
      argType ? reference::dtypeFromMLIR(argType.getElementType())
              : std::nullopt;
  if (!argType || argType.getRank() != 2 ||
      !isa<IntegerType>(argType.getElementType()) || !dtype) {
    error = "calibration needs the function's argument to be integer token "
            "ids [batch, sequence]";
    return failure();
  }

  // Cut the sequences into the chunks the function takes.
  int64_t batch = argType.isDynamicDim(0) ? 1 : argType.getDimSize(0);
  int64_t length = argType.getDimSize(1);
  std::vector<std::vector<int64_t>> chunks;
  for (const std::vector<int64_t> &seq : tokens) {
    if (ShapedType::isDynamic(length)) {
      chunks.push_back(seq);
      continue;
    }
    for (size_t start = 0; start + length <= seq.size(); start += length)
      chunks.emplace_back(seq.begin() + start, seq.begin() + start + length);
  }
  if (chunks.size() < static_cast<size_t>(batch)) {
    error = "the calibration tokens make " + std::to_string(chunks.size()) +
            " sequence(s) of " +
            (ShapedType::isDynamic(length) ? std::string("any length")
                                           : std::to_string(length)) +
            " tokens; the function takes " + std::to_string(batch);
    return failure();
  }

  // A copy of the function that also returns every probe's input, in a
  // module of its own carrying the original module's attributes (the
  // opset).
  OpBuilder builder(fn.getContext());
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(fn.getLoc());
  if (auto parent = fn->getParentOfType<ModuleOp>())
    scratch->getOperation()->setAttrs(parent->getAttrDictionary());
  IRMapping mapping;
  auto copy = cast<func::FuncOp>(fn->clone(mapping));
  scratch->push_back(copy);
  auto ret = cast<func::ReturnOp>(copy.getBody().front().getTerminator());
  SmallVector<Value> results(ret.getOperands());
  for (LinearOp probe : probes)
    results.push_back(mapping.lookup(probe.getInput()));
  ret->setOperands(results);
  copy.setFunctionType(builder.getFunctionType(
      copy.getArgumentTypes(), ValueRange(results).getTypes()));
  unsigned first = fn.getNumResults();
  // The fp32 executor runs float activations and an fp32 KV cache: the
  // requests for their run-time quantization are dropped from the copy.
  copy.walk([](Operation *op) {
    if (auto linear = dyn_cast<LinearOp>(op))
      linear.removeActQuantAttr();
    else if (auto attention = dyn_cast<AttentionOp>(op))
      attention.removeKvQuantAttr();
  });

  for (size_t start = 0; start + batch <= chunks.size(); start += batch) {
    int64_t t = static_cast<int64_t>(chunks[start].size());
    std::vector<int64_t> ids;
    for (int64_t b = 0; b < batch; ++b) {
      if (static_cast<int64_t>(chunks[start + b].size()) != t)
        break; // dynamic length and static batch > 1: same-length rows only
      ids.insert(ids.end(), chunks[start + b].begin(), chunks[start + b].end());
    }
    if (static_cast<int64_t>(ids.size()) != batch * t || t == 0)
      continue;
    reference::Tensor input(*dtype, {batch, t}, std::move(ids));
    llvm::Expected<std::vector<reference::Tensor>> outputs =
        reference::run(copy, {input});
    if (!outputs) {
      error = "running the calibration tokens failed: " +
              llvm::toString(outputs.takeError());
      return failure();
    }
    for (size_t i = 0; i < probes.size(); ++i) {
      const reference::Tensor &x = (*outputs)[first + i];
      if (x.getDType() == reference::DType::F32) {
        visit(i, x);
      } else {
        visit(i, x.castTo(reference::DType::F32));
      }
    }
  }
  return success();
}
