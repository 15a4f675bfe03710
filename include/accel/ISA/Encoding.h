//===- Encoding.h - instruction words: encode, decode, verify ---*- C++ -*-===//
//
// The binary encoding of docs/ISA.md: 16-byte little-endian words, read and
// written by the field table of ISA.h.
//
//===----------------------------------------------------------------------===//

#ifndef ACCEL_ISA_ENCODING_H
#define ACCEL_ISA_ENCODING_H

#include "accel/ISA/ISA.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <vector>

namespace accel::isa {

using Word = std::array<uint8_t, kInstrBytes>;

/// Checks what the encoding cannot express or the ISA forbids: field ranges,
/// alignment of scaled fields, token masks naming the instruction's own unit,
/// fields the instruction does not use, and the per-instruction rules of
/// docs/ISA.md (e.g. mcfg's format and bits agree). The message names the
/// field.
llvm::Error verify(const Instruction &instr);

/// Checks one field's value alone (range, alignment, funct): what verify()
/// checks of it before the rules that relate fields.
llvm::Error verifyField(const InstrSpec &spec, unsigned field, int64_t value);

/// Encodes a verified instruction.
llvm::Expected<Word> encode(const Instruction &instr);

/// Decodes one word. `offset` (the word's byte offset in its code section)
/// only prefixes error messages: `offset 0x30: ...`. Rejects unknown units
/// and opcodes, reserved bits that are set, and everything verify() rejects.
llvm::Expected<Instruction> decode(llvm::ArrayRef<uint8_t> word,
                                   uint64_t offset = 0);

/// Decodes a whole code section: its size must be a multiple of 16 and every
/// branch target must lie inside it.
llvm::Expected<std::vector<Instruction>>
decodeCode(llvm::ArrayRef<uint8_t> bytes);

/// Encodes a program (checking branch targets like decodeCode).
llvm::Expected<std::vector<uint8_t>>
encodeCode(llvm::ArrayRef<Instruction> code);

} // namespace accel::isa

#endif // ACCEL_ISA_ENCODING_H
