//===- Cost.cpp - cycles, traffic and energy of one data instruction ------===//
//
// The per-instruction formulas of the timing model (docs/ENGINE.md §6,
// docs/SIMULATOR.md "The timing model"), from the hardware config alone.
//
//===----------------------------------------------------------------------===//

#include "accel/Sim/Timing.h"

#include "llvm/ADT/Twine.h"

#include <cmath>

using namespace accel;
using namespace accel::sim;
using isa::Opcode;

namespace {

uint64_t ceilDiv(uint64_t a, uint64_t b) { return b ? (a + b - 1) / b : a; }

uint64_t reg(const Op &op, llvm::StringRef name) {
  return uint64_t(uint32_t(op.get(name)));
}

/// `R[rX] + Ximm`.
uint64_t count(const Op &op, llvm::StringRef r, llvm::StringRef imm) {
  return reg(op, r) + uint64_t(op.get(imm));
}

/// fp32 operations of one exp_a (NUMERICS §7): a multiply, a round, a
/// 6-step Horner polynomial (a multiply and an add each) and an exponent add.
constexpr unsigned kExpOps = 15;

/// One vector instruction's shape: `rows` rows of `perRow` elements swept
/// `passes` times by `lanes` lanes, with the latency `chain` of its
/// dependent fp32 operations paid once per instruction or, for the
/// reductions (`rowChain`), once per row, of which up to
/// `vector.reduction_rows` are in flight at once.
struct VecShape {
  uint64_t rows = 1, perRow = 0;
  unsigned passes = 1;
  uint64_t chain = 0;
  bool rowChain = false;
  unsigned flops = 0;     ///< fp32 operations per element
  uint64_t sramBytes = 0; ///< buffer bytes read and written
};

} // namespace

uint64_t sim::channelCycles(const hw::Config &config, uint64_t bytes) {
  double rate = config.hbmEffectiveBytesPerCycle();
  if (bytes == 0 || rate <= 0)
    return 0;
  return uint64_t(std::ceil(double(bytes) / rate));
}

DmaTraffic sim::dmaTraffic(const hw::Config &config, const Op &op) {
  DmaTraffic t;
  t.rows = count(op, "rn", "rimm");
  uint64_t len = uint64_t(op.get("len"));
  t.bytes = t.rows * len;
  if (t.bytes == 0 || config.hbmChannels == 0)
    return t;
  uint64_t burst = std::max<uint64_t>(config.hbmBurstBytes, 1);
  uint64_t rowBytes = ceilDiv(len, burst) * burst;
  uint64_t n = uint64_t(1) << op.get("nch");
  uint64_t first = uint64_t(op.get("ch"));
  for (uint64_t j = 0; j < std::min(n, t.rows); ++j) {
    unsigned channel = unsigned((first + j) % config.hbmChannels);
    uint64_t rows = t.rows / n + (j < t.rows % n ? 1 : 0);
    auto *it = llvm::find_if(t.channels,
                             [&](const auto &c) { return c.first == channel; });
    if (it == t.channels.end())
      t.channels.push_back({channel, rows * rowBytes});
    else
      it->second += rows * rowBytes;
  }
  return t;
}

/// mqk / mpv (ISA §5.9): rows x n keys, D MACs each, at the int8 x kvbits
/// MAC rate; the part of each record that holds the rows' KV heads streams
/// from the kv buffer once at its read width (the rows of one KV head share
/// it), and the int8 operands and fp32 results from and to their buffers.
static llvm::Expected<uint64_t> attentionCycles(const Machine &m, const Op &op,
                                                CallTiming &t) {
  const hw::Config &cfg = m.config;
  if (!m.matrixAttn)
    return fault(llvm::Twine(op.instr->getSpec().mnemonic) +
                 " before any maset: the matrix unit has no attention state");
  const AttnConfig &c = *m.matrixAttn;
  uint64_t n = count(op, "rn", "nimm"), D = c.hd, groups = D / c.group();
  uint64_t rows = uint64_t(op.get("rows"));
  uint64_t macs = rows * n * D;
  if (macs == 0)
    return 1;
  // The KV heads' values, fp16 scales and zero points in each record.
  uint64_t kvHeads = c.rowHead(0, rows - 1) + 1;
  uint64_t headBytes = ceilDiv(D * c.bits, 8) + 2 * groups +
                       (c.fmt == 0 ? ceilDiv(groups * c.bits, 8) : 0);
  uint64_t recordBytes = n * kvHeads * headBytes;
  double rate = std::max(double(cfg.macsPerCycle(c.bits)), 1.0);
  double compute = double(macs) / rate;
  uint64_t readCycles = ceilDiv(
      recordBytes, std::max<uint64_t>(cfg.readBytesPerCycle(2), 1));
  t.macs += macs;
  t.macCycles += compute;
  t.macPJ += double(macs) * cfg.int8MacPJ * c.bits / 8.0;
  bool scores = op.instr->opcode == Opcode::Mqk;
  uint64_t bytes =
      recordBytes + rows * (scores ? D + 4 + 4 * n : groups * (n + 4) + 4 * D);
  t.sramBytes += bytes;
  t.sramPJ += double(bytes) * cfg.sramBytePJ;
  return cfg.matrixPipelineCycles +
         std::max(uint64_t(std::ceil(compute)), readCycles);
}

llvm::Expected<uint64_t> sim::matrixCycles(const Machine &m, const Op &op,
                                           CallTiming &t) {
  const hw::Config &cfg = m.config;
  if (op.instr->opcode == Opcode::Mcfg || op.instr->opcode == Opcode::Maset)
    return 1;
  if (op.instr->opcode == Opcode::Mqk || op.instr->opcode == Opcode::Mpv)
    return attentionCycles(m, op, t);
  if (!m.matrix)
    return fault(llvm::Twine(op.instr->getSpec().mnemonic) +
                 " before any mcfg: the matrix unit has no configuration");
  const MatrixConfig &c = *m.matrix;
  bool isMm = op.instr->opcode == Opcode::Mm;
  uint64_t tokens = isMm ? reg(op, "rm") : 1;
  uint64_t rows = uint64_t(op.get("rows"));
  uint64_t macs = tokens * rows * c.k;
  if (macs == 0)
    return 1;
  uint64_t weightBytes = weightTileBytes(c, rows);
  double rate = c.afp ? double(cfg.fp32MacsPerCycle)
                      : cfg.effectiveMacsPerCycle(c.bits, c.n, c.m);
  rate = std::max(rate, 1.0);
  double compute = double(macs) / rate;
  uint64_t computeCycles = uint64_t(std::ceil(compute));
  uint64_t readCycles = ceilDiv(weightBytes, cfg.weightReadBytesPerCycle());

  t.macs += macs;
  t.macCycles += compute;
  if (c.afp) {
    t.fp32Ops += 2 * macs;
    t.fp32PJ += 2.0 * double(macs) * cfg.fp32OpPJ;
  } else {
    double performed = c.m ? double(macs) * c.n / c.m : double(macs);
    t.macPJ += performed * cfg.int8MacPJ * c.bits / 8.0;
  }
  uint64_t bytes = weightBytes + tokens * c.k * (c.afp ? 4 : 1) +
                   tokens * rows * (op.get("rq") ? 1 : 4);
  t.sramBytes += bytes;
  t.sramPJ += double(bytes) * cfg.sramBytePJ;
  return cfg.matrixPipelineCycles + std::max(computeCycles, readCycles);
}

llvm::Expected<uint64_t> sim::vectorCycles(const Machine &m, const Op &op,
                                           CallTiming &t) {
  const hw::Config &cfg = m.config;
  uint64_t A = cfg.addCycles, M = cfg.mulCycles, D = cfg.divCycles,
           S = cfg.sqrtCycles, X = cfg.expCycles;
  uint64_t lanes = std::max<uint64_t>(cfg.vectorLanes, 1);
  uint64_t levels = 0;
  while ((uint64_t(1) << levels) < lanes)
    ++levels;
  uint64_t tree = levels * A; // a reduction across the lanes
  Opcode code = op.instr->opcode;
  bool attention = code == Opcode::Vkvq || code == Opcode::Vqk ||
                   code == Opcode::Vsoftmax || code == Opcode::Vpv ||
                   code == Opcode::Vpq;
  if (attention && !m.attn)
    return fault(llvm::Twine(op.instr->getSpec().mnemonic) +
                 " before any vaset: the vector unit has no attention state");

  VecShape s;
  auto elementwise = [&](uint64_t n, uint64_t chain, unsigned flops,
                         uint64_t bytesPerElement) {
    s.perRow = n;
    s.chain = chain;
    s.flops = flops;
    s.sramBytes = n * bytesPerElement;
  };
  auto reduction = [&](unsigned passes, uint64_t chain, unsigned flops,
                       uint64_t bytesPerElement) {
    s.rows = count(op, "rm", "mimm");
    s.passes = passes;
    s.chain = chain;
    s.rowChain = true;
    s.flops = flops;
    s.sramBytes = s.rows * s.perRow * bytesPerElement;
  };
  uint64_t n = 0;
  switch (code) {
  case Opcode::Vadd:
  case Opcode::Vsub:
  case Opcode::Vmax:
  case Opcode::Vmin:
    elementwise(count(op, "rn", "nimm"), A, 1, 12);
    break;
  case Opcode::Vmul:
    elementwise(count(op, "rn", "nimm"), M, 1, 12);
    break;
  case Opcode::Vdiv:
    elementwise(count(op, "rn", "nimm"), D, 1, 12);
    break;
  case Opcode::Vrelu:
    elementwise(count(op, "rn", "nimm"), A, 1, 8);
    break;
  case Opcode::Vexp:
    elementwise(count(op, "rn", "nimm"), X, kExpOps, 8);
    break;
  case Opcode::Vsilu: // x / (1 + exp_a(-x))
    elementwise(count(op, "rn", "nimm"), X + A + D, kExpOps + 3, 8);
    break;
  case Opcode::Vgelut: // x*x*x, *0.0447, +x, *0.798, *2, exp, +1, 2/, 1-, 1+, *
    elementwise(count(op, "rn", "nimm"), 6 * M + 4 * A + X + D, kExpOps + 13,
                8);
    break;
  case Opcode::Vgelue: // *0.707, the A&S polynomial after 1/(1+p|v|), * exp
    elementwise(count(op, "rn", "nimm"), 9 * M + 7 * A + D, kExpOps + 20, 8);
    break;
  case Opcode::Vcopy:
    elementwise(ceilDiv(count(op, "rn", "nimm"), 4), 0, 0, 8);
    break;
  case Opcode::Vfill:
    elementwise(count(op, "rn", "nimm"), 0, 0, 4);
    break;
  case Opcode::Vargmax:
    elementwise(count(op, "rn", "nimm"), A + tree, 1, 4);
    break;
  case Opcode::Vrope:
    elementwise(count(op, "rm", "mimm") * uint64_t(op.get("heads")) *
                    uint64_t(op.get("hd")),
                M + A, 3, 16);
    break;
  case Opcode::Vdequant:
    elementwise(count(op, "rn", "nimm") * count(op, "rm", "mimm"), A + M, 2, 5);
    break;
  case Opcode::Vrmsnorm: // sum of squares; +eps, sqrt, 1/; two multiplies
    s.perRow = count(op, "rn", "nimm");
    reduction(2, M + A + tree + D + A + S + D + 2 * M, 5, 12);
    break;
  case Opcode::Vlnorm: // mean; variance; 1/sqrt; scale and shift
    s.perRow = count(op, "rn", "nimm");
    reduction(
        3, (A + tree + D) + (A + M + A + tree + D) + (A + S + D) + (2 * M + A),
        8, 16);
    break;
  case Opcode::Vqact:
  case Opcode::Vquant: // max |x|; s = a / P; x / s, round
    s.perRow = count(op, "rn", "nimm");
    reduction(2, A + tree + 2 * D + A, 4, 5);
    break;
  case Opcode::Vkvq:
    s.perRow = uint64_t(m.attn->kvh) * m.attn->hd;
    reduction(2, A + tree + 2 * D + A, 4, 5);
    break;
  case Opcode::Vqk: // dequantize, multiply, reduce over d, scale
  case Opcode::Vpv: { // dequantize, multiply, accumulate over keys
    // Each row's products take a lane an element each; a key's dequantized
    // head stays in the lanes for the rows of its KV head (ISA §5.7), so
    // the records stream once for all rows.
    n = count(op, "rn", "nimm");
    uint64_t rows = std::max<uint64_t>(uint64_t(op.get("rows")), 1);
    uint64_t kvHeads = m.attn->rowHead(0, rows - 1) + 1;
    s.perRow = rows * n * m.attn->hd;
    s.chain = code == Opcode::Vqk ? 3 * M + tree : 2 * M + A;
    s.flops = 3;
    s.sramBytes =
        n * m.attn->recordBytes() + 4 * rows * (n + uint64_t(m.attn->hd));
    if (code == Opcode::Vqk && op.get("rope") && n > 0) {
      // rope=1: each row's query and each key of each of the rows' KV
      // heads rotated first (NUMERICS §8: two products and a sum per
      // rotated element), reading two table rows each.
      if (llvm::Error err = vqkRotation(m, *m.attn).takeError())
        return std::move(err);
      uint64_t rotated = rows + kvHeads * n;
      s.perRow += rotated * m.rope->rot;
      s.chain += M + A;
      s.sramBytes += rotated * 8 * uint64_t(m.rope->rot);
    }
    break;
  }
  case Opcode::Vpq: { // per group: p x S, max |w|; s = a / 127; w / s, round
    // part=whole sweeps twice (the max, then the quantization); a chunk's
    // max part (first, next, last) and its quant part once each. The max
    // is a reduction per row and group; quant is element-wise.
    int64_t part = op.get("part");
    uint64_t keys = count(op, "rn", "nimm"), rows = uint64_t(op.get("rows"));
    uint64_t groupRows = rows * (m.attn->hd / m.attn->group());
    bool max = part != 0 && part != 4, quant = part == 4;
    // quant: one element-wise sweep over every (row, group)'s keys.
    s.rows = quant ? 1 : groupRows;
    s.perRow = quant ? groupRows * keys : keys;
    s.passes = part == 0 ? 2 : 1;
    s.chain = quant ? M + D + A : M + A + tree + (max ? 0 : 2 * D + A);
    if (part == 3)
      s.chain += D;
    s.rowChain = !quant;
    s.flops = quant ? 3 : max ? 2 : 5;
    s.sramBytes = groupRows * keys * (2 + (max ? 0 : 1) + (part == 0 ? 4 : 0)) +
                  4 * keys * rows;
    break;
  }
  case Opcode::Vsoftmax: // max; exp and sum; divide
    n = count(op, "rn", "nimm");
    s.rows = uint64_t(op.get("rows"));
    s.perRow = n;
    s.passes = 3;
    s.chain = (A + tree) + (A + X + tree) + D;
    s.rowChain = true;
    s.flops = kExpOps + 4;
    s.sramBytes = 12 * n * s.rows;
    break;
  default: // vaset, vrset
    break;
  }
  // A reduction's rows enter one per `interval`: after the previous row's
  // sweep, and once `reduction_rows` rows are in flight, after the oldest
  // drains (1: each row's whole chain before the next row).
  uint64_t sweep = s.passes * ceilDiv(s.perRow, lanes);
  uint64_t inFlight = std::max<uint64_t>(cfg.vectorReductionRows, 1);
  uint64_t interval = std::max(sweep, ceilDiv(sweep + s.chain, inFlight));
  uint64_t cycles =
      cfg.vectorIssueCycles +
      (s.rowChain ? (s.rows ? (s.rows - 1) * interval + sweep + s.chain : 0)
                  : sweep + s.chain);
  uint64_t ops = s.rows * s.perRow * s.flops;
  t.fp32Ops += ops;
  t.fp32PJ += double(ops) * cfg.fp32OpPJ;
  t.sramBytes += s.sramBytes;
  t.sramPJ += double(s.sramBytes) * cfg.sramBytePJ;
  return cycles;
}
