//===- ImportProgram.cpp - an isa::Program to an accelisa.program ---------===//

#include "accel/Target/ISA/Translate.h"

#include "accel/Dialect/AccelISA/AccelISABuilder.h"

#include <map>

using namespace mlir;
using namespace accel;
using namespace accel::accelisa;

ProgramOp accelisa::importProgram(OpBuilder &builder, Location loc,
                                  const isa::Program &program,
                                  StringRef name) {
  // A target is named by the first symbol at its index, else `.L<index>`.
  std::map<uint32_t, std::string> names;
  for (const isa::Symbol &symbol : program.symbols)
    names.try_emplace(symbol.index, symbol.name);
  std::map<uint32_t, std::string> generated;
  for (const isa::Instruction &instr : program.code)
    for (auto [i, field] : llvm::enumerate(instr.getSpec().format->fields))
      if (field.kind == isa::FieldKind::Target) {
        auto index = uint32_t(instr.fields[i]);
        if (!names.count(index))
          generated[index] = ".L" + std::to_string(index);
      }
  for (const auto &[index, label] : generated)
    names[index] = label;

  OpBuilder::InsertionGuard guard(builder);
  ProgramOp op = buildProgram(builder, loc, name);
  auto symbolsAt = [&](uint32_t index) {
    for (const isa::Symbol &symbol : program.symbols)
      if (symbol.index == index)
        (symbol.entry ? buildEntry : buildLabel)(builder, loc, symbol.name);
    if (auto it = generated.find(index); it != generated.end())
      buildLabel(builder, loc, it->second);
  };
  for (auto [index, instr] : llvm::enumerate(program.code)) {
    symbolsAt(index);
    std::string target;
    for (auto [i, field] : llvm::enumerate(instr.getSpec().format->fields))
      if (field.kind == isa::FieldKind::Target)
        target = names[uint32_t(instr.fields[i])];
    buildInstruction(builder, loc, instr, target);
  }
  symbolsAt(program.code.size());
  return op;
}
