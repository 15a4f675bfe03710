//===- CodegenAttentionStream.cpp - attention over a streamed cache -------===//
//
// When the records a step's queries see do not fit the kv buffer they are
// streamed through it (AttentionLayout::chunk; CodegenAttention.cpp lowers
// the rest of the layer: the step's own records stay at record `chunk` of
// each half, with Λ at `chunk` + S after the S sinks, which it loads once
// for the step). For each query t of the tile (position p = r6 + t, n = p +
// 1 keys, with Λ min(p + 1, S + W)) and each pass over `rows` of its heads,
// over its runs of keys in NUMERICS §6.4's order (streamRuns):
//
// 1. with Λ its sinks' scores (min(S, p + 1) keys: the earlier sinks and
//    those among its own records); a runtime loop over the earlier
//    positions [0, r6) (with Λ its window's, [ws, r6), ws = max(S, p - W +
//    1), whose ring slots S + (j - S) mod W wrap at most once: a chunk ends
//    where the ring does, so its load is one run of slots, and the next
//    starts there; when S and W are multiples of the s records that share
//    a row of channels, a chunk loads from its row's start, the up to s - 1
//    records before it unused, so that no row's lead is moved one DMA per
//    record), a chunk of C records a pass: load the chunk's keys to
//    records 0 .. C - 1, and per head a vqk writes their scores into the
//    head's row of n scores in scratch, at the chunk's key (position j is
//    key j, with Λ key j - (ws - S) after the sinks); then the scores of
//    the query's own keys, the step's records 0 .. t (with Λ those of its
//    window, from max(ws, r6));
// 2. one vsoftmax over the pass's rows of n scores (in place);
// 3. the context rows set to -0.0, the additive identity, so that every
//    vpv continues the sum (acc=1) and the whole is the one sequential sum
//    of NUMERICS §6.4, bit for bit; the same runs' values: with Λ the
//    sinks', then a second loop over the chunks loads their values and
//    adds each chunk's terms, then the own records'.
//
// The heads are a runtime loop too (kHeadsUnrolled a pass), so the code
// does not grow with them (a 7B model's 32 heads x 32 layers would not fit
// the instruction memory unrolled).
//
// With int8_attention (NUMERICS §6.5 over ISA §5.9's chunks) one mqk per
// run scores all the pass's heads into their rows (pitch n); after the
// vsoftmax, one loop over the values' runs takes each group's weight scale
// as the max over all of them (vpq first over no keys, next per run, last
// over none), and a second one quantizes each run's weights by it and adds
// its exact int32 sums (vpq quant, mpv first over none, next per run, last
// with the own records: the fp32 context).
//
// A query reads the whole cache twice (fp32: keys, then values) or three
// times (integer: keys, values twice) per pass: a prefill tile's queries
// each read it. (The integer second values loop loads nothing when both
// take the whole window in one pass: its two halves still hold it.) The loops' bodies are fenced by barriers (accel-insert-
// tokens orders straight-line code). fp32's chunk loops take one chunk a
// pass (its head loops' barriers would serialise more anyway), so a
// chunk's load does not overlap the work on the one before. The integer
// ones (chunkLoop, pipelined) take two half-chunks of (C - 3) / 2 records a
// pass, 3 records apart in the chunk's room, and load one while the other
// is used; a chunk of fewer than 5 records is taken whole, one a pass.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using namespace accel::lowering::detail;

/// The heads one pass of a head loop takes (between its barriers).
constexpr int64_t kHeadsUnrolled = 4;
/// The chunks one pass of a pipelined chunk loop takes.
constexpr int64_t kChunksPerPass = 2;
/// The most records of a run before its first whole row of channels
/// (accel-place-hbm shares a row among at most 4 records).
constexpr int64_t kLeadRecords = 3;

void Codegen::windowShift(const CacheLayout &c, unsigned reg) {
  alu(Opcode::Add, reg, kPosition, kQuery);
  aluImm(Opcode::Addi, reg, reg, 1 - c.window - c.sink);
  aluImm(Opcode::Maxi, reg, reg, 0);
}

void Codegen::chunkLoop(
    const CacheLayout &c, int64_t chunk, bool pipelined, int64_t room,
    int64_t skip,
    llvm::function_ref<void(int64_t, unsigned, unsigned, unsigned)> load,
    llvm::function_ref<void(int64_t, unsigned)> use, bool again) {
  std::string loop = ("chunk_" + Twine(loops++) + "_of_" + step).str();
  // Pipelined, the halves are kLeadRecords apart: a run's lead (the
  // records before a row of channels, moveRecords) and the rest are
  // bounded apart, so accel-insert-tokens sees a half's load end before
  // the other half. A load of `size` records and up to `skip` before them
  // (from a row's start) takes size + skip records of its half, the
  // halves as far apart.
  int64_t gap = skip > 0 ? skip : kLeadRecords;
  pipelined &= (skip > 0 ? chunk / 2 - gap : (chunk - gap) / 2) >= 1;
  again &= pipelined;
  int64_t parts = pipelined ? kChunksPerPass : 1,
          size = !pipelined   ? chunk - skip
                 : skip > 0   ? chunk / 2 - gap
                              : (chunk - gap) / 2;
  int64_t sink = c.sink, window = c.window;
  program.emit(make(Opcode::Barrier));
  if (window > 0) {
    // With Λ, from the window's first position ws = S + shift, or r6 if
    // that is later (the query sees no earlier position of the window).
    windowShift(c, kChunkAt);
    aluImm(Opcode::Addi, kChunkAt, kChunkAt, sink);
    alu(Opcode::Minu, kChunkAt, kChunkAt, kPosition);
  } else {
    aluImm(Opcode::Addi, kChunkAt, 0, 0);
  }
  program.label(loop);
  if (pipelined) {
    // For accel-insert-tokens, which forgets them at a label: with them,
    // a load waits only for the use of the half it overwrites.
    program.emit(matrixRecords(c));
    attentionState.reset();
    setAttention(c);
  }
  // Part i: at most `size` positions from kChunkAt + i · size (kHead's
  // after part 0), in half i mod 2 of the room. Part 0 starts at or before
  // r6 (the loop runs while kChunkAt < r6, once when r6 = 0): its count is
  // not negative. With Λ a part also ends where the ring does (its slots
  // one run) and the next starts where it ends: kHead = kChunkAt + part
  // 0's count (kChunkKeys when part 1 is selected), never past r6; when
  // part 0 is used after that, its count is kHead - kChunkAt. A load from
  // a row's start (`skip`) takes the records before the part's first too.
  //
  // `again`: the loop before left kHead at its last pass's part 1. That is
  // this pass's part 1 (kChunkAt + part 0's count, or + size) only when
  // both take every part in their first pass: a later pass starts past the
  // part 1 before it, which is at least 1 record long (else the loop would
  // have ended). Then the halves hold this pass's parts, which its loads
  // take none of.
  static_assert(kChunksPerPass == 2, "a pass's parts are 0 and 1");
  auto partOne = [&](unsigned reg) {
    if (window > 0)
      alu(Opcode::Add, reg, kChunkAt, kChunkKeys);
    else
      aluImm(Opcode::Addi, reg, kChunkAt, size);
  };
  // 1 if this pass's part 1 is not the loop before's, else 0.
  auto other = [&] {
    unsigned next = program.scratch(), differs = program.scratch();
    partOne(next);
    alu(Opcode::Sub, differs, next, kHead);
    alu(Opcode::Sltu, differs, 0, differs);
    return differs;
  };
  auto select = [&](int64_t i, bool using_, auto &&body) {
    unsigned first = i == 0 ? kChunkAt : kHead, differs = 0;
    if (i > 0 && again && !using_)
      differs = other();
    if (i > 0)
      partOne(kHead);
    if (i == 0 && using_ && window > 0) {
      // (minui: a bound accel-insert-tokens sees.)
      alu(Opcode::Sub, kChunkKeys, kHead, kChunkAt);
      aluImm(Opcode::Minui, kChunkKeys, kChunkKeys, size);
      body(room, first, 0, kChunkKeys);
      return;
    }
    alu(Opcode::Sub, kChunkKeys, kPosition, first);
    if (i > 0 && window == 0)
      aluImm(Opcode::Maxi, kChunkKeys, kChunkKeys, 0);
    aluImm(Opcode::Minui, kChunkKeys, kChunkKeys, size);
    unsigned offset = 0;
    if (window > 0) {
      // W - (first - S) mod W slots to the ring's end.
      offset = program.scratch();
      aluImm(Opcode::Addi, offset, first, -sink);
      aluImm(Opcode::Remui, offset, offset, window);
      unsigned left = program.scratch();
      aluImm(Opcode::Addi, left, offset, -window);
      alu(Opcode::Sub, left, 0, left);
      alu(Opcode::Minu, kChunkKeys, kChunkKeys, left);
    }
    if (i == 0 && again && !using_)
      differs = other();
    unsigned count = kChunkKeys;
    if (differs) {
      count = program.scratch();
      alu(Opcode::Mul, count, differs, kChunkKeys);
    }
    body(room + (i % 2) * (size + gap) * c.record, first, offset, count);
  };
  auto used = [&](int64_t base, unsigned first, unsigned, unsigned) {
    use(base, first);
  };
  select(0, false, load);
  for (int64_t i = 0; i < parts; ++i) {
    if (i + 1 < parts)
      select(i + 1, false, load);
    if (pipelined)
      select(i, true, used);
    else
      use(room, kChunkAt);
  }
  program.emit(make(Opcode::Barrier));
  if (window > 0)
    alu(Opcode::Add, kChunkAt, parts > 1 ? kHead : kChunkAt, kChunkKeys);
  else
    aluImm(Opcode::Addi, kChunkAt, kChunkAt, parts * size);
  isa::Instruction repeat = make(Opcode::Bltu);
  repeat.set("rs1", kChunkAt);
  repeat.set("rs2", kPosition);
  program.emit(repeat, loop);
}

void Codegen::headLoop(int64_t rows, int64_t unroll,
                       llvm::function_ref<void(int64_t)> body) {
  std::string loop = ("heads_" + Twine(loops++) + "_of_" + step).str();
  program.emit(make(Opcode::Barrier));
  aluImm(Opcode::Addi, kHead, kPass, 0);
  program.label(loop);
  for (int64_t u = 0; u < unroll; ++u)
    body(u);
  program.emit(make(Opcode::Barrier));
  aluImm(Opcode::Addi, kHead, kHead, unroll);
  unsigned end = program.scratch();
  aluImm(Opcode::Addi, end, kPass, rows);
  isa::Instruction again = make(Opcode::Bltu);
  again.set("rs1", kHead);
  again.set("rs2", end);
  program.emit(again, loop);
}

void Codegen::passLoop(int64_t heads, int64_t rows,
                       llvm::function_ref<void()> body) {
  if (heads == rows) {
    aluImm(Opcode::Addi, kPass, 0, 0);
    body();
    return;
  }
  fencedLoop("pass", kPass, 0, rows, heads, body);
}

void Codegen::fencedLoop(StringRef name, unsigned counter, int64_t first,
                         int64_t by, int64_t end,
                         llvm::function_ref<void()> body) {
  std::string loop = (name + "_" + Twine(loops++) + "_of_" + step).str();
  program.emit(make(Opcode::Barrier));
  aluImm(Opcode::Addi, counter, 0, first);
  program.label(loop);
  body();
  program.emit(make(Opcode::Barrier));
  aluImm(Opcode::Addi, counter, counter, by);
  isa::Instruction again = make(Opcode::Bltu);
  again.set("rs1", counter);
  again.set("rs2", program.constant(end));
  program.emit(again, loop);
}

void Codegen::streamRuns(const CacheLayout &c, const AttentionLayout &at,
                         bool values, bool pipelined,
                         llvm::function_ref<void(const StreamRun &)> body,
                         bool again) {
  const StripedRows &rows = values ? c.values : c.keys;
  int64_t base = values ? at.valuesAt : at.keysAt;
  int64_t own = at.chunk + streamedSinks(c), sink = c.sink;
  auto none = [] { return 0u; };
  // With Λ the query's min(S, p + 1) sinks, keys 0 ..: the min(S, r6)
  // earlier ones step 1 put right before the own records, then its own.
  if (c.window > 0 && sink > 0) {
    alu(Opcode::Add, kChunkKeys, kPosition, kQuery);
    aluImm(Opcode::Addi, kChunkKeys, kChunkKeys, 1);
    aluImm(Opcode::Minui, kChunkKeys, kChunkKeys, sink);
    auto records = [&] {
      unsigned reg = program.scratch(), end = program.scratch();
      aluImm(Opcode::Minui, reg, kPosition, sink);
      aluImm(Opcode::Muli, reg, reg, c.record);
      aluImm(Opcode::Addi, end, 0, base + own * c.record);
      alu(Opcode::Sub, reg, end, reg);
      return reg;
    };
    body({records, none, kChunkKeys, false});
  }
  // The chunks; with Λ position j of the window is key j - shift. When the
  // ring's rows of s records (recordsPerRow) start at multiples of s (S and
  // W are), a chunk from j loads from the row's start, (j - S) mod s records
  // earlier (none before S), so that no lead is moved (moveRecords).
  int64_t s = recordsPerRow(rows);
  int64_t skip = c.window > 0 && s > 1 && sink % s == 0 &&
                         c.window % s == 0 && at.chunk > s - 1
                     ? s - 1
                     : 0;
  auto skipped = [&](unsigned first) {
    unsigned reg = program.scratch();
    aluImm(Opcode::Addi, reg, first, -sink);
    aluImm(Opcode::Maxi, reg, reg, 0);
    aluImm(Opcode::Andi, reg, reg, s - 1);
    return reg;
  };
  chunkLoop(
      c, at.chunk, pipelined, base, skip,
      [&](int64_t half, unsigned first, unsigned offset, unsigned count) {
        // With Λ from slot S + offset, offset = (first - S) mod W.
        unsigned slot = c.window > 0 ? offset : first;
        int64_t slotImm = c.window > 0 ? sink : 0;
        if (skip > 0) {
          unsigned before = skipped(first), part = count;
          alu(Opcode::Sub, slot, slot, before);
          count = program.scratch();
          alu(Opcode::Add, count, part, before);
          // None of them either when the part is none (`again`): at most
          // s - 1 before it, part + s - 1 <= part · s.
          if (part != kChunkKeys) {
            unsigned most = program.scratch();
            aluImm(Opcode::Muli, most, part, s);
            alu(Opcode::Minu, count, count, most);
          }
        }
        moveRecords(Opcode::Load, rows, c, half, count, slot, slotImm, 0,
                    pipelined, skip > 0);
      },
      [&](int64_t half, unsigned first) {
        auto records = [&] {
          if (skip == 0)
            return program.constant(half);
          unsigned reg = skipped(first);
          aluImm(Opcode::Muli, reg, reg, c.record);
          aluImm(Opcode::Addi, reg, reg, half);
          return reg;
        };
        auto key = [&] {
          if (c.window == 0)
            return first;
          unsigned reg = program.scratch();
          windowShift(c, reg);
          alu(Opcode::Sub, reg, first, reg);
          return reg;
        };
        body({records, key, kChunkKeys, false});
      },
      again);
  // The query's own records: positions r6 .. p; with Λ those of its window,
  // from f = max(ws, r6) (kChunkAt), the sinks among them seen above.
  if (c.window == 0) {
    aluImm(Opcode::Addi, kChunkKeys, kQuery, 1);
    body({[&] { return program.constant(base + at.chunk * c.record); },
          [] { return kPosition; }, kChunkKeys, true});
    return;
  }
  windowShift(c, kChunkAt);
  aluImm(Opcode::Addi, kChunkAt, kChunkAt, sink);
  alu(Opcode::Max, kChunkAt, kChunkAt, kPosition);
  alu(Opcode::Add, kChunkKeys, kPosition, kQuery);
  aluImm(Opcode::Addi, kChunkKeys, kChunkKeys, 1);
  alu(Opcode::Sub, kChunkKeys, kChunkKeys, kChunkAt);
  aluImm(Opcode::Maxi, kChunkKeys, kChunkKeys, 0);
  aluImm(Opcode::Minui, kChunkKeys, kChunkKeys, tile);
  auto records = [&] {
    if (tile == 1)
      return program.constant(base + own * c.record);
    unsigned reg = program.scratch();
    alu(Opcode::Sub, reg, kChunkAt, kPosition);
    aluImm(Opcode::Minui, reg, reg, tile - 1);
    aluImm(Opcode::Muli, reg, reg, c.record);
    aluImm(Opcode::Addi, reg, reg, base + own * c.record);
    return reg;
  };
  auto key = [&] {
    unsigned reg = program.scratch();
    windowShift(c, reg);
    alu(Opcode::Sub, reg, kChunkAt, reg);
    return reg;
  };
  body({records, key, kChunkKeys, true});
}

void Codegen::streamKeys(const CacheLayout &c, const AttentionLayout &at,
                         int64_t rows, bool pipelined,
                         llvm::function_ref<void(const StreamRun &)> scores) {
  streamRuns(c, at, false, pipelined, scores);
  // The probabilities, in place.
  unsigned probs = program.constant(at.probsAt);
  softmax(probs, probs, kWindowKeys, rows);
}

void Codegen::attendQueryStream(CacheAttentionOp op, const CacheLayout &c,
                                const Home &q, const Home &out,
                                const AttentionLayout &at) {
  // n = p + 1 keys (Λ: min(p + 1, S + W)), p = r6 + t; query t's rows at
  // t · (heads · D · 4).
  aluImm(Opcode::Muli, kQueryAt, kQuery, q.bytes);
  alu(Opcode::Add, kWindowKeys, kPosition, kQuery);
  aluImm(Opcode::Addi, kWindowKeys, kWindowKeys, 1);
  if (c.window > 0)
    aluImm(Opcode::Minui, kWindowKeys, kWindowKeys, c.sink + c.window);
  if (op.getInt8Attention())
    attendQueryStreamInt8(op, c, q, out, at);
  else
    attendQueryStreamFloat(op, c, q, out, at);
  // kPass was the records' index base: the own records' index - r6 again.
  aluImm(Opcode::Addi, kLayerBase, 0, at.chunk + streamedSinks(c));
  alu(Opcode::Sub, kLayerBase, kLayerBase, kPosition);
}

void Codegen::attendQueryStreamFloat(CacheAttentionOp op,
                                     const CacheLayout &c, const Home &q,
                                     const Home &out,
                                     const AttentionLayout &at) {
  int64_t heads = op.getNumHeads(), perKv = heads / c.kvHeads;
  int64_t headBytes = c.headDim * 4, rows = at.headsPerPass;
  int64_t act = static_cast<int64_t>(Buffer::Act),
          scr = static_cast<int64_t>(Buffer::Scr);
  int64_t unroll = 1;
  while (unroll < kHeadsUnrolled && rows % (2 * unroll) == 0)
    unroll *= 2;
  passLoop(heads, rows, [&] {
    // Head h = kHead + u of the loop: its query or output row, its KV head
    // and the score (or probability) of key `key` (a register) in its row,
    // scoresAt + 4 · ((h - kPass) · n + key).
    auto headOf = [&](const Home &home, int64_t u) {
      unsigned reg = program.scratch();
      aluImm(Opcode::Muli, reg, kHead, headBytes);
      alu(Opcode::Add, reg, reg, kQueryAt);
      aluImm(Opcode::Addi, reg, reg, home.offset + u * headBytes);
      return reg;
    };
    auto kvHeadOf = [&](int64_t u) {
      unsigned reg = program.scratch();
      aluImm(Opcode::Addi, reg, kHead, u);
      aluImm(Opcode::Divui, reg, reg, perKv);
      return reg;
    };
    auto scoreOf = [&](int64_t u, unsigned key) {
      unsigned reg = program.scratch();
      alu(Opcode::Sub, reg, kHead, kPass);
      aluImm(Opcode::Addi, reg, reg, u);
      alu(Opcode::Mul, reg, reg, kWindowKeys);
      alu(Opcode::Add, reg, reg, key);
      aluImm(Opcode::Slli, reg, reg, 2);
      aluImm(Opcode::Addi, reg, reg, at.scoresAt);
      return reg;
    };
    // With RoPE by rank, each run's table rows first (CodegenRope.cpp).
    auto scores = [&](const StreamRun &run) {
      loadStreamedRanks(op, run);
      headLoop(rows, unroll, [&](int64_t u) {
        unsigned rank = streamedQueryRank(op);
        unsigned key = run.key(), first = streamedFirstRank(op, key);
        scoreOrContext(op, Opcode::Vqk, scr, scoreOf(u, key), act,
                       headOf(q, u), run.records(), run.count, 0, false, rank,
                       first, 1, kvHeadOf(u));
      });
    };

    // 1-2. Scores and probabilities.
    loadStreamedQueryRank(op);
    streamKeys(c, at, rows, false, scores);

    // 3. The context: -0.0, then every chunk's terms, then the own keys'.
    unsigned output = program.scratch();
    aluImm(Opcode::Muli, output, kPass, headBytes);
    alu(Opcode::Add, output, output, kQueryAt);
    aluImm(Opcode::Addi, output, output, out.offset);
    isa::Instruction zero = make(Opcode::Vfill);
    zero.set("dbuf", act);
    zero.set("rd", output);
    zero.set("nimm", rows * c.headDim);
    zero.set("f", 0x80000000u);
    program.emit(zero);
    streamRuns(c, at, true, false, [&](const StreamRun &run) {
      headLoop(rows, unroll, [&](int64_t u) {
        unsigned key = run.key();
        scoreOrContext(op, Opcode::Vpv, act, headOf(out, u), scr,
                       scoreOf(u, key), run.records(), run.count, 0, true, 0,
                       0, 1, kvHeadOf(u));
      });
    });
  });
}

void Codegen::attendQueryStreamInt8(CacheAttentionOp op, const CacheLayout &c,
                                    const Home &q, const Home &out,
                                    const AttentionLayout &at) {
  int64_t heads = op.getNumHeads(), rows = at.headsPerPass;
  int64_t scr = static_cast<int64_t>(Buffer::Scr);
  enum Part { Whole, First, Next, Last, Quant };
  passLoop(heads, rows, [&] {
    // One instruction of the pass's rows over `count` keys from the
    // records at `records` (one run); mqk's scores and vpq's probabilities
    // rows of n apart (pitch), from key `key` (a register) of the row.
    auto emit = [&](Opcode opcode, int64_t dBuf, unsigned d, unsigned a,
                    unsigned s, const StreamRun &keys, int64_t part) {
      isa::Instruction i = make(opcode);
      // One run: the second (none of the keys) at the first's records
      // too, so that accel-insert-tokens sees the one half they are in.
      unsigned run = keys.records(), count = keys.count;
      unsigned kvHead = program.scratch();
      aluImm(Opcode::Divui, kvHead, kPass, c.qpk);
      intOperands(i, rows, dBuf, d, a, s, run, count, run, count, 0, kvHead);
      if (opcode != Opcode::Mpv)
        i.set("rp", kWindowKeys);
      if (opcode == Opcode::Mqk)
        i.set("scale", scaleBits(op));
      else
        i.set("part", part);
      program.emit(i);
    };
    auto rowsAt = [&](int64_t base, unsigned key) {
      unsigned reg = program.scratch();
      aluImm(Opcode::Slli, reg, key, 2);
      aluImm(Opcode::Addi, reg, reg, base);
      return reg;
    };
    // Query t's int8 heads at kQueryAt / 4 from at.queries, its scales at
    // kQueryAt / D from at.queryScales (kQueryAt = t · heads · D · 4).
    auto scores = [&](const StreamRun &run) {
      unsigned query = program.scratch(), queryScales = program.scratch(),
               pass = program.scratch();
      aluImm(Opcode::Srli, query, kQueryAt, 2);
      aluImm(Opcode::Muli, pass, kPass, c.headDim);
      alu(Opcode::Add, query, query, pass);
      aluImm(Opcode::Addi, query, query, at.queries);
      aluImm(Opcode::Divui, queryScales, kQueryAt, c.headDim);
      aluImm(Opcode::Slli, pass, kPass, 2);
      alu(Opcode::Add, queryScales, queryScales, pass);
      aluImm(Opcode::Addi, queryScales, queryScales, at.queryScales);
      emit(Opcode::Mqk, scr, rowsAt(at.scoresAt, run.key()), query,
           queryScales, run, Whole);
    };
    auto maxPass = [&](const StreamRun &run, int64_t part) {
      emit(Opcode::Vpq, scr, program.constant(at.weights),
           rowsAt(at.probsAt, run.key()), program.constant(at.weightScales),
           run, part);
    };
    auto context = [&](const StreamRun &run, int64_t part) {
      if (part != First)
        emit(Opcode::Vpq, scr, program.constant(at.weights),
             rowsAt(at.probsAt, run.key()),
             program.constant(at.weightScales), run, Quant);
      unsigned output = program.scratch();
      aluImm(Opcode::Muli, output, kPass, c.headDim * 4);
      alu(Opcode::Add, output, output, kQueryAt);
      aluImm(Opcode::Addi, output, output, out.offset);
      emit(Opcode::Mpv, static_cast<int64_t>(Buffer::Act), output,
           program.constant(at.weights), program.constant(at.weightScales),
           run, part);
    };
    // No keys (vpq and mpv first and last around the runs).
    auto noRecords = [&] { return program.constant(at.valuesAt); };
    auto noKey = [] { return 0u; };
    StreamRun none{noRecords, noKey, 0, false};

    // 1-2. Scores (mqk) and probabilities.
    streamKeys(c, at, rows, true, scores);
    // 3. Each group's weight scale s_g: the max over every run's values
    // (vpq first and last over no keys around them).
    maxPass(none, First);
    streamRuns(c, at, true, true,
               [&](const StreamRun &run) { maxPass(run, Next); });
    maxPass(none, Last);
    // 4. The context: each run's int8 weights (vpq quant) and their exact
    // int32 sums (mpv), from 0 (first over no keys) to the own keys' (last,
    // the fp32 result).
    context(none, First);
    streamRuns(
        c, at, true, true,
        [&](const StreamRun &run) { context(run, run.own ? Last : Next); },
        /*again=*/true);
  });
}
