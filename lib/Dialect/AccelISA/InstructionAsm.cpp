//===- InstructionAsm.cpp - the assembly of instruction ops ---------------===//
//
// An instruction op reads like the instruction in docs/ISA.md §6, driven by
// the same operand table (lib/ISA/Formats.cpp): positional operands in
// order, then `key=value` operands (any order, each at most once, absent
// ones 0), then `wait=`/`rel=` masks:
//
//   accelisa.load wgt[r15], hbm[r12], 32, 15488, nch=32, wait=mx, rel=mx
//   accelisa.bgeu r10, r11, @tail
//
// Two differences from the assembler's text, both forced by MLIR's lexer:
// targets are symbols (`@tail`), and an fp32 value is a decimal with a point
// (`1.0e-05`, `-0.0`) or, when no decimal reads back to its bits (NaNs,
// infinities), its bit pattern in hex (`0x7f800000`).
//
//===----------------------------------------------------------------------===//

#include "accel/Dialect/AccelISA/AccelISAOps.h"
#include "accel/Dialect/AccelISA/Instruction.h"
#include "accel/ISA/AsmPrinter.h"

#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/StringExtras.h"

#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace accel;
using namespace accel::accelisa;

namespace {

/// An fp32 bit pattern as MLIR's lexer reads it back exactly.
std::string formatFloat(uint32_t bits) {
  std::string text = isa::formatF32(bits);
  bool decimal = text.find_first_of("xn") == std::string::npos;
  if (decimal && text.find('.') == std::string::npos) {
    size_t e = text.find('e');
    text.insert(e == std::string::npos ? text.size() : e, ".0");
  }
  float back = std::strtof(text.c_str(), nullptr);
  uint32_t backBits;
  std::memcpy(&backBits, &back, 4);
  if (!decimal || backBits != bits)
    return "0x" + llvm::utohexstr(bits, /*LowerCase=*/true, /*Width=*/8);
  return text;
}

} // namespace

void accelisa::printInstruction(OpAsmPrinter &printer, Operation *op) {
  isa::Instruction instr = getInstruction(op);
  const isa::FormatSpec &format = *instr.getSpec().format;
  std::string text;
  llvm::raw_string_ostream out(text);
  auto target = [&](uint32_t) {
    FlatSymbolRefAttr symbol = getTarget(op);
    std::string name;
    llvm::raw_string_ostream(name)
        << (symbol ? symbol : FlatSymbolRefAttr::get(op->getContext(), ""));
    return name;
  };
  isa::printOperands(out, instr, {formatFloat, target});
  StringRef operands = StringRef(text).ltrim(", ");
  if (!operands.empty())
    printer << ' ' << operands;

  SmallVector<StringRef> elided{kWaitAttr, kReleaseAttr};
  for (const isa::FieldSpec &f : format.fields)
    elided.push_back(f.name);
  printer.printOptionalAttrDict(op->getAttrs(), elided);
}

namespace {

/// Parses the operands of one instruction into `instr` and `target`.
class InstructionParser {
public:
  InstructionParser(OpAsmParser &parser, isa::Instruction &instr)
      : parser(parser), instr(instr), format(*instr.getSpec().format) {}

  ParseResult parse(StringAttr &target) {
    bool first = true;
    for (const isa::OperandSpec &operand : format.operands) {
      if (operand.kind == isa::OperandKind::Attr)
        continue;
      if (!first && parser.parseComma())
        return failure();
      first = false;
      if (parsePositional(operand, target))
        return failure();
    }
    // Without positional operands the first key follows the mnemonic; only
    // a key of this format is taken (the next line may start an op).
    SmallVector<StringRef> keys{kWaitAttr, kReleaseAttr};
    for (const isa::OperandSpec &operand : format.operands)
      if (operand.kind == isa::OperandKind::Attr)
        keys.push_back(operand.name);
    llvm::SmallBitVector seen(format.operands.size() + 2);
    while (first ? succeeded(parser.parseOptionalKeyword(&pendingKey, keys))
                 : succeeded(parser.parseOptionalComma())) {
      first = false;
      if (parseKeyValue(seen))
        return failure();
    }
    return success();
  }

private:
  ParseResult error(const Twine &message) {
    return parser.emitError(parser.getCurrentLocation(), message);
  }

  ParseResult parseRegister(int64_t &reg) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef word;
    unsigned number = 0;
    if (failed(parser.parseOptionalKeyword(&word)) || !word.consume_front("r") ||
        word.getAsInteger(10, number) || number >= isa::kNumRegisters)
      return parser.emitError(loc, "expected a register, r0 .. r31");
    reg = number;
    return success();
  }

  /// `r5 + 16`, `r5` or `16`; without `imm`, a register alone.
  ParseResult parseRegPlusImm(int64_t &reg, int64_t *imm) {
    if (imm) {
      OptionalParseResult integer = parser.parseOptionalInteger(*imm);
      if (integer.has_value()) {
        reg = 0;
        return *integer;
      }
    }
    if (parseRegister(reg))
      return failure();
    if (!imm || failed(parser.parseOptionalPlus()))
      return success();
    return parser.parseInteger(*imm);
  }

  /// `name[...]` with a base name among `names` (the buffers) or `hbm`.
  ParseResult parseAddress(const isa::FieldSpec *base, int64_t &baseValue,
                           int64_t &reg, int64_t *imm) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef word;
    if (parser.parseKeyword(&word))
      return failure();
    if (base) {
      if (parseCode(*base, word, baseValue, loc))
        return failure();
    } else if (word != "hbm") {
      return parser.emitError(loc, "expected hbm[...]");
    }
    return failure(parser.parseLSquare() || parseRegPlusImm(reg, imm) ||
                   parser.parseRSquare());
  }

  ParseResult parseCode(const isa::FieldSpec &field, StringRef word,
                        int64_t &value, SMLoc loc) {
    for (int64_t code = 0; code <= field.maxValue(); ++code)
      if (word == field.names[code]) {
        value = code;
        return success();
      }
    std::string expected;
    for (int64_t code = 0; code <= field.maxValue(); ++code)
      expected += (code ? ", " : "") + std::string(field.names[code]);
    return parser.emitError(loc) << "expected " << field.name
                                 << " to be one of " << expected << ", got '"
                                 << word << "'";
  }

  ParseResult parseFloat(int64_t &bits) {
    llvm::APFloat value(0.0f);
    if (parser.parseFloat(llvm::APFloat::IEEEsingle(), value))
      return failure();
    bits = int64_t(value.bitcastToAPInt().getZExtValue());
    return success();
  }

  ParseResult parsePositional(const isa::OperandSpec &operand,
                              StringAttr &target) {
    const auto &fi = operand.fields;
    int64_t *f = instr.fields.data();
    switch (operand.kind) {
    case isa::OperandKind::Reg:
      return parseRegister(f[fi[0]]);
    case isa::OperandKind::Addr:
      return parseAddress(&format.fields[fi[0]], f[fi[0]], f[fi[1]],
                          fi[2] >= 0 ? &f[fi[2]] : nullptr);
    case isa::OperandKind::Hbm: {
      int64_t unused = 0;
      return parseAddress(nullptr, unused, f[fi[0]], &f[fi[1]]);
    }
    case isa::OperandKind::Count:
      return parseRegPlusImm(f[fi[0]], &f[fi[1]]);
    case isa::OperandKind::Imm:
      return parser.parseInteger(f[fi[0]]);
    case isa::OperandKind::F32:
      return parseFloat(f[fi[0]]);
    case isa::OperandKind::Target:
      return parser.parseSymbolName(target);
    case isa::OperandKind::Attr:
      break;
    }
    return success();
  }

  ParseResult parseMask(uint8_t &mask) {
    do {
      SMLoc loc = parser.getCurrentLocation();
      StringRef word;
      if (parser.parseKeyword(&word))
        return failure();
      unsigned u = 0;
      while (u < isa::kNumUnits && word != isa::unitName(isa::Unit(u)))
        ++u;
      if (u == isa::kNumUnits)
        return parser.emitError(loc, "expected a unit (ctl, ld, st, mx, vec)"
                                     ", got '")
               << word << "'";
      mask |= uint8_t(1u << u);
    } while (succeeded(parser.parseOptionalVerticalBar()));
    return success();
  }

  ParseResult parseKeyValue(llvm::SmallBitVector &seen) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef key = pendingKey;
    pendingKey = {};
    if (key.empty() && parser.parseKeyword(&key))
      return failure();
    if (parser.parseEqual())
      return failure();
    unsigned n = format.operands.size();
    auto once = [&](unsigned slot) -> ParseResult {
      if (seen.test(slot))
        return parser.emitError(loc) << "repeated key '" << key << "'";
      seen.set(slot);
      return success();
    };
    if (key == kWaitAttr || key == kReleaseAttr) {
      bool wait = key == kWaitAttr;
      return failure(once(n + (wait ? 0 : 1)) ||
                     parseMask(wait ? instr.wait : instr.release));
    }
    for (auto [slot, operand] : llvm::enumerate(format.operands)) {
      if (operand.kind != isa::OperandKind::Attr || key != operand.name)
        continue;
      if (once(slot))
        return failure();
      const auto &fi = operand.fields;
      int64_t *f = instr.fields.data();
      const isa::FieldSpec &field = format.fields[fi[0]];
      if (fi[1] >= 0) {
        f[fi[0]] = 1;
        return parseAddress(&format.fields[fi[1]], f[fi[1]], f[fi[2]],
                            nullptr);
      }
      if (field.kind == isa::FieldKind::F32)
        return parseFloat(f[fi[0]]);
      if (field.kind == isa::FieldKind::Reg)
        return parseRegister(f[fi[0]]);
      if (!field.names)
        return parser.parseInteger(f[fi[0]]);
      SMLoc valueLoc = parser.getCurrentLocation();
      std::string word;
      int64_t number = 0;
      OptionalParseResult integer = parser.parseOptionalInteger(number);
      if (integer.has_value()) {
        if (failed(*integer))
          return failure();
        word = std::to_string(number);
      } else {
        StringRef keyword;
        if (parser.parseKeyword(&keyword))
          return failure();
        word = keyword.str();
      }
      return parseCode(field, word, f[fi[0]], valueLoc);
    }
    std::string expected;
    for (const isa::OperandSpec &operand : format.operands)
      if (operand.kind == isa::OperandKind::Attr)
        expected += std::string(operand.name) + ", ";
    return parser.emitError(loc)
           << "unknown key '" << key << "' for "
           << instr.getSpec().mnemonic << "; expected " << expected
           << "wait or rel";
  }

  OpAsmParser &parser;
  isa::Instruction &instr;
  const isa::FormatSpec &format;
  /// A key read where the first operand would be (formats with only keys).
  StringRef pendingKey;
};

} // namespace

ParseResult accelisa::parseInstruction(OpAsmParser &parser,
                                       OperationState &result,
                                       isa::Opcode opcode) {
  isa::Instruction instr = isa::Instruction::create(opcode);
  StringAttr target;
  if (InstructionParser(parser, instr).parse(target) ||
      parser.parseOptionalAttrDict(result.attributes))
    return failure();
  getAttributes(parser.getContext(), instr,
                target ? target.getValue() : StringRef(), result.attributes);
  return success();
}
