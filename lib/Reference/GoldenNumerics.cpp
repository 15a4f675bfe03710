//===- GoldenNumerics.cpp - the arithmetic of docs/NUMERICS.md ------------===//
//
// Every primitive of the golden model, on plain arrays. Each floating-point
// operation below is one IEEE binary32 operation rounded to nearest even:
// this file is compiled with -ffp-contract=off (lib/Reference/CMakeLists.txt)
// so that no product and sum fuse, and it never computes in double. Sums
// start from their first term, in the order NUMERICS.md states.
//
//===----------------------------------------------------------------------===//

#include "accel/Reference/Golden.h"

#include "llvm/ADT/APFloat.h"

#include <cassert>
#include <cmath>
#include <limits>

using namespace accel::reference;
using namespace accel::reference::golden;

//===----------------------------------------------------------------------===//
// Scalars
//===----------------------------------------------------------------------===//

float golden::rne(float x) { return std::nearbyint(x); }

/// clamp(v, lo, hi) = min(max(v, lo), hi) of an rne result, as an integer.
/// NaN (never produced by finite inputs) maps to 0.
static int32_t clampToInt(float v, float lo, float hi) {
  if (std::isnan(v))
    return 0;
  float c = std::min(std::max(v, lo), hi);
  return static_cast<int32_t>(c);
}

float golden::expA(float x) {
  if (std::isnan(x))
    return x;
  if (x < -87.0f)
    return 0.0f;
  if (x > 88.0f)
    return std::numeric_limits<float>::infinity();
  const float c0 = 1.0f, c1 = 0.693147182f, c2 = 0.240226507f,
              c3 = 0.0555041097f, c4 = 0.00961812865f, c5 = 0.00133335579f,
              c6 = 0.000154035297f;
  float t = x * 1.44269504f;
  float nf = rne(t);
  int n = static_cast<int>(nf);
  float f = t - nf;
  float p = c6 * f;
  p = p + c5;
  p = p * f;
  p = p + c4;
  p = p * f;
  p = p + c3;
  p = p * f;
  p = p + c2;
  p = p * f;
  p = p + c1;
  p = p * f;
  p = p + c0;
  return std::ldexp(p, n);
}

float golden::erfA(float v) {
  if (std::isnan(v))
    return v;
  if (v == 0.0f)
    return 0.0f;
  float a = std::fabs(v);
  float t = 1.0f / (1.0f + 0.3275911f * a);
  float poly = 1.061405429f * t;
  poly = poly - 1.453152027f;
  poly = poly * t;
  poly = poly + 1.421413741f;
  poly = poly * t;
  poly = poly - 0.284496736f;
  poly = poly * t;
  poly = poly + 0.254829592f;
  poly = poly * t;
  float e = expA((-v) * v);
  float r = 1.0f - poly * e;
  return v < 0.0f ? -r : r;
}

float golden::silu(float x) { return x / (1.0f + expA(-x)); }

float golden::geluTanh(float x) {
  float cube = (x * x) * x;
  float u = 0.797884583f * (x + 0.044715f * cube);
  float t = 1.0f - 2.0f / (expA(2.0f * u) + 1.0f);
  return (0.5f * x) * (1.0f + t);
}

float golden::geluErf(float x) {
  return (0.5f * x) * (1.0f + erfA(x * 0.707106769f));
}

float golden::relu(float x) { return x < 0.0f ? 0.0f : x; }

int64_t golden::greedyToken(llvm::ArrayRef<float> logits) {
  int64_t best = -1;
  for (int64_t i = 0, e = logits.size(); i < e; ++i) {
    if (std::isnan(logits[i]))
      continue;
    if (best < 0 || logits[i] > logits[best])
      best = i;
  }
  return best < 0 ? 0 : best;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

GroupParams golden::groupParams(llvm::ArrayRef<float> values, unsigned bits,
                                bool symmetric) {
  const float minScale = 0x1p-24f, maxScale = 65504.0f;
  float s;
  float lo = 0.0f;
  if (symmetric) {
    float P = static_cast<float>((1 << (bits - 1)) - 1);
    float amax = 0.0f;
    for (float w : values)
      amax = std::max(amax, std::fabs(w));
    s = amax / P;
  } else {
    float hi = 0.0f;
    for (float w : values) {
      lo = std::min(lo, w);
      hi = std::max(hi, w);
    }
    s = (hi - lo) / static_cast<float>((1 << bits) - 1);
  }
  if (s == 0.0f)
    s = 1.0f;
  GroupParams params;
  params.scale = roundToF16(std::min(std::max(s, minScale), maxScale));
  if (!symmetric)
    params.zeroPoint = clampToInt(rne(-lo / params.scale), 0.0f,
                                  static_cast<float>((1 << bits) - 1));
  return params;
}

int32_t golden::quantizeValue(float w, GroupParams params, unsigned bits,
                              bool symmetric) {
  float r = rne(w / params.scale);
  if (symmetric) {
    float P = static_cast<float>((1 << (bits - 1)) - 1);
    return clampToInt(r, -P, P);
  }
  if (std::isnan(r))
    return 0;
  // rne(w / S) + z as an exact integer sum (in double, exact for every fp32
  // integer plus a small one), then the clamp.
  double sum = static_cast<double>(r) + params.zeroPoint;
  return static_cast<int32_t>(
      std::min(std::max(sum, 0.0), double((1 << bits) - 1)));
}

GroupParams golden::quantizeGroup(llvm::ArrayRef<float> values, unsigned bits,
                                  bool symmetric,
                                  llvm::MutableArrayRef<int32_t> q) {
  assert(q.size() == values.size());
  GroupParams params = groupParams(values, bits, symmetric);
  for (size_t i = 0; i < values.size(); ++i)
    q[i] = quantizeValue(values[i], params, bits, symmetric);
  return params;
}

void golden::fakeQuantizeRow(llvm::MutableArrayRef<float> values,
                             int64_t group, unsigned bits, bool symmetric) {
  int64_t size = values.size();
  if (group <= 0)
    group = size;
  std::vector<int32_t> q(group);
  for (int64_t start = 0; start + group <= size; start += group) {
    llvm::MutableArrayRef<float> slice = values.slice(start, group);
    GroupParams params = quantizeGroup(slice, bits, symmetric, q);
    for (int64_t i = 0; i < group; ++i)
      slice[i] = params.scale * static_cast<float>(q[i] - params.zeroPoint);
  }
}

void golden::quantizeActivation(llvm::ArrayRef<float> x, int64_t group,
                                unsigned bits,
                                llvm::MutableArrayRef<int32_t> q,
                                llvm::MutableArrayRef<float> scales) {
  int64_t size = x.size();
  if (group <= 0)
    group = size;
  float P = static_cast<float>((1 << (bits - 1)) - 1);
  for (int64_t g = 0; g * group < size; ++g) {
    int64_t start = g * group;
    float a = 0.0f;
    for (int64_t k = start; k < start + group; ++k)
      a = std::max(a, std::fabs(x[k]));
    float s = a / P;
    if (s == 0.0f)
      s = 1.0f;
    scales[g] = s;
    for (int64_t k = start; k < start + group; ++k)
      q[k] = clampToInt(rne(x[k] / s), -P, P);
  }
}

//===----------------------------------------------------------------------===//
// Linear layers
//===----------------------------------------------------------------------===//

int32_t golden::groupDot(llvm::ArrayRef<int32_t> x, llvm::ArrayRef<int32_t> w,
                         int32_t zero) {
  assert(x.size() == w.size());
  // NUMERICS §4 bounds the sum below 2^31; int64 keeps an out-of-spec input
  // from being undefined behaviour, and the result wraps like int32.
  int64_t acc = 0;
  for (size_t i = 0; i < x.size(); ++i)
    acc += static_cast<int64_t>(x[i]) * (static_cast<int64_t>(w[i]) - zero);
  return static_cast<int32_t>(static_cast<uint32_t>(acc));
}

void golden::linearQuantizedRow(llvm::ArrayRef<int32_t> qx,
                                llvm::ArrayRef<float> sx, int64_t actGroup,
                                const QuantizedWeight &w, const float *bias,
                                llvm::MutableArrayRef<float> y) {
  int64_t k = w.cols, g = w.group, groups = g ? k / g : 0;
  if (actGroup <= 0)
    actGroup = k;
  for (int64_t n = 0; n < w.rows; ++n) {
    llvm::ArrayRef<int32_t> row(w.q.data() + n * k, k);
    float value = 0.0f;
    if (actGroup >= k) {
      // Step 3: t = Σ_g f32(acc) × f32(S), then × s_x.
      float t = 0.0f;
      for (int64_t gi = 0; gi < groups; ++gi) {
        int32_t acc = groupDot(qx.slice(gi * g, g), row.slice(gi * g, g),
                               w.zeros[n * groups + gi]);
        float term = static_cast<float>(acc) * w.scales[n * groups + gi];
        t = gi == 0 ? term : t + term;
      }
      value = t * sx[0];
    } else {
      // Blocks: activation group ∩ weight group, ascending k.
      bool first = true;
      for (int64_t start = 0; start < k;) {
        int64_t wg = start / g, ag = start / actGroup;
        int64_t end = std::min((wg + 1) * g, (ag + 1) * actGroup);
        int32_t acc = groupDot(qx.slice(start, end - start),
                               row.slice(start, end - start),
                               w.zeros[n * groups + wg]);
        float term = static_cast<float>(acc) * w.scales[n * groups + wg];
        term = term * sx[ag];
        value = first ? term : value + term;
        first = false;
        start = end;
      }
    }
    if (bias)
      value = value + bias[n];
    y[n] = value;
  }
}

void golden::linearFloatRow(llvm::ArrayRef<float> x, int64_t rows,
                            llvm::function_ref<float(int64_t, int64_t)> weight,
                            const float *bias, llvm::MutableArrayRef<float> y) {
  int64_t k = x.size();
  for (int64_t n = 0; n < rows; ++n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < k; ++i) {
      float product = x[i] * weight(n, i);
      sum = i == 0 ? product : sum + product;
    }
    if (bias)
      sum = sum + bias[n];
    y[n] = sum;
  }
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

void golden::rmsNormRow(llvm::ArrayRef<float> x, llvm::ArrayRef<float> weight,
                        float epsilon, llvm::MutableArrayRef<float> y) {
  int64_t h = x.size();
  float ss = 0.0f;
  for (int64_t k = 0; k < h; ++k) {
    float sq = x[k] * x[k];
    ss = k == 0 ? sq : ss + sq;
  }
  float ms = ss / static_cast<float>(h);
  float r = 1.0f / std::sqrt(ms + epsilon);
  for (int64_t k = 0; k < h; ++k)
    y[k] = (x[k] * r) * weight[k];
}

void golden::layerNormRow(llvm::ArrayRef<float> x, llvm::ArrayRef<float> weight,
                          llvm::ArrayRef<float> bias, float epsilon,
                          llvm::MutableArrayRef<float> y) {
  int64_t h = x.size();
  float sum = 0.0f;
  for (int64_t k = 0; k < h; ++k)
    sum = k == 0 ? x[k] : sum + x[k];
  float mean = sum / static_cast<float>(h);
  std::vector<float> d(h);
  float ss = 0.0f;
  for (int64_t k = 0; k < h; ++k) {
    d[k] = x[k] - mean;
    float sq = d[k] * d[k];
    ss = k == 0 ? sq : ss + sq;
  }
  float v = ss / static_cast<float>(h);
  float r = 1.0f / std::sqrt(v + epsilon);
  for (int64_t k = 0; k < h; ++k) {
    float value = (d[k] * r) * weight[k];
    if (!bias.empty())
      value = value + bias[k];
    y[k] = value;
  }
}

//===----------------------------------------------------------------------===//
// RoPE
//===----------------------------------------------------------------------===//

void golden::ropeRow(llvm::ArrayRef<float> x, llvm::ArrayRef<float> cos,
                     llvm::ArrayRef<float> sin, bool interleaved,
                     llvm::MutableArrayRef<float> y) {
  int64_t d = x.size(), r = cos.size();
  for (int64_t j = 0; j < d; ++j) {
    if (j >= r) {
      y[j] = x[j];
      continue;
    }
    float rotated;
    if (interleaved)
      rotated = j % 2 == 0 ? -x[j + 1] : x[j - 1];
    else
      rotated = j < r / 2 ? -x[j + r / 2] : x[j - r / 2];
    float a = x[j] * cos[j];
    float b = rotated * sin[j];
    y[j] = a + b;
  }
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

void golden::softmaxRow(llvm::MutableArrayRef<float> p) {
  int64_t n = p.size();
  float m = p[0];
  for (int64_t i = 1; i < n; ++i)
    m = std::max(m, p[i]);
  float z = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    p[i] = expA(p[i] - m);
    z = i == 0 ? p[i] : z + p[i];
  }
  for (int64_t i = 0; i < n; ++i)
    p[i] = p[i] / z;
}

void golden::attendRow(llvm::ArrayRef<float> q,
                       llvm::ArrayRef<const float *> keys,
                       llvm::ArrayRef<const float *> values, float scale,
                       llvm::MutableArrayRef<float> out) {
  int64_t d = q.size(), n = keys.size();
  if (n == 0) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  std::vector<float> p(n);
  for (int64_t i = 0; i < n; ++i) {
    float dot = 0.0f;
    for (int64_t e = 0; e < d; ++e) {
      float product = q[e] * keys[i][e];
      dot = e == 0 ? product : dot + product;
    }
    p[i] = dot * scale;
  }
  softmaxRow(p);
  for (int64_t e = 0; e < d; ++e) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      float product = p[i] * values[i][e];
      sum = i == 0 ? product : sum + product;
    }
    out[e] = sum;
  }
}

llvm::Expected<std::vector<float>>
golden::attendRows(const AttendConfig &c, llvm::ArrayRef<float> query,
                   llvm::ArrayRef<float> keysIn, llvm::ArrayRef<float> valuesIn,
                   VisibleRows visible) {
  int64_t d = c.headDim;
  int64_t kvWidth = c.kvHeads * d, qWidth = c.heads * d;
  std::vector<float> keys(keysIn.begin(), keysIn.end());
  std::vector<float> values(valuesIn.begin(), valuesIn.end());
  if (c.int8 && (!c.kvQuant || c.rope))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "int8 attention needs a quantized KV cache and no rank RoPE");
  QuantizedRows keysInt, valuesInt;
  if (c.int8) {
    keysInt = quantizeRows(keys, *c.kvQuant, d);
    valuesInt = quantizeRows(values, *c.kvQuant, d);
  } else if (c.kvQuant) {
    // §5: every row (one token, one KV head) is quantized when written and
    // dequantized when read.
    int64_t group = c.kvQuant->group > 0 ? c.kvQuant->group : d;
    for (std::vector<float> *cache : {&keys, &values})
      for (int64_t row = 0; row < c.batch * c.rows * c.kvHeads; ++row)
        fakeQuantizeRow(llvm::MutableArrayRef<float>(*cache).slice(row * d, d),
                        group, c.kvQuant->bits, c.kvQuant->symmetric);
  }
  auto tableRow = [&](llvm::ArrayRef<float> table, int64_t i) {
    return table.slice(i * c.rope->rotary, c.rope->rotary);
  };
  std::vector<float> out(c.batch * c.queries * qWidth, 0.0f);
  int64_t perKv = c.heads / c.kvHeads;
  llvm::SmallVector<int64_t> rows;
  std::vector<const float *> k, v;
  std::vector<int64_t> offsets;
  std::vector<float> rotatedKeys, rotatedQuery(d);
  for (int64_t t = 0; t < c.queries; ++t) {
    if (llvm::Error error = visible(t, rows))
      return std::move(error);
    int64_t n = rows.size();
    if (c.rope && n * c.rope->rotary > static_cast<int64_t>(c.rope->cos.size()))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "query " + std::to_string(t) + " sees " + std::to_string(n) +
              " keys, more than the RoPE tables have rows");
    k.resize(n);
    v.resize(n);
    offsets.resize(n);
    rotatedKeys.resize(n * d);
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t kvHead = 0; kvHead < c.kvHeads; ++kvHead) {
        for (int64_t i = 0; i < n; ++i) {
          int64_t base = (b * c.rows + rows[i]) * kvWidth + kvHead * d;
          offsets[i] = base;
          k[i] = keys.data() + base;
          v[i] = values.data() + base;
          if (!c.rope)
            continue;
          llvm::MutableArrayRef<float> rotated(&rotatedKeys[i * d], d);
          ropeRow(llvm::ArrayRef<float>(k[i], d), tableRow(c.rope->cos, i),
                  tableRow(c.rope->sin, i), c.rope->interleaved, rotated);
          k[i] = rotated.data();
        }
        for (int64_t h = kvHead * perKv; h < (kvHead + 1) * perKv; ++h) {
          int64_t at = (b * c.queries + t) * qWidth + h * d;
          llvm::ArrayRef<float> q = query.slice(at, d);
          if (c.rope && n > 0) {
            ropeRow(q, tableRow(c.rope->cos, n - 1),
                    tableRow(c.rope->sin, n - 1), c.rope->interleaved,
                    rotatedQuery);
            q = rotatedQuery;
          }
          llvm::MutableArrayRef<float> o =
              llvm::MutableArrayRef<float>(out).slice(at, d);
          if (!c.int8) {
            attendRow(q, k, v, c.scale, o);
            continue;
          }
          if (llvm::Error error =
                  attendRowInt8(q, keysInt, valuesInt, offsets, c.scale, o))
            return std::move(error);
        }
      }
  }
  return out;
}
