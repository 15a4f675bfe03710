//===- RegisterRanges.cpp - what an accelisa program's registers hold -----===//
//
// A forward abstract interpretation of the scalar registers over the
// program's control flow: intervals of values modulo 2^32 (docs/ISA.md
// §2.1), each optionally relative to an HBM region base. Each ALU
// operation bounds its result from its operands' bounds, exactly for
// constants (but a division by 0, taken as unknown). A label reached again
// and again (a loop) gives up on the registers that keep changing there.
//
//===----------------------------------------------------------------------===//

#include "RegisterRanges.h"

#include <algorithm>
#include <set>

using namespace accel;
using namespace accel::lowering;
using isa::Opcode;

namespace {

constexpr int64_t kM = RegisterRange::kModulus;
/// Joins that change the registers at one instruction before those still
/// changing there are taken as unknown (the interpretation then ends after
/// a few more rounds); a subroutine's entry joins each of its calls first.
constexpr unsigned kWidenAfter = 4;

/// The range of a number computed in 128 bits, modulo 2^32.
RegisterRange wide(__int128 lo, __int128 hi) {
  if (hi - lo >= kM - 1)
    return RegisterRange::top();
  __int128 shift = lo >= 0 ? lo / kM * kM : -((-lo + kM - 1) / kM) * kM;
  return RegisterRange::of(0, int64_t(lo - shift), int64_t(hi - shift));
}

/// 0 or 1 for a comparison that `less` says holds (true), fails (false) or
/// may go either way (nullopt).
RegisterRange flag(std::optional<bool> less) {
  return less ? RegisterRange::constant(*less) : RegisterRange::of(0, 0, 1);
}

/// a < b on the intervals of two interpretations.
std::optional<bool> lessThan(std::pair<int64_t, int64_t> a,
                             std::pair<int64_t, int64_t> b) {
  if (a.second < b.first)
    return true;
  if (a.first >= b.second)
    return false;
  return std::nullopt;
}

/// The result of an ALU operation on operand ranges `a` and `b`.
RegisterRange alu(Opcode op, const RegisterRange &a, const RegisterRange &b) {
  std::optional<int64_t> x = a.constant(), y = b.constant();
  auto [ua, ub] = std::make_pair(a.asUnsigned(), b.asUnsigned());
  auto [sa, sb] = std::make_pair(a.asSigned(), b.asSigned());
  switch (op) {
  case Opcode::Add:
  case Opcode::Addi:
    if (a.base && b.base)
      return RegisterRange::top();
    return RegisterRange::of(a.base | b.base, a.lo + b.lo, a.hi + b.hi);
  case Opcode::Sub:
    if (b.base && b.base != a.base)
      return RegisterRange::top();
    return RegisterRange::of(b.base ? 0 : a.base, a.lo - b.hi, a.hi - b.lo);
  default:
    break;
  }
  if (a.base || b.base)
    return RegisterRange::top();
  switch (op) {
  case Opcode::Mul:
  case Opcode::Muli:
  case Opcode::Sll:
  case Opcode::Slli: {
    __int128 f[2] = {b.lo, b.hi};
    if (op == Opcode::Sll || op == Opcode::Slli) {
      if (!y)
        return RegisterRange::top();
      f[0] = f[1] = __int128(1) << (*y & 31);
    }
    __int128 p[4] = {a.lo * f[0], a.lo * f[1], a.hi * f[0], a.hi * f[1]};
    return wide(*std::min_element(p, p + 4), *std::max_element(p, p + 4));
  }
  case Opcode::Srl:
  case Opcode::Srli:
    if (!y)
      return RegisterRange::top();
    return RegisterRange::of(0, ua.first >> (*y & 31), ua.second >> (*y & 31));
  case Opcode::Sra:
  case Opcode::Srai:
    if (!y)
      return RegisterRange::top();
    return RegisterRange::of(0, sa.first >> (*y & 31), sa.second >> (*y & 31));
  case Opcode::And:
  case Opcode::Andi: {
    // Clearing low bits keeps the order; otherwise the result is at most
    // either operand.
    if (x && y)
      return RegisterRange::constant(*x & *y);
    std::optional<int64_t> mask = y ? y : x;
    auto other = y ? ua : ub;
    if (mask && ((kM - *mask) & (kM - *mask - 1)) == 0)
      return RegisterRange::of(0, other.first & *mask, other.second & *mask);
    return RegisterRange::of(0, 0, std::min(ua.second, ub.second));
  }
  case Opcode::Or:
  case Opcode::Ori:
  case Opcode::Xor:
  case Opcode::Xori: {
    if (x && y)
      return RegisterRange::constant(
          op == Opcode::Or || op == Opcode::Ori ? *x | *y : *x ^ *y);
    int64_t bits = 0;
    while ((int64_t(1) << bits) <= std::max(ua.second, ub.second))
      ++bits;
    return RegisterRange::of(0, 0, (int64_t(1) << bits) - 1);
  }
  case Opcode::Slt:
  case Opcode::Slti:
    return flag(lessThan(sa, sb));
  case Opcode::Sltu:
  case Opcode::Sltiu:
    return flag(lessThan(ua, ub));
  case Opcode::Min:
  case Opcode::Mini:
    return RegisterRange::of(0, std::min(sa.first, sb.first),
                             std::min(sa.second, sb.second));
  case Opcode::Max:
  case Opcode::Maxi:
    return RegisterRange::of(0, std::max(sa.first, sb.first),
                             std::max(sa.second, sb.second));
  case Opcode::Minu:
  case Opcode::Minui:
    return RegisterRange::of(0, std::min(ua.first, ub.first),
                             std::min(ua.second, ub.second));
  case Opcode::Maxu:
  case Opcode::Maxui:
    return RegisterRange::of(0, std::max(ua.first, ub.first),
                             std::max(ua.second, ub.second));
  case Opcode::Divu:
  case Opcode::Divui:
    if (ub.first == 0)
      return RegisterRange::top();
    return RegisterRange::of(0, ua.first / ub.second, ua.second / ub.first);
  default: // remu, remui: below the divisor and never above the dividend
    if (x && y && *y)
      return RegisterRange::constant(*x % *y);
    if (ub.first > 0 && ua.second < ub.first)
      return a;
    return RegisterRange::of(
        0, 0, ub.first > 0 ? std::min(ua.second, ub.second - 1) : ua.second);
  }
}

RegisterRange join(const RegisterRange &a, const RegisterRange &b) {
  if (a.base != b.base)
    return RegisterRange::top();
  return RegisterRange::of(a.base, std::min(a.lo, b.lo), std::max(a.hi, b.hi));
}

/// The registers after instruction `n`.
Registers transfer(const isa::Instruction &i, size_t n, Registers regs) {
  const isa::InstrSpec &spec = i.getSpec();
  if (spec.unit != isa::Unit::Ctrl)
    return regs;
  auto write = [&](RegisterRange value) {
    if (int64_t rd = i.get("rd"))
      regs[rd] = value;
  };
  llvm::StringRef format = spec.format->name;
  if (format == "alu")
    write(alu(i.opcode, regs[i.get("rs1")], regs[i.get("rs2")]));
  else if (format == "alu-imm")
    write(alu(i.opcode, regs[i.get("rs1")],
              RegisterRange::constant(i.get("imm"))));
  else if (format == "load-scalar")
    write(RegisterRange::top());
  else if (format == "jump-link")
    write(RegisterRange::constant(int64_t(n) + 1));
  return regs;
}

} // namespace

RegisterRange RegisterRange::norm() const {
  if (hi < lo || hi - lo >= kM - 1)
    return top(base);
  int64_t shift = lo >= 0 ? lo / kM * kM : -((-lo + kM - 1) / kM) * kM;
  return RegisterRange{base, lo - shift, hi - shift};
}

std::pair<int64_t, int64_t> RegisterRange::asUnsigned() const {
  return hi < kM ? std::make_pair(lo, hi) : std::make_pair(int64_t(0), kM - 1);
}

std::pair<int64_t, int64_t> RegisterRange::asSigned() const {
  if (hi < kM / 2)
    return {lo, hi};
  if (lo >= kM / 2)
    return {lo - kM, hi - kM};
  return {-kM / 2, kM / 2 - 1};
}

std::optional<int64_t> RegisterRange::constant() const {
  if (base || lo != hi)
    return std::nullopt;
  return lo;
}

std::vector<std::optional<Registers>>
accel::lowering::analyzeRegisters(llvm::ArrayRef<isa::Instruction> code,
                                  llvm::ArrayRef<int64_t> targets,
                                  llvm::ArrayRef<size_t> entries) {
  size_t size = code.size();
  std::vector<std::optional<Registers>> in(size);
  std::vector<unsigned> joins(size, 0);
  std::vector<size_t> returns; ///< the instruction after each jal
  // A subroutine's entry joins each of its calls before it widens.
  std::vector<unsigned> calls(size, 0);
  for (size_t n = 0; n < size; ++n) {
    if (code[n].opcode != Opcode::Jal)
      continue;
    if (n + 1 < size)
      returns.push_back(n + 1);
    if (targets[n] >= 0 && size_t(targets[n]) < size)
      ++calls[targets[n]];
  }

  std::set<size_t> work;
  auto flow = [&](size_t to, const Registers &regs) {
    if (to >= size)
      return;
    if (!in[to]) {
      in[to] = regs;
      work.insert(to);
      return;
    }
    // Only a join that changes a register counts towards widening.
    Registers &old = *in[to];
    Registers joined;
    bool changed = false;
    for (unsigned r = 0; r < isa::kNumRegisters; ++r) {
      joined[r] = join(old[r], regs[r]);
      changed |= joined[r] != old[r];
    }
    if (!changed)
      return;
    bool widen = ++joins[to] > kWidenAfter + calls[to];
    for (unsigned r = 0; r < isa::kNumRegisters; ++r)
      if (joined[r] != old[r])
        old[r] = widen ? RegisterRange::top(joined[r].base) : joined[r];
    work.insert(to);
  };

  Registers abi;
  abi.fill(RegisterRange::constant(0));
  for (unsigned r = 1; r <= 4; ++r)
    abi[r] = RegisterRange::of(r, 0, 0);
  for (unsigned r = 5; r <= 7; ++r)
    abi[r] = RegisterRange::top();
  for (size_t entry : entries)
    flow(entry, abi);

  while (!work.empty()) {
    size_t n = *work.begin();
    work.erase(work.begin());
    const isa::Instruction &i = code[n];
    Registers out = transfer(i, n, *in[n]);
    llvm::StringRef format = i.getSpec().format->name;
    switch (i.opcode) {
    case Opcode::Halt:
      break;
    case Opcode::Jmp:
    case Opcode::Jal:
      flow(size_t(targets[n]), out);
      break;
    case Opcode::Jr: {
      // To the calls whose return the link's range allows.
      const RegisterRange &link = out[i.get("rs1")];
      auto [lo, hi] = link.base ? std::make_pair(int64_t(0), kM - 1)
                                : link.asUnsigned();
      for (size_t to : returns)
        if (int64_t(to) >= lo && int64_t(to) <= hi)
          flow(to, out);
      break;
    }
    default:
      if (format == "branch")
        flow(size_t(targets[n]), out);
      flow(n + 1, out);
      break;
    }
  }
  return in;
}
