//===- ISA.h - the engine's instruction set: one table ----------*- C++ -*-===//
//
// The one definition of the engine's instructions (docs/ISA.md). Every
// instruction is 128 bits; bits [17:0] are the common header (unit, op, wait
// and release token masks), the rest are fields whose positions, widths and
// assembly syntax this table gives. The encoder, decoder, assembly printer and
// assembly parser all read this table; nothing else defines an instruction.
//
// Depends on LLVM Support only: the simulator reads it too.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_ISA_ISA_H
#define ACCEL_ISA_ISA_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <array>
#include <cstdint>
#include <optional>

namespace accel::isa {

/// Bytes per instruction word.
constexpr unsigned kInstrBytes = 16;
/// Scalar registers r0..r31; r0 reads as 0 and ignores writes.
constexpr unsigned kNumRegisters = 32;
/// Most fields an instruction has (the header excluded).
constexpr unsigned kMaxFields = 20;

/// The units; an instruction's unit is bits [2:0] of its first byte.
enum class Unit : uint8_t {
  Ctrl = 0,
  Load = 1,
  Store = 2,
  Matrix = 3,
  Vector = 4
};
constexpr unsigned kNumUnits = 5;
/// Assembly names of the units in token masks: ctl, ld, st, mx, vec.
llvm::StringRef unitName(Unit unit);

/// The on-chip buffers an instruction may address.
enum class Buffer : uint8_t { Wgt = 0, Act = 1, Kv = 2, Scr = 3, Prm = 4 };
constexpr unsigned kNumBuffers = 5;
/// Assembly names: wgt, act, kv, scr, prm.
llvm::StringRef bufferName(Buffer buffer);

/// How a field's bits are read.
enum class FieldKind : uint8_t {
  Reg,    ///< a register number, 0..31
  Buf,    ///< a buffer id, 0..4
  UImm,   ///< an unsigned integer; the logical value is (bits << shift)
  SImm,   ///< a two's complement integer
  F32,    ///< the bit pattern of an fp32 value
  Target, ///< an instruction index in the code (a label in assembly)
  Enum,   ///< a small unsigned code with names
  Funct,  ///< fixed by the instruction (not an operand)
};

struct FieldSpec {
  const char *name;
  uint8_t lo;    ///< lowest bit in the 128-bit word
  uint8_t width; ///< bits
  FieldKind kind;
  uint8_t shift = 0; ///< UImm: the encoded value is the logical one >> shift
  int64_t min = 0;   ///< smallest logical value (UImm/SImm/Enum)
  int64_t max = -1;  ///< largest logical value; -1: what the width holds
  const char *const *names = nullptr; ///< Enum: a name per code, max + 1
  const char *doc = "";

  int64_t minValue() const;
  int64_t maxValue() const;
};

/// How fields are written in assembly.
enum class OperandKind : uint8_t {
  Reg,    ///< `r5`                                       (one Reg field)
  Addr,   ///< `act[r5 + 64]`                  (Buf, Reg, optional UImm)
  Hbm,    ///< `hbm[r1 + 4096]`                          (Reg, UImm)
  Count,  ///< `r6 + 16`, `r6` or `16`                   (Reg, UImm)
  Imm,    ///< `-5`                                      (UImm or SImm)
  F32,    ///< `1e-05`, or `0x7fc00001` for bit patterns a decimal loses
  Target, ///< `loop` (a label)
  Attr,   ///< `name=value`, omitted when 0               (any one field)
};

struct OperandSpec {
  OperandKind kind;
  const char *name;
  std::array<int8_t, 3> fields; ///< indices into the format's fields, -1 none
};

struct FormatSpec {
  const char *name;
  llvm::ArrayRef<FieldSpec> fields;
  llvm::ArrayRef<OperandSpec> operands;
};

enum class Opcode : uint8_t {
#define ACCEL_INSN(ID, MNEMONIC, UNIT, OP, FUNCT, FORMAT, SUMMARY) ID,
#include "accel/ISA/Instructions.def"
  NumOpcodes
};

struct InstrSpec {
  Opcode opcode;
  const char *mnemonic;
  Unit unit;
  uint8_t op;   ///< bits [7:3] of the first byte
  int8_t funct; ///< the value of the format's Funct field, or -1
  const FormatSpec *format;
  const char *summary;
};

/// Every instruction, indexed by Opcode.
llvm::ArrayRef<InstrSpec> instructions();
const InstrSpec &spec(Opcode opcode);
/// The instruction with this mnemonic, if any.
const InstrSpec *lookupMnemonic(llvm::StringRef mnemonic);
/// Every format, for the reference tables.
llvm::ArrayRef<const FormatSpec *> formats();

/// One decoded instruction: its opcode, token masks and the logical value of
/// each field of its format (in format order; Funct fields hold their fixed
/// value, F32 fields the bit pattern, UImm fields the value after the shift).
struct Instruction {
  Opcode opcode = Opcode::Nop;
  uint8_t wait = 0;    ///< bit u: pop a token from unit u before executing
  uint8_t release = 0; ///< bit u: push a token to unit u when done
  std::array<int64_t, kMaxFields> fields{};

  /// An instruction of `opcode` with every field 0 but its funct.
  static Instruction create(Opcode opcode);

  const InstrSpec &getSpec() const { return spec(opcode); }
  /// The value of the field named `name` (asserts it exists).
  int64_t get(llvm::StringRef name) const;
  void set(llvm::StringRef name, int64_t value);

  bool operator==(const Instruction &other) const {
    return opcode == other.opcode && wait == other.wait &&
           release == other.release && fields == other.fields;
  }
  bool operator!=(const Instruction &other) const { return !(*this == other); }
};

/// The index of `name` in `format`'s fields, if any.
std::optional<unsigned> fieldIndex(const FormatSpec &format,
                                   llvm::StringRef name);

/// The smallest KV record (docs/ISA.md §5.7) of `heads` heads of `dim`
/// values in format `format` (0 asym, 1 sym, 2 f32) of `bits` bits, groups
/// of `group` along dim: the end of its last part rounded up to 64 bytes.
int64_t kvRecordBytes(int64_t heads, int64_t dim, int64_t format, int64_t bits,
                      int64_t group);
/// The record stride `vaset` sets: `recu` 64-byte units, or the smallest
/// record when `recu` is 0.
int64_t kvRecordStride(const Instruction &vaset);

} // namespace accel::isa

#endif // ACCEL_ISA_ISA_H
