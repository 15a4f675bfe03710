//===- Matrix.cpp - mcfg, mv and mm ---------------------------------------===//
//
// docs/ISA.md §5.2-5.3 over weight tiles laid out as docs/FORMATS.md §1.4,
// with the arithmetic of docs/NUMERICS.md §4: exact integer group sums, then
// the fp32 scaling (per weight group, or per block of activation group and
// weight group), bias, epilogue and optional requantization.
//
//===----------------------------------------------------------------------===//

#include "accel/Sim/Machine.h"
#include "accel/Sim/Numerics.h"

#include "llvm/ADT/Twine.h"

#include <cmath>

using namespace accel;
using namespace accel::sim;
using llvm::Twine;

namespace {

enum WeightFormat : unsigned { Asym = 0, Sym = 1, F32 = 2, F16 = 3, BF16 = 4 };

uint64_t align64(uint64_t x) { return (x + 63) / 64 * 64; }

/// Every n-subset of {0 .. m-1} in lexicographic order, flattened.
std::vector<uint8_t> subsets(unsigned m, unsigned n) {
  std::vector<uint8_t> out;
  std::vector<uint8_t> pick(n);
  for (unsigned i = 0; i < n; ++i)
    pick[i] = uint8_t(i);
  while (true) {
    out.insert(out.end(), pick.begin(), pick.end());
    int i = int(n) - 1;
    while (i >= 0 && pick[i] == m - n + unsigned(i))
      --i;
    if (i < 0)
      return out;
    ++pick[i];
    for (unsigned j = unsigned(i) + 1; j < n; ++j)
      pick[j] = uint8_t(pick[j - 1] + 1);
  }
}

/// Field `index` of a `width`-bit stream (docs/FORMATS.md §1.1).
uint32_t field(const uint8_t *base, uint64_t index, unsigned width) {
  uint64_t bit = index * width;
  uint32_t value = 0;
  for (unsigned done = 0; done < width;) {
    uint64_t pos = bit + done;
    unsigned take = std::min(8 - unsigned(pos % 8), width - done);
    uint32_t bits = (base[pos / 8] >> (pos % 8)) & ((1u << take) - 1);
    value |= bits << done;
    done += take;
  }
  return value;
}

/// Offsets of a tile's tensors for `r` rows (docs/FORMATS.md §1.4).
struct TileLayout {
  uint64_t scales = 0, zeros = 0, codes = 0, values = 0, bytes = 0;
};

uint32_t weightGroup(const MatrixConfig &c) { return c.g ? c.g : c.k; }

TileLayout layout(const MatrixConfig &c, uint64_t r) {
  bool isInt = c.fmt <= Sym;
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

/// One weight row unpacked: integers (pruned positions hold their group's
/// zero point) with scales and zero points, or float values.
struct Row {
  std::vector<int32_t> q;
  std::vector<float> scale;
  std::vector<int32_t> zero;
  std::vector<float> w; ///< afp=1: the value each position stands for
};

llvm::Error unpackRow(const MatrixConfig &c, const uint8_t *tile,
                      const TileLayout &l, uint64_t i, Row &row) {
  uint32_t K = c.k, G = weightGroup(c);
  bool isInt = c.fmt <= Sym;
  uint32_t groups = isInt ? K / G : 0;
  row.scale.resize(groups);
  row.zero.assign(groups, 0);
  for (uint32_t g = 0; g < groups; ++g) {
    row.scale[g] =
        num::fromF16(loadU16(tile + l.scales + 2 * (i * groups + g)));
    if (c.fmt == Asym)
      row.zero[g] = int32_t(field(tile + l.zeros, i * groups + g, c.bits));
  }
  auto value = [&](uint32_t raw) -> int32_t {
    if (c.fmt == Sym && (raw >> (c.bits - 1) & 1))
      return int32_t(raw) - (1 << c.bits);
    return int32_t(raw);
  };
  auto toFloat = [&](uint32_t raw) {
    if (c.fmt == F32)
      return num::fromBits(raw);
    if (c.fmt == F16)
      return num::fromF16(uint16_t(raw));
    return num::fromBF16(uint16_t(raw));
  };
  std::vector<uint32_t> raw(K, 0);
  std::vector<bool> kept(K, c.m == 0);
  if (c.m == 0) {
    for (uint32_t k = 0; k < K; ++k)
      raw[k] = field(tile + l.values, i * K + k, c.bits);
  } else {
    uint32_t perRow = K / c.m, count = uint32_t(c.patterns.size() / c.n);
    for (uint32_t grp = 0; grp < perRow; ++grp) {
      uint32_t code = field(tile + l.codes, i * perRow + grp, c.codeBits);
      if (code >= count)
        return fault("row " + Twine(i) + ", group " + Twine(grp) +
                     ": invalid pattern code " + Twine(code) + " for " +
                     Twine(c.n) + ":" + Twine(c.m));
      for (unsigned j = 0; j < c.n; ++j) {
        uint32_t k = grp * c.m + c.patterns[code * c.n + j];
        raw[k] = field(tile + l.values, (i * perRow + grp) * c.n + j, c.bits);
        kept[k] = true;
      }
    }
  }
  if (isInt) {
    row.q.resize(K);
    for (uint32_t k = 0; k < K; ++k)
      row.q[k] = kept[k] ? value(raw[k]) : row.zero[k / G];
    if (c.afp) {
      row.w.resize(K);
      for (uint32_t k = 0; k < K; ++k)
        row.w[k] = row.scale[k / G] * float(row.q[k] - row.zero[k / G]);
    }
  } else {
    row.w.resize(K);
    for (uint32_t k = 0; k < K; ++k)
      row.w[k] = kept[k] ? toFloat(raw[k]) : 0.0f;
  }
  return llvm::Error::success();
}

/// One token's activations: int8 values and scales, or fp32 values.
struct Activation {
  std::vector<int32_t> q;
  std::vector<float> scale;
  std::vector<float> x;
};

float dotInt(const MatrixConfig &c, const Row &row, const Activation &a) {
  uint32_t K = c.k, G = weightGroup(c);
  if (c.ga == 0 || c.ga >= K) {
    float t = 0;
    for (uint32_t g = 0; g < K / G; ++g) {
      int64_t acc = 0;
      for (uint32_t k = g * G; k < (g + 1) * G; ++k)
        acc += int64_t(a.q[k]) * (row.q[k] - row.zero[g]);
      float p = float(int32_t(acc)) * row.scale[g];
      t = g == 0 ? p : t + p;
    }
    return t * a.scale[0];
  }
  float y = 0;
  for (uint32_t k0 = 0; k0 < K;) {
    uint32_t g = k0 / G, ga = k0 / c.ga;
    uint32_t k1 = std::min((g + 1) * G, (ga + 1) * c.ga);
    int64_t acc = 0;
    for (uint32_t k = k0; k < k1; ++k)
      acc += int64_t(a.q[k]) * (row.q[k] - row.zero[g]);
    float p = (float(int32_t(acc)) * row.scale[g]) * a.scale[ga];
    y = k0 == 0 ? p : y + p;
    k0 = k1;
  }
  return y;
}

float dotFloat(const Row &row, const Activation &a) {
  float y = 0;
  for (size_t k = 0; k < row.w.size(); ++k) {
    float p = a.x[k] * row.w[k];
    y = k == 0 ? p : y + p;
  }
  return y;
}

float epilogue(int64_t ep, float y) {
  switch (ep) {
  case 1:
    return num::relu(y);
  case 2:
    return num::silu(y);
  case 3:
    return num::geluTanh(y);
  case 4:
    return num::geluErf(y);
  default:
    return y;
  }
}

llvm::Error executeConfig(Machine &m, const Op &op) {
  MatrixConfig c;
  c.k = uint32_t(op.get("k"));
  c.g = uint32_t(op.get("g"));
  c.ga = uint32_t(op.get("ga"));
  c.r = uint32_t(op.get("r"));
  c.fmt = unsigned(op.get("fmt"));
  c.bits = unsigned(op.get("bits"));
  c.n = unsigned(op.get("n"));
  c.m = unsigned(op.get("m"));
  c.afp = op.get("afp") != 0;
  if (c.m) {
    c.patterns = subsets(c.m, c.n);
    uint64_t count = c.patterns.size() / c.n;
    while ((uint64_t(1) << c.codeBits) < count)
      ++c.codeBits;
  }
  m.matrix = std::move(c);
  return llvm::Error::success();
}

llvm::Error executeMultiply(Machine &m, const Op &op) {
  if (!m.matrix)
    return fault(Twine(op.instr->getSpec().mnemonic) +
                 " before any mcfg: the matrix unit has no configuration");
  const MatrixConfig &c = *m.matrix;
  bool isMm = op.instr->opcode == isa::Opcode::Mm;
  uint64_t tokens = isMm ? uint64_t(uint32_t(op.get("rm"))) : 1;
  uint64_t rows = uint64_t(op.get("rows"));
  uint64_t astride = isMm ? uint64_t(op.get("astride")) : 0;
  uint64_t dstride = isMm ? uint64_t(op.get("dstride")) : 0;
  uint64_t aBase = uint32_t(op.get("ra")), dBase = uint32_t(op.get("rd"));
  uint64_t K = c.k;
  bool isInt = c.fmt <= Sym;

  // Activations of every token.
  std::vector<Activation> acts(tokens);
  uint64_t scalesPerToken = c.ga ? K / c.ga : 1;
  for (uint64_t t = 0; t < tokens; ++t) {
    Activation &a = acts[t];
    uint64_t at = aBase + t * astride;
    if (c.afp) {
      llvm::Expected<uint8_t *> p = m.buffers.span(op.buf("abuf"), at, 4 * K);
      if (!p)
        return p.takeError();
      a.x.resize(K);
      for (uint64_t k = 0; k < K; ++k)
        a.x[k] = loadF32(*p + 4 * k);
      continue;
    }
    llvm::Expected<uint8_t *> p = m.buffers.span(op.buf("abuf"), at, K);
    if (!p)
      return p.takeError();
    a.q.resize(K);
    for (uint64_t k = 0; k < K; ++k)
      a.q[k] = int8_t((*p)[k]);
    llvm::Expected<uint8_t *> s = m.buffers.span(
        op.buf("sbuf"),
        uint64_t(uint32_t(op.get("rs"))) + 4 * t * scalesPerToken,
        4 * scalesPerToken);
    if (!s)
      return s.takeError();
    a.scale.resize(scalesPerToken);
    for (uint64_t i = 0; i < scalesPerToken; ++i)
      a.scale[i] = loadF32(*s + 4 * i);
  }

  // The tiles.
  uint64_t R = c.r, tiles = (rows + R - 1) / R;
  uint64_t stride = layout(c, R).bytes;
  uint64_t lastRows = rows - (tiles - 1) * R;
  uint64_t wBase = uint32_t(op.get("rw"));
  uint64_t wBytes = weightTileBytes(c, rows);
  llvm::Expected<uint8_t *> weights =
      m.buffers.span(op.buf("wbuf"), wBase, wBytes);
  if (!weights)
    return weights.takeError();

  std::vector<float> y(tokens * rows);
  Row row;
  for (uint64_t j = 0; j < tiles; ++j) {
    uint64_t r = j + 1 == tiles ? lastRows : R;
    TileLayout l = layout(c, r);
    const uint8_t *tile = *weights + j * stride;
    for (uint64_t i = 0; i < r; ++i) {
      if (llvm::Error err = unpackRow(c, tile, l, i, row))
        return fault("tile " + Twine(j) + ": " +
                     llvm::toString(std::move(err)));
      for (uint64_t t = 0; t < tokens; ++t)
        y[t * rows + j * R + i] =
            isInt && !c.afp ? dotInt(c, row, acts[t]) : dotFloat(row, acts[t]);
    }
  }

  // Bias and epilogue.
  if (op.get("bias")) {
    llvm::Expected<uint8_t *> b = m.buffers.span(
        op.buf("bbuf"), uint64_t(uint32_t(op.get("rb"))), 4 * rows);
    if (!b)
      return b.takeError();
    for (uint64_t t = 0; t < tokens; ++t)
      for (uint64_t n = 0; n < rows; ++n)
        y[t * rows + n] = y[t * rows + n] + loadF32(*b + 4 * n);
  }
  int64_t ep = op.get("ep");
  for (float &v : y)
    v = epilogue(ep, v);

  // Outputs.
  bool rq = op.get("rq") != 0;
  std::vector<int32_t> q(rows);
  for (uint64_t t = 0; t < tokens; ++t) {
    llvm::ArrayRef<float> yt(y.data() + t * rows, rows);
    uint64_t at = dBase + t * dstride;
    if (!rq) {
      llvm::Expected<uint8_t *> d =
          m.buffers.span(op.buf("dbuf"), at, 4 * rows);
      if (!d)
        return d.takeError();
      for (uint64_t n = 0; n < rows; ++n)
        storeF32(*d + 4 * n, yt[n]);
      continue;
    }
    float s = num::quantizeActivation(yt, 8, q);
    llvm::Expected<uint8_t *> d = m.buffers.span(op.buf("dbuf"), at, rows);
    if (!d)
      return d.takeError();
    for (uint64_t n = 0; n < rows; ++n)
      (*d)[n] = uint8_t(int8_t(q[n]));
    llvm::Expected<uint8_t *> so = m.buffers.span(
        op.buf("obuf"), uint64_t(uint32_t(op.get("ro"))) + 4 * t, 4);
    if (!so)
      return so.takeError();
    storeF32(*so, s);
  }
  return llvm::Error::success();
}

} // namespace

uint64_t sim::weightTileBytes(const MatrixConfig &c, uint64_t rows) {
  if (rows == 0 || c.r == 0)
    return 0;
  uint64_t tiles = (rows + c.r - 1) / c.r;
  return (tiles - 1) * layout(c, c.r).bytes +
         layout(c, rows - (tiles - 1) * c.r).bytes;
}

llvm::Error sim::executeMatrix(Machine &m, const Op &op) {
  if (op.instr->opcode == isa::Opcode::Mcfg)
    return executeConfig(m, op);
  return executeMultiply(m, op);
}
