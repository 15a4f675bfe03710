//===- Kernels.cpp - the functional hot loops -----------------------------===//
//
// See Kernels.h. Values of 2, 4 or 8 bits starting on a byte are
// unpacked a byte at a time through a table; other widths and the pattern
// codes through a sequential bit reader. A sparse row is expanded by writing
// its kept values at their pattern's positions. The loops over a row's lanes
// (zero-point subtraction, dot products, the float rows) have no
// dependences the compiler cannot vectorise.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "accel/Sim/Numerics.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Compiler.h"
#include "llvm/Support/Endian.h"

#include <algorithm>

using namespace accel;
using namespace accel::sim;
using namespace accel::sim::detail;
using llvm::Twine;

namespace {

uint64_t align64(uint64_t x) { return (x + 63) / 64 * 64; }

/// The `length` bits from bit `bit` of a docs/FORMATS.md §1.1 bit stream,
/// as fields in order; no byte outside them is read.
class BitReader {
public:
  BitReader(const uint8_t *base, uint64_t bit, uint64_t length)
      : p(base + bit / 8), end(base + (bit + length + 7) / 8) {
    if (unsigned skip = unsigned(bit % 8)) {
      buffer = uint64_t(*p++) >> skip;
      have = 8 - skip;
    }
  }
  /// The next `width` (at most 32) bits.
  uint32_t read(unsigned width) {
    if (have < width)
      refill();
    uint32_t value = uint32_t(buffer & ((uint64_t(1) << width) - 1));
    buffer >>= width;
    have -= width;
    return value;
  }

private:
  /// At least 57 bits in the buffer, or every byte up to `end`.
  void refill() {
    if (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      word = llvm::support::endian::byte_swap(word, llvm::endianness::little);
      buffer |= word << have;
      unsigned bytes = (63 - have) / 8;
      p += bytes;
      have += 8 * bytes;
      return;
    }
    while (have <= 56 && p < end) {
      buffer |= uint64_t(*p++) << have;
      have += 8;
    }
  }

  const uint8_t *p, *end;
  uint64_t buffer = 0;
  unsigned have = 0;
};

/// A `bits`-wide field's value: unsigned, or two's complement when `sym`.
int16_t fieldValue(uint32_t raw, unsigned bits, bool sym) {
  if (sym && (raw >> (bits - 1) & 1))
    return int16_t(int32_t(raw) - (1 << bits));
  return int16_t(raw);
}

/// For 2 and 4 bits: the 8 / bits fields of every byte value, unsigned and
/// two's complement.
struct ByteTables {
  int16_t lanes[2][2][256][4];
  ByteTables() {
    for (unsigned w = 0; w < 2; ++w) {
      unsigned bits = 2u << w;
      for (unsigned sym = 0; sym < 2; ++sym)
        for (unsigned b = 0; b < 256; ++b)
          for (unsigned j = 0; j < 8 / bits; ++j)
            lanes[w][sym][b][j] = fieldValue(
                b >> (j * bits) & ((1u << bits) - 1), bits, sym);
    }
  }
};

} // namespace

void detail::unpackInts(const uint8_t *base, uint64_t bit, uint64_t count,
                        unsigned bits, bool sym, int16_t *out) {
  uint64_t done = 0;
  if (bit % 8 == 0) {
    const uint8_t *p = base + bit / 8;
    if (bits == 8) {
      for (uint64_t k = 0; k < count; ++k)
        out[k] = sym ? int16_t(int8_t(p[k])) : int16_t(p[k]);
      return;
    }
    if (bits == 2 || bits == 4) {
      static const ByteTables tables;
      unsigned per = 8 / bits;
      const int16_t(*lut)[4] = tables.lanes[bits / 4][sym];
      uint64_t bytes = count / per;
      for (uint64_t b = 0; b < bytes; ++b)
        std::copy_n(lut[p[b]], per, out + b * per);
      done = bytes * per;
    }
  }
  BitReader reader(base, bit + done * bits, (count - done) * bits);
  for (uint64_t k = done; k < count; ++k)
    out[k] = fieldValue(reader.read(bits), bits, sym);
}

namespace {

LLVM_ATTRIBUTE_NOINLINE llvm::Error badCode(const MatrixConfig &c,
                                            uint64_t i, uint32_t grp,
                                            uint32_t code) {
  return fault("row " + Twine(i) + ", group " + Twine(grp) +
               ": invalid pattern code " + Twine(code) + " for " +
               Twine(c.n) + ":" + Twine(c.m));
}

/// Sparse rows: the kept fields at their positions of each M-group, the
/// rest 0 (`out`, `values` holding `n` fields per group in stream order);
/// `kept` gets -1 at the kept positions when given.
template <typename T>
llvm::Error expandSparse(const MatrixConfig &c, const uint8_t *codes,
                         uint64_t i, const T *values, T *out,
                         int16_t *kept) {
  uint32_t perRow = c.k / c.m, count = uint32_t(c.patterns.size() / c.n);
  std::fill_n(out, c.k, T(0));
  if (kept)
    std::fill_n(kept, c.k, int16_t(0));
  BitReader reader(codes, i * perRow * c.codeBits, perRow * c.codeBits);
  for (uint32_t grp = 0; grp < perRow; ++grp) {
    uint32_t code = reader.read(c.codeBits);
    if (code >= count)
      return badCode(c, i, grp, code);
    const uint8_t *pattern = &c.patterns[code * c.n];
    T *group = out + grp * c.m;
    for (unsigned j = 0; j < c.n; ++j)
      group[pattern[j]] = values[grp * c.n + j];
    if (kept)
      for (unsigned j = 0; j < c.n; ++j)
        kept[grp * c.m + pattern[j]] = -1;
  }
  return llvm::Error::success();
}

/// Every N:4 group of row `i` through the expansion table: `q` gets the
/// kept values at their positions (0 at the pruned ones), `kept` the masks.
llvm::Error expandFour(const MatrixConfig &c, const uint8_t *codes,
                       const uint8_t *values, uint64_t i, int16_t *q,
                       int16_t *kept) {
  const uint32_t perRow = c.k / 4;
  const uint32_t count = uint32_t(c.patterns.size() / c.n);
  const unsigned codeBits = c.codeBits, valueBits = c.n * c.bits;
  const int16_t *table = c.expansion.data();
  BitReader codeReader(codes, i * perRow * codeBits, perRow * codeBits);
  BitReader valueReader(values, i * perRow * valueBits, perRow * valueBits);
  for (uint32_t grp = 0; grp < perRow; ++grp) {
    uint32_t code = codeReader.read(codeBits);
    uint32_t group = valueReader.read(valueBits);
    if (LLVM_UNLIKELY(code >= count))
      return badCode(c, i, grp, code);
    const int16_t *e = table + 8 * (code | group << codeBits);
    std::memcpy(q + 4 * grp, e, 8);
    std::memcpy(kept + 4 * grp, e + 4, 8);
  }
  return llvm::Error::success();
}

} // namespace

std::vector<int16_t> detail::expansionTable(const MatrixConfig &c) {
  unsigned valueBits = c.n * c.bits;
  if (c.m != 4 || !isIntFormat(c) ||
      c.codeBits + valueBits > kMaxExpansionBits)
    return {};
  uint32_t count = uint32_t(c.patterns.size() / c.n);
  std::vector<int16_t> table(8 << (c.codeBits + valueBits), 0);
  for (uint32_t code = 0; code < count; ++code)
    for (uint32_t kept = 0; kept < 1u << valueBits; ++kept) {
      int16_t *e = &table[8 * (code | kept << c.codeBits)];
      for (unsigned j = 0; j < c.n; ++j) {
        unsigned lane = c.patterns[code * c.n + j];
        e[lane] = fieldValue(kept >> (j * c.bits) & ((1u << c.bits) - 1),
                             c.bits, c.fmt == Sym);
        e[4 + lane] = -1;
      }
    }
  return table;
}

TileLayout detail::tileLayout(const MatrixConfig &c, uint64_t r) {
  bool isInt = isIntFormat(c);
  uint64_t groups = isInt ? c.k / weightGroup(c) : 0;
  uint64_t scaleBytes = isInt ? 2 * r * groups : 0;
  uint64_t zeroBytes = c.fmt == Asym ? (r * groups * c.bits + 7) / 8 : 0;
  bool sparse = c.m != 0;
  uint64_t codeBytes = sparse ? (r * (c.k / c.m) * c.codeBits + 7) / 8 : 0;
  uint64_t kept = sparse ? c.k / c.m * c.n : c.k;
  uint64_t valueBytes = (r * kept * c.bits + 7) / 8;
  TileLayout l;
  l.zeros = align64(scaleBytes);
  l.codes = l.zeros + align64(zeroBytes);
  l.values = l.codes + align64(codeBytes);
  l.bytes = l.values + align64(valueBytes);
  return l;
}

llvm::Error detail::unpackRow(const MatrixConfig &c, const uint8_t *tile,
                              const TileLayout &l, uint64_t i,
                              RowScratch &s) {
  uint32_t K = c.k, G = weightGroup(c);
  bool sparse = c.m != 0;
  uint64_t kept = sparse ? uint64_t(K / c.m) * c.n : K;
  const uint8_t *values = tile + l.values, *codes = tile + l.codes;

  if (!isIntFormat(c)) {
    s.f.resize(K);
    std::vector<float> &v = sparse ? s.rawF : s.f;
    v.resize(kept);
    // 16- and 32-bit fields start on a byte: no bit reader.
    const uint8_t *row = values + i * kept * (c.bits / 8);
    for (uint64_t k = 0; k < kept; ++k)
      v[k] = c.fmt == F32   ? loadF32(row + 4 * k)
             : c.fmt == F16 ? num::fromF16(loadU16(row + 2 * k))
                            : num::fromBF16(loadU16(row + 2 * k));
    if (sparse)
      return expandSparse(c, codes, i, v.data(), s.f.data(), nullptr);
    return llvm::Error::success();
  }

  uint32_t groups = K / G;
  s.scale.resize(groups);
  s.zero.assign(groups, 0);
  for (uint32_t g = 0; g < groups; ++g)
    s.scale[g] = num::fromF16(loadU16(tile + l.scales + 2 * (i * groups + g)));
  if (c.fmt == Asym)
    unpackInts(tile + l.zeros, i * groups * c.bits, groups, c.bits,
               /*sym=*/false, s.zero.data());

  s.w.resize(K);
  bool sym = c.fmt == Sym;
  if (sparse) {
    s.kept.resize(K);
    if (!c.expansion.empty()) {
      if (llvm::Error err =
              expandFour(c, codes, values, i, s.w.data(), s.kept.data()))
        return err;
    } else {
      s.raw.resize(kept);
      unpackInts(values, i * kept * c.bits, kept, c.bits, sym, s.raw.data());
      if (llvm::Error err = expandSparse(c, codes, i, s.raw.data(),
                                         s.w.data(), s.kept.data()))
        return err;
    }
    // q - z at the kept positions; the pruned ones hold z, so 0.
    if (!sym)
      for (uint32_t g = 0; g < groups; ++g) {
        int16_t z = s.zero[g];
        int16_t *w = s.w.data() + uint64_t(g) * G;
        const int16_t *mask = s.kept.data() + uint64_t(g) * G;
        for (uint32_t k = 0; k < G; ++k)
          w[k] = int16_t(w[k] - (z & mask[k]));
      }
  } else {
    unpackInts(values, i * kept * c.bits, K, c.bits, sym, s.w.data());
    if (!sym)
      for (uint32_t g = 0; g < groups; ++g) {
        int16_t z = s.zero[g];
        int16_t *w = s.w.data() + uint64_t(g) * G;
        for (uint32_t k = 0; k < G; ++k)
          w[k] = int16_t(w[k] - z);
      }
  }

  if (c.afp) {
    s.f.resize(K);
    for (uint32_t g = 0; g < groups; ++g) {
      float scale = s.scale[g];
      for (uint32_t k = g * G; k < (g + 1) * G; ++k)
        s.f[k] = scale * float(s.w[k]);
    }
  }
  return llvm::Error::success();
}

namespace {

/// Σ a[k] × w[k] exactly: |a| ≤ 128 and |w| ≤ 255 with n ≤ K ≤ 65536 (the
/// `k` field's range) keep every partial sum below 2^31 (NUMERICS §4 step 2).
int32_t dot(const int16_t *a, const int16_t *w, uint32_t n) {
  int32_t acc = 0;
  for (uint32_t k = 0; k < n; ++k)
    acc += int32_t(a[k]) * int32_t(w[k]);
  return acc;
}

} // namespace

float detail::dotInt(const MatrixConfig &c, const int16_t *w,
                     const float *scale, const int16_t *a, const float *as) {
  uint32_t K = c.k, G = weightGroup(c);
  if (c.ga == 0 || c.ga >= K) {
    float t = 0;
    for (uint32_t g = 0; g < K / G; ++g) {
      float p = float(dot(a + g * G, w + g * G, G)) * scale[g];
      t = g == 0 ? p : t + p;
    }
    return t * as[0];
  }
  float y = 0;
  for (uint32_t k0 = 0; k0 < K;) {
    uint32_t g = k0 / G, ga = k0 / c.ga;
    uint32_t k1 = std::min((g + 1) * G, (ga + 1) * c.ga);
    float p = (float(dot(a + k0, w + k0, k1 - k0)) * scale[g]) * as[ga];
    y = k0 == 0 ? p : y + p;
    k0 = k1;
  }
  return y;
}

void detail::dotFloatRows(const float *wT, const float *x, uint32_t K,
                          float *y) {
  float acc[kFloatRows] = {};
  if (K != 0)
    for (unsigned r = 0; r < kFloatRows; ++r)
      acc[r] = x[0] * wT[r];
  for (uint32_t k = 1; k < K; ++k) {
    const float *row = wT + uint64_t(k) * kFloatRows;
    float xk = x[k];
    for (unsigned r = 0; r < kFloatRows; ++r)
      acc[r] = acc[r] + xk * row[r];
  }
  std::copy_n(acc, kFloatRows, y);
}
