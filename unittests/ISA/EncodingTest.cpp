//===- EncodingTest.cpp - the instruction table, encoder and decoder ------===//

#include "accel/ISA/Encoding.h"
#include "accel/ISA/AsmParser.h"
#include "accel/ISA/AsmPrinter.h"

#include "llvm/ADT/StringExtras.h"

#include "gtest/gtest.h"

#include <random>
#include <set>

using namespace accel::isa;

namespace {

/// The smallest valid instruction of `opcode`: every field at its minimum,
/// and the few that must agree with each other set to agree.
Instruction baseline(Opcode opcode) {
  Instruction instr = Instruction::create(opcode);
  const FormatSpec &format = *instr.getSpec().format;
  for (auto [i, field] : llvm::enumerate(format.fields))
    if (field.kind != FieldKind::Funct && field.kind != FieldKind::SImm)
      instr.fields[i] = field.minValue();
  if (opcode == Opcode::Mcfg)
    instr.set("bits", 2);
  if (opcode == Opcode::Vaset || opcode == Opcode::Maset)
    instr.set("kvbits", 4);
  return instr;
}

Instruction roundTrip(const Instruction &instr) {
  llvm::Expected<Word> word = encode(instr);
  EXPECT_TRUE(bool(word)) << llvm::toString(word.takeError());
  llvm::Expected<Instruction> back = decode(*word);
  EXPECT_TRUE(bool(back)) << llvm::toString(back.takeError());
  return back ? *back : Instruction();
}

std::string message(llvm::Error err) { return llvm::toString(std::move(err)); }

TEST(ISATable, FieldsDoNotOverlapAndOperandsAreValid) {
  for (const FormatSpec *format : formats()) {
    std::vector<bool> used(128, false);
    for (const FieldSpec &f : format->fields) {
      ASSERT_GE(f.lo, 18u) << format->name << "." << f.name;
      ASSERT_LE(f.lo + f.width, 128) << format->name << "." << f.name;
      for (unsigned b = f.lo; b < f.lo + f.width; ++b) {
        EXPECT_FALSE(used[b]) << format->name << "." << f.name << " bit " << b;
        used[b] = true;
      }
      if (f.kind == FieldKind::Enum || f.kind == FieldKind::Buf) {
        EXPECT_NE(f.names, nullptr) << f.name;
      }
    }
    EXPECT_LE(format->fields.size(), kMaxFields);
    for (const OperandSpec &op : format->operands)
      for (int8_t i : op.fields) {
        EXPECT_LT(i, int(format->fields.size()))
            << format->name << " " << op.name;
      }
  }
}

TEST(ISATable, OpcodesAndMnemonicsAreUnique) {
  std::set<std::tuple<int, int, int>> codes;
  std::set<std::string> names;
  for (const InstrSpec &s : instructions()) {
    EXPECT_TRUE(codes.insert({int(s.unit), s.op, s.funct}).second)
        << s.mnemonic;
    EXPECT_TRUE(names.insert(s.mnemonic).second) << s.mnemonic;
    EXPECT_EQ(lookupMnemonic(s.mnemonic), &s);
    EXPECT_EQ(s.funct >= 0, fieldIndex(*s.format, "funct").has_value())
        << s.mnemonic;
  }
  EXPECT_EQ(instructions().size(), size_t(Opcode::NumOpcodes));
}

TEST(Encoding, EveryFieldAtItsExtremesRoundTrips) {
  unsigned checked = 0;
  for (const InstrSpec &s : instructions()) {
    for (auto [i, field] : llvm::enumerate(s.format->fields)) {
      if (field.kind == FieldKind::Funct)
        continue;
      for (int64_t value : {field.minValue(), field.maxValue()}) {
        Instruction instr = baseline(s.opcode);
        instr.fields[i] = value;
        // Optional addresses need their flag; bmode=imm takes no b address.
        for (const OperandSpec &op : s.format->operands)
          if (op.kind == OperandKind::Attr && op.fields[1] >= 0 &&
              (op.fields[1] == int(i) || op.fields[2] == int(i)))
            instr.fields[op.fields[0]] = 1;
        if (llvm::Error err = verify(instr)) {
          // Only rules relating fields may reject a field's own extreme.
          std::string m = message(std::move(err));
          EXPECT_TRUE(s.opcode == Opcode::Mcfg || s.opcode == Opcode::Vaset ||
                      s.opcode == Opcode::Maset || s.opcode == Opcode::Vrope ||
                      s.opcode == Opcode::Vrset ||
                      m.find("bmode") != std::string::npos ||
                      m.find("bits") != std::string::npos ||
                      m.find("shift amount") != std::string::npos)
              << s.mnemonic << "." << field.name << " = " << value << ": " << m;
          continue;
        }
        EXPECT_EQ(roundTrip(instr), instr) << s.mnemonic << "." << field.name;
        ++checked;
      }
    }
    for (unsigned mask = 0; mask < 32; ++mask) {
      Instruction instr = baseline(s.opcode);
      instr.wait = instr.release = mask & ~(1u << unsigned(s.unit));
      EXPECT_EQ(roundTrip(instr), instr) << s.mnemonic << " tokens " << mask;
    }
  }
  EXPECT_GT(checked, 500u);
}

TEST(Encoding, ConstrainedExtremes) {
  Instruction mcfg = baseline(Opcode::Mcfg);
  mcfg.set("k", 65535);
  mcfg.set("bits", 8);
  mcfg.set("fmt", 1);
  mcfg.set("r", 65535);
  EXPECT_EQ(roundTrip(mcfg), mcfg);
  mcfg.set("fmt", 4);
  mcfg.set("bits", 16);
  mcfg.set("afp", 1);
  EXPECT_EQ(roundTrip(mcfg), mcfg);
  Instruction sparse = baseline(Opcode::Mcfg);
  sparse.set("k", 65520);
  sparse.set("g", 65520);
  sparse.set("ga", 32760);
  sparse.set("n", 15);
  sparse.set("m", 16);
  EXPECT_EQ(roundTrip(sparse), sparse);
  Instruction aset = baseline(Opcode::Vaset);
  aset.set("hd", 4095);
  aset.set("kvg", 4095);
  aset.set("kvh", 255);
  aset.set("kvbits", 8);
  aset.set("sink", 65535);
  aset.set("window", (1 << 24) - 1);
  aset.set("causal", 1);
  aset.set("qpk", 255);
  EXPECT_EQ(roundTrip(aset), aset);
  // maset: vaset's record fields, no mask (sink, window, causal 0).
  Instruction mset = baseline(Opcode::Maset);
  mset.set("hd", 4095);
  mset.set("kvg", 4095);
  mset.set("kvh", 255);
  mset.set("kvfmt", 1);
  mset.set("kvbits", 8);
  mset.set("qpk", 255);
  EXPECT_EQ(roundTrip(mset), mset);
  for (llvm::StringRef field : {"sink", "window", "causal"}) {
    Instruction masked = baseline(Opcode::Maset);
    masked.set(field, 1);
    EXPECT_EQ(message(verify(masked)),
              "the matrix unit has no mask: sink, window and causal are 0");
  }
  // mqk / mpv / vpq: every key-count, head, row, register, pitch and part
  // field at once; rows 1 (the baseline) and 63 round-trip, 0 and 64 are
  // rejected; a part past the last is out of range.
  for (Opcode opcode : {Opcode::Mqk, Opcode::Mpv, Opcode::Vpq}) {
    Instruction attention = baseline(opcode);
    EXPECT_EQ(roundTrip(attention), attention);
    for (llvm::StringRef reg : {"rd", "ra", "rs", "rb", "rc", "rg", "rn",
                                "rh"})
      attention.set(reg, 31);
    attention.set("nimm", 127);
    attention.set("himm", 255);
    attention.set("rows", 63);
    attention.set("bbuf", 4);
    if (opcode != Opcode::Mpv)
      attention.set("rp", 31);
    int64_t lastPart = opcode == Opcode::Vpq ? 4 : 3;
    if (opcode != Opcode::Mqk)
      attention.set("part", lastPart);
    EXPECT_EQ(roundTrip(attention), attention);
    attention.set("nimm", 128);
    EXPECT_EQ(message(verify(attention)), "nimm = 128 is out of range [0, 127]");
    if (opcode == Opcode::Mqk)
      continue;
    attention.set("nimm", 0);
    attention.set("part", lastPart + 1);
    EXPECT_EQ(message(verify(attention)),
              "part = " + std::to_string(lastPart + 1) +
                  " is out of range [0, " + std::to_string(lastPart) + "]");
  }
  Instruction softmax = baseline(Opcode::Vsoftmax);
  EXPECT_EQ(roundTrip(softmax), softmax);
  softmax.set("rows", 63);
  softmax.set("mask", 1);
  EXPECT_EQ(roundTrip(softmax), softmax);
  for (Opcode opcode :
       {Opcode::Mqk, Opcode::Mpv, Opcode::Vpq, Opcode::Vsoftmax}) {
    Instruction rows = baseline(opcode);
    rows.set("rows", 0);
    EXPECT_EQ(message(verify(rows)), "rows = 0 is out of range [1, 63]");
    rows.set("rows", 64);
    EXPECT_EQ(message(verify(rows)), "rows = 64 is out of range [1, 63]");
  }
  Instruction shift = baseline(Opcode::Srai);
  shift.set("imm", 31);
  EXPECT_EQ(roundTrip(shift), shift);
  Instruction imm = baseline(Opcode::Addi);
  for (int64_t v : {int64_t(INT32_MIN), int64_t(INT32_MAX), int64_t(-1)}) {
    imm.set("imm", v);
    EXPECT_EQ(roundTrip(imm), imm);
  }
}

TEST(Encoding, RandomInstructionsRoundTripThroughBytesAndText) {
  std::mt19937_64 rng(5);
  unsigned accepted = 0;
  for (const InstrSpec &s : instructions()) {
    for (int trial = 0; trial < 300; ++trial) {
      Instruction instr = Instruction::create(s.opcode);
      for (auto [i, field] : llvm::enumerate(s.format->fields)) {
        if (field.kind == FieldKind::Funct)
          continue;
        uint64_t span = uint64_t(field.maxValue() - field.minValue());
        int64_t v = field.minValue() + int64_t(rng() % (span + 1));
        // The low `shift` bits cleared (a left shift of a negative is UB).
        instr.fields[i] = v & ~((int64_t(1) << field.shift) - 1);
      }
      instr.wait = rng() % 32 & ~(1u << unsigned(s.unit));
      instr.release = rng() % 32 & ~(1u << unsigned(s.unit));
      if (s.format->fields.size() && fieldIndex(*s.format, "target"))
        instr.set("target", 0);
      if (llvm::Error err = verify(instr)) {
        llvm::consumeError(std::move(err));
        continue;
      }
      ++accepted;
      EXPECT_EQ(roundTrip(instr), instr) << toString(instr);
      std::string text = "  " + toString(instr) + "\n";
      if (fieldIndex(*s.format, "target"))
        text = ".L0:\n" + text;
      llvm::Expected<Program> parsed = parseAssembly(text, "t.s");
      ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError()) << "\n"
                                << text;
      ASSERT_EQ(parsed->code.size(), 1u);
      EXPECT_EQ(parsed->code[0], instr) << text;
    }
  }
  EXPECT_GT(accepted, 5000u);
}

TEST(Decoding, RejectsEveryReservedBit) {
  for (const InstrSpec &s : instructions()) {
    Instruction instr = baseline(s.opcode);
    llvm::Expected<Word> word = encode(instr);
    ASSERT_TRUE(bool(word)) << s.mnemonic << ": " << message(word.takeError());
    std::vector<bool> used(128, false);
    for (unsigned b = 0; b < 18; ++b)
      used[b] = true;
    for (const FieldSpec &f : s.format->fields)
      for (unsigned b = f.lo; b < f.lo + f.width; ++b)
        used[b] = true;
    for (unsigned bit = 0; bit < 128; ++bit) {
      if (used[bit])
        continue;
      Word bad = *word;
      bad[bit / 8] |= uint8_t(1u << (bit % 8));
      llvm::Expected<Instruction> decoded = decode(bad, 0x40);
      ASSERT_FALSE(bool(decoded)) << s.mnemonic << " bit " << bit;
      EXPECT_EQ(message(decoded.takeError()),
                "offset 0x40: " + std::string(s.mnemonic) + ": reserved bit " +
                    std::to_string(bit) + " is set (byte 0x" +
                    llvm::utohexstr(0x40 + bit / 8, true) + ")");
    }
  }
}

TEST(Decoding, RejectsBadWords) {
  Word word{};
  word[0] = 0x07; // unit 7
  EXPECT_EQ(message(decode(word).takeError()), "offset 0x0: unknown unit 7");
  word[0] = 0xf8 | 3; // matrix op 31
  EXPECT_EQ(message(decode(word).takeError()),
            "offset 0x0: unknown opcode: unit mx, op 31");
  word[0] = 3 << 3;  // ALU
  word[4] = 31 << 1; // funct 31 at bits 37:33
  EXPECT_EQ(message(decode(word).takeError()),
            "offset 0x0: unknown opcode: unit ctl, op 3, funct 31");

  Instruction add = Instruction::create(Opcode::Add);
  add.wait = 1; // its own unit
  EXPECT_EQ(message(verify(add)),
            "wait mask names the instruction's own unit (ctl)");
  Instruction load = baseline(Opcode::Load);
  load.set("len", 100);
  EXPECT_EQ(message(verify(load)), "len = 100 is not a multiple of 64");
  load.set("len", 64);
  load.set("nch", 6);
  EXPECT_EQ(message(verify(load)), "nch = 6 is out of range [0, 5]");
  Instruction mcfg = baseline(Opcode::Mcfg);
  mcfg.set("bits", 5);
  EXPECT_EQ(message(verify(mcfg)),
            "bits = 5: integer weights have 2, 3, 4 or 8");
  mcfg.set("bits", 2);
  mcfg.set("k", 100);
  mcfg.set("g", 32);
  EXPECT_EQ(message(verify(mcfg)), "g = 32 does not divide k = 100");
  Instruction mv = baseline(Opcode::Mv);
  mv.set("rb", 3);
  EXPECT_EQ(message(verify(mv)),
            "bias is off but its address fields are not 0");
  Instruction vmul = baseline(Opcode::Vmul);
  vmul.set("f", 0x3f800000);
  EXPECT_EQ(message(verify(vmul)), "f is used only with bmode=imm");
}

TEST(Decoding, CodeSections) {
  std::vector<uint8_t> bytes(17, 0);
  EXPECT_EQ(message(decodeCode(bytes).takeError()),
            "offset 0x10: truncated instruction: the code is 17 bytes, not a "
            "multiple of 16");
  Instruction jmp = Instruction::create(Opcode::Jmp);
  jmp.set("target", 1);
  EXPECT_EQ(message(encodeCode({jmp}).takeError()),
            "offset 0x0: jmp: branch target 1 is outside the code (1 "
            "instructions)");
  llvm::Expected<std::vector<uint8_t>> ok =
      encodeCode({jmp, Instruction::create(Opcode::Halt)});
  ASSERT_TRUE(bool(ok));
  llvm::Expected<std::vector<Instruction>> back = decodeCode(*ok);
  ASSERT_TRUE(bool(back));
  EXPECT_EQ(back->at(0), jmp);
}

TEST(AsmPrinter, F32Immediates) {
  EXPECT_EQ(formatF32(0x3f800000), "1");
  EXPECT_EQ(formatF32(0x80000000), "-0");
  EXPECT_EQ(formatF32(0x3727c5ac), "1e-05");
  EXPECT_EQ(formatF32(0x7f800000), "inf");
  EXPECT_EQ(formatF32(0x7fc00001), "0x7fc00001");
  EXPECT_EQ(formatF32(0x00000001), "1e-45");
}

} // namespace
