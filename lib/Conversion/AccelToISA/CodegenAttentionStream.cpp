//===- CodegenAttentionStream.cpp - attention over a streamed cache -------===//
//
// Without Λ a layer's cache holds every earlier position, and when the
// records a step's queries see do not fit the kv buffer they are streamed
// through it (AttentionLayout::chunk; CodegenAttention.cpp lowers the rest of
// the layer: the step's own records stay at record `chunk` of each half).
// For each query t of the tile (position p = r6 + t, n = p + 1 keys) and
// each pass over `headsPerPass` of its heads:
//
// 1. a runtime loop over the earlier positions [0, r6), a chunk of C
//    records at a time: load the chunk's keys to records 0 .. C - 1, and
//    per head a vqk writes their scores into the head's row of n scores in
//    scratch, at the chunk's offset; then the scores of the query's own
//    keys, the step's records 0 .. t;
// 2. one vsoftmax over the pass's rows of n scores (in place);
// 3. the context rows set to -0.0, the additive identity, so that every
//    vpv continues the sum (acc=1) and the whole is the one sequential sum
//    of NUMERICS §6.4, bit for bit; a second loop over the chunks loads
//    their values and adds each chunk's terms, then the own records'.
//
// A query reads the whole cache twice (keys, then values) per pass: a
// prefill tile's queries read it once each. The loops' bodies are fenced
// by barriers (accel-insert-tokens orders straight-line code), so a
// chunk's load does not overlap the vector unit's work on the chunk before.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using namespace accel::lowering::detail;

void Codegen::chunkLoop(int64_t chunk, llvm::function_ref<void()> body) {
  std::string loop =
      ("chunk_" + Twine(loops++) + "_of_" + step).str();
  program.emit(make(Opcode::Barrier));
  aluImm(Opcode::Addi, kChunkAt, 0, 0);
  program.label(loop);
  alu(Opcode::Sub, kChunkKeys, kPosition, kChunkAt);
  aluImm(Opcode::Minui, kChunkKeys, kChunkKeys, chunk);
  body();
  program.emit(make(Opcode::Barrier));
  aluImm(Opcode::Addi, kChunkAt, kChunkAt, chunk);
  isa::Instruction again = make(Opcode::Bltu);
  again.set("rs1", kChunkAt);
  again.set("rs2", kPosition);
  program.emit(again, loop);
}

void Codegen::attendQueryStream(CacheAttentionOp op, const CacheLayout &c,
                                const Home &q, const Home &out,
                                const AttentionLayout &at) {
  int64_t heads = op.getNumHeads(), perKv = heads / c.kvHeads;
  int64_t headBytes = c.headDim * 4, rows = at.headsPerPass;
  int64_t act = static_cast<int64_t>(Buffer::Act),
          scr = static_cast<int64_t>(Buffer::Scr);
  int64_t ownKeys = at.keysAt + at.chunk * c.record,
          ownValues = at.valuesAt + at.chunk * c.record;
  // n = p + 1 keys, p = r6 + t; query t's rows at t · (heads · D · 4).
  aluImm(Opcode::Muli, kQueryAt, kQuery, q.bytes);
  alu(Opcode::Add, kWindowKeys, kPosition, kQuery);
  aluImm(Opcode::Addi, kWindowKeys, kWindowKeys, 1);
  for (int64_t first = 0; first < heads; first += rows) {
    // The score (or probability) of key `key` (a register) in the row of
    // head h: scoresAt + 4 · ((h - first) · n + key).
    auto scoreOf = [&](int64_t h, unsigned key) {
      unsigned at4 = program.scratch(), row = program.scratch();
      aluImm(Opcode::Muli, row, kWindowKeys, 4 * (h - first));
      aluImm(Opcode::Slli, at4, key, 2);
      alu(Opcode::Add, row, row, at4);
      aluImm(Opcode::Addi, row, row, at.scoresAt);
      return row;
    };
    auto headOf = [&](const Home &home, int64_t h) {
      unsigned reg = program.scratch();
      aluImm(Opcode::Addi, reg, kQueryAt, home.offset + h * headBytes);
      return reg;
    };
    auto ownCount = [&]() {
      unsigned count = program.scratch();
      aluImm(Opcode::Addi, count, kQuery, 1);
      return count;
    };

    // 1. Scores: the chunks', then the query's own keys (ranks from r6).
    chunkLoop(at.chunk, [&] {
      moveRecords(Opcode::Load, c.keys, c, at.keysAt, kChunkKeys, kChunkAt,
                  0, 0);
      for (int64_t h = first; h < first + rows; ++h)
        scoreOrContext(op, Opcode::Vqk, scr, scoreOf(h, kChunkAt), act,
                       headOf(q, h), program.constant(at.keysAt),
                       kChunkKeys, h / perKv, false, false, kChunkAt);
    });
    for (int64_t h = first; h < first + rows; ++h)
      scoreOrContext(op, Opcode::Vqk, scr, scoreOf(h, kPosition), act,
                     headOf(q, h), program.constant(ownKeys), ownCount(),
                     h / perKv, false, false, kPosition);

    // 2. The probabilities, in place.
    unsigned scores = program.constant(at.scoresAt);
    isa::Instruction softmax = make(Opcode::Vsoftmax);
    softmax.set("dbuf", scr);
    softmax.set("rd", scores);
    softmax.set("abuf", scr);
    softmax.set("ra", scores);
    softmax.set("rn", kWindowKeys);
    softmax.set("rows", rows);
    program.emit(softmax);

    // 3. The context: -0.0, then every chunk's terms, then the own keys'.
    isa::Instruction zero = make(Opcode::Vfill);
    zero.set("dbuf", act);
    zero.set("rd", headOf(out, first));
    zero.set("nimm", rows * c.headDim);
    zero.set("f", 0x80000000u);
    program.emit(zero);
    chunkLoop(at.chunk, [&] {
      moveRecords(Opcode::Load, c.values, c, at.valuesAt, kChunkKeys,
                  kChunkAt, 0, 0);
      for (int64_t h = first; h < first + rows; ++h)
        scoreOrContext(op, Opcode::Vpv, act, headOf(out, h), scr,
                       scoreOf(h, kChunkAt), program.constant(at.valuesAt),
                       kChunkKeys, h / perKv, true, false);
    });
    for (int64_t h = first; h < first + rows; ++h)
      scoreOrContext(op, Opcode::Vpv, act, headOf(out, h), scr,
                     scoreOf(h, kPosition), program.constant(ownValues),
                     ownCount(), h / perKv, true, false);
  }
}
