//===- GoldenIntAttention.cpp - the integer attention of NUMERICS §6.5 ----===//
//
// The golden model's int8 attention: the cache's rows as the §5 write
// stores them (integers, fp16 scales, zero points), the query and the
// scale-weighted probabilities quantized to int8 by §4 step 1, exact
// integer sums, and every fp32 step in the order §6.5 states. Compiled with
// -ffp-contract=off.
//
//===----------------------------------------------------------------------===//

#include "accel/Reference/Golden.h"

#include "llvm/ADT/Twine.h"

using namespace accel::reference;
using namespace accel::reference::golden;

QuantizedRows golden::quantizeRows(llvm::ArrayRef<float> rows,
                                   const KVQuant &kv, int64_t headDim) {
  QuantizedRows out;
  out.group = kv.group > 0 ? kv.group : headDim;
  int64_t size = rows.size(), groups = size / out.group;
  out.q.resize(size);
  out.scales.resize(groups);
  out.zeros.resize(groups);
  for (int64_t g = 0; g < groups; ++g) {
    GroupParams params = quantizeGroup(
        rows.slice(g * out.group, out.group), kv.bits, kv.symmetric,
        llvm::MutableArrayRef<int32_t>(out.q).slice(g * out.group, out.group));
    out.scales[g] = params.scale;
    out.zeros[g] = params.zeroPoint;
  }
  return out;
}

llvm::Error golden::attendRowInt8(llvm::ArrayRef<float> q,
                                  const QuantizedRows &keys,
                                  const QuantizedRows &values,
                                  llvm::ArrayRef<int64_t> offsets, float scale,
                                  llvm::MutableArrayRef<float> out) {
  int64_t d = q.size(), n = offsets.size();
  if (n > 65536)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "int8 attention: a query sees " + llvm::Twine(n) +
            " keys, more than the 65536 its int32 sums allow");
  if (n == 0) {
    std::fill(out.begin(), out.end(), 0.0f);
    return llvm::Error::success();
  }
  // 1. The query, one int8 group.
  std::vector<int32_t> q8(d);
  float sq = 0.0f;
  quantizeActivation(q, 0, 8, q8, llvm::MutableArrayRef<float>(sq));
  // 2. Scores: exact group sums, scaled and summed in ascending group.
  int64_t kg = keys.group;
  std::vector<float> p(n);
  for (int64_t j = 0; j < n; ++j) {
    int64_t base = offsets[j];
    float t = 0.0f;
    for (int64_t g = 0; g < d / kg; ++g) {
      int64_t at = base + g * kg, group = at / kg;
      int32_t acc = groupDot(llvm::ArrayRef<int32_t>(q8).slice(g * kg, kg),
                             llvm::ArrayRef<int32_t>(keys.q).slice(at, kg),
                             keys.zeros[group]);
      float product = static_cast<float>(acc) * keys.scales[group];
      t = g == 0 ? product : t + product;
    }
    p[j] = (t * sq) * scale;
  }
  // 3. Softmax.
  softmaxRow(p);
  // 4-6. Per value group: the weights, their int8 form, the exact sums.
  int64_t vg = values.group;
  std::vector<float> w(n);
  std::vector<int32_t> w8(n);
  for (int64_t g = 0; g < d / vg; ++g) {
    for (int64_t j = 0; j < n; ++j)
      w[j] = p[j] * values.scales[(offsets[j] + g * vg) / vg];
    float sw = 0.0f;
    quantizeActivation(w, 0, 8, w8, llvm::MutableArrayRef<float>(sw));
    for (int64_t e = g * vg; e < (g + 1) * vg; ++e) {
      // |c| < 2^31 (the bound above); int64 keeps it defined regardless.
      int64_t c = 0;
      for (int64_t j = 0; j < n; ++j) {
        int64_t at = offsets[j] + e;
        c += int64_t(w8[j]) *
             (int64_t(values.q[at]) - values.zeros[at / vg]);
      }
      out[e] = static_cast<float>(static_cast<int32_t>(c)) * sw;
    }
  }
  return llvm::Error::success();
}
