//===- CodegenAttentionInt8.cpp - the integer attention of a query --------===//
//
// With `int8_attention` (NUMERICS §6.5) one vqact before CodegenAttention's
// step 3 quantizes the heads of all the step's queries (one int8 group per
// head), and step 3 is, per query and group of heads (all of them when the
// scratch holds their scores), one multi-row mqk on the matrix unit,
// vsoftmax, vpq (the value scales folded into the probabilities, int8) and
// mpv on the matrix unit, a row per head (ISA §5.9); each reads a query's
// keys as the two runs (sinks, window) the fp32 form reads as two segments.
// A prefill tile's loop attends kQueriesPerPass queries a pass (between its
// barriers), software-pipelined: their groups alternate between two banks of
// scratch, a group's mqk emitted before the group before it takes its
// softmax.
//
// CodegenAttention.cpp lowers the rest of the layer (the records, the
// vqact, the loop over the tile's rows), sets each query's registers and
// chooses the queries a pass (kQueriesPerPass).
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using namespace accel::lowering::detail;

void Codegen::attendQueryInt8(CacheAttentionOp op, const CacheLayout &c,
                              const Home &q, const Home &out,
                              const AttentionLayout &at, bool split,
                              uint32_t scaleBits, int64_t queries,
                              llvm::function_ref<void(int64_t)> select) {
  int64_t heads = op.getNumHeads(), rows = at.headsPerPass;
  int64_t keysAt = at.keysAt, valuesAt = at.valuesAt;
  int64_t scr = static_cast<int64_t>(Buffer::Scr);
  // Each query's keys (and values) as two runs of records: the sinks from
  // record 0, then the window from kWindowAt; one run (all from kWindowAt)
  // when the sinks are not apart. (Scratch registers rotate: a count or an
  // address is made again rather than kept across a head.)
  auto count = [&]() {
    if (!split)
      return kWindowKeys;
    unsigned keys = program.scratch();
    alu(Opcode::Add, keys, kSinkKeys, kWindowKeys);
    return keys;
  };
  struct Runs {
    unsigned first, second;
  };
  auto runsAt = [&](int64_t base) {
    unsigned window = program.scratch();
    aluImm(Opcode::Addi, window, kWindowAt, base);
    return split ? Runs{program.constant(base), window} : Runs{window, 0};
  };
  auto operands = [&](isa::Instruction &i, int64_t dBuf, unsigned d,
                      unsigned a, unsigned s, Runs runs, int64_t kvHead) {
    unsigned n = count();
    intOperands(i, rows, dBuf, d, a, s, runs.first,
                split ? kSinkKeys : kWindowKeys, runs.second, n, kvHead);
  };
  // Work items: group g of query j, item w = j · (heads / rows) + g, in
  // scratch bank w mod 2. Item w + 1's scores are made before item w's
  // context, so the matrix unit's mqk overlaps the vector unit's vsoftmax
  // and vpq, and item w's mpv the vector unit's next vsoftmax. The
  // registers are set for one query at a time.
  int64_t perQuery = heads / rows, items = queries * perQuery;
  int64_t selected = -1;
  auto to = [&](int64_t j) {
    if (j != selected)
      select(j);
    selected = j;
  };
  auto bankOf = [&](int64_t w) { return (w % 2) * at.bank; };
  auto scores = [&](int64_t w) {
    int64_t h = w % perQuery * rows;
    to(w / perQuery);
    // Query t's int8 heads at kQueryAt / 4 from at.queries, its scales at
    // kQueryAt / D from at.queryScales (kQueryAt = t · heads · D · 4).
    unsigned query = program.scratch(), queryScales = program.scratch();
    aluImm(Opcode::Srli, query, kQueryAt, 2);
    aluImm(Opcode::Addi, query, query, at.queries + h * c.headDim);
    aluImm(Opcode::Divui, queryScales, kQueryAt, c.headDim);
    aluImm(Opcode::Addi, queryScales, queryScales, at.queryScales + 4 * h);
    isa::Instruction score = make(Opcode::Mqk);
    operands(score, scr, program.constant(at.scoresAt + bankOf(w)), query,
             queryScales, runsAt(keysAt), h / c.qpk);
    score.set("scale", scaleBits);
    program.emit(score);
  };
  auto context = [&](int64_t w) {
    int64_t h = w % perQuery * rows, bank = bankOf(w);
    to(w / perQuery);
    unsigned probs = program.constant(at.probsAt + bank);
    unsigned bankScores = program.constant(at.scoresAt + bank);
    softmax(probs, bankScores, count(), rows);

    unsigned weights = program.constant(at.weights + bank),
             weightScales = program.constant(at.weightScales + bank);
    Runs values = runsAt(valuesAt);
    isa::Instruction fold = make(Opcode::Vpq);
    operands(fold, scr, weights, probs, weightScales, values, h / c.qpk);
    program.emit(fold);

    unsigned output = program.scratch();
    aluImm(Opcode::Addi, output, kQueryAt, out.offset + h * c.headDim * 4);
    isa::Instruction product = make(Opcode::Mpv);
    operands(product, static_cast<int64_t>(Buffer::Act), output, weights,
             weightScales, values, h / c.qpk);
    program.emit(product);
  };
  scores(0);
  for (int64_t w = 0; w < items; ++w) {
    if (w + 1 < items)
      scores(w + 1);
    context(w);
  }
}
