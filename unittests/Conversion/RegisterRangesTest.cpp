//===- RegisterRangesTest.cpp - accel-insert-tokens' register ranges ------===//
//
// Soundness: random control programs run on the simulator's control unit
// (lib/Sim) from random ABI registers; every register before every executed
// instruction lies in the range the analysis gives. Precision: the bounds
// the lowering's code relies on (a prefill tile's row count, a region base
// plus an offset, a subroutine's argument).
//
//===----------------------------------------------------------------------===//

#include "RegisterRanges.h"

#include "accel/Hardware/Config.h"
#include "accel/Sim/Simulator.h"

#include "gtest/gtest.h"

#include <random>

using namespace accel;
using namespace accel::lowering;
using isa::Opcode;

namespace {

isa::Instruction alu(Opcode op, int64_t rd, int64_t rs1, int64_t rs2OrImm) {
  isa::Instruction i = isa::Instruction::create(op);
  i.set("rd", rd);
  i.set("rs1", rs1);
  i.set(i.getSpec().format->name == llvm::StringRef("alu") ? "rs2" : "imm",
        rs2OrImm);
  return i;
}

isa::Instruction control(Opcode op, int64_t target, int64_t a = 0,
                         int64_t b = 0) {
  isa::Instruction i = isa::Instruction::create(op);
  llvm::StringRef format = i.getSpec().format->name;
  if (format == "branch") {
    i.set("rs1", a);
    i.set("rs2", b);
  } else if (format == "jump-link") {
    i.set("rd", a);
  } else if (format == "jump-reg") {
    i.set("rs1", a);
  }
  if (target >= 0)
    i.set("target", target);
  return i;
}

std::vector<int64_t> targetsOf(llvm::ArrayRef<isa::Instruction> code) {
  std::vector<int64_t> targets;
  for (const isa::Instruction &i : code)
    targets.push_back(
        isa::fieldIndex(*i.getSpec().format, "target") ? i.get("target") : -1);
  return targets;
}

/// Whether `value` is one `r` allows, the region bases being `entry`'s.
bool holds(const RegisterRange &r, uint32_t value,
           const std::array<uint32_t, isa::kNumRegisters> &entry) {
  uint32_t offset = value - (r.base ? entry[r.base] : 0);
  return uint64_t(uint32_t(offset - uint32_t(r.lo))) <= uint64_t(r.hi - r.lo);
}

class RegisterRangesTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::Expected<hw::Config> loaded = hw::loadConfig(ACCEL_DEFAULT_CONFIG);
    ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    config = std::make_unique<hw::Config>(std::move(*loaded));
    machine = std::make_unique<sim::Machine>(*config);
  }

  /// Runs `code` from instruction 0 with `entry` registers and checks every
  /// register before every instruction against `ranges`; the instructions
  /// run (the jr among them added to `returns`).
  size_t check(llvm::ArrayRef<isa::Instruction> code,
               const std::vector<std::optional<Registers>> &ranges,
               const std::array<uint32_t, isa::kNumRegisters> &entry,
               size_t *returns = nullptr) {
    machine->regs = entry;
    uint32_t pc = 0, size = code.size();
    size_t steps = 0;
    while (pc < size && code[pc].opcode != Opcode::Halt && steps < 10000) {
      EXPECT_TRUE(ranges[pc].has_value()) << "instruction " << pc;
      if (!ranges[pc])
        return steps;
      for (unsigned r = 0; r < isa::kNumRegisters; ++r) {
        const RegisterRange &range = (*ranges[pc])[r];
        EXPECT_TRUE(holds(range, machine->regs[r], entry))
            << "r" << r << " = " << machine->regs[r] << " before instruction "
            << pc << " (" << code[pc].getSpec().mnemonic << "), range base r"
            << range.base << " [" << range.lo << ", " << range.hi << "]";
      }
      uint32_t next = 0;
      llvm::Error error =
          sim::executeControl(*machine, code[pc], pc, size, next);
      EXPECT_FALSE(bool(error)) << llvm::toString(std::move(error));
      if (returns && code[pc].opcode == Opcode::Jr)
        ++*returns;
      pc = next;
      ++steps;
    }
    return steps;
  }

  std::unique_ptr<hw::Config> config;
  std::unique_ptr<sim::Machine> machine;
};

TEST_F(RegisterRangesTest, RandomProgramsStayInTheirRanges) {
  std::mt19937_64 rng(20261125);
  auto pick = [&](auto &&values) { return values[rng() % std::size(values)]; };
  const Opcode aluOps[] = {
      Opcode::Add,   Opcode::Sub,   Opcode::Mul,  Opcode::And,  Opcode::Or,
      Opcode::Xor,   Opcode::Sll,   Opcode::Srl,  Opcode::Sra,  Opcode::Slt,
      Opcode::Sltu,  Opcode::Min,   Opcode::Max,  Opcode::Minu, Opcode::Maxu,
      Opcode::Divu,  Opcode::Remu,  Opcode::Addi, Opcode::Muli, Opcode::Andi,
      Opcode::Ori,   Opcode::Xori,  Opcode::Slli, Opcode::Srli, Opcode::Srai,
      Opcode::Slti,  Opcode::Sltiu, Opcode::Mini, Opcode::Maxi, Opcode::Minui,
      Opcode::Maxui, Opcode::Divui, Opcode::Remui};
  const Opcode branches[] = {Opcode::Beq, Opcode::Bne,  Opcode::Blt,
                             Opcode::Bge, Opcode::Bltu, Opcode::Bgeu};
  const int64_t imms[] = {0,    1,     -1,    4,          16,
                          63,   -64,   1019,  1020,       -1019,
                          1024, 65536, -4096, 2147483647, -2147483648};
  // An ALU instruction writing r9..r14 (r8 is the link, r15 the counter).
  auto randomAlu = [&] {
    Opcode op = pick(aluOps);
    bool imm = op >= Opcode::Addi;
    bool shift = op == Opcode::Slli || op == Opcode::Srli || op == Opcode::Srai;
    int64_t operand =
        imm ? (shift ? int64_t(rng() % 32)
                     : (rng() % 4 ? pick(imms)
                                  : int64_t(int32_t(uint32_t(rng())))))
            : int64_t(rng() % 16);
    return alu(op, 9 + rng() % 6, rng() % 16, operand);
  };
  size_t steps = 0, calls = 0;
  for (int program = 0; program < 400; ++program) {
    // r15 counts down the backward branches taken (3 at most): each
    // decrements it and branches back while it is positive. After the
    // halt, two subroutines of 6 instructions (ALU and forward branches,
    // then jr r8) that the main part calls with jal r8, r8 written by
    // nothing else.
    const size_t length = 24, body = 6;
    const size_t subroutines[] = {length + 1, length + 1 + body + 1};
    std::vector<isa::Instruction> code = {alu(Opcode::Addi, 15, 0, 3)};
    while (code.size() < length) {
      size_t n = code.size();
      if (rng() % 6 == 0) {
        code.push_back(control(Opcode::Jal, pick(subroutines), 8));
        continue;
      }
      if (rng() % 8 == 0 && n + 2 <= length) {
        if (rng() % 3 == 0) {
          code.push_back(alu(Opcode::Addi, 15, 15, -1));
          code.push_back(control(Opcode::Blt, 1 + rng() % n, 0, 15));
        } else {
          code.push_back(control(pick(branches), n + 1 + rng() % (length - n),
                                 rng() % 16, rng() % 16));
        }
        continue;
      }
      code.push_back(randomAlu());
    }
    code.push_back(isa::Instruction::create(Opcode::Halt));
    for (size_t entry : subroutines) {
      while (code.size() < entry + body) {
        size_t n = code.size();
        if (rng() % 5 == 0)
          code.push_back(control(pick(branches), n + 1 + rng() % (entry + body - n),
                                 rng() % 16, rng() % 16));
        else
          code.push_back(randomAlu());
      }
      code.push_back(control(Opcode::Jr, -1, 8));
    }
    std::vector<std::optional<Registers>> ranges =
        analyzeRegisters(code, targetsOf(code), {0});
    for (int run = 0; run < 20; ++run) {
      std::array<uint32_t, isa::kNumRegisters> entry{};
      for (unsigned r = 1; r <= 4; ++r)
        entry[r] = uint32_t(rng() % (1u << 22)) * 64;
      for (unsigned r = 5; r <= 7; ++r)
        entry[r] = rng() % 2 ? uint32_t(rng() % 4096) : uint32_t(rng());
      steps += check(code, ranges, entry, &calls);
      if (testing::Test::HasFailure())
        return;
    }
  }
  EXPECT_GT(steps, 100000u) << "the programs ran too little to test";
  EXPECT_GT(calls, 10000u) << "the programs returned too little to test";
}

TEST_F(RegisterRangesTest, BoundsTheLoweringReliesOn) {
  // prefill: r11 = min(r5 - r10, 16) rows per tile; an io word's address.
  std::vector<isa::Instruction> code = {
      alu(Opcode::Sub, 11, 5, 10),           alu(Opcode::Minui, 11, 11, 16),
      alu(Opcode::Addi, 17, 11, -1),         alu(Opcode::Muli, 17, 17, 1024),
      alu(Opcode::Addi, 17, 17, 3776),       alu(Opcode::Slli, 18, 6, 2),
      alu(Opcode::Andi, 16, 18, -64),        alu(Opcode::Add, 16, 16, 4),
      alu(Opcode::Andi, 18, 18, 63),         alu(Opcode::Remui, 19, 6, 1020),
      isa::Instruction::create(Opcode::Halt)};
  std::vector<std::optional<Registers>> ranges =
      analyzeRegisters(code, targetsOf(code), {0});
  const Registers &end = *ranges.back();
  EXPECT_EQ(end[11], RegisterRange::of(0, 0, 16));
  // Row r11 - 1 of 1024 bytes from 3776 (r11 = 0 wraps to 2752).
  EXPECT_EQ(end[17], RegisterRange::of(0, 2752, 19136));
  EXPECT_EQ(end[16], RegisterRange::of(4, 0, (int64_t(1) << 32) - 64));
  EXPECT_EQ(end[18], RegisterRange::of(0, 0, 63));
  EXPECT_EQ(end[19], RegisterRange::of(0, 0, 1019));
  EXPECT_EQ(end[1], RegisterRange::of(1, 0, 0));
  EXPECT_TRUE(end[5].isTop());
}

TEST_F(RegisterRangesTest, CallsAndLoops) {
  // 0: r11 = 1; call f; halt.  3: r11 = 16; call f; halt.
  // 6 (f): r13 = 0; 7: r13 += 1; bltu r13, r11, 7; jr r8.
  std::vector<isa::Instruction> code = {alu(Opcode::Addi, 11, 0, 1),
                                        control(Opcode::Jal, 6, 8),
                                        isa::Instruction::create(Opcode::Halt),
                                        alu(Opcode::Addi, 11, 0, 16),
                                        control(Opcode::Jal, 6, 8),
                                        isa::Instruction::create(Opcode::Halt),
                                        alu(Opcode::Addi, 13, 0, 0),
                                        alu(Opcode::Addi, 13, 13, 1),
                                        control(Opcode::Bltu, 7, 13, 11),
                                        control(Opcode::Jr, -1, 8)};
  std::vector<std::optional<Registers>> ranges =
      analyzeRegisters(code, targetsOf(code), {0, 3});
  EXPECT_EQ((*ranges[6])[11], RegisterRange::of(0, 1, 16));
  EXPECT_EQ((*ranges[6])[8], RegisterRange::of(0, 2, 5));
  // The loop counter keeps changing at 7: given up on, not bounded wrongly.
  EXPECT_TRUE((*ranges[7])[13].isTop());
  // Both return points hold what the callee leaves.
  EXPECT_EQ((*ranges[2])[11], RegisterRange::of(0, 1, 16));
  std::array<uint32_t, isa::kNumRegisters> entry{};
  EXPECT_EQ(check(code, ranges, entry), 6u);
}

TEST_F(RegisterRangesTest, ReturnsOnlyWhereTheLinkAllows) {
  // 0: r11 = 1; call f; r11 = 2; call f; call g; halt.
  // 6 (f): r13 = 100; jr r8.  8 (g): r13 = 200; jr r8.
  // f's link is 2 or 4, g's 5: f returns to 2 and 4 only, g to 5 only.
  std::vector<isa::Instruction> code = {alu(Opcode::Addi, 11, 0, 1),
                                        control(Opcode::Jal, 6, 8),
                                        alu(Opcode::Addi, 11, 0, 2),
                                        control(Opcode::Jal, 6, 8),
                                        control(Opcode::Jal, 8, 8),
                                        isa::Instruction::create(Opcode::Halt),
                                        alu(Opcode::Addi, 13, 0, 100),
                                        control(Opcode::Jr, -1, 8),
                                        alu(Opcode::Addi, 13, 0, 200),
                                        control(Opcode::Jr, -1, 8)};
  std::vector<std::optional<Registers>> ranges =
      analyzeRegisters(code, targetsOf(code), {0});
  EXPECT_EQ((*ranges[7])[8], RegisterRange::of(0, 2, 4));
  EXPECT_EQ((*ranges[9])[8], RegisterRange::of(0, 5, 5));
  EXPECT_EQ((*ranges[2])[13], RegisterRange::constant(100));
  EXPECT_EQ((*ranges[4])[13], RegisterRange::constant(100));
  EXPECT_EQ((*ranges[4])[11], RegisterRange::of(0, 1, 2));
  EXPECT_EQ((*ranges[5])[13], RegisterRange::constant(200));
  std::array<uint32_t, isa::kNumRegisters> entry{};
  EXPECT_EQ(check(code, ranges, entry), 11u);
}

TEST_F(RegisterRangesTest, SubroutineEntryJoinsEachCallBeforeWidening) {
  // Six calls of f (more than the joins after which an instruction
  // widens) with r11 = 1 .. 6, f writing only a constant: f's entry holds
  // all six arguments and links, not unknown.
  std::vector<isa::Instruction> code;
  const int64_t f = 13;
  for (int64_t k = 1; k <= 6; ++k) {
    code.push_back(alu(Opcode::Addi, 11, 0, k));
    code.push_back(control(Opcode::Jal, f, 8));
  }
  code.push_back(isa::Instruction::create(Opcode::Halt));
  code.push_back(alu(Opcode::Addi, 12, 0, 7));
  code.push_back(control(Opcode::Jr, -1, 8));
  std::vector<std::optional<Registers>> ranges =
      analyzeRegisters(code, targetsOf(code), {0});
  EXPECT_EQ((*ranges[f])[11], RegisterRange::of(0, 1, 6));
  EXPECT_EQ((*ranges[f])[8], RegisterRange::of(0, 2, 12));
  EXPECT_EQ((*ranges[12])[12], RegisterRange::constant(7));
  std::array<uint32_t, isa::kNumRegisters> entry{};
  EXPECT_EQ(check(code, ranges, entry), 24u);
}

} // namespace
