//===- CompressionReport.cpp - accel-compression-report -------------------===//
//
// Reports what every weight-carrying op of a model costs in storage under its
// compression settings, and what the KV cache costs per token.
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/Accel/AccelOps.h"
#include "accel/Dialect/Accel/Footprint.h"
#include "accel/Support/Diagnostics.h"
#include "accel/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace accel {
#define GEN_PASS_DEF_COMPRESSIONREPORT
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;

namespace {

/// One op's line of the report.
struct Entry {
  std::string name;     ///< the op's location: the ONNX node name
  std::string kind;     ///< linear, embedding, attention
  int64_t rows = 0, cols = 0;
  std::string settings; ///< e.g. "w2 g128 asym, 2:4"
  bool bounded = true;  ///< false: a size depends on a dynamic dimension
  MatrixFootprint footprint;
  /// Attention only: KV-cache bytes per cached token, and the most tokens
  /// the cache holds (0: unbounded, it grows with the context).
  uint64_t kvBytesPerToken = 0;
  int64_t kvTokenBound = 0;
};

std::string describe(QuantAttr quant) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << quant.getBits() << "b ";
  if (quant.isPerChannel())
    os << "per-channel";
  else
    os << "g" << quant.getGroupSize();
  os << (quant.getSymmetric() ? " sym" : " asym");
  return s;
}

unsigned elementBits(Value value) {
  return value ? cast<ShapedType>(value.getType()).getElementTypeBitWidth()
               : 0;
}

Entry linearEntry(LinearOp op) {
  Entry e;
  e.kind = "linear";
  auto weight = op.getWeight().getType();
  e.rows = op.getOutFeatures();
  e.cols = op.getInFeatures();
  StorageScheme scheme;
  SmallVector<std::string> parts;
  if (QuantAttr quant = op.getWeightQuantAttr()) {
    scheme.bits = quant.getBits();
    scheme.groupSize = quant.getGroupSize();
    scheme.symmetric = quant.getSymmetric();
    scheme.scaleBits = elementBits(op.getScales());
    scheme.zeroPointBits = elementBits(op.getZeroPoints());
    parts.push_back("w" + describe(quant));
  } else {
    scheme.floatBits = weight.getElementTypeBitWidth();
    parts.push_back("w" + std::to_string(scheme.floatBits) + " float");
  }
  if (QuantAttr act = op.getActQuantAttr())
    parts.push_back("a" + describe(act));
  if (SparsityAttr sparsity = op.getSparsityAttr()) {
    scheme.sparseN = sparsity.getN();
    scheme.sparseM = sparsity.getM();
    parts.push_back(std::to_string(sparsity.getN()) + ":" +
                    std::to_string(sparsity.getM()));
  }
  e.settings = llvm::join(parts, ", ");
  if (auto fp = matrixFootprint(e.rows, e.cols, scheme);
      fp && !weight.getNumDynamicDims())
    e.footprint = *fp;
  else
    e.bounded = false;
  return e;
}

Entry embeddingEntry(EmbeddingOp op) {
  Entry e;
  e.kind = "embedding";
  auto table = op.getTable().getType();
  e.rows = table.getDimSize(0);
  e.cols = table.getDimSize(1);
  StorageScheme scheme;
  scheme.floatBits = table.getElementTypeBitWidth();
  e.settings = "w" + std::to_string(scheme.floatBits) + " float";
  if (auto fp = matrixFootprint(e.rows, e.cols, scheme);
      fp && !table.getNumDynamicDims())
    e.footprint = *fp;
  else
    e.bounded = false;
  return e;
}

/// An attention layer's KV cache: `accel.attention`, or the decode step's
/// `accel.cache_attention` once accel-lambda-attention has run.
template <typename AttentionLike>
Entry attentionEntry(AttentionLike op) {
  Entry e;
  e.kind = "attention";
  int64_t headDim = op.getHeadDim();
  // Per cached token: a key and a value row for every KV head.
  e.rows = 2 * op.getNumKvHeads();
  e.cols = headDim;
  StorageScheme scheme;
  SmallVector<std::string> parts{
      std::to_string(op.getNumHeads()) + "/" +
      std::to_string(op.getNumKvHeads()) + " heads"};
  if (QuantAttr quant = op.getKvQuantAttr()) {
    scheme.bits = quant.getBits();
    scheme.groupSize = quant.getGroupSize();
    scheme.symmetric = quant.getSymmetric();
    scheme.zeroPointBits = quant.getBits();
    parts.push_back("kv" + describe(quant));
  } else {
    scheme.floatBits =
        op.getQuery().getType().getElementType().getIntOrFloatBitWidth();
    parts.push_back("kv" + std::to_string(scheme.floatBits) + " float");
  }
  if (LambdaAttr lambda = op.getLambdaAttr()) {
    e.kvTokenBound = lambda.getSpan();
    parts.push_back("Λ " + std::to_string(lambda.getSink()) + "+" +
                    std::to_string(lambda.getWindow()));
  }
  e.settings = llvm::join(parts, ", ");
  if (auto fp = matrixFootprint(e.rows, e.cols, scheme);
      fp && !ShapedType::isDynamic(headDim))
    e.kvBytesPerToken = fp->totalBytes();
  else
    e.bounded = false;
  return e;
}

struct CompressionReportPass
    : public accel::impl::CompressionReportBase<CompressionReportPass> {
  using CompressionReportBase::CompressionReportBase;

  void runOnOperation() override {
    if (format != "text" && format != "json") {
      getOperation().emitError("accel-compression-report: unknown format '")
          << format << "' (expected 'text' or 'json')";
      return signalPassFailure();
    }
    // After accel-lambda-attention a decode function repeats the main
    // function's layers: weights are counted in the main function, KV caches
    // in the decode step.
    auto isDecode = [](Operation *op) {
      auto fn = op->getParentOfType<func::FuncOp>();
      auto entry = fn ? fn->getAttrOfType<StringAttr>("accel.entry") : nullptr;
      return entry && entry.getValue() == "decode";
    };
    bool hasDecode = false;
    getOperation().walk([&](CacheAttentionOp op) { hasDecode = true; });
    std::vector<Entry> entries;
    getOperation().walk([&](Operation *op) {
      std::optional<Entry> entry;
      bool decodeOp = isDecode(op);
      if (auto linear = dyn_cast<LinearOp>(op); linear && !decodeOp)
        entry = linearEntry(linear);
      else if (auto embedding = dyn_cast<EmbeddingOp>(op);
               embedding && !decodeOp)
        entry = embeddingEntry(embedding);
      else if (auto attention = dyn_cast<AttentionOp>(op);
               attention && !hasDecode)
        entry = attentionEntry(attention);
      else if (auto cached = dyn_cast<CacheAttentionOp>(op))
        entry = attentionEntry(cached);
      if (!entry)
        return;
      entry->name = locationName(op->getLoc());
      entries.push_back(std::move(*entry));
    });

    auto write = [&](raw_ostream &os) -> llvm::Error {
      if (format == "json")
        writeJson(os, entries);
      else
        writeText(os, entries);
      return llvm::Error::success();
    };
    if (llvm::Error err = llvm::writeToOutput(output, write)) {
      getOperation().emitError("accel-compression-report: cannot write '")
          << output << "': " << llvm::toString(std::move(err));
      signalPassFailure();
    }
    markAllAnalysesPreserved();
  }

  struct Totals {
    uint64_t params = 0, bytes = 0, kvBytesPerToken = 0;
    int64_t kvTokenBound = -1; ///< -1: no attention; 0: unbounded
  };

  static Totals total(ArrayRef<Entry> entries) {
    Totals t;
    for (const Entry &e : entries) {
      if (e.kind == "attention") {
        t.kvBytesPerToken += e.kvBytesPerToken;
        if (t.kvTokenBound == -1)
          t.kvTokenBound = e.kvTokenBound;
        else if (e.kvTokenBound == 0 || t.kvTokenBound == 0)
          t.kvTokenBound = 0;
        else
          t.kvTokenBound = std::max(t.kvTokenBound, e.kvTokenBound);
        continue;
      }
      if (!e.bounded)
        continue;
      t.params += uint64_t(e.rows) * uint64_t(e.cols);
      t.bytes += e.footprint.totalBytes();
    }
    return t;
  }

  static double bitsPerParam(uint64_t bytes, uint64_t params) {
    return params ? 8.0 * double(bytes) / double(params) : 0.0;
  }

  /// One row of the table; the name column is as wide as the longest name.
  static void writeRow(raw_ostream &os, size_t nameWidth, StringRef name,
                       StringRef kind, StringRef shape, StringRef settings,
                       StringRef params, StringRef bytes) {
    os << llvm::left_justify(name, nameWidth) << " "
       << llvm::formatv("{0,-10} {1,-12} {2,-36} {3,12} {4,14}\n", kind,
                        shape, settings, params, bytes);
  }

  static void writeText(raw_ostream &os, ArrayRef<Entry> entries) {
    size_t nameWidth = 24;
    for (const Entry &e : entries)
      nameWidth = std::max(nameWidth, e.name.size());
    writeRow(os, nameWidth, "op", "kind", "shape", "settings", "params",
             "stored bytes");
    for (const Entry &e : entries) {
      if (e.kind == "attention") {
        std::string bound = e.kvTokenBound
                                ? std::to_string(e.kvTokenBound) + " tokens"
                                : "unbounded";
        writeRow(os, nameWidth, e.name, e.kind, "kv/token", e.settings,
                 "cache: " + bound,
                 e.bounded ? std::to_string(e.kvBytesPerToken) + "/token"
                           : "dynamic");
        continue;
      }
      if (!e.bounded) {
        writeRow(os, nameWidth, e.name, e.kind, "dynamic", e.settings, "-",
                 "-");
        continue;
      }
      writeRow(os, nameWidth, e.name, e.kind,
               std::to_string(e.rows) + "x" + std::to_string(e.cols),
               e.settings,
               std::to_string(uint64_t(e.rows) * uint64_t(e.cols)),
               std::to_string(e.footprint.totalBytes()));
    }
    Totals t = total(entries);
    os << llvm::formatv(
        "total: {0} weight params in {1} bytes ({2:f3} bits/param; fp16 "
        "would take {3} bytes: {4:f2}x compression)\n",
        t.params, t.bytes, bitsPerParam(t.bytes, t.params), 2 * t.params,
        t.bytes ? 2.0 * double(t.params) / double(t.bytes) : 0.0);
    if (t.kvTokenBound >= 0) {
      os << "KV cache: " << t.kvBytesPerToken << " bytes per token";
      if (t.kvTokenBound > 0)
        os << ", at most " << t.kvTokenBound << " tokens = "
           << t.kvBytesPerToken * uint64_t(t.kvTokenBound) << " bytes";
      else
        os << ", unbounded (grows with the context)";
      os << "\n";
    }
  }

  static void writeJson(raw_ostream &os, ArrayRef<Entry> entries) {
    llvm::json::Array ops;
    for (const Entry &e : entries) {
      llvm::json::Object o{{"name", e.name},
                           {"kind", e.kind},
                           {"settings", e.settings},
                           {"static", e.bounded}};
      if (e.kind == "attention") {
        o["kv_bytes_per_token"] = e.kvBytesPerToken;
        o["kv_token_bound"] = e.kvTokenBound;
      } else {
        o["rows"] = e.rows;
        o["cols"] = e.cols;
        o["value_bits"] = e.footprint.valueBits;
        o["index_bits"] = e.footprint.indexBits;
        o["scale_bits"] = e.footprint.scaleBits;
        o["zero_point_bits"] = e.footprint.zeroPointBits;
        o["bytes"] = e.footprint.totalBytes();
      }
      ops.push_back(std::move(o));
    }
    Totals t = total(entries);
    llvm::json::Object totals{
        {"params", t.params},
        {"bytes", t.bytes},
        {"bits_per_param", bitsPerParam(t.bytes, t.params)},
        {"kv_bytes_per_token", t.kvBytesPerToken},
        {"kv_token_bound", t.kvTokenBound}};
    os << llvm::formatv("{0:2}",
                        llvm::json::Value(llvm::json::Object{
                            {"ops", std::move(ops)},
                            {"total", std::move(totals)}}))
       << "\n";
  }
};

} // namespace
