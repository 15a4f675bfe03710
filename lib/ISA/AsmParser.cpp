//===- AsmParser.cpp - assembly text to a program -------------------------===//
//
// Line-oriented: a line holds labels (`name:`), then a directive
// (`.entry name`) or an instruction (`mnemonic op, op, key=value`), then an
// optional `;` comment. Operands are split at commas outside brackets.
//
//===----------------------------------------------------------------------===//

#include "accel/ISA/AsmParser.h"
#include "accel/ISA/Encoding.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace accel::isa;
using llvm::StringRef;
using llvm::Twine;

namespace {

struct Loc {
  unsigned line = 0, col = 0;
};

/// A piece of a line and where it starts.
struct Piece {
  StringRef text;
  Loc loc;
};

bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

bool isIdentifier(StringRef s) {
  return !s.empty() && isIdentStart(s[0]) && llvm::all_of(s, isIdentChar);
}

/// `.L<index>`, the printer's generated label names.
std::optional<uint32_t> generatedIndex(StringRef s) {
  uint32_t index;
  if (s.consume_front(".L") && !s.empty() && llvm::all_of(s, llvm::isDigit) &&
      !s.getAsInteger(10, index))
    return index;
  return std::nullopt;
}

class Parser {
public:
  Parser(StringRef file) : file(file) {}
  llvm::Expected<Program> run(StringRef text);

private:
  /// The error at `loc`; control characters of the input it quotes (a
  /// binary fed as assembly) are shown as \xNN.
  llvm::Error error(Loc loc, const Twine &message) const {
    std::string text;
    llvm::raw_string_ostream os(text);
    for (char c : message.str()) {
      if (llvm::isPrint(c) || (c & 0x80))
        os << c;
      else
        os << "\\x" << llvm::format_hex_no_prefix(uint8_t(c), 2);
    }
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   file + ":" + Twine(loc.line) + ":" +
                                       Twine(loc.col) + ": error: " + text);
  }
  Piece sub(const Piece &p, size_t start, size_t n = StringRef::npos) const {
    return {p.text.substr(start, n), {p.loc.line, p.loc.col + unsigned(start)}};
  }
  Piece trimmed(const Piece &p) const {
    size_t lead = p.text.size() - p.text.ltrim().size();
    return {p.text.trim(), {p.loc.line, p.loc.col + unsigned(lead)}};
  }

  llvm::Error parseLine(Piece line);
  llvm::Error defineSymbol(Piece name, bool entry);
  llvm::Error parseInstruction(Piece mnemonic, Piece rest);
  llvm::Error parseOperand(const InstrSpec &spec, const OperandSpec &op,
                           Piece text, Instruction &instr);
  llvm::Error parseAttr(const InstrSpec &spec, const OperandSpec &op,
                        Piece value, Instruction &instr);
  llvm::Error setField(const InstrSpec &spec, int8_t field, int64_t value,
                       Loc loc, Instruction &instr);

  llvm::Expected<int64_t> parseInt(Piece p) const;
  llvm::Expected<int64_t> parseReg(Piece p) const;
  llvm::Expected<int64_t> parseF32(Piece p) const;
  llvm::Expected<int64_t> parseEnum(const FieldSpec &field, Piece p) const;
  /// `rN + imm`, `rN` or `imm`: the register and the immediate.
  llvm::Expected<std::pair<int64_t, int64_t>> parseSum(Piece p,
                                                       bool allowImm) const;
  /// `base[sum]`: the base word and the sum.
  llvm::Expected<std::pair<Piece, std::pair<int64_t, int64_t>>>
  parseBracket(Piece p, bool allowImm) const;
  llvm::Expected<uint8_t> parseMask(Piece p) const;

  StringRef file;
  Program program;
  llvm::StringMap<unsigned> symbolLines;
  struct Fixup {
    size_t instr;
    unsigned field;
    std::string name;
    Loc loc;
  };
  std::vector<Fixup> fixups;
};

llvm::Expected<int64_t> Parser::parseInt(Piece p) const {
  int64_t value;
  if (p.text.empty() || p.text.getAsInteger(0, value))
    return error(p.loc, "expected an integer, found '" + p.text + "'");
  return value;
}

llvm::Expected<int64_t> Parser::parseReg(Piece p) const {
  StringRef s = p.text;
  unsigned n;
  if (!s.consume_front("r") || s.empty() || !llvm::all_of(s, llvm::isDigit) ||
      s.getAsInteger(10, n) || n >= kNumRegisters)
    return error(p.loc, "expected a register r0..r31, found '" + p.text + "'");
  return int64_t(n);
}

llvm::Expected<int64_t> Parser::parseF32(Piece p) const {
  StringRef s = p.text;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    uint32_t bits;
    if (s.substr(2).getAsInteger(16, bits))
      return error(p.loc, "expected 32-bit hex bits, found '" + s + "'");
    return int64_t(bits);
  }
  float value;
  if (s == "inf" || s == "+inf")
    value = INFINITY;
  else if (s == "-inf")
    value = -INFINITY;
  else {
    std::string text = s.str();
    char *end = nullptr;
    value = std::strtof(text.c_str(), &end);
    if (text.empty() || *end ||
        !(llvm::isDigit(text[0]) || text[0] == '-' || text[0] == '+' ||
          text[0] == '.') ||
        std::isnan(value))
      return error(p.loc, "expected an fp32 number, found '" + s + "'");
  }
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return int64_t(bits);
}

llvm::Expected<int64_t> Parser::parseEnum(const FieldSpec &field,
                                          Piece p) const {
  std::string choices;
  for (int64_t i = 0; i <= field.maxValue(); ++i) {
    if (p.text == field.names[i])
      return i;
    choices += (i ? ", " : "") + std::string(field.names[i]);
  }
  return error(p.loc, "unknown " + Twine(field.name) + " '" + p.text +
                          "' (expected one of: " + choices + ")");
}

llvm::Expected<std::pair<int64_t, int64_t>>
Parser::parseSum(Piece p, bool allowImm) const {
  Piece first = p, second;
  size_t plus = p.text.find('+');
  if (plus != StringRef::npos) {
    first = trimmed(sub(p, 0, plus));
    second = trimmed(sub(p, plus + 1));
  }
  if (!first.text.starts_with("r")) {
    if (plus != StringRef::npos)
      return error(p.loc, "expected 'rN + imm', found '" + p.text + "'");
    if (!allowImm)
      return error(p.loc, "expected a register, found '" + p.text + "'");
    auto imm = parseInt(first);
    if (!imm)
      return imm.takeError();
    return std::pair<int64_t, int64_t>(0, *imm);
  }
  auto reg = parseReg(first);
  if (!reg)
    return reg.takeError();
  if (plus == StringRef::npos)
    return std::pair<int64_t, int64_t>(*reg, 0);
  if (!allowImm)
    return error(second.loc, "this address takes no offset");
  auto imm = parseInt(second);
  if (!imm)
    return imm.takeError();
  return std::pair<int64_t, int64_t>(*reg, *imm);
}

llvm::Expected<std::pair<Piece, std::pair<int64_t, int64_t>>>
Parser::parseBracket(Piece p, bool allowImm) const {
  size_t open = p.text.find('[');
  if (open == StringRef::npos || !p.text.ends_with("]"))
    return error(p.loc,
                 "expected an address 'buf[rN + imm]', found '" + p.text + "'");
  Piece base = trimmed(sub(p, 0, open));
  auto sum =
      parseSum(trimmed(sub(p, open + 1, p.text.size() - open - 2)), allowImm);
  if (!sum)
    return sum.takeError();
  return std::pair(base, *sum);
}

llvm::Expected<uint8_t> Parser::parseMask(Piece p) const {
  uint8_t mask = 0;
  llvm::SmallVector<StringRef> names;
  p.text.split(names, '|');
  for (StringRef name : names) {
    unsigned u = 0;
    while (u < kNumUnits && name.trim() != unitName(Unit(u)))
      ++u;
    if (u == kNumUnits)
      return error(p.loc, "unknown unit '" + name.trim() +
                              "' (expected ctl, ld, st, mx or vec)");
    mask |= 1u << u;
  }
  return mask;
}

llvm::Error Parser::setField(const InstrSpec &spec, int8_t field, int64_t value,
                             Loc loc, Instruction &instr) {
  if (llvm::Error err = verifyField(spec, field, value))
    return error(loc, llvm::toString(std::move(err)));
  instr.fields[field] = value;
  return llvm::Error::success();
}

llvm::Error Parser::parseOperand(const InstrSpec &spec, const OperandSpec &op,
                                 Piece p, Instruction &instr) {
  const FormatSpec &format = *spec.format;
  const auto &fi = op.fields;
  switch (op.kind) {
  case OperandKind::Reg: {
    auto reg = parseReg(p);
    if (!reg)
      return reg.takeError();
    return setField(spec, fi[0], *reg, p.loc, instr);
  }
  case OperandKind::Addr:
  case OperandKind::Hbm: {
    bool hbm = op.kind == OperandKind::Hbm;
    int8_t regField = hbm ? fi[0] : fi[1], immField = hbm ? fi[1] : fi[2];
    auto addr = parseBracket(p, immField >= 0);
    if (!addr)
      return addr.takeError();
    auto [base, sum] = *addr;
    if (hbm) {
      if (base.text != "hbm")
        return error(base.loc,
                     "expected 'hbm[...]', found '" + base.text + "'");
    } else {
      auto b = parseEnum(format.fields[fi[0]], base);
      if (!b)
        return b.takeError();
      if (llvm::Error err = setField(spec, fi[0], *b, base.loc, instr))
        return err;
    }
    if (llvm::Error err = setField(spec, regField, sum.first, p.loc, instr))
      return err;
    return immField >= 0 ? setField(spec, immField, sum.second, p.loc, instr)
                         : llvm::Error::success();
  }
  case OperandKind::Count: {
    auto sum = parseSum(p, true);
    if (!sum)
      return sum.takeError();
    if (llvm::Error err = setField(spec, fi[0], sum->first, p.loc, instr))
      return err;
    return setField(spec, fi[1], sum->second, p.loc, instr);
  }
  case OperandKind::Imm: {
    auto imm = parseInt(p);
    if (!imm)
      return imm.takeError();
    return setField(spec, fi[0], *imm, p.loc, instr);
  }
  case OperandKind::F32: {
    auto bits = parseF32(p);
    if (!bits)
      return bits.takeError();
    return setField(spec, fi[0], *bits, p.loc, instr);
  }
  case OperandKind::Target: {
    if (!isIdentifier(p.text) && !generatedIndex(p.text))
      return error(p.loc, "expected a label, found '" + p.text + "'");
    fixups.push_back(
        {program.code.size(), unsigned(fi[0]), p.text.str(), p.loc});
    return llvm::Error::success();
  }
  case OperandKind::Attr:
    return parseAttr(spec, op, p, instr);
  }
  llvm_unreachable("operand kinds are covered");
}

llvm::Error Parser::parseAttr(const InstrSpec &spec, const OperandSpec &op,
                              Piece p, Instruction &instr) {
  const FieldSpec &field = spec.format->fields[op.fields[0]];
  if (op.fields[1] >= 0) {
    auto addr = parseBracket(p, false);
    if (!addr)
      return addr.takeError();
    auto b = parseEnum(spec.format->fields[op.fields[1]], addr->first);
    if (!b)
      return b.takeError();
    if (llvm::Error err = setField(spec, op.fields[0], 1, p.loc, instr))
      return err;
    if (llvm::Error err = setField(spec, op.fields[1], *b, p.loc, instr))
      return err;
    return setField(spec, op.fields[2], addr->second.first, p.loc, instr);
  }
  llvm::Expected<int64_t> value = field.kind == FieldKind::Enum
                                      ? parseEnum(field, p)
                                  : field.kind == FieldKind::F32 ? parseF32(p)
                                  : field.kind == FieldKind::Reg ? parseReg(p)
                                                                 : parseInt(p);
  if (!value)
    return value.takeError();
  return setField(spec, op.fields[0], *value, p.loc, instr);
}

llvm::Error Parser::parseInstruction(Piece mnemonic, Piece rest) {
  const InstrSpec *spec = lookupMnemonic(mnemonic.text);
  if (!spec)
    return error(mnemonic.loc, "unknown mnemonic '" + mnemonic.text + "'");
  Instruction instr = Instruction::create(spec->opcode);

  // Split the operands at commas outside brackets.
  std::vector<Piece> pieces;
  if (!rest.text.empty()) {
    size_t start = 0;
    int depth = 0;
    for (size_t i = 0; i <= rest.text.size(); ++i) {
      char c = i < rest.text.size() ? rest.text[i] : ',';
      depth += c == '[' ? 1 : c == ']' ? -1 : 0;
      if (c == ',' && depth == 0) {
        Piece piece = trimmed(sub(rest, start, i - start));
        if (piece.text.empty())
          return error(piece.loc, "empty operand");
        pieces.push_back(piece);
        start = i + 1;
      }
    }
  }

  llvm::SmallVector<const OperandSpec *> positional;
  for (const OperandSpec &op : spec->format->operands)
    if (op.kind != OperandKind::Attr)
      positional.push_back(&op);
  size_t next = 0;
  llvm::StringMap<Loc> seen;
  for (const Piece &piece : pieces) {
    size_t eq = piece.text.find('=');
    bool isAttr =
        eq != StringRef::npos && isIdentifier(piece.text.take_front(eq).trim());
    if (!isAttr) {
      if (!seen.empty())
        return error(piece.loc, "positional operand after key=value operands");
      if (next == positional.size())
        return error(piece.loc, Twine(spec->mnemonic) + " takes " +
                                    Twine(positional.size()) + " operands");
      if (llvm::Error err =
              parseOperand(*spec, *positional[next++], piece, instr))
        return err;
      continue;
    }
    Piece key = trimmed(sub(piece, 0, eq)), value = trimmed(sub(piece, eq + 1));
    if (!seen.try_emplace(key.text, key.loc).second)
      return error(key.loc, "'" + key.text + "' is given twice");
    if (key.text == "wait" || key.text == "rel") {
      auto mask = parseMask(value);
      if (!mask)
        return mask.takeError();
      (key.text == "wait" ? instr.wait : instr.release) = *mask;
      continue;
    }
    const OperandSpec *attr = nullptr;
    std::string names;
    for (const OperandSpec &op : spec->format->operands)
      if (op.kind == OperandKind::Attr) {
        if (key.text == op.name)
          attr = &op;
        names += (names.empty() ? "" : ", ") + std::string(op.name);
      }
    if (!attr)
      return error(key.loc, "unknown key '" + key.text + "' for " +
                                spec->mnemonic + " (expected " +
                                (names.empty() ? "" : names + ", ") +
                                "wait or rel)");
    if (llvm::Error err = parseAttr(*spec, *attr, value, instr))
      return err;
  }
  if (next < positional.size())
    return error(mnemonic.loc, Twine(spec->mnemonic) + " takes " +
                                   Twine(positional.size()) +
                                   " operands, found " + Twine(next));
  // Targets are resolved later; verify with a placeholder.
  if (llvm::Error err = verify(instr))
    return error(mnemonic.loc,
                 Twine(spec->mnemonic) + ": " + llvm::toString(std::move(err)));
  program.code.push_back(instr);
  return llvm::Error::success();
}

llvm::Error Parser::defineSymbol(Piece name, bool entry) {
  uint32_t index = program.code.size();
  if (std::optional<uint32_t> generated = generatedIndex(name.text)) {
    if (entry || *generated != index)
      return error(name.loc, "'" + name.text +
                                 "' is a generated label name; it must label "
                                 "instruction " +
                                 Twine(*generated));
  } else if (!isIdentifier(name.text)) {
    return error(name.loc, "'" + name.text + "' is not a valid name");
  }
  auto [it, inserted] = symbolLines.try_emplace(name.text, name.loc.line);
  if (!inserted)
    return error(name.loc, "duplicate label '" + name.text +
                               "' (first defined at line " + Twine(it->second) +
                               ")");
  program.symbols.push_back({name.text.str(), index, entry});
  return llvm::Error::success();
}

llvm::Error Parser::parseLine(Piece line) {
  size_t comment = line.text.find(';');
  line = trimmed(sub(line, 0, comment));
  // Labels: `name:` (possibly several, then an instruction).
  while (!line.text.empty()) {
    size_t end = 0;
    while (end < line.text.size() &&
           (isIdentChar(line.text[end]) || line.text[end] == '.'))
      ++end;
    if (end == 0 || end >= line.text.size() || line.text[end] != ':')
      break;
    if (llvm::Error err = defineSymbol(sub(line, 0, end), false))
      return err;
    line = trimmed(sub(line, end + 1));
  }
  if (line.text.empty())
    return llvm::Error::success();
  size_t space = line.text.find_first_of(" \t");
  Piece head = sub(line, 0, space);
  Piece rest = space == StringRef::npos ? Piece{"", line.loc}
                                        : trimmed(sub(line, space));
  if (head.text.starts_with(".")) {
    if (head.text != ".entry")
      return error(head.loc, "unknown directive '" + head.text + "'");
    if (rest.text.empty())
      return error(head.loc, ".entry needs a name");
    return defineSymbol(rest, true);
  }
  return parseInstruction(head, rest);
}

llvm::Expected<Program> Parser::run(StringRef text) {
  unsigned lineNo = 0;
  while (!text.empty() || lineNo == 0) {
    auto [line, remainder] = text.split('\n');
    text = remainder;
    ++lineNo;
    if (llvm::Error err = parseLine({line.rtrim('\r'), {lineNo, 1}}))
      return std::move(err);
    if (text.empty())
      break;
  }
  llvm::StringMap<uint32_t> indices;
  for (const Symbol &symbol : program.symbols)
    indices[symbol.name] = symbol.index;
  for (const Fixup &fixup : fixups) {
    auto it = indices.find(fixup.name);
    if (it == indices.end())
      return error(fixup.loc, "undefined label '" + fixup.name + "'");
    if (it->second >= program.code.size())
      return error(fixup.loc,
                   "label '" + fixup.name + "' is past the last instruction");
    program.code[fixup.instr].fields[fixup.field] = it->second;
  }
  return std::move(program);
}

} // namespace

llvm::Expected<Program> accel::isa::parseAssembly(StringRef text,
                                                  StringRef fileName) {
  return Parser(fileName).run(text);
}
