//===- Control.cpp - scalar instructions of the control unit --------------===//
//
// docs/ISA.md §4: the ALU, branches, jumps and the scalar buffer accesses.
// halt and barrier are the scheduler's (Simulator.cpp).
//
//===----------------------------------------------------------------------===//

#include "accel/Sim/Simulator.h"

#include "llvm/ADT/Twine.h"

using namespace accel;
using namespace accel::sim;
using isa::Opcode;
using llvm::Twine;

namespace {

uint32_t alu(Opcode op, uint32_t a, uint32_t b) {
  switch (op) {
  case Opcode::Add:
  case Opcode::Addi:
    return a + b;
  case Opcode::Sub:
    return a - b;
  case Opcode::Mul:
  case Opcode::Muli:
    return a * b;
  case Opcode::And:
  case Opcode::Andi:
    return a & b;
  case Opcode::Or:
  case Opcode::Ori:
    return a | b;
  case Opcode::Xor:
  case Opcode::Xori:
    return a ^ b;
  case Opcode::Sll:
  case Opcode::Slli:
    return a << (b & 31);
  case Opcode::Srl:
  case Opcode::Srli:
    return a >> (b & 31);
  case Opcode::Sra:
  case Opcode::Srai:
    return uint32_t(int32_t(a) >> (b & 31));
  case Opcode::Slt:
  case Opcode::Slti:
    return int32_t(a) < int32_t(b);
  case Opcode::Sltu:
  case Opcode::Sltiu:
    return a < b;
  case Opcode::Min:
  case Opcode::Mini:
    return uint32_t(std::min(int32_t(a), int32_t(b)));
  case Opcode::Max:
  case Opcode::Maxi:
    return uint32_t(std::max(int32_t(a), int32_t(b)));
  case Opcode::Minu:
  case Opcode::Minui:
    return std::min(a, b);
  case Opcode::Maxu:
  case Opcode::Maxui:
    return std::max(a, b);
  case Opcode::Divu:
  case Opcode::Divui:
    return b ? a / b : 0xffffffffu;
  case Opcode::Remu:
  case Opcode::Remui:
    return b ? a % b : a;
  default:
    return 0;
  }
}

bool branchTaken(Opcode op, uint32_t a, uint32_t b) {
  switch (op) {
  case Opcode::Beq:
    return a == b;
  case Opcode::Bne:
    return a != b;
  case Opcode::Blt:
    return int32_t(a) < int32_t(b);
  case Opcode::Bge:
    return int32_t(a) >= int32_t(b);
  case Opcode::Bltu:
    return a < b;
  default:
    return a >= b;
  }
}

llvm::Expected<uint8_t *> scalarWord(Machine &m, const isa::Instruction &in) {
  uint64_t addr = uint64_t(m.regs[in.get("rs1")]) + uint64_t(in.get("imm"));
  if (addr % 4)
    return fault("scalar address " + hex(addr) + " of " +
                 isa::bufferName(isa::Buffer(in.get("buf"))) +
                 " is not 4-aligned");
  return m.buffers.span(unsigned(in.get("buf")), addr, 4,
                        in.opcode == isa::Opcode::Sts ? Use::Write : Use::Read);
}

} // namespace

llvm::Error sim::executeControl(Machine &m, const isa::Instruction &in,
                                uint32_t pc, uint32_t codeSize,
                                uint32_t &nextPc) {
  nextPc = pc + 1;
  auto setReg = [&](int64_t rd, uint32_t value) {
    if (rd)
      m.regs[rd] = value;
  };
  auto reg = [&](llvm::StringRef name) { return m.regs[in.get(name)]; };
  // Add .. Remu and Addi .. Remui are consecutive in Instructions.def.
  if (in.opcode >= Opcode::Add && in.opcode <= Opcode::Remu) {
    setReg(in.get("rd"), alu(in.opcode, reg("rs1"), reg("rs2")));
    return llvm::Error::success();
  }
  if (in.opcode >= Opcode::Addi && in.opcode <= Opcode::Remui) {
    setReg(in.get("rd"), alu(in.opcode, reg("rs1"), uint32_t(in.get("imm"))));
    return llvm::Error::success();
  }
  switch (in.opcode) {
  case Opcode::Nop:
    return llvm::Error::success();
  case Opcode::Beq:
  case Opcode::Bne:
  case Opcode::Blt:
  case Opcode::Bge:
  case Opcode::Bltu:
  case Opcode::Bgeu:
    if (branchTaken(in.opcode, reg("rs1"), reg("rs2")))
      nextPc = uint32_t(in.get("target"));
    return llvm::Error::success();
  case Opcode::Jmp:
    nextPc = uint32_t(in.get("target"));
    return llvm::Error::success();
  case Opcode::Jal:
    setReg(in.get("rd"), pc + 1);
    nextPc = uint32_t(in.get("target"));
    return llvm::Error::success();
  case Opcode::Jr: {
    uint32_t target = reg("rs1");
    if (target >= codeSize)
      return fault("jr target " + Twine(target) + " is outside the code (" +
                   Twine(codeSize) + " instructions)");
    nextPc = target;
    return llvm::Error::success();
  }
  case Opcode::Lds: {
    llvm::Expected<uint8_t *> p = scalarWord(m, in);
    if (!p)
      return p.takeError();
    setReg(in.get("rd"), loadU32(*p));
    return llvm::Error::success();
  }
  case Opcode::Sts: {
    llvm::Expected<uint8_t *> p = scalarWord(m, in);
    if (!p)
      return p.takeError();
    storeU32(*p, reg("rs2"));
    return llvm::Error::success();
  }
  default:
    return fault(Twine(in.getSpec().mnemonic) +
                 " is not a scalar control instruction");
  }
}
