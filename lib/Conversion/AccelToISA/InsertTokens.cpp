//===- InsertTokens.cpp - accel-insert-tokens -----------------------------===//
//
// Gives an accelisa program the dependency tokens docs/ISA.md §3 requires:
// every pair of accesses by different units to overlapping bytes, one of
// them a write, gets a wait/release pair, paired in program order so that
// every token given is taken (AccelPasses.td).
//
// What each instruction reads and writes follows from its fields, the
// ranges of values its registers may hold (RegisterRanges.h) and the unit
// state `mcfg` and `vaset` set. An access covers the bytes from the lowest
// to the highest address the ranges allow, for the largest count; an
// unknown address or count runs to the end of the buffer. HBM is tracked
// per region (the base register r1..r4 an address derives from, every
// region where none), channel and offset.
//
//===----------------------------------------------------------------------===//

#include "Placement.h"
#include "RegisterRanges.h"

#include "accel/Dialect/AccelISA/AccelISAOps.h"
#include "accel/Dialect/AccelISA/Instruction.h"
#include "accel/Transforms/Passes.h"
#include "accel/Hardware/Config.h"
#include "accel/Transforms/WeightImage.h"

#include "llvm/ADT/DenseMap.h"

#include <array>
#include <map>

namespace accel {
#define GEN_PASS_DEF_INSERTTOKENS
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using isa::Opcode;

namespace {

constexpr int64_t kGranule = 64;
int64_t roundUp(int64_t bytes) {
  return (bytes + kGranule - 1) / kGranule * kGranule;
}
/// Access spaces: the five buffers, then HBM by region (base register
/// r1..r4) and channel.
constexpr unsigned kHbm = isa::kNumBuffers;
/// Counts above this are taken as unknown (no buffer holds that many).
constexpr int64_t kMaxCount = int64_t(1) << 30;

struct Access {
  unsigned space;
  int64_t lo, hi; ///< bytes [lo, hi); hi = -1: to the end of the space
  bool write;
};

/// The last instruction of each unit that wrote or read each byte of one
/// access space, as spans [start, end) of bytes that share them: an access
/// costs the logarithm of the spans plus the spans it covers, and a write
/// merges the spans it covers into one.
class SpanMap {
public:
  struct Last {
    std::array<int64_t, isa::kNumUnits> write, read;
    Last() {
      write.fill(-1);
      read.fill(-1);
    }
    bool operator==(const Last &o) const {
      return write == o.write && read == o.read;
    }
  };

  explicit SpanMap(int64_t bytes = 0) : bytes(bytes) { clear(); }
  int64_t size() const { return bytes; }
  void clear() {
    spans.clear();
    spans[0] = Span{bytes, Last()};
  }
  /// Calls `f(last)` for every span that overlaps [lo, hi).
  template <typename F> void forEach(int64_t lo, int64_t hi, F f) const {
    if (lo >= hi)
      return;
    auto it = std::prev(spans.upper_bound(lo));
    for (; it != spans.end() && it->first < hi; ++it)
      f(it->second.last);
  }
  /// Records that instruction `n` of `unit` wrote or read [lo, hi).
  void record(int64_t lo, int64_t hi, unsigned unit, int64_t n, bool write) {
    if (lo >= hi)
      return;
    split(lo);
    split(hi);
    auto first = spans.find(lo), end = spans.lower_bound(hi);
    if (write) {
      spans.erase(first, end);
      Last last;
      last.write[unit] = n;
      first = spans.emplace(lo, Span{hi, last}).first;
      end = std::next(first);
    } else {
      for (auto it = first; it != end; ++it)
        it->second.last.read[unit] = n;
    }
    // Merge equal neighbours from the span before `lo` to the one at `hi`.
    auto it = first == spans.begin() ? first : std::prev(first);
    while (it != spans.end() && it->first <= hi) {
      auto next = std::next(it);
      if (next != spans.end() && next->second.last == it->second.last) {
        it->second.end = next->second.end;
        spans.erase(next);
        continue;
      }
      it = next;
    }
  }

private:
  struct Span {
    int64_t end;
    Last last;
  };
  /// Makes a span start at `x` (inside the space).
  void split(int64_t x) {
    if (x <= 0 || x >= bytes)
      return;
    auto it = std::prev(spans.upper_bound(x));
    if (it->first == x)
      return;
    Span tail = it->second;
    it->second.end = x;
    spans.emplace(x, tail);
  }

  int64_t bytes;
  std::map<int64_t, Span> spans; ///< start -> span; they cover [0, bytes)
};

class TokenInserter {
public:
  TokenInserter(const std::vector<int64_t> &bufferBytes, int64_t channels,
                int64_t channelBytes)
      : channels(channels) {
    for (int64_t bytes : bufferBytes)
      spaces.emplace_back(roundUp(bytes));
    for (int64_t s = 0; s < 4 * channels; ++s)
      spaces.emplace_back(roundUp(channelBytes));
    reset();
  }

  LogicalResult run(accelisa::ProgramOp program);

private:
  void reset();
  /// The values register field `name` may hold.
  const RegisterRange &reg(const isa::Instruction &i, StringRef name) const {
    return (*regs)[i.get(name)];
  }
  /// The unsigned values of register field `name` (any for a based one).
  std::pair<int64_t, int64_t> values(const isa::Instruction &i,
                                     StringRef name) const {
    const RegisterRange &r = reg(i, name);
    return r.base ? RegisterRange::top().asUnsigned() : r.asUnsigned();
  }
  /// The largest count `reg + imm` may be, if known.
  std::optional<int64_t> count(const isa::Instruction &i, StringRef reg,
                               StringRef imm = "") const;
  /// `bytes` (unknown: to the end) from buffer address `reg + imm + off`,
  /// the register and `off` anywhere in their ranges.
  void onChip(SmallVectorImpl<Access> &out, const isa::Instruction &i,
              StringRef buf, StringRef reg, int64_t imm,
              std::optional<int64_t> bytes, bool write,
              std::pair<int64_t, int64_t> off = {0, 0}) const;
  void hbm(SmallVectorImpl<Access> &out, const isa::Instruction &i,
           bool write) const;
  SmallVector<Access, 6> accessesOf(const isa::Instruction &i);

  int64_t channels;
  const Registers *regs = nullptr; ///< before the current instruction
  std::vector<SpanMap> spaces;
  std::array<std::array<int64_t, isa::kNumUnits>, isa::kNumUnits> paired;
  bool pending = false; ///< accesses since the last barrier
  std::optional<isa::Instruction> matrixConfig, attentionConfig;
  /// The RoPE tables `vrset` set, with its address registers' values.
  struct RankTables {
    unsigned cosBuf, sinBuf;
    RegisterRange cos, sin;
    int64_t rot;
  };
  std::optional<RankTables> rankTables;
  /// The table rows a `vqk` with rope=1 reads (ISA §5.7): rows R[rp] and
  /// R[rk] .. R[rk] + n - 1 of both tables; every buffer when unknown.
  void rankTableReads(SmallVectorImpl<Access> &out, const isa::Instruction &i,
                      std::optional<int64_t> n) const;
};

void TokenInserter::reset() {
  for (SpanMap &space : spaces)
    space.clear();
  for (auto &row : paired)
    row.fill(-1);
  pending = false;
}

std::optional<int64_t> TokenInserter::count(const isa::Instruction &i,
                                            StringRef regName,
                                            StringRef imm) const {
  const RegisterRange &r = reg(i, regName);
  if (r.base)
    return std::nullopt;
  int64_t most = r.asUnsigned().second + (imm.empty() ? 0 : i.get(imm));
  return most < kMaxCount ? std::optional<int64_t>(most) : std::nullopt;
}

void TokenInserter::onChip(SmallVectorImpl<Access> &out,
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
void TokenInserter::hbm(SmallVectorImpl<Access> &out,
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
      out.push_back({unsigned(kHbm + (region - 1) * channels + channel), lo,
                     hi, write});
    }
  }
}

void TokenInserter::rankTableReads(SmallVectorImpl<Access> &out,
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
std::optional<int64_t> recordBytes(const std::optional<isa::Instruction> &c) {
  if (!c)
    return std::nullopt;
  return isa::kvRecordStride(*c);
}

SmallVector<Access, 6> TokenInserter::accessesOf(const isa::Instruction &i) {
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

LogicalResult TokenInserter::run(accelisa::ProgramOp program) {
  std::vector<Operation *> ops;
  llvm::DenseMap<StringRef, size_t> labels; ///< label -> next instruction
  std::vector<size_t> entries;
  for (Operation &op : program.getBody().front()) {
    if (accelisa::getOpcode(&op))
      ops.push_back(&op);
    else if (auto symbol = op.getAttrOfType<StringAttr>(
                 SymbolTable::getSymbolAttrName()))
      labels[symbol.getValue()] = ops.size();
    if (llvm::isa<accelisa::EntryOp>(op))
      entries.push_back(ops.size());
  }
  std::vector<isa::Instruction> code;
  for (Operation *op : ops) {
    isa::Instruction i = accelisa::getInstruction(op);
    i.wait = i.release = 0;
    code.push_back(i);
  }
  std::vector<int64_t> targets(code.size(), -1);
  for (size_t n = 0; n < code.size(); ++n)
    if (FlatSymbolRefAttr target = accelisa::getTarget(ops[n]))
      targets[n] = labels.lookup(target.getValue());
  std::vector<std::optional<Registers>> before =
      analyzeRegisters(code, targets, entries);
  // Where control never arrives, registers but r0 are unknown.
  Registers unknown;
  unknown.fill(RegisterRange::top());
  unknown[0] = RegisterRange::constant(0);

  std::vector<bool> isLabel(code.size() + 1, false);
  for (auto [name, index] : labels)
    isLabel[index] = true;
  // A call returns with the unit state its subroutine left.
  for (size_t n = 0; n < code.size(); ++n)
    if (code[n].opcode == Opcode::Jal)
      isLabel[n + 1] = true;

  for (size_t n = 0; n < code.size(); ++n) {
    isa::Instruction &i = code[n];
    regs = before[n] ? &*before[n] : &unknown;
    // Control may arrive at a label from elsewhere (or after a call), with
    // other unit state.
    if (isLabel[n]) {
      matrixConfig = attentionConfig = std::nullopt;
      rankTables = std::nullopt;
    }
    bool control = i.getSpec().unit == isa::Unit::Ctrl;
    bool transfer = control && (i.getSpec().format->name == StringRef("branch") ||
                                i.opcode == Opcode::Jmp || i.opcode == Opcode::Jal ||
                                i.opcode == Opcode::Jr);
    if (transfer && pending)
      return ops[n]->emitError(
          "accel-insert-tokens orders straight-line code: a jump or branch "
          "with accesses since the last barrier (put a barrier before it)");
    if (i.opcode == Opcode::Barrier || i.opcode == Opcode::Halt) {
      reset();
      continue;
    }
    unsigned unit = static_cast<unsigned>(i.getSpec().unit);
    SmallVector<Access, 6> accesses = accessesOf(i);
    std::array<int64_t, isa::kNumUnits> after;
    after.fill(-1);
    // Accesses are tracked in granules of 64 bytes.
    auto span = [&](const Access &a) {
      int64_t end = spaces[a.space].size();
      int64_t hi = a.hi < 0 ? end : std::min(roundUp(a.hi), end);
      int64_t lo = std::max<int64_t>(a.lo, 0) / kGranule * kGranule;
      return std::make_pair(std::min(lo, end), hi);
    };
    for (const Access &a : accesses) {
      auto [lo, hi] = span(a);
      spaces[a.space].forEach(lo, hi, [&](const SpanMap::Last &last) {
        for (unsigned v = 0; v < isa::kNumUnits; ++v) {
          if (v == unit)
            continue;
          after[v] = std::max(after[v], last.write[v]);
          if (a.write)
            after[v] = std::max(after[v], last.read[v]);
        }
      });
    }
    for (unsigned v = 0; v < isa::kNumUnits; ++v) {
      if (after[v] < 0 || after[v] <= paired[v][unit])
        continue;
      code[after[v]].release |= 1u << unit;
      i.wait |= 1u << v;
      paired[v][unit] = after[v];
    }
    for (const Access &a : accesses) {
      auto [lo, hi] = span(a);
      spaces[a.space].record(lo, hi, unit, static_cast<int64_t>(n), a.write);
      pending = true;
    }
  }
  if (pending)
    return program.emitError("accel-insert-tokens: the program does not end "
                             "with a barrier or halt after its last access");

  // A forward branch must not skip an instruction that gives or takes a
  // token, or the pairs would no longer match, unless no pair crosses it: no
  // access precedes the branch since the last barrier (checked above) and
  // nothing from its target up to the next barrier takes a token.
  for (size_t n = 0; n < code.size(); ++n) {
    Operation *op = ops[n];
    FlatSymbolRefAttr target = accelisa::getTarget(op);
    if (!target || code[n].opcode == Opcode::Jal)
      continue;
    size_t to = labels.lookup(target.getValue());
    bool crossed = false;
    for (size_t k = to; k < code.size() && code[k].opcode != Opcode::Barrier &&
                        code[k].opcode != Opcode::Halt;
         ++k)
      crossed |= code[k].wait != 0;
    for (size_t k = n + 1; k < to && crossed; ++k)
      if (code[k].wait || code[k].release)
        return op->emitError("accel-insert-tokens: this branch skips "
                             "instruction ")
               << k << ", which takes or gives a dependency token";
  }
  MLIRContext *context = program.getContext();
  Builder b(context);
  for (auto [op, i] : llvm::zip(ops, code)) {
    op->setAttr(accelisa::kWaitAttr, b.getI64IntegerAttr(i.wait));
    op->setAttr(accelisa::kReleaseAttr, b.getI64IntegerAttr(i.release));
  }
  return success();
}

struct InsertTokensPass
    : public accel::impl::InsertTokensBase<InsertTokensPass> {
  using InsertTokensBase::InsertTokensBase;

  void runOnOperation() override {
    std::string path = configPath.empty() ? ACCEL_DEFAULT_CONFIG
                                          : std::string(configPath);
    llvm::Expected<hw::Config> config = hw::loadConfig(path);
    if (!config) {
      getOperation().emitError("accel-insert-tokens: ")
          << llvm::toString(config.takeError());
      return signalPassFailure();
    }
    std::vector<int64_t> buffers;
    for (const hw::BufferConfig &buffer : config->buffers)
      buffers.push_back(static_cast<int64_t>(buffer.bytes));
    WalkResult walk = getOperation().walk([&](accelisa::ProgramOp program) {
      TokenInserter inserter(buffers, int64_t(config->hbmChannels),
                             int64_t(config->hbmChannelBytes));
      return failed(inserter.run(program)) ? WalkResult::interrupt()
                                           : WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
