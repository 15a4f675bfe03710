//===- AsmPrinter.cpp - canonical assembly text ---------------------------===//

#include "accel/ISA/AsmPrinter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

using namespace accel::isa;

std::string accel::isa::formatF32(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, 4);
  if (std::isnan(value))
    return llvm::utohexstr(bits, /*LowerCase=*/true).insert(0, "0x");
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  for (int digits = 1; digits <= 9; ++digits) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.*g", digits, double(value));
    float back = std::strtof(text, nullptr);
    uint32_t backBits;
    std::memcpy(&backBits, &back, 4);
    if (backBits == bits)
      return text;
  }
  llvm_unreachable("%.9g round-trips every finite fp32");
}

namespace {

/// A name of `field`'s code `value`, or the number if it has none.
std::string codeName(const FieldSpec &field, int64_t value) {
  if (field.names && value >= 0 && value <= field.maxValue())
    return field.names[value];
  return std::to_string(value);
}

void printAddress(llvm::raw_ostream &os, llvm::StringRef base, int64_t reg,
                  std::optional<int64_t> imm) {
  os << base << '[';
  if (!imm)
    os << 'r' << reg;
  else if (reg == 0)
    os << *imm;
  else if (*imm == 0)
    os << 'r' << reg;
  else
    os << 'r' << reg << " + " << *imm;
  os << ']';
}

void printCount(llvm::raw_ostream &os, int64_t reg, int64_t imm) {
  if (reg == 0)
    os << imm;
  else if (imm == 0)
    os << 'r' << reg;
  else
    os << 'r' << reg << " + " << imm;
}

void printMask(llvm::raw_ostream &os, const char *name, uint8_t mask) {
  os << ", " << name << '=';
  bool first = true;
  for (unsigned u = 0; u < 8; ++u)
    if (mask & (1u << u)) {
      os << (first ? "" : "|");
      if (u < kNumUnits)
        os << unitName(Unit(u));
      else
        os << u;
      first = false;
    }
}

} // namespace

void accel::isa::printOperands(llvm::raw_ostream &out,
                               const Instruction &instr, OperandStyle style) {
  const FormatSpec &format = *instr.getSpec().format;
  auto value = [&](int8_t i) { return instr.fields[i]; };
  auto name = [&](int8_t i) { return codeName(format.fields[i], value(i)); };
  for (const OperandSpec &op : format.operands) {
    const auto &fi = op.fields;
    if (op.kind == OperandKind::Attr && value(fi[0]) == 0)
      continue;
    out << ", ";
    switch (op.kind) {
    case OperandKind::Reg:
      out << 'r' << value(fi[0]);
      break;
    case OperandKind::Addr:
      printAddress(out, name(fi[0]), value(fi[1]),
                   fi[2] >= 0 ? std::optional(value(fi[2])) : std::nullopt);
      break;
    case OperandKind::Hbm:
      printAddress(out, "hbm", value(fi[0]), value(fi[1]));
      break;
    case OperandKind::Count:
      printCount(out, value(fi[0]), value(fi[1]));
      break;
    case OperandKind::Imm:
      out << value(fi[0]);
      break;
    case OperandKind::F32:
      out << style.f32(uint32_t(value(fi[0])));
      break;
    case OperandKind::Target:
      out << style.target(uint32_t(value(fi[0])));
      break;
    case OperandKind::Attr:
      out << op.name << '=';
      if (fi[1] >= 0)
        printAddress(out, name(fi[1]), value(fi[2]), std::nullopt);
      else if (format.fields[fi[0]].kind == FieldKind::F32)
        out << style.f32(uint32_t(value(fi[0])));
      else if (format.fields[fi[0]].kind == FieldKind::Reg)
        out << 'r' << value(fi[0]);
      else
        out << name(fi[0]);
      break;
    }
  }
  if (instr.wait)
    printMask(out, "wait", instr.wait);
  if (instr.release)
    printMask(out, "rel", instr.release);
}

void accel::isa::printInstruction(
    llvm::raw_ostream &os, const Instruction &instr,
    llvm::function_ref<std::string(uint32_t)> targetName) {
  std::string text;
  llvm::raw_string_ostream out(text);
  printOperands(out, instr, {formatF32, targetName});
  llvm::StringRef operands = llvm::StringRef(text).ltrim(", ");
  llvm::StringRef mnemonic = instr.getSpec().mnemonic;
  os << mnemonic;
  if (!operands.empty())
    os.indent(std::max<int>(1, 9 - int(mnemonic.size()))) << operands;
}

std::string accel::isa::toString(const Instruction &instr) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printInstruction(os, instr,
                   [](uint32_t index) { return ".L" + std::to_string(index); });
  return text;
}

void accel::isa::printProgram(llvm::raw_ostream &os, const Program &program) {
  std::map<uint32_t, std::string> names;
  for (const Symbol &symbol : program.symbols)
    names.try_emplace(symbol.index, symbol.name);
  auto targetName = [&](uint32_t index) {
    auto it = names.find(index);
    return it != names.end() ? it->second : ".L" + std::to_string(index);
  };
  // Targets without a symbol get a generated label.
  std::map<uint32_t, bool> generated;
  for (const Instruction &instr : program.code)
    for (auto [i, field] : llvm::enumerate(instr.getSpec().format->fields))
      if (field.kind == FieldKind::Target && !names.count(instr.fields[i]))
        generated[uint32_t(instr.fields[i])] = true;

  auto printSymbols = [&](uint32_t index) {
    for (const Symbol &symbol : program.symbols)
      if (symbol.index == index) {
        if (symbol.entry)
          os << ".entry " << symbol.name << '\n';
        else
          os << symbol.name << ":\n";
      }
    if (generated.count(index))
      os << ".L" << index << ":\n";
  };
  for (auto [index, instr] : llvm::enumerate(program.code)) {
    printSymbols(index);
    os << "  ";
    printInstruction(os, instr, targetName);
    os << '\n';
  }
  printSymbols(program.code.size());
}
