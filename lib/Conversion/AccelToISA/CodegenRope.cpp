//===- CodegenRope.cpp - RoPE by rank within the cache --------------------===//
//
// rope-positions=cache (docs/NUMERICS.md §6, "Positions within the cache"):
// the keys are cached unrotated, and every query rotates the keys it sees
// by their rank and itself by the last rank. The engine does it inside
// `vqk` (rope=1, ISA §5.7): the query by table row R[rp], key j by row
// R[rk] + j, the rows of the tables `vrset` points the vector unit at.
//
// The tables ([P, R] fp32, P >= S + W ranks) sit in the weights region with
// row i on channel (c0 + i) mod C (accel-place-hbm), so one `load` over
// every channel brings the rows 0 .. min(r6 + rows, S + W) - 1 a step's
// queries rotate by to the top of the scratch buffer; a step loads them once
// and the layers reading the same tables reuse them (loaded again after an
// attention whose part of the scratch buffer reached them).
//
// When they do not fit there (the attention layout's `segment`), each
// query takes its keys' ranks 0 .. n - 1 in segments of `segment` ranks, a
// multiple of C, so that a segment's rows start on channel c0 and one load
// per table brings them:
//
// 1. the query's row n - 1 to row `segment` of each table's area, loaded
//    with the rows before it from its multiple of C (into the segment's
//    rows, which each segment loads again);
// 2. per pass of `rows` heads, a runtime loop over the segments: load their
//    rows to rows 0 .., then a runtime loop over the groups of segmentRows
//    heads: one multi-row vqk (rank rows from 0, the query's `segment`;
//    each key rotated once for the heads of its KV head) into the
//    segment's scores and a vcopy of each head's into its row of n scores
//    (a prefill query whose sinks are scored apart: a vqk and a vcopy for
//    each of its two runs of records);
// 3. one vsoftmax of the pass's rows and vpv as attendQuery's, a loop over
//    the groups (split: over the heads).
//
// A streamed cache (CodegenAttentionStream.cpp) takes a query's keys in runs
// (its sinks, each chunk, its own records) whose first ranks are not
// multiples of C: per query the query's row as in 1. (to the areas' last
// row, rankAreaRows), and before each run's vqk its ranks' rows, loaded
// from their multiple of C to row 0, the run's first at row r mod C.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include <cstring>

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using namespace accel::lowering::detail;

LogicalResult Codegen::loadRankTables(CacheAttentionOp op,
                                      const CacheLayout &c,
                                      const AttentionLayout &layout) {
  // An attention whose part of the scratch buffer reaches the tables an
  // earlier layer loaded (one without tables by rank, or with them
  // elsewhere: each layout is checked alone) overwrites them.
  if (layout.scratchEnd > rankTables.at)
    rankTables.cos = nullptr;
  Value cos = op.getRopeCos();
  if (!cos)
    return success();
  Value tables[2] = {cos, op.getRopeSin()};
  auto type = cast<RankedTensorType>(cos.getType());
  int64_t rows = type.getDimSize(0), rotary = type.getDimSize(1);
  int64_t areaRows = rankAreaRows(layout, c, hbmChannels());
  int64_t rowBytes = rotary * 4,
          tableBytes = areaRows > 0 ? areaRows * rowBytes
                                    : rankTableBytes(op) / 2;
  if (rowBytes % kAlign != 0)
    return op.emitError("the engine reads RoPE table rows of whole 64-byte "
                        "units; the rotary dimension ")
           << rotary << " is not a multiple of 16";
  // Loaded by an earlier layer and not overwritten since, or its areas set
  // for segments or runs.
  if (cos == rankTables.cos && layout.tablesAt == rankTables.at &&
      areaRows == rankTables.areaRows)
    return success();
  int64_t at[2] = {layout.tablesAt, layout.tablesAt + tableBytes};
  LambdaAttr lambda = op.getLambdaAttr();
  int64_t ranks = lambda ? std::min(rows, lambda.getSpan()) : rows;
  for (int index = 0; index < 2; ++index) {
    Operation *holder = tables[index].getDefiningOp();
    FailureOr<HbmAttr> placed = placementOf(op, holder);
    if (failed(placed))
      return failure();
    if (placed->getChannels() != hbmChannels() ||
        placed->getStride() != rowBytes)
      return op.emitError("the HBM placement ")
             << *placed << " does not rotate RoPE table rows of " << rowBytes
             << " bytes over the " << hbmChannels() << " channels";
    // Row i goes to channel (c0 + i) mod C at offset + (i div C) · rowBytes.
    if (shared.rankTables.insert(holder).second) {
      FailureOr<std::vector<float>> values = constantFloats(op, tables[index]);
      if (failed(values))
        return failure();
      int64_t perChannel = (rows + hbmChannels() - 1) / hbmChannels();
      for (int64_t i = 0; i < std::min(rows, hbmChannels()); ++i) {
        std::vector<uint8_t> column(perChannel * rowBytes, 0);
        for (int64_t r = i, k = 0; r < rows; r += hbmChannels(), ++k)
          std::memcpy(column.data() + k * rowBytes,
                      values->data() + r * rotary, rowBytes);
        copyParams(column.data(), column.size(),
                   (placed->getChannel() + i) % hbmChannels(),
                   placed->getOffset());
      }
    }
    rankTables.places[index] = *placed;
    if (areaRows > 0)
      continue;
    // The ranks of this step's queries: 0 .. min(r6 + r11, S + W) - 1.
    unsigned count = program.scratch(), hbm = program.scratch();
    alu(Opcode::Add, count, kPosition, kRows);
    aluImm(Opcode::Minui, count, count, ranks);
    aluImm(Opcode::Addi, hbm, kWeights, placed->getOffset());
    dma(Opcode::Load, Buffer::Scr, at[index], hbm, placed->getChannel(),
        hbmChannels(), count, 0, rowBytes, rowBytes, rowBytes);
  }
  isa::Instruction set = make(Opcode::Vrset);
  set.set("bbuf", static_cast<int64_t>(Buffer::Scr));
  set.set("rb", program.constant(at[0]));
  set.set("cbuf", static_cast<int64_t>(Buffer::Scr));
  set.set("rc", program.constant(at[1]));
  set.set("rot", rotary);
  set.set("style", op.getRopeStyle() == RopeStyle::RotateHalf ? 0 : 1);
  program.emit(set);
  rankTables.cos = cos;
  rankTables.at = layout.tablesAt;
  rankTables.areaRows = areaRows;
  return success();
}

int64_t Codegen::rankArea(int index) const {
  return rankTables.at +
         index * rankTables.areaRows * rankTables.places[0].getStride();
}

void Codegen::loadRankRows(unsigned first, unsigned count, unsigned onChip) {
  // Rank r is row r div C of channel (c0 + r) mod C: from a multiple of C
  // the rows rotate over the channels from c0, as one load takes them. The
  // row's offset is the same in both tables.
  int64_t channels = hbmChannels(),
          rowBytes = rankTables.places[0].getStride();
  unsigned row = program.scratch();
  aluImm(Opcode::Divui, row, first, channels);
  aluImm(Opcode::Muli, row, row, rowBytes);
  alu(Opcode::Add, row, row, kWeights);
  for (int index = 0; index < 2; ++index) {
    HbmAttr placed = rankTables.places[index];
    unsigned hbm = program.scratch();
    aluImm(Opcode::Addi, hbm, row, placed.getOffset());
    dma(Opcode::Load, Buffer::Scr, rankArea(index) - rankArea(0), hbm,
        placed.getChannel(), channels, count, 0, rowBytes, rowBytes, rowBytes,
        onChip);
  }
}

void Codegen::loadQueryRankRows(unsigned rank) {
  // R[rank] mod C + 1 rows, the last (the query's) to the areas' last row,
  // the others into the rows before it, which each segment or run loads
  // again.
  int64_t rowBytes = rankTables.places[0].getStride(),
          last = (rankTables.areaRows - 1) * rowBytes;
  unsigned lead = program.scratch(), count = program.scratch(),
           onChip = program.scratch();
  aluImm(Opcode::Remui, lead, rank, hbmChannels());
  aluImm(Opcode::Addi, count, lead, 1);
  aluImm(Opcode::Muli, onChip, lead, -rowBytes);
  aluImm(Opcode::Addi, onChip, onChip, rankArea(0) + last);
  loadRankRows(rank, count, onChip);
}

void Codegen::loadStreamedQueryRank(CacheAttentionOp op) {
  if (op.getRopeCos())
    loadQueryRankRows(queryRank(op, false, program.scratch()));
}

void Codegen::loadStreamedRanks(CacheAttentionOp op, const StreamRun &run) {
  if (!op.getRopeCos())
    return;
  // Ranks from the run's first, R[first] mod C + count rows from their
  // multiple of C to row 0 of the areas.
  unsigned first = run.key(), rows = program.scratch();
  aluImm(Opcode::Remui, rows, first, hbmChannels());
  alu(Opcode::Add, rows, rows, run.count);
  loadRankRows(first, rows, program.constant(rankArea(0)));
}

unsigned Codegen::streamedQueryRank(CacheAttentionOp op) {
  if (!op.getRopeCos())
    return 0;
  unsigned reg = program.scratch();
  aluImm(Opcode::Addi, reg, 0, rankTables.areaRows - 1);
  return reg;
}

unsigned Codegen::streamedFirstRank(CacheAttentionOp op, unsigned key) {
  if (!op.getRopeCos())
    return key;
  unsigned reg = program.scratch();
  aluImm(Opcode::Remui, reg, key, hbmChannels());
  return reg;
}

void Codegen::attendQueryBySegments(CacheAttentionOp op, const CacheLayout &c,
                                    const Home &q, const Home &out,
                                    const AttentionLayout &at, bool split) {
  int64_t heads = op.getNumHeads(), perKv = heads / c.kvHeads;
  int64_t headBytes = c.headDim * 4, rows = at.headsPerPass;
  int64_t group = segmentRows(rows, c.qpk), ranks = at.segment;
  int64_t act = static_cast<int64_t>(Buffer::Act),
          scr = static_cast<int64_t>(Buffer::Scr);
  int64_t segmentScores = segmentScoresAt(at, c);
  // The segment's first rank, across its loop (the query's rank before);
  // the first head of a group, across the loops over a pass's groups (so
  // that the code does not grow with the heads): kQueryAt's register, this
  // form making the query's and the output's addresses from kQuery.
  constexpr unsigned kSegment = kQueryRank, kGroup = kQueryAt;
  // (Scratch registers rotate: a count or an address is made again rather
  // than kept across a group of heads.)
  auto keys = [&] {
    if (!split)
      return kWindowKeys;
    unsigned n = program.scratch();
    alu(Opcode::Add, n, kSinkKeys, kWindowKeys);
    return n;
  };
  // The segment's count: min(segment, n - R[kSegment]).
  auto count = [&] {
    unsigned n = keys(), left = program.scratch();
    alu(Opcode::Sub, left, n, kSegment);
    aluImm(Opcode::Minui, left, left, ranks);
    return left;
  };
  // Head kGroup's row of R[n] scores in a pass from head `first`, at score
  // R[`key`] (r0: 0), into a scratch register.
  auto rowAt = [&](int64_t first, unsigned n, unsigned key) {
    unsigned to = program.scratch(), before = program.scratch();
    unsigned head = kGroup;
    if (first > 0) {
      aluImm(Opcode::Addi, before, kGroup, -first);
      head = before;
    }
    alu(Opcode::Mul, before, head, n);
    if (key)
      alu(Opcode::Add, before, before, key);
    aluImm(Opcode::Slli, to, before, 2);
    aluImm(Opcode::Addi, to, to, at.scoresAt);
    return to;
  };
  // Head kGroup's row of `home` for query kQuery, and its KV head.
  auto headOf = [&](const Home &home) {
    unsigned reg = program.scratch(), head = program.scratch();
    aluImm(Opcode::Muli, reg, kQuery, q.bytes);
    aluImm(Opcode::Muli, head, kGroup, headBytes);
    alu(Opcode::Add, reg, reg, head);
    aluImm(Opcode::Addi, reg, reg, home.offset);
    return reg;
  };
  auto kvHeadOf = [&] {
    unsigned reg = program.scratch();
    aluImm(Opcode::Divui, reg, kGroup, perKv);
    return reg;
  };
  // A runtime loop of kGroup over the heads [first, first + rows) in steps
  // of `step`, fenced by barriers.
  auto groupLoop = [&](int64_t first, int64_t by,
                       llvm::function_ref<void()> body) {
    fencedLoop("groups", kGroup, first, by, first + rows, body);
  };

  // 1. The query's row, r = n - 1, to row `ranks`.
  loadQueryRankRows(queryRank(op, split, kQueryRank));

  for (int64_t first = 0; first < heads; first += rows) {
    // 2. The segments of this pass's heads: their table rows, then per
    // group of heads the scores.
    std::string loop = ("segment_" + Twine(loops++) + "_of_" + step).str();
    program.emit(make(Opcode::Barrier));
    aluImm(Opcode::Addi, kSegment, 0, 0);
    program.label(loop);
    unsigned rowCount = count();
    loadRankRows(kSegment, rowCount, program.constant(rankArea(0)));
    groupLoop(first, group, [&] {
      unsigned query = headOf(q), kvHead = kvHeadOf(),
               queryRow = program.constant(ranks),
               scores = program.constant(segmentScores);
      // The segment's keys as runs of records: one from kWindowAt; split,
      // the sinks' (ranks below kSinkKeys, from record R[kSegment]), then
      // the window's (from kWindowAt, area row `sinkCount`). A multi-row
      // vqk a run, its rows of scores one after another from `scores`.
      unsigned sinkCount = 0;
      if (split) {
        unsigned before = program.scratch(), records = program.scratch();
        sinkCount = count();
        alu(Opcode::Add, sinkCount, sinkCount, kSegment);
        alu(Opcode::Minu, sinkCount, sinkCount, kSinkKeys);
        alu(Opcode::Minu, before, kSegment, kSinkKeys);
        alu(Opcode::Sub, sinkCount, sinkCount, before);
        aluImm(Opcode::Muli, records, kSegment, c.record);
        aluImm(Opcode::Addi, records, records, at.keysAt);
        scoreOrContext(op, Opcode::Vqk, scr, scores, act, query, records,
                       sinkCount, 0, false, queryRow, 0, group, kvHead);
      }
      unsigned records = program.scratch(), dst = scores,
               windowCount = count();
      if (split) {
        alu(Opcode::Max, records, kSegment, kSinkKeys);
        alu(Opcode::Sub, records, records, kSinkKeys);
        aluImm(Opcode::Muli, records, records, c.record);
        alu(Opcode::Sub, windowCount, windowCount, sinkCount);
        dst = program.scratch();
        aluImm(Opcode::Muli, dst, sinkCount, 4 * group);
        alu(Opcode::Add, dst, dst, scores);
      } else {
        aluImm(Opcode::Muli, records, kSegment, c.record);
      }
      alu(Opcode::Add, records, records, kWindowAt);
      if (at.keysAt)
        aluImm(Opcode::Addi, records, records, at.keysAt);
      scoreOrContext(op, Opcode::Vqk, scr, dst, act, query, records,
                     windowCount, 0, false, queryRow, sinkCount, group,
                     kvHead);
      // Each head's `bytes` of each run into its row of n scores (`pitch`
      // bytes) at the segment's first rank, the runs one after another.
      struct Run {
        unsigned from, bytes;
      };
      SmallVector<Run, 2> runs;
      for (unsigned keyCount : split ? SmallVector<unsigned, 2>{sinkCount,
                                                                windowCount}
                                     : SmallVector<unsigned, 2>{windowCount}) {
        Run run{program.scratch(), program.scratch()};
        aluImm(Opcode::Muli, run.bytes, keyCount, 4);
        if (runs.empty()) {
          aluImm(Opcode::Addi, run.from, 0, segmentScores);
        } else {
          aluImm(Opcode::Muli, run.from, runs.back().bytes, group);
          alu(Opcode::Add, run.from, run.from, runs.back().from);
        }
        runs.push_back(run);
      }
      unsigned n = keys(), rest = program.scratch();
      unsigned to = rowAt(first, n, kSegment);
      aluImm(Opcode::Muli, rest, n, 4);
      for (const Run &run : ArrayRef<Run>(runs).drop_back())
        alu(Opcode::Sub, rest, rest, run.bytes);
      for (int64_t r = 0; r < group; ++r) {
        for (auto [i, run] : llvm::enumerate(runs)) {
          if (r > 0 || i > 0)
            alu(Opcode::Add, to, to, i > 0 ? runs[i - 1].bytes : rest);
          if (r > 0)
            alu(Opcode::Add, run.from, run.from, run.bytes);
          copyScores(to, run.from, run.bytes);
        }
      }
    });
    aluImm(Opcode::Addi, kSegment, kSegment, ranks);
    isa::Instruction again = make(Opcode::Bltu);
    again.set("rs1", kSegment);
    again.set("rs2", keys());
    program.emit(again, loop);

    // 3. The probabilities in place, and the context (a group of heads a
    // vpv; split, a head's sinks and then its window).
    unsigned probs = program.constant(at.scoresAt), n = keys();
    softmax(probs, probs, n, rows);
    groupLoop(first, split ? 1 : group, [&] {
      unsigned row = rowAt(first, keys(), 0), output = headOf(out),
               kvHead = kvHeadOf(), values = program.scratch();
      aluImm(Opcode::Addi, values, kWindowAt, at.valuesAt);
      if (!split) {
        scoreOrContext(op, Opcode::Vpv, act, output, scr, row, values,
                       kWindowKeys, 0, false, 0, 0, group, kvHead);
        return;
      }
      unsigned sinks = program.constant(at.valuesAt);
      scoreOrContext(op, Opcode::Vpv, act, output, scr, row, sinks,
                     kSinkKeys, 0, false, 0, 0, 1, kvHead);
      unsigned windowRow = program.scratch();
      aluImm(Opcode::Muli, windowRow, kSinkKeys, 4);
      alu(Opcode::Add, windowRow, windowRow, row);
      scoreOrContext(op, Opcode::Vpv, act, output, scr, windowRow, values,
                     kWindowKeys, 0, true, 0, 0, 1, kvHead);
    });
  }
}

unsigned Codegen::queryRank(CacheAttentionOp op, bool split, unsigned reg) {
  if (!op.getRopeCos())
    return 0;
  // The query sees n >= 1 keys (the sinks and the window, or one run): its
  // row is n - 1 (kept >= 0, so that accel-insert-tokens bounds the rows).
  if (split) {
    alu(Opcode::Add, reg, kSinkKeys, kWindowKeys);
    aluImm(Opcode::Addi, reg, reg, -1);
  } else {
    aluImm(Opcode::Addi, reg, kWindowKeys, -1);
  }
  aluImm(Opcode::Maxi, reg, reg, 0);
  return reg;
}

void Codegen::rotateByRank(CacheAttentionOp op, isa::Instruction &score,
                           unsigned firstRank, unsigned rank) {
  if (!op.getRopeCos())
    return;
  score.set("rope", 1);
  score.set("rp", rank);
  score.set("rk", firstRank);
}
