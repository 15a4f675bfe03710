//===- AttentionLayout.cpp - an attention layer's kv and scratch places ---===//
//
// The kv buffer holds a step's key records in its lower half and its value
// records in the upper; the attention's scores and the integer attention's
// operands go in the scratch buffer's upper half (its lower half stages the
// other ops' data), the RoPE tables by rank at its top (AttentionLayout.h).
//
//===----------------------------------------------------------------------===//

#include "AttentionLayout.h"

#include "accel/Dialect/Accel/AttentionLayoutFields.h"
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

/// `at` with `rows` heads an instruction and the integer attention's
/// operands in the scratch buffer's upper half (ISA §5.9) from `start`: the
/// int8 heads of the step's `tile` queries and their scales (a query after
/// another), then `rows` rows of scores and the rest: with the whole cache
/// two banks (parity of the work item) of
/// scores, probabilities, int8 weights and weight scales; streamed, the
/// scores of n keys (the probabilities in place), their weight scales (each
/// group's running max first) and the int8 weights of `width` records.
AttentionLayout placeIntScratch(AttentionLayout at, int64_t start,
                                int64_t tile, int64_t heads, int64_t headDim,
                                int64_t groups, int64_t loaded, int64_t width,
                                int64_t rows) {
  at.headsPerPass = rows;
  at.queries = start;
  at.queryScales = at.queries + alignTo(tile * heads * headDim, kAlign);
  at.scoresAt = at.queryScales + alignTo(tile * heads * 4, kAlign);
  if (at.chunk > 0) {
    at.probsAt = at.scoresAt;
    at.weightScales = at.scoresAt + alignTo(rows * loaded * 4, kAlign);
    at.weights = at.weightScales + alignTo(rows * groups * 4, kAlign);
    at.bank = 0;
    at.scratchEnd = at.weights + alignTo(rows * groups * width, kAlign);
    return at;
  }
  at.probsAt = at.scoresAt + alignTo(rows * loaded * 4, kAlign);
  at.weights = at.probsAt + alignTo(rows * loaded * 4, kAlign);
  at.weightScales = at.weights + alignTo(rows * groups * loaded, kAlign);
  at.bank = at.weightScales + alignTo(rows * groups * 4, kAlign) - at.scoresAt;
  at.scratchEnd = at.scoresAt + 2 * at.bank;
  return at;
}

/// The dictionary's fields (AttentionLayout.h; the dialect's verifier
/// rejects any other, AccelDialect.cpp's kLayoutFields).
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

/// Whether kFields names the fields the dialect verifies, in order.
constexpr bool fieldsAreTheDialects() {
  if (std::size(kFields) != std::size(kAttentionLayoutFields))
    return false;
  for (size_t i = 0; i < std::size(kFields); ++i) {
    llvm::StringRef name = kAttentionLayoutFields[i];
    const char *ours = kFields[i].first;
    for (size_t c = 0; c < name.size(); ++c)
      if (ours[c] != name.data()[c])
        return false;
    if (ours[name.size()] != '\0')
      return false;
  }
  return true;
}
static_assert(fieldsAreTheDialects(),
              "AttentionLayout's fields must be accel::kAttentionLayoutFields");

/// The kv buffer's part of `at`: the whole, or (when that does not fit) a
/// chunk of at most `mostChunk` records beside the step's own records
/// (with Λ, and the sinks before them).
LogicalResult planRecords(CacheAttentionOp op, const CacheLayout &c,
                          int64_t kvBytes, int64_t loaded, int64_t tile,
                          int64_t mostChunk, AttentionLayout &at) {
  at.valuesAt = alignTo(loaded * c.record, kAlign);
  if (2 * at.valuesAt <= kvBytes)
    return success();
  int64_t resident = streamedSinks(c) + tile;
  at.chunk = std::min(mostChunk,
                      kvBytes / 2 / kAlign * kAlign / c.record - resident);
  if (at.chunk < 1)
    return op.emitError("the ")
           << resident + 1 << " KV records a tile of queries streaming the "
           << "cache needs at once (" << c.record
           << " bytes each, keys and values) do not fit the kv buffer ("
           << kvBytes << " bytes)";
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
    // query heads of whole KV heads or of part of one (when the sinks are
    // scored apart from the window, each run's vqk of several rows writes
    // them after the scores, segmentScoresAt, to be copied into their rows);
    // streamed, a pass of the head loop. As many as fit below the RoPE
    // tables.
    bool staged = !streamed && c.sink > 0 && tile > 1;
    auto end = [&](int64_t rows) {
      int64_t scores = alignTo(rows * loaded * 4, kAlign);
      return half + (staged && rows > 1 ? 2 * scores : scores);
    };
    int64_t most = streamed ? kMaxAttentionRows : kMaxVectorRows;
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
  // Each count of rows is tried on a copy of `at`; the largest that fits
  // is the layout.
  int64_t groups = c.headDim / c.group;
  auto placed = [&](int64_t rows) {
    return placeIntScratch(at, half, tile, heads, c.headDim, groups, loaded,
                           std::max({at.chunk, tile, streamedSinks(c)}), rows);
  };
  int64_t rows =
      largestRows(heads, kMaxAttentionRows, c.qpk, [&](int64_t rows) {
        return fitsBelow(rows, placed(rows).scratchEnd);
      });
  if (!rows)
    return op.emitError("the integer attention of ")
           << tile << " queries " << (streamed ? "streaming " : "over ")
           << loaded << " keys (" << heads << " heads) needs "
           << placed(1).scratchEnd - half
           << " bytes of the scratch buffer's upper half (" << half << ")";
  at = placed(rows);
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

int64_t accel::lowering::rankAreaRows(const AttentionLayout &at,
                                      const CacheLayout &c,
                                      int64_t channels) {
  if (at.segment > 0)
    return at.segment + 1;
  if (at.chunk > 0)
    return std::max({c.sink, at.chunk, at.tile}) + channels;
  return 0;
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
  // Streamed, each run of keys loads its ranks' table rows: a chunk no
  // longer than leaves room for the scores of as many heads a pass as fit
  // beside runs of twice the channels (a pass streams the whole cache).
  int64_t channels = int64_t(config.hbmChannels), mostChunk = INT64_MAX;
  if (tables > 0) {
    int64_t areaRow = 2 * rankRowBytes(op);
    auto room = [&](int64_t rows) {
      return scrBytes / 2 - alignTo(rows * loaded * 4, kAlign);
    };
    int64_t rows = largestRows(
        op.getNumHeads(), kMaxAttentionRows, 1, [&](int64_t rows) {
          return room(rows) >= (std::max(c.sink, tile) + 2 * channels) *
                                   areaRow;
        });
    mostChunk = std::max<int64_t>(1, room(std::max<int64_t>(rows, 1)) /
                                         areaRow -
                                     channels);
  }
  if (failed(planRecords(op, c, bytes(isa::Buffer::Kv), loaded, tile,
                         mostChunk, at)))
    return failure();
  if (tables > 0 && at.chunk > 0)
    tables = 2 * rankAreaRows(at, c, channels) * rankRowBytes(op);
  if (failed(planScratch(op, c, scrBytes, scrBytes - tables, loaded, tile, at)))
    return failure();
  if (tables > 0) {
    at.tablesAt = scrBytes - tables;
    if (at.tablesAt < at.scratchEnd &&
        failed(planSegments(op, c, scrBytes, channels, loaded, at)))
      return failure();
  }
  return at;
}

namespace {

/// A field of a layout that breaks what the code generator relies on, and
/// why.
struct Broken {
  const char *field;
  std::string why;
};

/// Bytes of a buffer a layout places from its field `field`; `what` names
/// them in an error when the field alone does not (else "its N bytes"), and
/// `hint` says what fits them.
struct Area {
  const char *field;
  int64_t at, bytes;
  std::string what = {}, hint = {};
};

/// The first of `areas` (offsets within `[lo, hi)`) outside `[lo, hi)` or
/// overlapping an earlier one.
std::optional<Broken> checkAreas(ArrayRef<Area> areas, int64_t lo, int64_t hi,
                                 StringRef what) {
  for (auto [i, area] : llvm::enumerate(areas)) {
    std::string subject =
        area.what.empty() ? (Twine("its ") + Twine(area.bytes) + " bytes").str()
                          : area.what;
    std::string hint = area.hint.empty() ? "" : ": " + area.hint;
    if (area.at < lo || area.at + area.bytes > hi)
      return Broken{area.field, (subject + " are not within " + what + " (" +
                                 Twine(lo) + " .. " + Twine(hi) + ")" + hint)
                                    .str()};
    for (const Area &other : areas.take_front(i))
      if (area.at < other.at + other.bytes && other.at < area.at + area.bytes)
        return Broken{area.field, (subject + " overlap '" + other.field +
                                   "' (" + Twine(other.at) + " .. " +
                                   Twine(other.at + other.bytes) + ")" + hint)
                                      .str()};
  }
  return std::nullopt;
}

/// The first field of `at`, a layout for `op`'s step over the cache `c`
/// with the buffers of `config`, that the code generator cannot take (the
/// invariants of AttentionLayout.h).
std::optional<Broken> checkLayout(CacheAttentionOp op, const CacheLayout &c,
                                  const hw::Config &config,
                                  const AttentionLayout &at) {
  auto broken = [](const char *field, const Twine &why) {
    return std::optional<Broken>(Broken{field, why.str()});
  };
  auto bytes = [&](isa::Buffer buffer) {
    return int64_t(config.buffers[static_cast<unsigned>(buffer)].bytes);
  };
  int64_t kvBytes = bytes(isa::Buffer::Kv), scrBytes = bytes(isa::Buffer::Scr);
  int64_t heads = op.getNumHeads(), channels = int64_t(config.hbmChannels);
  bool int8 = op.getInt8Attention(), streamed = at.chunk > 0,
       byRank = rankTableBytes(op) > 0;
  // Offsets are multiples of 64 within their buffer, counts within what a
  // buffer holds (so that the sums below stay small).
  for (auto [name, field] : kFields) {
    bool kv = field == &AttentionLayout::keysAt ||
              field == &AttentionLayout::valuesAt ||
              field == &AttentionLayout::chunk;
    int64_t most = kv ? kvBytes : scrBytes;
    bool count = field == &AttentionLayout::chunk ||
                 field == &AttentionLayout::headsPerPass ||
                 field == &AttentionLayout::segment;
    if (field == &AttentionLayout::tile || field == &AttentionLayout::record)
      continue;
    if (at.*field > most)
      return broken(name, Twine("more than the ") + (kv ? "kv" : "scratch") +
                              " buffer's " + Twine(most) + " bytes");
    if (!count && at.*field % kAlign != 0)
      return broken(name, "not a multiple of 64");
  }

  // rows: a divisor of the heads, within the instructions' `rows` and, for
  // multi-row vqk and vpv or mqk, vpq and mpv, the qpk rule (whole KV heads
  // or part of one).
  int64_t rows = at.headsPerPass;
  bool vectorRows = !int8 && !streamed && at.segment == 0;
  int64_t most = vectorRows ? kMaxVectorRows : kMaxAttentionRows;
  if (rows < 1 || heads % rows != 0 || rows > most)
    return broken("rows", Twine("not a divisor of the ") + Twine(heads) +
                              " heads, at most " + Twine(most));
  if ((int8 || vectorRows) && rows % c.qpk != 0 && c.qpk % rows != 0)
    return broken("rows", Twine("neither whole KV heads nor part of one (") +
                              Twine(c.qpk) + " query heads each)");

  // Segments of ranks where they apply.
  if (at.segment > 0 && (!byRank || int8 || streamed))
    return broken("segment", "not 0, though the attention "
                             + Twine(!byRank ? "has no RoPE tables by rank"
                                     : int8  ? "is integer"
                                             : "streams its cache"));
  if (at.segment % channels != 0)
    return broken("segment", Twine("not a multiple of the ") +
                                 Twine(channels) + " HBM channels");
  // The fields this form of the attention does not read are 0.
  SmallVector<int64_t AttentionLayout::*> zero;
  if (!int8)
    zero = {&AttentionLayout::queries, &AttentionLayout::queryScales,
            &AttentionLayout::weights, &AttentionLayout::weightScales,
            &AttentionLayout::bank};
  else if (streamed)
    zero = {&AttentionLayout::bank};
  if (!byRank)
    zero.push_back(&AttentionLayout::tablesAt);
  for (auto [name, field] : kFields)
    if (at.*field != 0 && llvm::is_contained(zero, field))
      return broken(name, "not 0, though this attention does not use it");
  if ((!int8 || streamed) && at.probsAt != at.scoresAt)
    return broken("probs", Twine("not 'scores' (") + Twine(at.scoresAt) +
                               "): the softmax is in place");

  // The kv buffer: the key and the value records a step holds.
  int64_t loaded = keysSeen(c, at.tile),
          records = streamed ? at.chunk + streamedSinks(c) + at.tile : loaded;
  Area kv[] = {{"keys", at.keysAt, records * c.record},
               {"values", at.valuesAt, records * c.record}};
  if (auto bad = checkAreas(kv, 0, kvBytes, "the kv buffer"))
    return bad;

  // The scratch buffer's upper half (the lower half stages the other ops'
  // data) up to `end`: the scores and the integer attention's operands.
  SmallVector<Area> areas;
  int64_t groups = c.headDim / c.group;
  if (!int8) {
    areas.push_back({"scores", at.scoresAt, rows * loaded * 4});
    // A segment's scores.
    if (at.segment > 0)
      areas.push_back({"segment", segmentScoresAt(at, c),
                       segmentRows(rows, c.qpk) * at.segment * 4});
    // When a prefill query's sinks are scored apart with several heads a
    // vqk, each run's rows of scores are staged past the scores before they
    // are copied into their rows (attendQuery).
    if (vectorRows && c.sink > 0 && at.tile > 1 && rows > 1) {
      int64_t stagedAt = segmentScoresAt(at, c), bytes = rows * loaded * 4;
      areas.push_back(
          {"rows", stagedAt, bytes,
           (Twine("the sinks' and window's staged scores (") + Twine(rows) +
            " rows x " + Twine(loaded) + " keys, fp32: " + Twine(bytes) +
            " bytes at segmentScoresAt " + Twine(stagedAt) + ")")
               .str(),
           "a larger 'end' or fewer 'rows' fits them"});
    }
  } else {
    areas.push_back({"queries", at.queries, at.tile * heads * c.headDim});
    areas.push_back({"query_scales", at.queryScales, at.tile * heads * 4});
    int64_t width = std::max({at.chunk, at.tile, streamedSinks(c)});
    SmallVector<int64_t, 2> banks = {0};
    if (!streamed)
      banks.push_back(at.bank);
    for (int64_t bank : banks) {
      areas.push_back({"scores", at.scoresAt + bank, rows * loaded * 4});
      if (!streamed)
        areas.push_back({"probs", at.probsAt + bank, rows * loaded * 4});
      areas.push_back({"weights", at.weights + bank,
                       rows * groups * (streamed ? width : loaded)});
      areas.push_back({"weight_scales", at.weightScales + bank,
                       rows * groups * 4});
    }
  }
  if (auto bad = checkAreas(areas, scrBytes / 2, at.scratchEnd,
                            "the scratch buffer's upper half up to 'end'"))
    return bad;
  // The RoPE tables by rank (cos, then sin) above `end`: whole, or a
  // segment's or run's and the query's rows of each.
  if (byRank) {
    int64_t areaRows = rankAreaRows(at, c, channels);
    int64_t tables = areaRows > 0 ? 2 * areaRows * rankRowBytes(op)
                                  : rankTableBytes(op);
    Area area[] = {{"tables", at.tablesAt, tables}};
    if (auto bad = checkAreas(area, at.scratchEnd, scrBytes,
                              "the scratch buffer above 'end'"))
      return bad;
  }
  return std::nullopt;
}

} // namespace

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
  // The code generator relies on the layout's offsets and counts: it is
  // taken if it keeps AttentionLayout.h's invariants for this op, cache and
  // config (whether or not accel-allocate-buffers would plan it).
  if (std::optional<Broken> bad = checkLayout(op, c, config, layout)) {
    int64_t value = 0;
    for (auto [name, field] : kFields)
      if (StringRef(name) == bad->field)
        value = layout.*field;
    return op.emitError(kAttentionLayoutAttr)
           << " of the " << step << " step: '" << bad->field << "' = "
           << value << ": " << bad->why;
  }
  return layout;
}
