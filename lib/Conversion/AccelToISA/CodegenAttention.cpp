//===- CodegenAttention.cpp - the KV cache and attention of the step ------===//
//
// For each attention layer, the step (rows tokens at positions p0 = r6 ...):
//
// 1. loads from the cache the records of the earlier positions its queries
//    may see — the sinks (slots 0 .. min(S, p0) - 1) and the window before
//    p0 (up to W - 1 positions, one or two runs of the ring) — into the kv
//    buffer in ascending position;
// 2. quantizes its own keys and values into records right after them (the
//    buffer then holds one run of ascending positions after the sinks);
// 3. attends each query, in a loop over the rows when the step has more
//    than one, to the keys it sees, the layout's `rows` heads a pass
//    (AttentionLayout.h; ISA §5.7: a multi-row vqk dequantizes each key,
//    and rotates it by rank, once for the heads of its KV head). The decode
//    step's query (and a prefill query without sinks) sees one run of that
//    buffer, its window right after the sinks: one multi-row vqk, vsoftmax
//    and vpv a pass. A prefill query with sinks sees two runs, its sinks
//    from record 0 and its window where its position says, and scores
//    them apart: with several rows, one multi-row vqk per run writes its
//    rows of scores to the staging area at segmentScoresAt, a vcopy per
//    head and run moves them into that head's row of n scores, one
//    vsoftmax takes the rows, and vpv a head at a time (it has no row
//    pitch) takes the sinks' and then the window's values, the window's
//    continuing the sinks' sum; with one row, each run's vqk writes into
//    the row itself;
// 4. stores its own records into their slots (the ring wraps; of a tile
//    longer than the window only the last W positions are kept).
//
// Reading the cache before writing it lets a tile's queries see keys its
// own writes would overwrite in the ring.
//
// When the records a step's queries see do not fit the kv buffer
// (attentionLayout's chunk), step 1 loads none but Λ's sinks, the own
// records go after a chunk's room (and the sinks), and step 3 streams the
// cache (Λ: the window's positions) through that room for each query
// (CodegenAttentionStream.cpp).
//
// With `int8_attention` (NUMERICS §6.5) one vqact before step 3 quantizes
// the heads of all the step's queries, and step 3 runs on the matrix unit
// (CodegenAttentionInt8.cpp).
//
// In a program that would not fit the instruction memory, a step's
// attention (from its vaset) is a subroutine its layers call instead
// (callAttention): made with the caches at the step's first attention's
// HBM offsets, shared by the layers whose code is then the same, r2 moved
// by the layer's offset for the call. No barrier fences a call: the
// subroutine begins and ends, and each call is followed, by one
// instruction of each data unit that accesses nothing (tokenSlots), which
// carry the tokens accel-insert-tokens agrees for every call.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include <cstring>

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using namespace accel::lowering::detail;

namespace {

/// The queries of a tile one pass of the query loop attends with integer
/// attention, in one software-pipelined run of straight-line code between
/// the loop's barriers (the loop's code grows with them); 1 otherwise and
/// when the queries stream the cache.
constexpr int64_t kQueriesPerPass = 8;
int64_t queriesPerPass(CacheAttentionOp op, int64_t tile,
                       const AttentionLayout &at) {
  return op.getInt8Attention() && at.chunk == 0
             ? std::min(tile, kQueriesPerPass)
             : 1;
}

} // namespace

uint32_t accel::lowering::detail::scaleBits(CacheAttentionOp op) {
  float scale = op.getEffectiveScale();
  uint32_t bits;
  std::memcpy(&bits, &scale, 4);
  return bits;
}

FailureOr<CacheLayout *> Codegen::cacheOf(CacheAttentionOp attention) {
  Value key = attention.getKeyCache();
  auto found = shared.caches.find(key);
  if (found != shared.caches.end())
    return &found->second;
  FailureOr<CacheLayout> c = cacheFormat(attention);
  if (failed(c))
    return failure();
  // Placed and its record padded by accel-place-hbm.
  FailureOr<HbmAttr> keys = placementOf(attention, key.getDefiningOp());
  FailureOr<HbmAttr> values =
      placementOf(attention, attention.getValueCache().getDefiningOp());
  if (failed(keys) || failed(values))
    return failure();
  c->keys = stripedRows(*keys, c->slots);
  c->values = stripedRows(*values, c->slots);
  if (c->keys.rowBytes != c->values.rowBytes || c->keys.rowBytes < c->record)
    return attention.emitError("the HBM placements of the K and V caches "
                               "hold records of ")
           << c->keys.rowBytes << " and " << c->values.rowBytes
           << " bytes, not one record of at least " << c->record;
  c->record = c->keys.rowBytes;
  return &shared.caches.try_emplace(key, *c).first->second;
}

int64_t Codegen::recordsPerRow(const StripedRows &rows) {
  if (!shared.kvRecordsMost) {
    auto regions = decode->getParentOfType<ModuleOp>()
                       ->getAttrOfType<DictionaryAttr>(kRegionsAttr);
    auto most = regions ? regions.getAs<IntegerAttr>("kv_records_per_row")
                        : IntegerAttr();
    shared.kvRecordsMost = most ? most.getInt() : 1;
  }
  return kvRecordsPerRow(hbmChannels(), rows.channels, *shared.kvRecordsMost);
}

void Codegen::moveRecords(Opcode opcode, const StripedRows &rows,
                          const CacheLayout &c, int64_t base,
                          unsigned records, unsigned slot, int64_t slotImm,
                          unsigned index, bool bounded, bool aligned) {
  // s records share a row of s · n channels (kvRecordsPerRow, up to
  // accel-place-hbm's kv_records_per_row): record a's piece i on channel
  // c0 + (a mod s) · n + i at base + (a div s) · stripe.
  int64_t n = rows.channels, s = recordsPerRow(rows);
  // Registers the DMAs read when dispatched, reused for each.
  unsigned a = program.scratch(), lead = program.scratch(),
           count = program.scratch(), at = program.scratch(),
           hbm = program.scratch(), pieces = program.scratch(),
           onChip = program.scratch();
  // hbm: the row of record `first`.
  auto rowOf = [&](unsigned first) {
    aluImm(Opcode::Srli, hbm, first, llvm::Log2_64(s));
    aluImm(Opcode::Muli, hbm, hbm, rows.stripe);
    alu(Opcode::Add, hbm, hbm, kKv);
    aluImm(Opcode::Addi, hbm, hbm, rows.base);
  };
  // `records` records from channel group `group` of row hbm, over
  // `channels` channels, to record `at` on chip.
  auto move = [&](unsigned records, unsigned at, int64_t group,
                  int64_t channels) {
    aluImm(Opcode::Muli, pieces, records, n);
    aluImm(Opcode::Muli, onChip, at, c.record);
    dma(opcode, Buffer::Kv, base, hbm, rows.firstChannel + group * n,
        channels, pieces, 0, rows.stripe, rows.stripe, rows.stripe, onChip);
  };
  aluImm(Opcode::Addi, a, slot, slotImm);
  if (s > 1 && !aligned && (slot != 0 || slotImm % s != 0)) {
    // The lead: records a .. a + L - 1 before the next row, L = min((s - a
    // mod s) mod s, records), record a + t in channel group a mod s + t;
    // one DMA for each group g > 0 (of 1 record if t = g - a mod s < L).
    unsigned negative = count;
    aluImm(Opcode::Andi, negative, a, s - 1);
    alu(Opcode::Sub, negative, 0, negative);
    aluImm(Opcode::Andi, lead, negative, s - 1);
    alu(Opcode::Minu, lead, lead, records);
    rowOf(a);
    for (int64_t g = 1; g < s; ++g) {
      aluImm(Opcode::Addi, at, negative, g);
      alu(Opcode::Sltu, pieces, at, lead);
      aluImm(Opcode::Andi, at, at, s - 1);
      alu(Opcode::Add, at, at, index);
      move(pieces, at, g, n);
    }
    // The rest from the row after them.
    alu(Opcode::Add, a, a, lead);
    alu(Opcode::Sub, count, records, lead);
    if (bounded)
      alu(Opcode::Minu, count, count, records);
    alu(Opcode::Add, at, index, lead);
    records = count;
    index = at;
  }
  rowOf(a);
  move(records, index, 0, s * n);
}

void Codegen::scoreOrContext(CacheAttentionOp op, Opcode opcode,
                             int64_t dstBuf, unsigned dst, int64_t srcBuf,
                             unsigned src, unsigned records, unsigned count,
                             int64_t head, bool acc, unsigned rank,
                             unsigned firstRank, int64_t rows,
                             unsigned headReg) {
  isa::Instruction i = make(opcode);
  i.set("dbuf", dstBuf);
  i.set("rd", dst);
  i.set("abuf", srcBuf);
  i.set("ra", src);
  i.set("bbuf", static_cast<int64_t>(Buffer::Kv));
  i.set("rb", records);
  i.set("rn", count);
  i.set("rh", headReg);
  i.set("himm", head);
  if (opcode == Opcode::Vqk) {
    i.set("scale", scaleBits(op));
    rotateByRank(op, i, firstRank, rank);
  }
  if (acc)
    i.set("acc", 1);
  if (rows > 1)
    i.set("rows", rows);
  program.emit(i);
}

isa::Instruction Codegen::matrixRecords(const CacheLayout &c) {
  isa::Instruction records = make(Opcode::Maset);
  records.set("hd", c.headDim);
  records.set("kvh", c.kvHeads);
  records.set("kvg", c.group);
  records.set("kvfmt", c.format);
  records.set("kvbits", c.bits);
  if (c.qpk > 1)
    records.set("qpk", c.qpk);
  if (c.record != isa::kvRecordBytes(c.kvHeads, c.headDim, c.format, c.bits,
                                     c.group))
    records.set("recu", c.record / kAlign);
  return records;
}

void Codegen::intOperands(isa::Instruction &i, int64_t rows, int64_t dBuf,
                          unsigned d, unsigned a, unsigned s, unsigned first,
                          unsigned firstCount, unsigned second,
                          unsigned count, int64_t kvHead, unsigned headReg) {
  int64_t scr = static_cast<int64_t>(Buffer::Scr);
  i.set("rows", rows);
  i.set("dbuf", dBuf);
  i.set("rd", d);
  i.set("abuf", scr);
  i.set("ra", a);
  i.set("sbuf", scr);
  i.set("rs", s);
  i.set("bbuf", static_cast<int64_t>(Buffer::Kv));
  i.set("rb", first);
  i.set("rc", firstCount);
  i.set("rg", second);
  i.set("rn", count);
  i.set("rh", headReg);
  i.set("himm", kvHead);
}

void Codegen::softmax(unsigned probs, unsigned scores, unsigned count,
                      int64_t rows) {
  int64_t scr = static_cast<int64_t>(Buffer::Scr);
  isa::Instruction i = make(Opcode::Vsoftmax);
  i.set("dbuf", scr);
  i.set("rd", probs);
  i.set("abuf", scr);
  i.set("ra", scores);
  i.set("rn", count);
  i.set("rows", rows);
  program.emit(i);
}

void Codegen::copyScores(unsigned to, unsigned from, unsigned bytes) {
  int64_t scr = static_cast<int64_t>(Buffer::Scr);
  isa::Instruction copy = make(Opcode::Vcopy);
  copy.set("dbuf", scr);
  copy.set("rd", to);
  copy.set("abuf", scr);
  copy.set("ra", from);
  copy.set("rn", bytes);
  program.emit(copy);
}

void Codegen::attendQuery(CacheAttentionOp op, const CacheLayout &c,
                          const Home &q, const Home &out,
                          const AttentionLayout &at) {
  int64_t sink = c.sink, window = c.window;
  int64_t keysAt = at.keysAt, valuesAt = at.valuesAt;
  int64_t heads = op.getNumHeads(), perKv = heads / c.kvHeads;
  int64_t headBytes = c.headDim * 4;

  // The registers of query t = kQuery + j (the tile's last row when past
  // it, attended again to the same result): position p = r6 + t; the sinks
  // seen, min(p + 1, S), from record 0; the window seen, [ws, p] with
  // ws = max(S, p - W + 1), from record ws + layerBase. The decode step's
  // one query sees its sinks and then its window as one run from record 0:
  // one segment (a prefill query's window starts where its position says).
  // A pass of several queries bounds t by the tile too, so that
  // accel-insert-tokens sees one query's rows apart from another's.
  bool split = sink > 0 && tile > 1;
  int64_t queries = queriesPerPass(op, tile, at);
  auto select = [&](int64_t j) {
    unsigned t = kQuery;
    if (j > 0) {
      unsigned last = program.scratch();
      t = program.scratch();
      aluImm(Opcode::Addi, last, kRows, -1);
      aluImm(Opcode::Addi, t, kQuery, j);
      alu(Opcode::Minu, t, t, last);
    }
    if (queries > 1) {
      unsigned bounded = program.scratch();
      aluImm(Opcode::Minui, bounded, t, tile - 1);
      t = bounded;
    }
    unsigned p = program.scratch(), next = program.scratch(),
             first = program.scratch();
    alu(Opcode::Add, p, kPosition, t);
    aluImm(Opcode::Addi, next, p, 1);
    aluImm(Opcode::Muli, kQueryAt, t, q.bytes);
    if (window > 0) {
      aluImm(Opcode::Minui, kSinkKeys, next, sink);
      aluImm(Opcode::Addi, first, next, -window);
      aluImm(Opcode::Maxi, first, first, sink);
    } else {
      aluImm(Opcode::Addi, first, 0, 0);
    }
    alu(Opcode::Sub, kWindowKeys, next, first);
    aluImm(Opcode::Maxi, kWindowKeys, kWindowKeys, 0);
    // At most W (ws >= p - W + 1): a bound accel-insert-tokens can see, so
    // that one bank's scores and weights are apart from the other's.
    if (window > 0)
      aluImm(Opcode::Minui, kWindowKeys, kWindowKeys, window);
    alu(Opcode::Add, kWindowAt, first, kLayerBase);
    aluImm(Opcode::Muli, kWindowAt, kWindowAt, c.record);
    if (sink > 0 && !split) {
      alu(Opcode::Add, kWindowKeys, kSinkKeys, kWindowKeys);
      aluImm(Opcode::Addi, kWindowAt, 0, 0);
    }
  };
  if (op.getInt8Attention()) {
    attendQueryInt8(op, c, q, out, at, split, scaleBits(op), queries,
                    select);
    return;
  }
  select(0);
  if (at.segment > 0) {
    attendQueryBySegments(op, c, q, out, at, split);
    return;
  }
  unsigned rank = queryRank(op, split, kQueryRank);

  // A group of `rows` heads at a time: its rows of n scores at scoresAt,
  // the probabilities in place. (Scratch registers rotate: the address is
  // made again at each use.)
  int64_t act = static_cast<int64_t>(Buffer::Act),
          scr = static_cast<int64_t>(Buffer::Scr);
  int64_t rows = at.headsPerPass;
  auto scores = [&] { return program.constant(at.scoresAt); };
  // Split, one head: the window's scores (and probabilities) after the
  // sinks'.
  auto windowRow = [&] {
    unsigned row = program.scratch();
    aluImm(Opcode::Muli, row, kSinkKeys, 4);
    aluImm(Opcode::Addi, row, row, at.scoresAt);
    return row;
  };
  // Split, several heads: a multi-row vqk for each run (the sinks' from
  // record 0, the window's from kWindowAt) writes its rows of scores one
  // after another from segmentScoresAt, then a vcopy of each head's run
  // into its row of n scores.
  auto scoreRuns = [&](int64_t kvHead, unsigned query, unsigned keys) {
    unsigned sinkBytes = program.scratch(), windowBytes = program.scratch(),
             sinks = program.constant(segmentScoresAt(at, c)),
             window = program.scratch();
    aluImm(Opcode::Muli, sinkBytes, kSinkKeys, 4);
    aluImm(Opcode::Muli, windowBytes, kWindowKeys, 4);
    aluImm(Opcode::Muli, window, sinkBytes, rows);
    alu(Opcode::Add, window, window, sinks);
    scoreOrContext(op, Opcode::Vqk, scr, sinks, act, query,
                   program.constant(keysAt), kSinkKeys, kvHead, false, rank,
                   0, rows);
    scoreOrContext(op, Opcode::Vqk, scr, window, act, query, keys,
                   kWindowKeys, kvHead, false, rank, kSinkKeys, rows);
    unsigned to = scores();
    for (int64_t r = 0; r < rows; ++r) {
      if (r > 0) {
        alu(Opcode::Add, to, to, windowBytes);
        alu(Opcode::Add, sinks, sinks, sinkBytes);
        alu(Opcode::Add, window, window, windowBytes);
      }
      copyScores(to, sinks, sinkBytes);
      alu(Opcode::Add, to, to, sinkBytes);
      copyScores(to, window, windowBytes);
    }
  };
  for (int64_t h = 0; h < heads; h += rows) {
    int64_t kvHead = h / perKv;
    unsigned query = program.scratch();
    aluImm(Opcode::Addi, query, kQueryAt, q.offset + h * headBytes);
    unsigned keys = program.scratch();
    aluImm(Opcode::Addi, keys, kWindowAt, keysAt);
    unsigned count = kWindowKeys;
    if (split && rows > 1) {
      scoreRuns(kvHead, query, keys);
      count = program.scratch();
      alu(Opcode::Add, count, kSinkKeys, kWindowKeys);
    } else if (split) {
      scoreOrContext(op, Opcode::Vqk, scr, scores(), act, query,
                     program.constant(keysAt), kSinkKeys, kvHead, false,
                     rank);
      scoreOrContext(op, Opcode::Vqk, scr, windowRow(), act, query, keys,
                     kWindowKeys, kvHead, false, rank, kSinkKeys);
      count = program.scratch();
      alu(Opcode::Add, count, kSinkKeys, kWindowKeys);
    } else {
      scoreOrContext(op, Opcode::Vqk, scr, scores(), act, query, keys,
                     kWindowKeys, kvHead, false, rank, 0, rows);
    }
    unsigned inPlace = scores();
    softmax(inPlace, inPlace, count, rows);
    unsigned output = program.scratch();
    aluImm(Opcode::Addi, output, kQueryAt,
           out.offset + h * headBytes);
    unsigned values = program.scratch();
    aluImm(Opcode::Addi, values, kWindowAt, valuesAt);
    if (!split) {
      scoreOrContext(op, Opcode::Vpv, act, output, scr, scores(), values,
                     kWindowKeys, kvHead, false, rank, 0, rows);
      continue;
    }
    // Split: a head at a time (vpv has no row pitch), its sinks' sum
    // continued by its window's.
    unsigned row = scores(), sinks = program.constant(valuesAt),
             sinkBytes = program.scratch(), windowBytes = program.scratch(),
             windowRow = program.scratch();
    aluImm(Opcode::Muli, sinkBytes, kSinkKeys, 4);
    aluImm(Opcode::Muli, windowBytes, kWindowKeys, 4);
    for (int64_t r = 0; r < rows; ++r) {
      if (r > 0) {
        alu(Opcode::Add, row, windowRow, windowBytes);
        aluImm(Opcode::Addi, output, output, headBytes);
      }
      alu(Opcode::Add, windowRow, row, sinkBytes);
      int64_t head = (h + r) / perKv;
      scoreOrContext(op, Opcode::Vpv, act, output, scr, row, sinks,
                     kSinkKeys, head, false, rank);
      scoreOrContext(op, Opcode::Vpv, act, output, scr, windowRow, values,
                     kWindowKeys, head, true, rank);
    }
  }
}

LogicalResult Codegen::lowerAttention(CacheAttentionOp op) {
  FailureOr<CacheLayout *> layout = cacheOf(op);
  FailureOr<Home> q = homeOf(op.getQuery());
  if (failed(layout) || failed(q))
    return failure();
  const CacheLayout &c = **layout;
  auto keyWrite = op.getKeyCache().getDefiningOp<KVCacheWriteOp>();
  auto valueWrite = op.getValueCache().getDefiningOp<KVCacheWriteOp>();
  FailureOr<Home> newKeys = homeOf(keyWrite.getRows());
  FailureOr<Home> newValues = homeOf(valueWrite.getRows());
  if (failed(newKeys) || failed(newValues))
    return failure();
  if (q->bytes != int64_t(op.getNumHeads()) * c.headDim * 4)
    return op.emitError("internal: query rows of an unexpected width");
  if (c.qpk > 255)
    return op.emitError("the engine's attention state holds at most 255 "
                        "query heads per KV head, not ")
           << c.qpk;
  if (returnLabel.empty())
    setAttention(c);
  FailureOr<AttentionLayout> onChip =
      attentionLayoutOf(op, step, c, config, tile);
  if (failed(onChip))
    return failure();
  if (failed(loadRankTables(op, c, *onChip)))
    return failure();
  FailureOr<Home> out = define(op.getResult(), q->bytes);
  if (failed(out))
    return failure();
  if (!returnLabel.empty())
    callAttention(op, c, *q, *newKeys, *newValues, *out, *onChip);
  else
    emitAttention(op, c, *q, *newKeys, *newValues, *out, *onChip);
  return success();
}

namespace {
/// Whether two sections are the same code, their labels named alike or not.
bool sameCode(ArrayRef<Emitted> a, ArrayRef<Emitted> b) {
  if (a.size() != b.size())
    return false;
  llvm::StringMap<size_t> labelsA, labelsB;
  for (size_t n = 0; n < a.size(); ++n) {
    if (a[n].labels.size() != b[n].labels.size())
      return false;
    for (const std::string &label : a[n].labels)
      labelsA[label] = n;
    for (const std::string &label : b[n].labels)
      labelsB[label] = n;
  }
  // A target inside the section by its index, one outside by its name.
  auto targetOf = [](const llvm::StringMap<size_t> &labels,
                     const std::string &target) {
    auto found = labels.find(target);
    return found == labels.end() ? std::make_pair(size_t(0), target)
                                 : std::make_pair(found->second + 1,
                                                  std::string());
  };
  for (size_t n = 0; n < a.size(); ++n)
    if (!(a[n].instruction == b[n].instruction) ||
        targetOf(labelsA, a[n].target) != targetOf(labelsB, b[n].target))
      return false;
  return true;
}
} // namespace

void Codegen::callAttention(CacheAttentionOp op, const CacheLayout &c,
                            const Home &q, const Home &newKeys,
                            const Home &newValues, const Home &out,
                            const AttentionLayout &at) {
  if (!kvOrigin)
    kvOrigin = c.keys.base;
  int64_t shift = c.keys.base - *kvOrigin;
  CacheLayout local = c;
  local.keys.base -= shift;
  local.values.base -= shift;
  program.beginSection();
  tokenSlots(local);
  emitAttention(op, local, q, newKeys, newValues, out, at);
  tokenSlots(local);
  isa::Instruction ret = make(Opcode::Jr);
  ret.set("rs1", kLink);
  program.emit(ret);
  std::vector<Emitted> body = program.endSection();
  auto &subroutines = shared.subroutines;
  auto same = llvm::find_if(subroutines, [&](const auto &subroutine) {
    return sameCode(subroutine.code, body);
  });
  if (same == subroutines.end()) {
    std::string name =
        (step + "_attention_" + Twine(subroutines.size())).str();
    subroutines.push_back({name, std::move(body)});
    same = std::prev(subroutines.end());
  }
  if (shift)
    aluImm(Opcode::Addi, kKv, kKv, shift);
  isa::Instruction call = make(Opcode::Jal);
  call.set("rd", kLink);
  program.emit(call, same->name);
  tokenSlots(c);
  if (shift)
    aluImm(Opcode::Addi, kKv, kKv, -shift);
}

void Codegen::emitAttention(CacheAttentionOp op, const CacheLayout &c,
                            const Home &q, const Home &newKeys,
                            const Home &newValues, const Home &out,
                            const AttentionLayout &at) {
  const AttentionLayout *onChip = &at; // lowerAttention's name for it
  int64_t sink = c.sink, window = c.window;
  int64_t keysAt = onChip->keysAt, valuesAt = onChip->valuesAt;
  isa::Instruction records = matrixRecords(c);
  if (op.getInt8Attention())
    program.emit(records);

  // 1. The earlier positions: sinks s0 = min(S, p0) from slot 0, then the
  // window's w0 = p0 - max(S, p0 - W + 1) records from their ring slot (one
  // run to the ring's end, one from its start). Without Λ, every earlier
  // position from slot 0. When the queries stream them instead, none but
  // (with Λ) the sinks, right before the step's own records: s0 + w0, the
  // records before the step's own, is the chunk (and the S sinks' room).
  unsigned s0 = kSinkKeys, w0 = kWindowKeys, ring = kWindowAt,
           runA = kQuery, firstPast = program.scratch();
  if (onChip->chunk > 0) {
    aluImm(Opcode::Addi, s0, 0, 0);
    aluImm(Opcode::Addi, w0, 0, onChip->chunk + streamedSinks(c));
  } else if (window > 0) {
    aluImm(Opcode::Minui, s0, kPosition, sink);
    aluImm(Opcode::Addi, firstPast, kPosition, 1 - window);
    aluImm(Opcode::Maxi, firstPast, firstPast, sink);
    alu(Opcode::Sub, w0, kPosition, firstPast);
    aluImm(Opcode::Maxi, w0, w0, 0);
    aluImm(Opcode::Addi, ring, firstPast, -sink);
    aluImm(Opcode::Remui, ring, ring, window);
    aluImm(Opcode::Addi, ring, ring, sink);
    aluImm(Opcode::Addi, runA, ring, -(sink + window));
    alu(Opcode::Sub, runA, 0, runA);
    alu(Opcode::Minu, runA, runA, w0);
  } else {
    aluImm(Opcode::Addi, s0, 0, 0);
    aluImm(Opcode::Addi, w0, kPosition, 0);
  }
  for (auto [rows, base] :
       {std::pair<const StripedRows *, int64_t>{&c.keys, keysAt},
        {&c.values, valuesAt}}) {
    if (onChip->chunk > 0) {
      if (window > 0 && sink > 0) {
        unsigned sinks = program.scratch(), index = program.scratch();
        aluImm(Opcode::Minui, sinks, kPosition, sink);
        alu(Opcode::Sub, index, w0, sinks);
        moveRecords(Opcode::Load, *rows, c, base, sinks, 0, 0, index);
      }
      continue;
    }
    if (window > 0) {
      moveRecords(Opcode::Load, *rows, c, base, s0, 0, 0, 0);
      moveRecords(Opcode::Load, *rows, c, base, runA, ring, 0, s0);
      unsigned runB = program.scratch(), before = program.scratch();
      alu(Opcode::Sub, runB, w0, runA);
      alu(Opcode::Add, before, s0, runA);
      moveRecords(Opcode::Load, *rows, c, base, runB, 0, sink, before);
    } else {
      moveRecords(Opcode::Load, *rows, c, base, w0, 0, 0, 0);
    }
  }
  // The record index of position j >= S (streaming: j >= p0) is
  // j + layerBase.
  alu(Opcode::Add, kLayerBase, s0, w0);
  alu(Opcode::Sub, kLayerBase, kLayerBase, kPosition);

  // 2. The step's own records, after the earlier ones.
  for (auto [rows, base] :
       {std::pair<const Home *, int64_t>{&newKeys, keysAt},
        {&newValues, valuesAt}}) {
    unsigned at = program.scratch();
    alu(Opcode::Add, at, s0, w0);
    aluImm(Opcode::Muli, at, at, c.record);
    aluImm(Opcode::Addi, at, at, base);
    isa::Instruction quantize = make(Opcode::Vkvq);
    quantize.set("dbuf", static_cast<int64_t>(Buffer::Kv));
    quantize.set("rd", at);
    quantize.set("abuf", static_cast<int64_t>(Buffer::Act));
    quantize.set("ra", program.constant(rows->offset));
    quantize.set("rm", kRows);
    program.emit(quantize);
  }

  // NUMERICS §6.5 step 1 for integer attention: every query's heads, one
  // int8 group each (a row of heads × D per query with activation groups
  // of D), by one vqact of the step's rows.
  if (op.getInt8Attention()) {
    int64_t heads = op.getNumHeads();
    int64_t scr = static_cast<int64_t>(Buffer::Scr);
    isa::Instruction quantize = make(Opcode::Vqact);
    quantize.set("dbuf", scr);
    quantize.set("rd", program.constant(onChip->queries));
    quantize.set("abuf", static_cast<int64_t>(q.buffer));
    quantize.set("ra", program.constant(q.offset));
    quantize.set("bbuf", scr);
    quantize.set("rb", program.constant(onChip->queryScales));
    quantize.set("nimm", heads * c.headDim);
    if (tile > 1)
      quantize.set("rm", kRows);
    else
      quantize.set("mimm", 1);
    quantize.set("ga", c.headDim);
    quantize.set("bits", 8);
    program.emit(quantize);
  }

  // 3. Each query (a loop over the tile's rows, fenced by barriers, when
  // the step has more than one; a pass of the loop attends queriesPerPass
  // of them).
  std::string loop = ("query_" + Twine(loops++) + "_of_tile" + Twine(tile))
                         .str();
  if (tile > 1) {
    program.emit(make(Opcode::Barrier));
    aluImm(Opcode::Addi, kQuery, 0, 0);
    program.label(loop);
    // The record format again where the loop starts, for accel-insert-tokens
    // (which forgets it at a label): with it, the extents of mqk, vpq and
    // mpv are known and a pass's queries do not wait for one another.
    if (queriesPerPass(op, tile, *onChip) > 1)
      program.emit(records);
  } else {
    aluImm(Opcode::Addi, kQuery, 0, 0);
  }
  if (onChip->chunk > 0)
    attendQueryStream(op, c, q, out, *onChip);
  else
    attendQuery(op, c, q, out, *onChip);
  if (tile > 1) {
    program.emit(make(Opcode::Barrier));
    aluImm(Opcode::Addi, kQuery, kQuery,
           queriesPerPass(op, tile, *onChip));
    isa::Instruction again = make(Opcode::Bltu);
    again.set("rs1", kQuery);
    again.set("rs2", kRows);
    program.emit(again, loop);
  }

  // 4. The own records into their slots: positions below S keep their own
  // slots; the others go to the ring, the last W of them only.
  unsigned own = kLayerBase;
  alu(Opcode::Add, own, kLayerBase, kPosition); // record index of p0
  for (auto [rows, base] :
       {std::pair<const StripedRows *, int64_t>{&c.keys, keysAt},
        {&c.values, valuesAt}}) {
    if (window == 0) {
      moveRecords(Opcode::Store, *rows, c, base, kRows, kPosition, 0, own);
      continue;
    }
    unsigned end = kSinkKeys, count = kWindowKeys;
    alu(Opcode::Add, end, kPosition, kRows);
    aluImm(Opcode::Minui, count, end, sink);
    alu(Opcode::Sub, count, count, kPosition);
    aluImm(Opcode::Maxi, count, count, 0);
    moveRecords(Opcode::Store, *rows, c, base, count, kPosition, 0, own);
    // The ring part: positions [f, p0 + rows), f = max(S, p0, p0+rows-W).
    unsigned f = kWindowAt, runA2 = kQuery;
    aluImm(Opcode::Addi, f, end, -window);
    alu(Opcode::Max, f, f, kPosition);
    aluImm(Opcode::Maxi, f, f, sink);
    alu(Opcode::Sub, count, end, f);
    aluImm(Opcode::Maxi, count, count, 0);
    unsigned slot = program.scratch(), from = program.scratch();
    aluImm(Opcode::Addi, slot, f, -sink);
    aluImm(Opcode::Remui, slot, slot, window);
    aluImm(Opcode::Addi, slot, slot, sink);
    aluImm(Opcode::Addi, runA2, slot, -(sink + window));
    alu(Opcode::Sub, runA2, 0, runA2);
    alu(Opcode::Minu, runA2, runA2, count);
    alu(Opcode::Sub, from, f, kPosition);
    alu(Opcode::Add, from, from, own);
    moveRecords(Opcode::Store, *rows, c, base, runA2, slot, 0, from);
    unsigned runB = program.scratch(), fromB = program.scratch();
    alu(Opcode::Sub, runB, count, runA2);
    alu(Opcode::Sub, fromB, f, kPosition);
    alu(Opcode::Add, fromB, fromB, own);
    alu(Opcode::Add, fromB, fromB, runA2);
    moveRecords(Opcode::Store, *rows, c, base, runB, 0, sink, fromB);
  }
}
