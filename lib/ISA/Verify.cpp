//===- Verify.cpp - the rules an instruction must satisfy -----------------===//
//
// One function, used by the encoder, the decoder and (through them) the
// assembler, so that a word the decoder accepts is exactly a word the
// assembler can write. Run-time conditions (addresses inside a buffer, a
// register's value) are the simulator's to check, not these.
//
//===----------------------------------------------------------------------===//

#include "accel/ISA/Encoding.h"

#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/Twine.h"

using namespace accel::isa;
using llvm::Twine;

namespace {

llvm::Error fail(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Error checkTokens(const Instruction &instr) {
  unsigned self = unsigned(instr.getSpec().unit);
  for (auto [mask, name] :
       {std::pair(instr.wait, "wait"), std::pair(instr.release, "rel")}) {
    if (mask >> kNumUnits)
      return fail(Twine(name) + " mask " + Twine(unsigned(mask)) +
                  " names no unit (5 bits: ctl ld st mx vec)");
    if (mask & (1u << self))
      return fail(Twine(name) + " mask names the instruction's own unit (" +
                  unitName(Unit(self)) + ")");
  }
  return llvm::Error::success();
}

llvm::Error checkField(const InstrSpec &s, const FieldSpec &field,
                       int64_t value) {
  if (field.kind == FieldKind::Funct) {
    if (value != s.funct)
      return fail("funct is " + Twine(value) + ", " + s.mnemonic + " has " +
                  Twine(int(s.funct)));
    return llvm::Error::success();
  }
  int64_t lo = field.minValue(), hi = field.maxValue();
  if (value < lo || value > hi)
    return fail(Twine(field.name) + " = " + Twine(value) +
                " is out of range [" + Twine(lo) + ", " + Twine(hi) + "]");
  if (field.shift && value % (int64_t(1) << field.shift))
    return fail(Twine(field.name) + " = " + Twine(value) +
                " is not a multiple of " + Twine(1u << field.shift));
  return llvm::Error::success();
}

/// Fields no operand names must be 0; an optional address (an Attr operand
/// over flag, buffer and register) must be all 0 when its flag is.
llvm::Error checkUnused(const Instruction &instr) {
  const FormatSpec &format = *instr.getSpec().format;
  llvm::SmallBitVector named(format.fields.size());
  for (const OperandSpec &op : format.operands) {
    for (int8_t i : op.fields)
      if (i >= 0)
        named.set(i);
    if (op.kind == OperandKind::Attr && op.fields[1] >= 0 &&
        instr.fields[op.fields[0]] == 0 &&
        (instr.fields[op.fields[1]] || instr.fields[op.fields[2]]))
      return fail(Twine(op.name) + " is off but its address fields are not 0");
  }
  for (auto [i, field] : llvm::enumerate(format.fields))
    if (!named.test(i) && field.kind != FieldKind::Funct && instr.fields[i])
      return fail(Twine(field.name) + " is unused by " +
                  instr.getSpec().mnemonic + " and must be 0");
  return llvm::Error::success();
}

bool isIntBits(int64_t bits) {
  return bits == 2 || bits == 3 || bits == 4 || bits == 8;
}

llvm::Error checkMatrixConfig(const Instruction &instr) {
  int64_t k = instr.get("k"), g = instr.get("g"), ga = instr.get("ga");
  int64_t fmt = instr.get("fmt"), bits = instr.get("bits");
  int64_t n = instr.get("n"), m = instr.get("m");
  bool isFloat = fmt >= 2;
  if (!isFloat && !isIntBits(bits))
    return fail("bits = " + Twine(bits) +
                ": integer weights have 2, 3, 4 or 8");
  if (fmt == 2 && bits != 32)
    return fail("bits = " + Twine(bits) + ": f32 weights have 32");
  if (fmt >= 3 && bits != 16)
    return fail("bits = " + Twine(bits) + ": f16 and bf16 weights have 16");
  if (isFloat && g != 0)
    return fail("g = " + Twine(g) + ": float weights have no groups (0)");
  if (g && k % g)
    return fail("g = " + Twine(g) + " does not divide k = " + Twine(k));
  if (ga && k % ga)
    return fail("ga = " + Twine(ga) + " does not divide k = " + Twine(k));
  if (isFloat && !instr.get("afp"))
    return fail("float weights need fp32 activations (afp=1)");
  if (n || m) {
    if (m != 4 && m != 8 && m != 16)
      return fail("m = " + Twine(m) + ": n:m sparsity has m = 4, 8 or 16");
    if (n < 1 || n >= m)
      return fail("n = " + Twine(n) + ": n:m sparsity has 1 <= n < m");
    if (k % m)
      return fail("m = " + Twine(m) + " does not divide k = " + Twine(k));
  }
  return llvm::Error::success();
}

llvm::Error checkAttnConfig(const Instruction &instr) {
  int64_t fmt = instr.get("kvfmt"), bits = instr.get("kvbits");
  int64_t hd = instr.get("hd"), g = instr.get("kvg");
  if (fmt == 2 && (bits || g))
    return fail("f32 KV records have kvbits = 0 and kvg = 0");
  if (fmt != 2 && !isIntBits(bits))
    return fail("kvbits = " + Twine(bits) + ": integer KV has 2, 3, 4 or 8");
  if (g && hd % g)
    return fail("kvg = " + Twine(g) + " does not divide hd = " + Twine(hd));
  int64_t least = kvRecordBytes(instr.get("kvh"), hd, fmt, bits, g ? g : hd);
  if (int64_t units = instr.get("recu"); units && 64 * units < least)
    return fail("recu = " + Twine(units) + ": a record needs " +
                Twine(least / 64) + " units of 64 bytes");
  return llvm::Error::success();
}

llvm::Error checkSpecific(const Instruction &instr) {
  switch (instr.opcode) {
  case Opcode::Slli:
  case Opcode::Srli:
  case Opcode::Srai:
    if (instr.get("imm") < 0 || instr.get("imm") > 31)
      return fail("imm = " + Twine(instr.get("imm")) +
                  ": a shift amount is in [0, 31]");
    break;
  case Opcode::Mcfg:
    return checkMatrixConfig(instr);
  case Opcode::Vaset:
    return checkAttnConfig(instr);
  case Opcode::Maset:
    if (instr.get("kvfmt") == 2)
      return fail("the matrix unit reads integer KV records (kvfmt asym or "
                  "sym)");
    if (instr.get("sink") || instr.get("window") || instr.get("causal"))
      return fail("the matrix unit has no mask: sink, window and causal are "
                  "0");
    return checkAttnConfig(instr);
  case Opcode::Vadd:
  case Opcode::Vsub:
  case Opcode::Vmul:
  case Opcode::Vdiv:
  case Opcode::Vmax:
  case Opcode::Vmin:
    if (instr.get("bmode") == 2 && (instr.get("bbuf") || instr.get("rb")))
      return fail("bmode=imm takes no b address (wgt[r0])");
    if (instr.get("bmode") != 2 && instr.get("f"))
      return fail("f is used only with bmode=imm");
    break;
  case Opcode::Vrset:
    if (instr.get("rot") % 2)
      return fail("rot = " + Twine(instr.get("rot")) + " must be even");
    break;
  case Opcode::Vrope:
    if (instr.get("rot") % 2 || instr.get("rot") > instr.get("hd"))
      return fail("rot = " + Twine(instr.get("rot")) +
                  " must be even and at most hd = " + Twine(instr.get("hd")));
    break;
  case Opcode::Vqact:
  case Opcode::Vquant:
  case Opcode::Vdequant:
    if (instr.get("bits") > 8)
      return fail("bits = " + Twine(instr.get("bits")) +
                  " is out of range [2, 8]");
    break;
  default:
    break;
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error accel::isa::verifyField(const InstrSpec &spec, unsigned field,
                                    int64_t value) {
  return checkField(spec, spec.format->fields[field], value);
}

llvm::Error accel::isa::verify(const Instruction &instr) {
  if (instr.opcode >= Opcode::NumOpcodes)
    return fail("not an opcode");
  if (llvm::Error err = checkTokens(instr))
    return err;
  const InstrSpec &s = instr.getSpec();
  for (auto [i, field] : llvm::enumerate(s.format->fields))
    if (llvm::Error err = checkField(s, field, instr.fields[i]))
      return err;
  for (unsigned i = s.format->fields.size(); i < kMaxFields; ++i)
    if (instr.fields[i])
      return fail("more fields than " + Twine(s.mnemonic) + " has");
  if (llvm::Error err = checkUnused(instr))
    return err;
  return checkSpecific(instr);
}
