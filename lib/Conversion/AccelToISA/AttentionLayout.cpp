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

/// The most heads one mqk / vsoftmax / vpq / mpv takes (their 6-bit `rows`).
constexpr int64_t kMaxAttentionRows = 63;
/// The most heads one vqk / vpv takes (their 4-bit `rows`).
constexpr int64_t kMaxVectorRows = 15;

/// The largest divisor of `heads`, at most `most`, that stays with `qpk`
/// rows per KV head (a multiple of qpk, or within one KV head) and `fits`;
/// 0 if not even one head fits.
int64_t largestRows(int64_t heads, int64_t most, int64_t qpk,
                    llvm::function_ref<bool(int64_t)> fits) {
  for (int64_t rows = std::min(heads, most); rows > 0; --rows)
    if (heads % rows == 0 && (rows % qpk == 0 || qpk % rows == 0) && fits(rows))
      return rows;
  return 0;
}

/// The integer attention's operands in the scratch buffer's upper half
/// (ISA §5.9) from `start`: the int8 heads of the step's `tile` queries and
/// their scales (a query after another), then `rows` rows of scores and the
/// rest: with the whole cache two banks (parity of the work item) of
/// scores, probabilities, int8 weights and weight scales; streamed, the
/// scores of n keys (the probabilities in place), their weight scales (each
/// group's running max first) and the int8 weights of `width` records.
void placeIntScratch(AttentionLayout &at, int64_t start, int64_t tile,
                     int64_t heads, int64_t headDim, int64_t groups,
                     int64_t loaded, int64_t width, int64_t rows) {
  at.queries = start;
  at.queryScales = at.queries + alignTo(tile * heads * headDim, kAlign);
  at.scoresAt = at.queryScales + alignTo(tile * heads * 4, kAlign);
  if (at.chunk > 0) {
    at.probsAt = at.scoresAt;
    at.weightScales = at.scoresAt + alignTo(rows * loaded * 4, kAlign);
    at.weights = at.weightScales + alignTo(rows * groups * 4, kAlign);
    at.bank = 0;
    at.scratchEnd = at.weights + alignTo(rows * groups * width, kAlign);
    return;
  }
  at.probsAt = at.scoresAt + alignTo(rows * loaded * 4, kAlign);
  at.weights = at.probsAt + alignTo(rows * loaded * 4, kAlign);
  at.weightScales = at.weights + alignTo(rows * groups * loaded, kAlign);
  at.bank = at.weightScales + alignTo(rows * groups * 4, kAlign) - at.scoresAt;
  at.scratchEnd = at.scoresAt + 2 * at.bank;
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
    {"segment", &AttentionLayout::segment},
};

/// The kv buffer's part of `at`: the whole, or (when that does not fit) a
/// chunk beside the step's own records (with Λ, and the sinks before them).
LogicalResult planRecords(CacheAttentionOp op, const CacheLayout &c,
                          int64_t kvBytes, int64_t loaded, int64_t tile,
                          AttentionLayout &at) {
  at.valuesAt = alignTo(loaded * c.record, kAlign);
  if (2 * at.valuesAt <= kvBytes)
    return success();
  int64_t resident = streamedSinks(c) + tile;
  at.chunk = kvBytes / 2 / kAlign * kAlign / c.record - resident;
  if (at.chunk < 1)
    return op.emitError("the ")
           << resident + 1 << " KV records a tile of queries streaming the "
           << "cache needs at once (" << c.record
           << " bytes each, keys and values) do not fit the kv buffer ("
           << kvBytes << " bytes)";
  if (c.window > 0 && rankTableBytes(op) > 0)
    return op.emitError("the ")
           << loaded << " KV records a tile of queries reads at once ("
           << c.record << " bytes each, keys and values) do not fit the kv "
           << "buffer (" << kvBytes << " bytes), and a streamed Λ cache "
           << "cannot rotate its keys by rank (rope-positions=cache)";
  at.valuesAt = alignTo((at.chunk + resident) * c.record, kAlign);
  return success();
}

/// The scratch buffer's part of `at`, below `room` (the tables' start).
LogicalResult planScratch(CacheAttentionOp op, const CacheLayout &c,
                          int64_t scrBytes, int64_t room, int64_t loaded,
                          int64_t tile, AttentionLayout &at) {
  int64_t heads = op.getNumHeads(), half = scrBytes / 2;
  bool streamed = at.chunk > 0;
  // Rows below the RoPE tables; with the whole cache one head need only fit
  // the upper half (planAttention then names the tables that do not fit).
  auto fitsBelow = [&](int64_t rows, int64_t end) {
    return end <= room || (!streamed && rows == 1 && end <= scrBytes);
  };
  if (!op.getInt8Attention()) {
    // The fp32 scores (the probabilities in place) of `rows` heads. With the
    // whole cache, one multi-row vqk, vsoftmax and vpv (ISA §5.7) of the
    // query heads of whole KV heads or of part of one (one head when the
    // sinks are scored apart from the window); streamed, a pass of the head
    // loop. As many as fit below the RoPE tables.
    auto end = [&](int64_t rows) {
      return half + alignTo(rows * loaded * 4, kAlign);
    };
    int64_t most = streamed                 ? kMaxAttentionRows
                   : c.sink > 0 && tile > 1 ? 1
                                            : kMaxVectorRows;
    at.headsPerPass =
        largestRows(heads, most, streamed ? 1 : c.qpk,
                    [&](int64_t rows) { return fitsBelow(rows, end(rows)); });
    if (!at.headsPerPass)
      return op.emitError("the scores of one head over ")
             << loaded << " keys (" << alignTo(loaded * 4, kAlign)
             << " bytes) do not fit the scratch buffer's upper half (" << half
             << " bytes"
             << (streamed && room < scrBytes ? ", less the RoPE tables by rank"
                                             : "")
             << ")";
    at.scoresAt = at.probsAt = half;
    at.scratchEnd = end(at.headsPerPass);
    return success();
  }
  if (c.format == 2)
    return op.emitError("int8_attention needs an integer KV cache");
  int64_t groups = c.headDim / c.group;
  auto end = [&](int64_t rows) {
    placeIntScratch(at, half, tile, heads, c.headDim, groups, loaded,
                    std::max({at.chunk, tile, streamedSinks(c)}), rows);
    return at.scratchEnd;
  };
  at.headsPerPass =
      largestRows(heads, kMaxAttentionRows, c.qpk,
                  [&](int64_t rows) { return fitsBelow(rows, end(rows)); });
  if (!at.headsPerPass)
    return op.emitError("the integer attention of ")
           << tile << " queries " << (streamed ? "streaming " : "over ")
           << loaded << " keys (" << heads << " heads) needs " << end(1) - half
           << " bytes of the scratch buffer's upper half (" << half << ")";
  end(at.headsPerPass);
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

int64_t accel::lowering::rankRowBytes(CacheAttentionOp op) {
  Value cos = op.getRopeCos();
  if (!cos)
    return 0;
  return alignTo(cast<RankedTensorType>(cos.getType()).getDimSize(1) * 4,
                 kAlign);
}

int64_t accel::lowering::segmentRows(int64_t rows, int64_t qpk) {
  return largestRows(rows, kMaxVectorRows, qpk, [](int64_t) { return true; });
}

int64_t accel::lowering::segmentScoresAt(const AttentionLayout &at,
                                         const CacheLayout &c) {
  return at.scoresAt +
         alignTo(at.headsPerPass * keysSeen(c, at.tile) * 4, kAlign);
}

/// The fp32 attention's scratch when the whole RoPE tables by rank do not
/// fit above its scores (AttentionLayout.h's `segment`): as many heads a
/// pass as fit beside a segment of one rank per HBM channel, then segments
/// of as many ranks (a multiple of the channels) as fit beside them.
static LogicalResult planSegments(CacheAttentionOp op, const CacheLayout &c,
                                  int64_t scrBytes, int64_t channels,
                                  int64_t loaded, AttentionLayout &at) {
  int64_t half = scrBytes / 2, rowBytes = rankRowBytes(op);
  auto scores = [&](int64_t rows) {
    return alignTo(rows * loaded * 4, kAlign);
  };
  // A segment's scores and both tables' rows: its ranks and the query's.
  auto segment = [&](int64_t rows, int64_t ranks) {
    return alignTo(segmentRows(rows, c.qpk) * ranks * 4, kAlign) +
           2 * (ranks + 1) * rowBytes;
  };
  auto fits = [&](int64_t rows, int64_t ranks) {
    return half + scores(rows) + segment(rows, ranks) <= scrBytes;
  };
  // (Integer attention never rotates by rank: accel-int8-attention.)
  int64_t rows = op.getInt8Attention()
                     ? 0
                     : largestRows(op.getNumHeads(), kMaxAttentionRows,
                                   c.qpk, [&](int64_t rows) {
                                     return fits(rows, channels);
                                   });
  if (!rows)
    return op.emitError("the RoPE tables by rank (2 x ")
           << rankTableBytes(op) / 2 << " bytes) do not fit the scratch "
           << "buffer (" << scrBytes << " bytes) above the attention's "
           << "scores (" << at.scratchEnd << " bytes), nor do segments of "
           << channels << " ranks of them (" << segment(1, channels)
           << " bytes)";
  int64_t ranks = alignTo(loaded, channels);
  while (!fits(rows, ranks))
    ranks -= channels;
  at.headsPerPass = rows;
  at.segment = ranks;
  at.scoresAt = at.probsAt = half;
  at.scratchEnd = half + scores(rows) +
                  alignTo(segmentRows(rows, c.qpk) * ranks * 4, kAlign);
  at.tablesAt = scrBytes - 2 * (ranks + 1) * rowBytes;
  return success();
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
      failed(planScratch(op, c, scrBytes, scrBytes - tables, loaded, tile, at)))
    return failure();
  if (tables > 0) {
    at.tablesAt = scrBytes - tables;
    if (at.tablesAt < at.scratchEnd &&
        failed(planSegments(op, c, scrBytes, int64_t(config.hbmChannels),
                                 loaded, at)))
      return failure();
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
accel::lowering::attentionLayoutOf(CacheAttentionOp op, StringRef step,
                                   const CacheLayout &c,
                                   const hw::Config &config, int64_t tile) {
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
             << " of the " << step << " step has no integer '" << name << "'";
    layout.*field = value.getInt();
  }
  if (layout.tile != tile || layout.record != c.record)
    return op.emitError(kAttentionLayoutAttr)
           << " of the " << step << " step is for steps of " << layout.tile
           << " rows over KV records of " << layout.record << " bytes, not "
           << tile << " rows over " << c.record
           << ": run accel-allocate-buffers after accel-tile and "
              "accel-place-hbm";
  // The code generator trusts every offset and count: a layout is taken only
  // if it is the one planned for this op, cache and config.
  FailureOr<AttentionLayout> planned = planAttention(op, c, config, tile);
  if (failed(planned))
    return failure();
  for (auto [name, field] : kFields)
    if (layout.*field != (*planned).*field)
      return op.emitError(kAttentionLayoutAttr)
             << " of the " << step
             << " step does not match the plan for this config: field '" << name
             << "' is " << layout.*field << ", expected " << (*planned).*field;
  return layout;
}
