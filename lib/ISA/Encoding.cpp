//===- Encoding.cpp - 128-bit instruction words
//-----------------------------===//
//
// A word is two little-endian 64-bit halves: bits [63:0] in bytes 0-7, bits
// [127:64] in bytes 8-15. The header is unit [2:0], op [7:3], wait [12:8],
// release [17:13]; the format's fields follow (ISA.h, Formats.cpp).
//
//===----------------------------------------------------------------------===//

#include "accel/ISA/Encoding.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"

using namespace accel::isa;
using llvm::ArrayRef;
using llvm::Twine;

namespace {

constexpr unsigned kHeaderBits = 18;

llvm::Error fail(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// 128 bits as two halves.
struct Bits {
  uint64_t half[2] = {0, 0};

  uint64_t get(unsigned lo, unsigned width) const {
    uint64_t value = 0;
    for (unsigned i = 0; i < width; ++i) {
      unsigned bit = lo + i;
      value |= ((half[bit / 64] >> (bit % 64)) & 1) << i;
    }
    return value;
  }
  void put(unsigned lo, unsigned width, uint64_t value) {
    for (unsigned i = 0; i < width; ++i) {
      unsigned bit = lo + i;
      uint64_t mask = uint64_t(1) << (bit % 64);
      half[bit / 64] = ((value >> i) & 1) ? (half[bit / 64] | mask)
                                          : (half[bit / 64] & ~mask);
    }
  }
};

/// The header bits plus every field bit of `format`.
Bits usedBits(const FormatSpec &format) {
  Bits used;
  used.put(0, kHeaderBits, ~uint64_t(0));
  for (const FieldSpec &field : format.fields)
    used.put(field.lo, field.width, ~uint64_t(0));
  return used;
}

const InstrSpec *lookup(unsigned unit, unsigned op,
                        std::optional<unsigned> funct) {
  for (const InstrSpec &s : instructions())
    if (unsigned(s.unit) == unit && s.op == op &&
        (s.funct < 0 || (funct && unsigned(s.funct) == *funct)))
      return &s;
  return nullptr;
}

/// The funct field's position of the format that (unit, op) uses, if any.
std::optional<unsigned> functField(unsigned unit, unsigned op) {
  for (const InstrSpec &s : instructions())
    if (unsigned(s.unit) == unit && s.op == op && s.funct >= 0)
      return *fieldIndex(*s.format, "funct");
  return std::nullopt;
}

std::string hex(uint64_t value) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format_hex(value, 2);
  return s;
}

} // namespace

llvm::Expected<Word> accel::isa::encode(const Instruction &instr) {
  if (llvm::Error err = verify(instr))
    return std::move(err);
  const InstrSpec &s = instr.getSpec();
  Bits bits;
  bits.put(0, 3, unsigned(s.unit));
  bits.put(3, 5, s.op);
  bits.put(8, 5, instr.wait);
  bits.put(13, 5, instr.release);
  for (auto [i, field] : llvm::enumerate(s.format->fields)) {
    uint64_t raw = uint64_t(instr.fields[i]) >> field.shift;
    bits.put(field.lo, field.width, raw);
  }
  Word word;
  llvm::support::endian::write64le(word.data(), bits.half[0]);
  llvm::support::endian::write64le(word.data() + 8, bits.half[1]);
  return word;
}

llvm::Expected<Instruction> accel::isa::decode(ArrayRef<uint8_t> word,
                                               uint64_t offset) {
  auto at = [&](const Twine &message) {
    return fail("offset " + hex(offset) + ": " + message);
  };
  if (word.size() < kInstrBytes)
    return at("truncated instruction: " + Twine(word.size()) + " of " +
              Twine(kInstrBytes) + " bytes");
  Bits bits;
  bits.half[0] = llvm::support::endian::read64le(word.data());
  bits.half[1] = llvm::support::endian::read64le(word.data() + 8);

  unsigned unit = bits.get(0, 3), op = bits.get(3, 5);
  if (unit >= kNumUnits)
    return at("unknown unit " + Twine(unit));
  std::optional<unsigned> funct;
  if (std::optional<unsigned> fi = functField(unit, op)) {
    const InstrSpec *any = nullptr;
    for (const InstrSpec &s : instructions())
      if (unsigned(s.unit) == unit && s.op == op)
        any = &s;
    const FieldSpec &f = any->format->fields[*fi];
    funct = bits.get(f.lo, f.width);
  }
  const InstrSpec *s = lookup(unit, op, funct);
  if (!s)
    return at("unknown opcode: unit " + unitName(Unit(unit)) + ", op " +
              Twine(op) + (funct ? ", funct " + Twine(*funct) : Twine()));

  Bits used = usedBits(*s->format);
  for (unsigned bit = 0; bit < 128; ++bit)
    if (bits.get(bit, 1) && !used.get(bit, 1))
      return at(Twine(s->mnemonic) + ": reserved bit " + Twine(bit) +
                " is set (byte " + hex(offset + bit / 8) + ")");

  Instruction instr;
  instr.opcode = s->opcode;
  instr.wait = bits.get(8, 5);
  instr.release = bits.get(13, 5);
  for (auto [i, field] : llvm::enumerate(s->format->fields)) {
    uint64_t raw = bits.get(field.lo, field.width);
    int64_t value = int64_t(raw << field.shift);
    if (field.kind == FieldKind::SImm)
      value = llvm::SignExtend64(raw, field.width);
    instr.fields[i] = value;
  }
  if (llvm::Error err = verify(instr))
    return at(Twine(s->mnemonic) + ": " + llvm::toString(std::move(err)));
  return instr;
}

namespace {

llvm::Error checkTargets(ArrayRef<Instruction> code) {
  for (auto [index, instr] : llvm::enumerate(code)) {
    const FormatSpec &format = *instr.getSpec().format;
    for (auto [i, field] : llvm::enumerate(format.fields))
      if (field.kind == FieldKind::Target &&
          uint64_t(instr.fields[i]) >= code.size())
        return fail("offset " + hex(index * kInstrBytes) + ": " +
                    instr.getSpec().mnemonic + ": branch target " +
                    Twine(instr.fields[i]) + " is outside the code (" +
                    Twine(code.size()) + " instructions)");
  }
  return llvm::Error::success();
}

} // namespace

llvm::Expected<std::vector<Instruction>>
accel::isa::decodeCode(ArrayRef<uint8_t> bytes) {
  if (bytes.size() % kInstrBytes)
    return fail("offset " + hex(bytes.size() / kInstrBytes * kInstrBytes) +
                ": truncated instruction: the code is " + Twine(bytes.size()) +
                " bytes, not a multiple of " + Twine(kInstrBytes));
  std::vector<Instruction> code;
  code.reserve(bytes.size() / kInstrBytes);
  for (uint64_t offset = 0; offset < bytes.size(); offset += kInstrBytes) {
    llvm::Expected<Instruction> instr =
        decode(bytes.slice(offset, kInstrBytes), offset);
    if (!instr)
      return instr.takeError();
    code.push_back(*instr);
  }
  if (llvm::Error err = checkTargets(code))
    return std::move(err);
  return code;
}

llvm::Expected<std::vector<uint8_t>>
accel::isa::encodeCode(ArrayRef<Instruction> code) {
  if (llvm::Error err = checkTargets(code))
    return std::move(err);
  std::vector<uint8_t> bytes;
  bytes.reserve(code.size() * kInstrBytes);
  for (auto [index, instr] : llvm::enumerate(code)) {
    llvm::Expected<Word> word = encode(instr);
    if (!word)
      return fail("instruction " + Twine(index) + " (" +
                  instr.getSpec().mnemonic +
                  "): " + llvm::toString(word.takeError()));
    bytes.insert(bytes.end(), word->begin(), word->end());
  }
  return bytes;
}
