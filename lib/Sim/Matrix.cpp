//===- Matrix.cpp - mcfg, mv and mm ---------------------------------------===//
//
// docs/ISA.md §5.2-5.3 over weight tiles laid out as docs/FORMATS.md §1.4,
// with the arithmetic of docs/NUMERICS.md §4: exact integer group sums, then
// the fp32 scaling (per weight group, or per block of activation group and
// weight group), bias, epilogue and optional requantization.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "accel/Sim/Numerics.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Parallel.h"

using namespace accel;
using namespace accel::sim;
using namespace accel::sim::detail;
using llvm::Twine;

namespace {

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

/// Rows an mv/mm computes per task.
constexpr uint64_t kBlockRows = 64;
/// The MACs below which an mv/mm runs on the calling thread alone (a
/// task costs microseconds).
constexpr uint64_t kParallelMacs = uint64_t(1) << 16;
static_assert(kBlockRows % kFloatRows == 0);

/// The weight rows of one mv/mm: output feature n is row n mod R of tile
/// n div R (the last tile with its own row count).
struct RowSource {
  const MatrixConfig &c;
  const uint8_t *weights;
  uint64_t R, tiles, rows;
  TileLayout full, last;

  llvm::Error unpack(uint64_t n, RowScratch &s) const {
    uint64_t j = n / R;
    const uint8_t *tile = weights + j * full.bytes;
    if (llvm::Error err =
            unpackRow(c, tile, j + 1 == tiles ? last : full, n % R, s))
      return fault("tile " + Twine(j) + ": " + llvm::toString(std::move(err)));
    return llvm::Error::success();
  }
};

/// afp=0: rows [begin, end) of every token, each row unpacked once.
llvm::Error intBlock(const RowSource &src, uint64_t begin, uint64_t end,
                     llvm::ArrayRef<int16_t> a, llvm::ArrayRef<float> as,
                     uint64_t tokens, std::vector<float> &y) {
  const MatrixConfig &c = src.c;
  uint64_t K = c.k, scalesPerToken = c.ga ? K / c.ga : 1;
  RowScratch s;
  for (uint64_t n = begin; n < end; ++n) {
    if (llvm::Error err = src.unpack(n, s))
      return err;
    for (uint64_t t = 0; t < tokens; ++t)
      y[t * src.rows + n] = dotInt(c, s.w.data(), s.scale.data(),
                                   a.data() + t * K,
                                   as.data() + t * scalesPerToken);
  }
  return llvm::Error::success();
}

/// afp=1: rows [begin, end) of every token, kFloatRows rows side by side.
llvm::Error floatBlock(const RowSource &src, uint64_t begin, uint64_t end,
                       llvm::ArrayRef<float> x, uint64_t tokens,
                       std::vector<float> &y) {
  uint64_t K = src.c.k;
  RowScratch s;
  std::vector<float> wT(K * kFloatRows);
  float out[kFloatRows];
  for (uint64_t n0 = begin; n0 < end; n0 += kFloatRows) {
    unsigned count = unsigned(std::min<uint64_t>(kFloatRows, end - n0));
    if (count < kFloatRows)
      std::fill(wT.begin(), wT.end(), 0.0f);
    for (unsigned r = 0; r < count; ++r) {
      if (llvm::Error err = src.unpack(n0 + r, s))
        return err;
      for (uint64_t k = 0; k < K; ++k)
        wT[k * kFloatRows + r] = s.f[k];
    }
    for (uint64_t t = 0; t < tokens; ++t) {
      dotFloatRows(wT.data(), x.data() + t * K, uint32_t(K), out);
      std::copy_n(out, count, y.begin() + t * src.rows + n0);
    }
  }
  return llvm::Error::success();
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
    c.expansion = expansionTable(c);
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

  // Activations of every token: fp32 (afp=1), or int8 widened to the
  // 16-bit lanes of the dot products with their scales.
  uint64_t scalesPerToken = c.ga ? K / c.ga : 1;
  bool rq = op.get("rq") != 0;
  // rm is a register: before anything is sized by it, the tokens' rows must
  // not overlap (ISA §5.3) and the last token's activations, scales and
  // outputs must lie in their buffers (the faults the loops below would
  // reach), which bounds the work by the buffers' sizes.
  if (tokens > 1) {
    uint64_t aRow = c.afp ? 4 * K : K, dRow = rq ? rows : 4 * rows;
    if (astride < aRow || dstride < dRow)
      return fault("mm of " + Twine(tokens) + " tokens: astride " +
                   Twine(astride) + " and dstride " + Twine(dstride) +
                   " must be at least a token's activation row (" +
                   Twine(aRow) + " bytes) and output row (" + Twine(dRow) +
                   " bytes)");
    struct {
      const char *buffer;
      uint64_t addr, bytes;
      Use use;
    } last[] = {
        {"abuf", aBase + (tokens - 1) * astride, aRow, Use::Read},
        {"dbuf", dBase + (tokens - 1) * dstride, dRow, Use::Write},
        {"sbuf",
         uint64_t(uint32_t(op.get("rs"))) + 4 * (tokens - 1) * scalesPerToken,
         c.afp ? 0 : 4 * scalesPerToken, Use::Read}};
    for (auto &[buffer, addr, bytes, use] : last)
      if (bytes)
        if (llvm::Expected<uint8_t *> p =
                m.buffers.span(op.buf(buffer), addr, bytes, use);
            !p)
          return p.takeError();
  }
  std::vector<float> x, as;
  std::vector<int16_t> a;
  (c.afp ? x : as).resize(tokens * (c.afp ? K : scalesPerToken));
  if (!c.afp)
    a.resize(tokens * K);
  for (uint64_t t = 0; t < tokens; ++t) {
    uint64_t at = aBase + t * astride;
    llvm::Expected<uint8_t *> p =
        m.buffers.span(op.buf("abuf"), at, c.afp ? 4 * K : K, Use::Read);
    if (!p)
      return p.takeError();
    if (c.afp) {
      for (uint64_t k = 0; k < K; ++k)
        x[t * K + k] = loadF32(*p + 4 * k);
      continue;
    }
    for (uint64_t k = 0; k < K; ++k)
      a[t * K + k] = int8_t((*p)[k]);
    llvm::Expected<uint8_t *> s = m.buffers.span(
        op.buf("sbuf"),
        uint64_t(uint32_t(op.get("rs"))) + 4 * t * scalesPerToken,
        4 * scalesPerToken, Use::Read);
    if (!s)
      return s.takeError();
    for (uint64_t i = 0; i < scalesPerToken; ++i)
      as[t * scalesPerToken + i] = loadF32(*s + 4 * i);
  }

  // The tiles.
  uint64_t R = c.r, tiles = (rows + R - 1) / R;
  uint64_t wBase = uint32_t(op.get("rw"));
  uint64_t wBytes = weightTileBytes(c, rows);
  llvm::Expected<uint8_t *> weights =
      m.buffers.span(op.buf("wbuf"), wBase, wBytes, Use::Read);
  if (!weights)
    return weights.takeError();
  RowSource source{c, *weights, R, tiles, rows,
                   tileLayout(c, R), tileLayout(c, rows - (tiles - 1) * R)};

  // Blocks of rows over the threads (when there is enough work to pay for
  // them); every output is one row's own sums, so the results do not depend
  // on the thread count. A fault is the first row's (blocks run rows in
  // order, the first failing block wins).
  std::vector<float> y(tokens * rows);
  uint64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  std::vector<std::string> faults(blocks);
  auto block = [&](size_t b) {
    uint64_t begin = b * kBlockRows, end = std::min(rows, begin + kBlockRows);
    llvm::Error err =
        c.afp ? floatBlock(source, begin, end, x, tokens, y)
              : intBlock(source, begin, end, a, as, tokens, y);
    if (err)
      faults[b] = llvm::toString(std::move(err));
  };
  if (blocks > 1 && rows * K * tokens >= kParallelMacs)
    llvm::parallelFor(0, blocks, block);
  else
    for (uint64_t b = 0; b < blocks; ++b)
      block(b);
  for (const std::string &f : faults)
    if (!f.empty())
      return fault(f);

  // Bias and epilogue.
  if (op.get("bias")) {
    llvm::Expected<uint8_t *> b = m.buffers.span(
        op.buf("bbuf"), uint64_t(uint32_t(op.get("rb"))), 4 * rows, Use::Read);
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
  std::vector<int32_t> q(rows);
  for (uint64_t t = 0; t < tokens; ++t) {
    llvm::ArrayRef<float> yt(y.data() + t * rows, rows);
    uint64_t at = dBase + t * dstride;
    if (!rq) {
      llvm::Expected<uint8_t *> d =
          m.buffers.span(op.buf("dbuf"), at, 4 * rows, Use::Write);
      if (!d)
        return d.takeError();
      for (uint64_t n = 0; n < rows; ++n)
        storeF32(*d + 4 * n, yt[n]);
      continue;
    }
    float s = num::quantizeActivation(yt, 8, q);
    llvm::Expected<uint8_t *> d =
        m.buffers.span(op.buf("dbuf"), at, rows, Use::Write);
    if (!d)
      return d.takeError();
    for (uint64_t n = 0; n < rows; ++n)
      (*d)[n] = uint8_t(int8_t(q[n]));
    llvm::Expected<uint8_t *> so =
        m.buffers.span(op.buf("obuf"), uint64_t(uint32_t(op.get("ro"))) + 4 * t,
                       4, Use::Write);
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
  return (tiles - 1) * tileLayout(c, c.r).bytes +
         tileLayout(c, rows - (tiles - 1) * c.r).bytes;
}

llvm::Error sim::executeMatrix(Machine &m, const Op &op) {
  switch (op.instr->opcode) {
  case isa::Opcode::Mcfg:
    return executeConfig(m, op);
  case isa::Opcode::Maset:
  case isa::Opcode::Mqk:
  case isa::Opcode::Mpv:
    return executeAttention(m, op);
  default:
    return executeMultiply(m, op);
  }
}
