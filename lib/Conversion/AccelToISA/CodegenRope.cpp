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
// and every layer reading the same tables reuses them.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"

#include <cstring>

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using namespace accel::lowering::detail;

LogicalResult Codegen::loadRankTables(CacheAttentionOp op,
                                      const AttentionLayout &layout) {
  Value cos = op.getRopeCos();
  if (!cos)
    return success();
  Value tables[2] = {cos, op.getRopeSin()};
  auto type = cast<RankedTensorType>(cos.getType());
  int64_t rows = type.getDimSize(0), rotary = type.getDimSize(1);
  int64_t rowBytes = rotary * 4, tableBytes = rankTableBytes(op) / 2;
  if (rowBytes % kAlign != 0)
    return op.emitError("the engine reads RoPE table rows of whole 64-byte "
                        "units; the rotary dimension ")
           << rotary << " is not a multiple of 16";
  // Loaded by an earlier layer (accel-allocate-buffers checked that they
  // fit above each layer's scores).
  if (cos == rankTables)
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
  rankTables = cos;
  return success();
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
