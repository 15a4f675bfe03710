//===- AccelAttention.cpp - the fp32 executor's attention ops -------------===//
//
// accel.attention, band_attention and cache_attention with float keys and
// values: AttentionLayout (AttentionLayout.cpp) says which key rows each
// query sees, attendRow below computes softmax(q·k × scale)·v over them in
// double, the positioned forms' `rope(...)` rotating keys and query by rank
// first. Each result element is rounded once to the query's type. A
// quantized KV cache (kv_quant) is the golden model's.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "accel/Dialect/Accel/AccelOps.h"

#include <cmath>
#include <limits>

using namespace accel::reference;
using namespace accel::reference::detail;

/// The rows of `parts` ([B, n_i, E] each) concatenated along dimension 1,
/// as doubles.
static std::vector<double> concatRows(llvm::ArrayRef<const Tensor *> parts,
                                      int64_t batch) {
  std::vector<double> rows;
  for (int64_t b = 0; b < batch; ++b)
    for (const Tensor *part : parts) {
      int64_t size = part->getDim(1) * part->getDim(2);
      for (int64_t i = 0; i < size; ++i)
        rows.push_back(part->getDouble(b * size + i));
    }
  return rows;
}

/// One query row over the key and value rows it sees (D values each):
/// softmax of the scaled dot products, then the weighted sum of the values,
/// accumulated in double; zeros when there is no key.
static void attendRow(llvm::ArrayRef<double> q,
                      llvm::ArrayRef<const double *> keys,
                      llvm::ArrayRef<const double *> values, double scale,
                      llvm::MutableArrayRef<double> out) {
  int64_t d = q.size(), n = keys.size();
  std::fill(out.begin(), out.end(), 0.0);
  if (n == 0)
    return;
  std::vector<double> weights(n);
  double maximum = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    double dot = 0.0;
    for (int64_t e = 0; e < d; ++e)
      dot += q[e] * keys[i][e];
    weights[i] = dot * scale;
    maximum = std::max(maximum, weights[i]);
  }
  double sum = 0.0;
  for (double &w : weights) {
    w = std::exp(w - maximum);
    sum += w;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t e = 0; e < d; ++e)
      out[e] += weights[i] * values[i][e];
  for (double &o : out)
    o /= sum;
}

/// Row `i` of a [P, R] RoPE table as doubles.
static void tableRow(const Tensor &table, int64_t i,
                     llvm::MutableArrayRef<double> row) {
  for (size_t j = 0; j < row.size(); ++j)
    row[j] = table.getDouble(i * row.size() + j);
}

Results detail::runAttentionOp(mlir::Operation *op,
                               const AccelOperands &operands) {
  llvm::Expected<AttentionLayout> layout =
      attentionLayout(op, operands, [](const Tensor *t) -> llvm::Error {
        if (t && !t->isFloat())
          return fail("every operand must be a float tensor, got " +
                      t->toString(0));
        return llvm::Error::success();
      });
  if (!layout)
    return layout.takeError();
  const AttentionLayout &l = *layout;
  if (l.kvQuant)
    return needsGoldenModel("a quantized KV cache (kv_quant)");
  int64_t d = l.headDim, kvWidth = l.kvHeads * d, qWidth = l.heads * d;
  int64_t perKv = l.heads / l.kvHeads;
  double scale = l.scale ? *l.scale : 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> keys = concatRows(l.keyParts, l.batch);
  std::vector<double> values = concatRows(l.valueParts, l.batch);
  int64_t rotary = l.ropeCos ? l.ropeCos->getDim(1) : 0;
  std::vector<double> cosRow(rotary), sinRow(rotary);
  std::vector<double> query(d), rotatedQuery(d), out(d), rotatedKeys;
  std::vector<const double *> k, v;
  llvm::SmallVector<int64_t> rows;
  Tensor result(l.query->getDType(), l.query->getShape());
  for (int64_t t = 0; t < l.queries; ++t) {
    if (llvm::Error error = l.visibleRows(t, rows))
      return std::move(error);
    int64_t n = rows.size();
    k.resize(n);
    v.resize(n);
    rotatedKeys.resize(n * d);
    for (int64_t b = 0; b < l.batch; ++b)
      for (int64_t kvHead = 0; kvHead < l.kvHeads; ++kvHead) {
        for (int64_t i = 0; i < n; ++i) {
          int64_t base = (b * l.rows + rows[i]) * kvWidth + kvHead * d;
          k[i] = keys.data() + base;
          v[i] = values.data() + base;
          if (!l.ropeCos)
            continue;
          // Positions within the cache: the i-th key seen takes row i.
          tableRow(*l.ropeCos, i, cosRow);
          tableRow(*l.ropeSin, i, sinRow);
          llvm::MutableArrayRef<double> rotated(&rotatedKeys[i * d], d);
          rotateRow(llvm::ArrayRef<double>(k[i], d), cosRow, sinRow,
                    l.interleaved, rotated);
          k[i] = rotated.data();
        }
        if (l.ropeCos && n > 0) {
          tableRow(*l.ropeCos, n - 1, cosRow);
          tableRow(*l.ropeSin, n - 1, sinRow);
        }
        for (int64_t h = kvHead * perKv; h < (kvHead + 1) * perKv; ++h) {
          int64_t at = (b * l.queries + t) * qWidth + h * d;
          for (int64_t e = 0; e < d; ++e)
            query[e] = l.query->getDouble(at + e);
          llvm::ArrayRef<double> q = query;
          if (l.ropeCos && n > 0) {
            rotateRow(query, cosRow, sinRow, l.interleaved, rotatedQuery);
            q = rotatedQuery;
          }
          attendRow(q, k, v, scale, out);
          for (int64_t e = 0; e < d; ++e)
            result.setDouble(at + e, out[e]);
        }
      }
  }
  return single(std::move(result));
}
