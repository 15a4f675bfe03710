//===- GoldenAttention.cpp - the golden model's attention ops -------------===//
//
// accel.attention, band_attention and cache_attention as the golden model
// runs them: AttentionLayout (AttentionLayout.cpp) says which key rows each
// query sees, golden::attendRows computes NUMERICS §5–§6 on them (with the
// rank-indexed RoPE of the positioned forms). kv_cache_write only moves
// rows and is shared with the fp32 mode. Compiled with -ffp-contract=off.
//
//===----------------------------------------------------------------------===//

#include "accel/Reference/Golden.h"

#include "Kernels.h"

#include "accel/Dialect/Accel/AccelOps.h"

#include <cmath>

using namespace accel::reference;
using namespace accel::reference::detail;
namespace golden = accel::reference::golden;

/// The rows of `parts` ([B, n_i, E] each) concatenated along dimension 1.
static std::vector<float> concatRows(llvm::ArrayRef<const Tensor *> parts,
                                     int64_t batch) {
  std::vector<float> rows;
  for (int64_t b = 0; b < batch; ++b)
    for (const Tensor *part : parts) {
      int64_t size = part->getDim(1) * part->getDim(2);
      llvm::ArrayRef<float> values = part->getFloats().slice(b * size, size);
      rows.insert(rows.end(), values.begin(), values.end());
    }
  return rows;
}

Results detail::runGoldenAttentionOp(mlir::Operation *op,
                                     const AccelOperands &operands) {
  if (llvm::isa<accel::KVCacheWriteOp>(op))
    return runKVCacheWrite(op, operands);
  llvm::Expected<AttentionLayout> layout =
      attentionLayout(op, operands, [](const Tensor *t) {
        return requireF32(t, "every operand");
      });
  if (!layout)
    return layout.takeError();
  const AttentionLayout &l = *layout;
  golden::AttendConfig c;
  c.batch = l.batch, c.queries = l.queries, c.rows = l.rows;
  c.heads = l.heads, c.kvHeads = l.kvHeads, c.headDim = l.headDim;
  // §6: the attribute, or 1 / sqrt(f32(D)).
  c.scale =
      l.scale ? *l.scale : 1.0f / std::sqrt(static_cast<float>(l.headDim));
  if (accel::QuantAttr kv = l.kvQuant) {
    int64_t group = kv.getEffectiveGroupSize(l.headDim);
    if (group <= 0 || l.headDim % group != 0)
      return fail("KV group " + llvm::Twine(group) +
                  " does not divide the head dim " + llvm::Twine(l.headDim));
    c.kvQuant = golden::KVQuant{kv.getBits(), group, kv.getSymmetric()};
  }
  c.int8 = op->hasAttr("int8_attention");
  if (l.ropeCos)
    c.rope = golden::RankRope{l.ropeCos->getFloats(), l.ropeSin->getFloats(),
                              l.ropeCos->getDim(1), l.interleaved};
  llvm::Expected<std::vector<float>> out = golden::attendRows(
      c, l.query->getFloats(), concatRows(l.keyParts, l.batch),
      concatRows(l.valueParts, l.batch),
      [&](int64_t t, llvm::SmallVectorImpl<int64_t> &rows) {
        return l.visibleRows(t, rows);
      });
  if (!out)
    return out.takeError();
  Tensor result(DType::F32, l.query->getShape());
  std::copy(out->begin(), out->end(), result.getFloats().begin());
  return single(std::move(result));
}
