//===- Calibration.cpp - helpers shared by the compression passes ---------===//

#include "Calibration.h"

#include "accel/Support/Diagnostics.h"

#include "accel/Reference/Executor.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"

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

FailureOr<FloatWeight> compression::readFloatWeight(LinearOp op) {
  auto type = op.getWeight().getType();
  if (!isa<FloatType>(type.getElementType()) || !type.hasStaticShape())
    return failure();
  auto constant = op.getWeight().getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return failure();
  llvm::Expected<reference::Tensor> tensor =
      reference::fromAttribute(constant.getValue());
  if (!tensor) {
    llvm::consumeError(tensor.takeError());
    return failure();
  }
  FloatWeight weight;
  weight.constant = constant;
  weight.name = locationName(constant.getLoc());
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    if (weight.name.empty())
      weight.name = resource.getRawHandle().getKey().str();
  weight.transposed = op.getTransposedWeight();
  weight.rows = op.getOutFeatures();
  weight.cols = op.getInFeatures();
  weight.values.resize(weight.rows * weight.cols);
  ArrayRef<float> stored = tensor->getFloats();
  for (int64_t i = 0, e = stored.size(); i < e; ++i)
    weight.values[weight.logicalIndex(i)] = stored[i];
  return weight;
}

static ElementsAttr makeElements(RankedTensorType type, ArrayRef<char> bytes,
                                 size_t align, StringRef name) {
  if (type.getNumElements() <= 1024)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  // A fresh blob: the weight it replaces (perhaps an mmapped model) is never
  // written.
  return DenseResourceElementsAttr::get(
      type, accel::resourceKey(name),
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align));
}

ElementsAttr compression::makeFloatElements(RankedTensorType type,
                                            ArrayRef<float> values,
                                            StringRef name) {
  auto elementType = cast<FloatType>(type.getElementType());
  unsigned width = elementType.getWidth() / 8;
  std::vector<char> bytes(values.size() * width);
  for (size_t i = 0; i < values.size(); ++i) {
    llvm::APFloat value(values[i]);
    bool lost = false;
    value.convert(elementType.getFloatSemantics(),
                  llvm::APFloat::rmNearestTiesToEven, &lost);
    uint64_t bits = value.bitcastToAPInt().getZExtValue();
    std::memcpy(bytes.data() + i * width, &bits, width); // little endian
  }
  return makeElements(type, bytes, width, name);
}

ElementsAttr compression::makeIntElements(RankedTensorType type,
                                          ArrayRef<int64_t> values,
                                          StringRef name) {
  unsigned bits = type.getElementTypeBitWidth();
  unsigned width = std::max(1u, (bits + 7) / 8);
  uint64_t mask = bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
  std::vector<char> bytes(values.size() * width);
  for (size_t i = 0; i < values.size(); ++i) {
    uint64_t v = static_cast<uint64_t>(values[i]) & mask;
    if (bits >= 8 && bits % 8 == 0 && values[i] < 0)
      v = static_cast<uint64_t>(values[i]); // full bytes: two's complement
    std::memcpy(bytes.data() + i * width, &v, width);
  }
  return makeElements(type, bytes, width, name);
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
