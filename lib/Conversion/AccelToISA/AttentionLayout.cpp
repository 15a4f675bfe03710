//===- AttentionLayout.cpp - an attention layer's kv and scratch places ---===//
//
// The kv buffer holds a step's key records in its lower half and its value
// records in the upper; the attention's scores and the integer attention's
// operands go in the scratch buffer's upper half (its lower half stages the
// other ops' data), the RoPE tables by rank at its top (AttentionLayout.h).
//
//===----------------------------------------------------------------------===//

#include "AttentionLayout.h"

#include "accel/ISA/ISA.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace accel;
using namespace accel::lowering;

namespace {

/// The integer attention's operands in the scratch buffer's upper half
/// (ISA §5.9): the int8 heads of the step's `tile` queries and their scales
/// (a query after another), then two banks (parity of the work item) of
/// scores, probabilities, int8 weights and weight scales, `rows` rows each.
struct IntScratch {
  int64_t queries = 0, queryScales = 0;
  int64_t scores = 0, probs = 0, weights = 0, weightScales = 0, bank = 0;
  int64_t end = 0;

  IntScratch(int64_t start, int64_t tile, int64_t heads, int64_t headDim,
             int64_t groups, int64_t loaded, int64_t rows) {
    queries = start;
    queryScales = queries + alignTo(tile * heads * headDim, kAlign);
    scores = queryScales + alignTo(tile * heads * 4, kAlign);
    probs = scores + alignTo(rows * loaded * 4, kAlign);
    weights = probs + alignTo(rows * loaded * 4, kAlign);
    weightScales = weights + alignTo(rows * groups * loaded, kAlign);
    bank = weightScales + alignTo(rows * groups * 4, kAlign) - scores;
    end = scores + 2 * bank;
  }
};

/// The most heads one mqk / vsoftmax / vpq / mpv takes (their 6-bit `rows`).
constexpr int64_t kMaxAttentionRows = 63;
/// The most heads one vqk / vpv takes (their 4-bit `rows`).
constexpr int64_t kMaxVectorRows = 15;

/// The heads each integer attention instruction takes: the largest divisor
/// of `heads` whose rows fit the scratch buffer's upper half and stay with
/// the state's `qpk` rows per KV head (a multiple of qpk, or within one KV
/// head), or 0 if not even one head fits.
int64_t attentionRows(int64_t scrBytes, int64_t tile, int64_t heads,
                      int64_t qpk, int64_t headDim, int64_t groups,
                      int64_t loaded) {
  for (int64_t rows = std::min(heads, kMaxAttentionRows); rows > 0; --rows)
    if (heads % rows == 0 && (rows % qpk == 0 || qpk % rows == 0) &&
        IntScratch(scrBytes / 2, tile, heads, headDim, groups, loaded, rows)
                .end <= scrBytes)
      return rows;
  return 0;
}

/// The dictionary's fields (AttentionLayout.h).
constexpr std::pair<const char *, int64_t AttentionLayout::*> kFields[] = {
    {"tile", &AttentionLayout::tile},
    {"record", &AttentionLayout::record},
    {"keys", &AttentionLayout::keysAt},
    {"values", &AttentionLayout::valuesAt},
    {"chunk", &AttentionLayout::chunk},
    {"rows", &AttentionLayout::headsPerPass},
    {"scores", &AttentionLayout::scoresAt},
    {"probs", &AttentionLayout::probsAt},
    {"queries", &AttentionLayout::queries},
    {"query_scales", &AttentionLayout::queryScales},
    {"weights", &AttentionLayout::weights},
    {"weight_scales", &AttentionLayout::weightScales},
    {"bank", &AttentionLayout::bank},
    {"end", &AttentionLayout::scratchEnd},
    {"tables", &AttentionLayout::tablesAt},
};

/// The kv buffer's part of `at`: the whole, or (without Λ, when that does
/// not fit) a chunk beside the step's own records.
LogicalResult planRecords(CacheAttentionOp op, const CacheLayout &c,
                          int64_t kvBytes, int64_t loaded, int64_t tile,
                          AttentionLayout &at) {
  at.valuesAt = alignTo(loaded * c.record, kAlign);
  if (2 * at.valuesAt <= kvBytes)
    return success();
  at.chunk = kvBytes / 2 / kAlign * kAlign / c.record - tile;
  if (c.window > 0 || at.chunk < 1)
    return op.emitError("the ")
           << (c.window > 0 ? loaded : tile + 1) << " KV records a tile "
           << "of queries reads at once (" << c.record
           << " bytes each, keys and values) do not fit the kv buffer ("
           << kvBytes << " bytes)";
  at.valuesAt = alignTo((at.chunk + tile) * c.record, kAlign);
  return success();
}

/// A streamed integer attention's part of the scratch buffer, below
/// `room`: the int8 heads of the step's queries and their scales, then
/// `rows` rows of n scores (the probabilities in place), their weight
/// scales (each group's running max first) and the int8 weights of a chunk.
LogicalResult planStreamedInt8(CacheAttentionOp op, const CacheLayout &c,
                               int64_t scrBytes, int64_t room, int64_t loaded,
                               int64_t tile, AttentionLayout &at) {
  if (c.format == 2)
    return op.emitError("int8_attention needs an integer KV cache");
  int64_t heads = op.getNumHeads(), groups = c.headDim / c.group;
  at.queries = scrBytes / 2;
  at.queryScales = at.queries + alignTo(tile * heads * c.headDim, kAlign);
  at.scoresAt = at.queryScales + alignTo(tile * heads * 4, kAlign);
  at.probsAt = at.scoresAt;
  auto end = [&](int64_t rows) {
    return at.scoresAt + alignTo(rows * loaded * 4, kAlign) +
           alignTo(rows * groups * 4, kAlign) +
           alignTo(rows * groups * std::max(at.chunk, tile), kAlign);
  };
  for (int64_t rows = std::min(heads, kMaxAttentionRows); rows > 0; --rows)
    if (heads % rows == 0 && (rows % c.qpk == 0 || c.qpk % rows == 0) &&
        end(rows) <= room) {
      at.headsPerPass = rows;
      at.weightScales = at.scoresAt + alignTo(rows * loaded * 4, kAlign);
      at.weights = at.weightScales + alignTo(rows * groups * 4, kAlign);
      at.scratchEnd = end(rows);
      return success();
    }
  return op.emitError("the integer attention of ")
         << tile << " queries streaming " << loaded << " keys (" << heads
         << " heads) needs " << end(1) - scrBytes / 2
         << " bytes of the scratch buffer's upper half (" << scrBytes / 2
         << ")";
}

/// The scratch buffer's part of `at`, below `room` (the tables' start).
LogicalResult planScratch(CacheAttentionOp op, const CacheLayout &c,
                          int64_t scrBytes, int64_t room, int64_t loaded,
                          int64_t tile, AttentionLayout &at) {
  int64_t heads = op.getNumHeads();
  at.scoresAt = scrBytes / 2;
  if (at.chunk > 0 && op.getInt8Attention())
    return planStreamedInt8(op, c, scrBytes, room, loaded, tile, at);
  if (at.chunk > 0) {
    // As many heads' rows of n scores a pass as fit, softmax in place.
    for (int64_t rows = std::min(heads, kMaxAttentionRows); rows > 0; --rows)
      if (heads % rows == 0 &&
          at.scoresAt + alignTo(rows * loaded * 4, kAlign) <= room) {
        at.headsPerPass = rows;
        at.probsAt = at.scoresAt;
        at.scratchEnd = at.scoresAt + alignTo(rows * loaded * 4, kAlign);
        return success();
      }
    return op.emitError("the scores of one head over ")
           << loaded << " keys (" << alignTo(loaded * 4, kAlign)
           << " bytes) do not fit the scratch buffer's upper half ("
           << scrBytes / 2 << " bytes"
           << (room < scrBytes ? ", less the RoPE tables by rank" : "")
           << ")";
  }
  if (!op.getInt8Attention()) {
    // The fp32 scores (the probabilities in place) of `rows` heads: one
    // multi-row vqk, vsoftmax and vpv (ISA §5.7) of the query heads of whole
    // KV heads, or of part of one, as many as fit below the RoPE tables; one
    // head when the sinks are scored apart from the window.
    int64_t rows = 1;
    if (!(c.sink > 0 && tile > 1))
      for (rows = std::min(heads, kMaxVectorRows); rows > 1; --rows)
        if (heads % rows == 0 && (rows % c.qpk == 0 || c.qpk % rows == 0) &&
            at.scoresAt + alignTo(rows * loaded * 4, kAlign) <= room)
          break;
    at.headsPerPass = rows;
    at.probsAt = at.scoresAt;
    at.scratchEnd = at.scoresAt + alignTo(rows * loaded * 4, kAlign);
    return success();
  }
  if (c.format == 2)
    return op.emitError("int8_attention needs an integer KV cache");
  int64_t groups = c.headDim / c.group;
  at.headsPerPass = attentionRows(scrBytes, tile, heads, c.qpk, c.headDim, groups,
                          loaded);
  IntScratch s(at.scoresAt, tile, heads, c.headDim, groups, loaded,
               std::max<int64_t>(at.headsPerPass, 1));
  if (!at.headsPerPass)
    return op.emitError("the integer attention of ")
           << tile << " queries (" << loaded << " keys, " << heads
           << " heads) needs " << s.end - scrBytes / 2
           << " bytes of the scratch buffer's upper half (" << scrBytes / 2
           << ")";
  at.queries = s.queries;
  at.queryScales = s.queryScales;
  at.scoresAt = s.scores;
  at.probsAt = s.probs;
  at.weights = s.weights;
  at.weightScales = s.weightScales;
  at.bank = s.bank;
  at.scratchEnd = s.end;
  return success();
}

} // namespace

int64_t accel::lowering::keysSeen(const CacheLayout &c, int64_t tile) {
  return (c.window > 0 ? c.sink + c.window - 1 : c.slots) + tile;
}

int64_t accel::lowering::rankTableBytes(CacheAttentionOp op) {
  Value cos = op.getRopeCos();
  if (!cos)
    return 0;
  auto type = cast<RankedTensorType>(cos.getType());
  return 2 * alignTo(type.getDimSize(0) * type.getDimSize(1) * 4, kAlign);
}

FailureOr<AttentionLayout>
accel::lowering::planAttention(CacheAttentionOp op, const CacheLayout &c,
                               const hw::Config &config, int64_t tile) {
  auto bytes = [&](isa::Buffer buffer) {
    return int64_t(config.buffers[static_cast<unsigned>(buffer)].bytes);
  };
  int64_t scrBytes = bytes(isa::Buffer::Scr), tables = rankTableBytes(op);
  int64_t loaded = keysSeen(c, tile);
  AttentionLayout at;
  at.tile = tile;
  at.record = c.record;
  if (failed(planRecords(op, c, bytes(isa::Buffer::Kv), loaded, tile, at)) ||
      failed(planScratch(op, c, scrBytes, scrBytes - tables, loaded, tile,
                         at)))
    return failure();
  if (tables > 0) {
    at.tablesAt = scrBytes - tables;
    if (at.tablesAt < at.scratchEnd)
      return op.emitError("the RoPE tables by rank (2 x ")
             << tables / 2 << " bytes) do not fit the scratch buffer ("
             << scrBytes << " bytes) above the attention's scores ("
             << at.scratchEnd << " bytes)";
  }
  return at;
}

DictionaryAttr accel::lowering::toAttr(MLIRContext *context,
                                       const AttentionLayout &layout) {
  Builder b(context);
  SmallVector<NamedAttribute> fields;
  for (auto [name, field] : kFields)
    fields.push_back(b.getNamedAttr(name, b.getI64IntegerAttr(layout.*field)));
  return b.getDictionaryAttr(fields);
}

FailureOr<AttentionLayout>
accel::lowering::attentionLayoutOf(CacheAttentionOp op, StringRef step) {
  auto steps = op->getAttrOfType<DictionaryAttr>(kAttentionLayoutAttr);
  auto fields = steps ? steps.getAs<DictionaryAttr>(step) : DictionaryAttr();
  if (!fields)
    return op.emitError("no attention layout for the ")
           << step << " step (" << kAttentionLayoutAttr
           << "): run accel-allocate-buffers before accel-lower-to-isa";
  AttentionLayout layout;
  for (auto [name, field] : kFields) {
    auto value = fields.getAs<IntegerAttr>(name);
    if (!value)
      return op.emitError(kAttentionLayoutAttr)
             << " of the " << step << " step has no integer '" << name
             << "'";
    layout.*field = value.getInt();
  }
  return layout;
}
