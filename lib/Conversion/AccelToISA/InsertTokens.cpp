//===- InsertTokens.cpp - accel-insert-tokens -----------------------------===//
//
// Gives an accelisa program the dependency tokens docs/ISA.md §3 requires:
// every pair of accesses by different units to overlapping bytes, one of
// them a write, gets a wait/release pair, paired in program order so that
// every token given is taken (AccelPasses.td).
//
// What each instruction reads and writes follows from its fields, the
// values its registers hold (tracked along the program: constants, an ABI
// region base plus an offset, or unknown) and the unit state `mcfg` and
// `vaset` set. An unknown address or count makes the access run to the end
// of the buffer; HBM is tracked per region (the base register r1..r4 an
// address derives from), every region where unknown.
//
//===----------------------------------------------------------------------===//

#include "Placement.h"

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
/// Access spaces: the five buffers, then HBM regions by base register r1..r4.
constexpr unsigned kHbm = isa::kNumBuffers, kSpaces = kHbm + 4;

/// What the analysis knows of a register.
struct Reg {
  enum Kind { Const, Based, Unknown } kind = Unknown;
  int64_t value = 0; ///< Const: the value; Based: the offset if `known`
  unsigned base = 0; ///< Based: the ABI register r1..r4
  bool known = false;

  static Reg constant(int64_t v) { return {Const, v, 0, true}; }
  static Reg based(unsigned b) { return {Based, 0, b, true}; }
};

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
  TokenInserter(std::vector<int64_t> bufferBytes)
      : bufferBytes(std::move(bufferBytes)) {
    for (unsigned s = 0; s < kSpaces; ++s)
      spaces[s] = SpanMap(s < kHbm ? roundUp(this->bufferBytes[s]) : kGranule);
    reset();
  }

  LogicalResult run(accelisa::ProgramOp program);

private:
  void reset();
  void resetRegisters();
  Reg reg(int64_t index) const { return regs[index]; }
  /// The value of register field `name`, if a constant.
  std::optional<int64_t> value(const isa::Instruction &i, StringRef name) {
    Reg r = regs[i.get(name)];
    return r.kind == Reg::Const ? std::optional<int64_t>(r.value)
                                : std::nullopt;
  }
  /// A count `reg + imm`, if known.
  std::optional<int64_t> count(const isa::Instruction &i, StringRef reg,
                               StringRef imm) {
    std::optional<int64_t> r = value(i, reg);
    return r ? std::optional<int64_t>(*r + i.get(imm)) : std::nullopt;
  }
  /// `bytes` (unknown: to the end) from buffer address `reg + imm`.
  void onChip(SmallVectorImpl<Access> &out, const isa::Instruction &i,
              StringRef buf, StringRef reg, int64_t imm,
              std::optional<int64_t> bytes, bool write);
  void hbm(SmallVectorImpl<Access> &out, const isa::Instruction &i,
           bool write);
  SmallVector<Access, 6> accessesOf(const isa::Instruction &i);
  void step(const isa::Instruction &i);

  std::vector<int64_t> bufferBytes;
  std::array<Reg, isa::kNumRegisters> regs;
  std::array<SpanMap, kSpaces> spaces;
  std::array<std::array<int64_t, isa::kNumUnits>, isa::kNumUnits> paired;
  bool pending = false; ///< accesses since the last barrier
  std::optional<isa::Instruction> matrixConfig, attentionConfig;
};

void TokenInserter::resetRegisters() {
  for (unsigned r = 0; r < isa::kNumRegisters; ++r)
    regs[r] = Reg();
  regs[0] = Reg::constant(0);
  for (unsigned r = 1; r <= 4; ++r)
    regs[r] = Reg::based(r);
}

void TokenInserter::reset() {
  for (SpanMap &space : spaces)
    space.clear();
  for (auto &row : paired)
    row.fill(-1);
  pending = false;
}

void TokenInserter::onChip(SmallVectorImpl<Access> &out,
                           const isa::Instruction &i, StringRef buf,
                           StringRef regName, int64_t imm,
                           std::optional<int64_t> bytes, bool write) {
  unsigned space = i.get(buf);
  std::optional<int64_t> base = value(i, regName);
  if (!base) {
    out.push_back({space, 0, -1, write});
    return;
  }
  int64_t lo = *base + imm;
  out.push_back({space, lo, bytes ? lo + *bytes : -1, write});
}

void TokenInserter::hbm(SmallVectorImpl<Access> &out,
                        const isa::Instruction &i, bool write) {
  Reg r = regs[i.get("rh")];
  if (r.kind == Reg::Based) {
    out.push_back({kHbm + r.base - 1, 0, -1, write});
    return;
  }
  for (unsigned b = 0; b < 4; ++b)
    out.push_back({kHbm + b, 0, -1, write});
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
    std::optional<int64_t> rows = count(i, "rn", "rimm");
    std::optional<int64_t> bytes =
        rows ? std::optional<int64_t>(*rows == 0 ? 0
                                                 : (*rows - 1) *
                                                           i.get("sstride") +
                                                       i.get("len"))
             : std::nullopt;
    bool load = i.opcode == Opcode::Load;
    onChip(out, i, "buf", "rs", i.get("simm"), bytes, load);
    hbm(out, i, !load);
    break;
  }
  case Opcode::Mv:
  case Opcode::Mm: {
    std::optional<int64_t> tokens =
        i.opcode == Opcode::Mv ? std::optional<int64_t>(1) : value(i, "rm");
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
                           m = count(i, "rm", "mimm");
    std::optional<int64_t> rows =
        h && m ? std::optional<int64_t>(*h * *m * 4) : std::nullopt;
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
    std::optional<int64_t> position = value(i, "rp");
    onChip(out, i, "abuf", "ra", 0, times(m, row), false);
    for (StringRef table : {"b", "c"}) {
      std::optional<int64_t> bytes;
      int64_t first = 0;
      if (position && m) {
        first = *position * rot;
        bytes = *m * rot;
      }
      onChip(out, i, (table + "buf").str(), ("r" + table).str(),
             position ? first : 0, bytes, false);
    }
    onChip(out, i, "dbuf", "rd", 0, times(m, row), true);
    break;
  }
  case Opcode::Vaset:
    attentionConfig = i;
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
    // ISA §5.9: records in two runs; int8 queries or weights, fp32 scales.
    std::optional<int64_t> n = count(i, "rn", "nimm");
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
    onChip(out, i, "abuf", "ra", 0,
           scores ? hd : (context ? weights : times(n, 4)), false);
    onChip(out, i, "sbuf", "rs", 0,
           scores ? std::optional<int64_t>(4) : times(groups, 4),
           i.opcode == Opcode::Vpq);
    onChip(out, i, "dbuf", "rd", 0,
           scores ? times(n, 4) : (context ? times(hd, 4) : weights), true);
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
      onChip(out, i, "abuf", "ra", 0, times(n, 4), false);
      onChip(out, i, "dbuf", "rd", 0, times(n, 4), true);
      break;
    }
    bool scores = i.opcode == Opcode::Vqk;
    onChip(out, i, "abuf", "ra", 0,
           scores ? (attentionConfig ? std::optional<int64_t>(hd)
                                     : std::nullopt)
                  : times(n, 4),
           false);
    onChip(out, i, "bbuf", "rb", 0, rec ? times(n, *rec) : std::nullopt,
           false);
    std::optional<int64_t> written =
        scores ? times(n, 4)
               : (attentionConfig ? std::optional<int64_t>(hd) : std::nullopt);
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

/// The register an ALU instruction writes and its new abstract value.
void TokenInserter::step(const isa::Instruction &i) {
  const isa::InstrSpec &spec = i.getSpec();
  if (spec.unit != isa::Unit::Ctrl)
    return;
  auto write = [&](Reg value) {
    int64_t rd = i.get("rd");
    if (rd != 0)
      regs[rd] = value;
  };
  StringRef format = spec.format->name;
  if (format == "alu" || format == "alu-imm") {
    Reg a = regs[i.get("rs1")];
    Reg b = format == "alu" ? regs[i.get("rs2")]
                            : Reg::constant(i.get("imm"));
    bool add = i.opcode == Opcode::Add || i.opcode == Opcode::Addi;
    if (a.kind == Reg::Const && b.kind == Reg::Const) {
      uint32_t x = a.value, y = b.value, r = 0;
      switch (i.opcode) {
      case Opcode::Add: case Opcode::Addi: r = x + y; break;
      case Opcode::Sub: r = x - y; break;
      case Opcode::Mul: case Opcode::Muli: r = x * y; break;
      case Opcode::And: case Opcode::Andi: r = x & y; break;
      case Opcode::Or: case Opcode::Ori: r = x | y; break;
      case Opcode::Xor: case Opcode::Xori: r = x ^ y; break;
      case Opcode::Sll: case Opcode::Slli: r = x << (y & 31); break;
      case Opcode::Srl: case Opcode::Srli: r = x >> (y & 31); break;
      default:
        write(Reg());
        return;
      }
      write(Reg::constant(r));
      return;
    }
    if (add && (a.kind == Reg::Based) != (b.kind == Reg::Based)) {
      Reg based = a.kind == Reg::Based ? a : b;
      Reg other = a.kind == Reg::Based ? b : a;
      based.known = based.known && other.kind == Reg::Const;
      based.value += other.kind == Reg::Const ? other.value : 0;
      write(based);
      return;
    }
    write(Reg());
    return;
  }
  if (format == "load-scalar" || format == "jump-link")
    write(Reg());
}

LogicalResult TokenInserter::run(accelisa::ProgramOp program) {
  std::vector<Operation *> ops;
  llvm::DenseMap<StringRef, size_t> labels; ///< label -> next instruction
  for (Operation &op : program.getBody().front()) {
    if (accelisa::getOpcode(&op))
      ops.push_back(&op);
    else if (auto symbol = op.getAttrOfType<StringAttr>(
                 SymbolTable::getSymbolAttrName()))
      labels[symbol.getValue()] = ops.size();
  }
  std::vector<isa::Instruction> code;
  for (Operation *op : ops) {
    isa::Instruction i = accelisa::getInstruction(op);
    i.wait = i.release = 0;
    code.push_back(i);
  }
  std::vector<bool> isTarget(code.size() + 1, false);
  for (auto [name, index] : labels)
    isTarget[index] = true;

  for (size_t n = 0; n < code.size(); ++n) {
    isa::Instruction &i = code[n];
    // Control reaches a label from elsewhere: registers are not known there.
    if (isTarget[n])
      resetRegisters();
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
    step(i);
    std::array<int64_t, isa::kNumUnits> after;
    after.fill(-1);
    // Accesses are tracked in granules of 64 bytes.
    auto span = [&](const Access &a) {
      int64_t end = spaces[a.space].size();
      int64_t hi = a.hi < 0 ? end : std::min(roundUp(a.hi), end);
      return std::make_pair(std::min(a.lo / kGranule * kGranule, end), hi);
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
      TokenInserter inserter(buffers);
      return failed(inserter.run(program)) ? WalkResult::interrupt()
                                           : WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
