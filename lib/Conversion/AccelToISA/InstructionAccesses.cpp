//===- InstructionAccesses.cpp - what an instruction reads and writes ------===//

#include "InstructionAccesses.h"

#include "accel/Transforms/WeightImage.h"

#include <algorithm>

using namespace llvm;
using namespace accel;
using namespace accel::lowering;
using isa::Opcode;

/// Counts above this are taken as unknown (no buffer holds that many).
static constexpr int64_t kMaxCount = int64_t(1) << 30;

std::optional<int64_t> AccessModel::count(const isa::Instruction &i,
                                            StringRef regName,
                                            StringRef imm) const {
  const RegisterRange &r = reg(i, regName);
  if (r.base)
    return std::nullopt;
  int64_t most = r.asUnsigned().second + (imm.empty() ? 0 : i.get(imm));
  return most < kMaxCount ? std::optional<int64_t>(most) : std::nullopt;
}

void AccessModel::onChip(SmallVectorImpl<Access> &out,
                           const isa::Instruction &i, StringRef buf,
                           StringRef regName, int64_t imm,
                           std::optional<int64_t> bytes, bool write,
                           std::pair<int64_t, int64_t> off) const {
  unsigned space = i.get(buf);
  const RegisterRange &r = reg(i, regName);
  if (r.base) {
    out.push_back({space, 0, -1, write});
    return;
  }
  auto [lo, hi] = r.asUnsigned();
  out.push_back({space, lo + imm + off.first,
                 bytes ? std::max<int64_t>(hi + imm + off.second + *bytes, 0)
                       : -1,
                 write});
}

/// HBM rows: every channel they rotate over, at the offsets they cover in
/// a channel (docs/ISA.md §5.1); an address not derived from a region
/// base may be in any region.
void AccessModel::hbm(SmallVectorImpl<Access> &out,
                        const isa::Instruction &i, bool write) const {
  std::optional<int64_t> rows = count(i, "rn", "rimm");
  if (rows && *rows <= 0)
    return;
  const RegisterRange &r = reg(i, "rh");
  int64_t n = int64_t(1) << i.get("nch");
  int64_t lo = 0, hi = -1;
  if (r.base && !r.isTop()) {
    auto [first, last] = r.asUnsigned();
    lo = first + i.get("himm");
    if (rows)
      hi = last + i.get("himm") + (*rows - 1) / n * i.get("hstride") +
           i.get("len");
  }
  int64_t used = std::min(rows ? std::min(*rows, n) : n, channels);
  for (unsigned region = 1; region <= 4; ++region) {
    if (r.base && r.base != region)
      continue;
    for (int64_t j = 0; j < used; ++j) {
      unsigned channel = (i.get("ch") + j) % channels;
      out.push_back({unsigned(kHbmSpace + (region - 1) * channels + channel), lo,
                     hi, write});
    }
  }
}

void AccessModel::rankTableReads(SmallVectorImpl<Access> &out,
                                   const isa::Instruction &i,
                                   std::optional<int64_t> n) const {
  const RegisterRange &query = reg(i, "rp"), &key = reg(i, "rk");
  if (!rankTables || !n || query.base || key.base) {
    for (unsigned space = 0; space < isa::kNumBuffers; ++space)
      out.push_back({space, 0, -1, false});
    return;
  }
  auto [queryLo, queryHi] = query.asUnsigned();
  auto [keyLo, keyHi] = key.asUnsigned();
  int64_t row = 4 * rankTables->rot;
  int64_t first = std::min(queryLo, keyLo);
  int64_t last = std::max(queryHi, keyHi + std::max<int64_t>(*n - 1, 0));
  for (auto [space, table] : {std::pair(rankTables->cosBuf, rankTables->cos),
                              std::pair(rankTables->sinBuf, rankTables->sin)}) {
    if (table.base || last >= kMaxCount / row) {
      out.push_back({space, 0, -1, false});
      continue;
    }
    auto [lo, hi] = table.asUnsigned();
    out.push_back({space, lo + first * row, hi + (last + 1) * row, false});
  }
}

/// Bytes of `rows` records of the attention state `vaset` set.
static std::optional<int64_t>
recordBytes(const std::optional<isa::Instruction> &c) {
  if (!c)
    return std::nullopt;
  return isa::kvRecordStride(*c);
}

SmallVector<Access, 6> AccessModel::accessesOf(const isa::Instruction &i) {
  SmallVector<Access, 6> out;
  auto times = [](std::optional<int64_t> a,
                  int64_t b) -> std::optional<int64_t> {
    return a ? std::optional<int64_t>(*a * b) : std::nullopt;
  };
  std::optional<int64_t> rec = recordBytes(attentionConfig);
  switch (i.opcode) {
  case Opcode::Lds:
  case Opcode::Sts:
    onChip(out, i, "buf", "rs1", i.get("imm"), 4, i.opcode == Opcode::Sts);
    break;
  case Opcode::Load:
  case Opcode::Store: {
    std::optional<int64_t> rows = count(i, "rn", "rimm"), bytes;
    if (rows)
      bytes = *rows == 0 ? 0 : (*rows - 1) * i.get("sstride") + i.get("len");
    bool load = i.opcode == Opcode::Load;
    onChip(out, i, "buf", "rs", i.get("simm"), bytes, load);
    hbm(out, i, !load);
    break;
  }
  case Opcode::Mv:
  case Opcode::Mm: {
    std::optional<int64_t> tokens =
        i.opcode == Opcode::Mv ? std::optional<int64_t>(1) : count(i, "rm");
    int64_t rows = i.get("rows");
    std::optional<int64_t> x, scales, weights;
    if (matrixConfig) {
      const isa::Instruction &c = *matrixConfig;
      int64_t k = c.get("k"), ga = c.get("ga");
      bool afp = c.get("afp");
      int64_t stride = i.opcode == Opcode::Mm ? i.get("astride") : 0;
      if (tokens)
        x = (*tokens - 1) * stride + (afp ? 4 * k : k);
      if (tokens && !afp)
        scales = *tokens * 4 * (ga ? k / ga : 1);
      image::MatrixSpec spec;
      spec.rows = rows;
      spec.cols = k;
      spec.format = static_cast<image::ValueFormat>(c.get("fmt"));
      spec.bits = c.get("bits");
      spec.group = c.get("g") ? c.get("g") : k;
      spec.sparseN = c.get("n");
      spec.sparseM = c.get("m");
      spec.rowsPerTile = c.get("r");
      int64_t tiles = (rows + spec.rowsPerTile - 1) / spec.rowsPerTile;
      weights = tiles * int64_t(image::tileLayout(spec, spec.rowsPerTile).bytes);
    }
    onChip(out, i, "abuf", "ra", 0, x, false);
    if (!matrixConfig || !matrixConfig->get("afp"))
      onChip(out, i, "sbuf", "rs", 0, scales, false);
    onChip(out, i, "wbuf", "rw", 0, weights, false);
    if (i.get("bias"))
      onChip(out, i, "bbuf", "rb", 0, rows * 4, false);
    int64_t dstride = i.opcode == Opcode::Mm ? i.get("dstride") : 0;
    int64_t perToken = i.get("rq") ? rows : rows * 4;
    onChip(out, i, "dbuf", "rd", 0,
           tokens ? std::optional<int64_t>((*tokens - 1) * dstride + perToken)
                  : std::nullopt,
           true);
    if (i.get("rq"))
      onChip(out, i, "obuf", "ro", 0, times(tokens, 4), true);
    break;
  }
  case Opcode::Vadd:
  case Opcode::Vsub:
  case Opcode::Vmul:
  case Opcode::Vdiv:
  case Opcode::Vmax:
  case Opcode::Vmin: {
    std::optional<int64_t> n = times(count(i, "rn", "nimm"), 4);
    onChip(out, i, "abuf", "ra", 0, n, false);
    int64_t mode = i.get("bmode");
    if (mode != 2)
      onChip(out, i, "bbuf", "rb", 0, mode == 1 ? std::optional<int64_t>(4) : n,
             false);
    onChip(out, i, "dbuf", "rd", 0, n, true);
    break;
  }
  case Opcode::Vrelu:
  case Opcode::Vsilu:
  case Opcode::Vgelut:
  case Opcode::Vgelue:
  case Opcode::Vexp:
  case Opcode::Vcopy: {
    std::optional<int64_t> n = count(i, "rn", "nimm");
    if (i.opcode != Opcode::Vcopy)
      n = times(n, 4);
    onChip(out, i, "abuf", "ra", 0, n, false);
    onChip(out, i, "dbuf", "rd", 0, n, true);
    break;
  }
  case Opcode::Vfill:
    onChip(out, i, "dbuf", "rd", 0, times(count(i, "rn", "nimm"), 4), true);
    break;
  case Opcode::Vrmsnorm:
  case Opcode::Vlnorm: {
    std::optional<int64_t> h = count(i, "rn", "nimm"),
                           m = count(i, "rm", "mimm"), rows;
    if (h && m)
      rows = *h * *m * 4;
    onChip(out, i, "abuf", "ra", 0, rows, false);
    onChip(out, i, "bbuf", "rb", 0, times(h, 4), false);
    if (i.opcode == Opcode::Vlnorm && i.get("beta"))
      onChip(out, i, "cbuf", "rc", 0, times(h, 4), false);
    onChip(out, i, "dbuf", "rd", 0, rows, true);
    break;
  }
  case Opcode::Vrope: {
    std::optional<int64_t> m = count(i, "rm", "mimm");
    int64_t row = i.get("heads") * i.get("hd") * 4, rot = i.get("rot") * 4;
    std::pair<int64_t, int64_t> position = values(i, "rp");
    onChip(out, i, "abuf", "ra", 0, times(m, row), false);
    for (StringRef table : {"b", "c"})
      onChip(out, i, (table + "buf").str(), ("r" + table).str(), 0,
             times(m, rot), false,
             {position.first * rot, position.second * rot});
    onChip(out, i, "dbuf", "rd", 0, times(m, row), true);
    break;
  }
  case Opcode::Vaset:
    attentionConfig = i;
    break;
  case Opcode::Vrset:
    rankTables = RankTables{unsigned(i.get("bbuf")), unsigned(i.get("cbuf")),
                            reg(i, "rb"), reg(i, "rc"), i.get("rot")};
    break;
  case Opcode::Mcfg:
    matrixConfig = i;
    break;
  case Opcode::Maset:
    // The lowering gives maset the record format of the vaset before it.
    attentionConfig = i;
    break;
  case Opcode::Mqk:
  case Opcode::Mpv:
  case Opcode::Vpq: {
    // ISA §5.9: records in two runs; per row int8 queries or weights, fp32
    // scales.
    std::optional<int64_t> n = count(i, "rn", "nimm");
    int64_t rows = i.get("rows");
    std::optional<int64_t> hd, groups;
    if (attentionConfig) {
      hd = attentionConfig->get("hd");
      int64_t g = attentionConfig->get("kvg");
      groups = *hd / (g ? g : *hd);
    }
    std::optional<int64_t> weights =
        n && groups ? std::optional<int64_t>(*n * *groups) : std::nullopt;
    std::optional<int64_t> records = rec ? times(n, *rec) : std::nullopt;
    onChip(out, i, "bbuf", "rb", 0, records, false);
    onChip(out, i, "bbuf", "rg", 0, records, false);
    bool scores = i.opcode == Opcode::Mqk, context = i.opcode == Opcode::Mpv;
    // mqk's scores and vpq's probabilities: row r's element j at
    // 4(r·P + j), P = R[rp] (n for r0; a fault when less than n).
    std::optional<int64_t> pitched;
    if (!context) {
      std::optional<int64_t> pitch = i.get("rp") ? count(i, "rp") : n;
      if (n && pitch)
        pitched = ((rows - 1) * std::max(*pitch, *n) + *n) * 4;
    }
    onChip(out, i, "abuf", "ra", 0,
           scores ? times(hd, rows)
                  : (context ? times(weights, rows) : pitched),
           false);
    onChip(out, i, "sbuf", "rs", 0,
           times(scores ? std::optional<int64_t>(4) : times(groups, 4), rows),
           i.opcode == Opcode::Vpq);
    onChip(out, i, "dbuf", "rd", 0,
           scores ? pitched : times(context ? times(hd, 4) : weights, rows),
           true);
    break;
  }
  case Opcode::Vkvq: {
    std::optional<int64_t> m = count(i, "rm", "mimm");
    int64_t row = attentionConfig ? attentionConfig->get("kvh") *
                                        attentionConfig->get("hd") * 4
                                  : 0;
    onChip(out, i, "abuf", "ra", 0, attentionConfig ? times(m, row)
                                                    : std::nullopt,
           false);
    onChip(out, i, "dbuf", "rd", 0, rec ? times(m, *rec) : std::nullopt,
           true);
    break;
  }
  case Opcode::Vqk:
  case Opcode::Vpv:
  case Opcode::Vsoftmax: {
    std::optional<int64_t> n = count(i, "rn", "nimm");
    int64_t hd = attentionConfig ? attentionConfig->get("hd") * 4 : 0;
    if (i.opcode == Opcode::Vsoftmax) {
      std::optional<int64_t> scores = times(n, 4 * i.get("rows"));
      onChip(out, i, "abuf", "ra", 0, scores, false);
      onChip(out, i, "dbuf", "rd", 0, scores, true);
      break;
    }
    // vqk, vpv: `rows` rows (0: one) of queries and scores, or of
    // probabilities and outputs, one after another (ISA §5.7).
    bool scores = i.opcode == Opcode::Vqk;
    int64_t rows = std::max<int64_t>(i.get("rows"), 1);
    std::optional<int64_t> heads =
        attentionConfig ? std::optional<int64_t>(hd * rows) : std::nullopt;
    if (scores && i.get("rope"))
      rankTableReads(out, i, n);
    onChip(out, i, "abuf", "ra", 0, scores ? heads : times(n, 4 * rows),
           false);
    onChip(out, i, "bbuf", "rb", 0, rec ? times(n, *rec) : std::nullopt,
           false);
    std::optional<int64_t> written = scores ? times(n, 4 * rows) : heads;
    if (!scores && i.get("acc"))
      onChip(out, i, "dbuf", "rd", 0, written, false);
    onChip(out, i, "dbuf", "rd", 0, written, true);
    break;
  }
  case Opcode::Vqact: {
    std::optional<int64_t> k = count(i, "rn", "nimm"),
                           m = count(i, "rm", "mimm");
    std::optional<int64_t> values =
        k && m ? std::optional<int64_t>(*k * *m) : std::nullopt;
    int64_t ga = i.get("ga");
    onChip(out, i, "abuf", "ra", 0, times(values, 4), false);
    onChip(out, i, "dbuf", "rd", 0,
           i.get("fake") ? times(values, 4) : values, true);
    onChip(out, i, "bbuf", "rb", 0,
           k && m ? std::optional<int64_t>(*m * 4 * (ga ? *k / ga : 1))
                  : std::nullopt,
           true);
    break;
  }
  case Opcode::Vquant:
  case Opcode::Vdequant:
    // Conservative: every operand buffer from its address to its end.
    for (StringRef buf : {"a", "b", "c", "d"})
      onChip(out, i, (buf + "buf").str(), ("r" + buf).str(), 0, std::nullopt,
             buf == "d" || (i.opcode == Opcode::Vquant && buf != "a"));
    break;
  case Opcode::Vargmax:
    onChip(out, i, "abuf", "ra", 0, times(count(i, "rn", "nimm"), 4), false);
    onChip(out, i, "dbuf", "rd", 0, 4, true);
    break;
  default:
    break;
  }
  return out;
}
