//===- CodeFootprint.cpp - bytes of code per entry point ------------------===//

#include "accel/Target/ISA/CodeFootprint.h"

#include "llvm/ADT/BitVector.h"
#include "llvm/Support/FormatVariadic.h"

using namespace accel;
using namespace accel::accelisa;

namespace {

/// Instructions reachable from `start`.
uint64_t reachable(const isa::Program &program, uint32_t start) {
  size_t size = program.code.size();
  llvm::BitVector seen(size);
  std::vector<uint32_t> work{start};
  auto push = [&](int64_t index) {
    if (index >= 0 && size_t(index) < size && !seen.test(index))
      work.push_back(uint32_t(index));
  };
  while (!work.empty()) {
    uint32_t index = work.back();
    work.pop_back();
    if (index >= size || seen.test(index))
      continue;
    seen.set(index);
    const isa::Instruction &instr = program.code[index];
    for (auto [i, field] : llvm::enumerate(instr.getSpec().format->fields))
      if (field.kind == isa::FieldKind::Target)
        push(instr.fields[i]);
    switch (instr.opcode) {
    case isa::Opcode::Halt:
    case isa::Opcode::Jmp:
    case isa::Opcode::Jr:
      break;
    default:
      push(int64_t(index) + 1);
    }
  }
  return seen.count();
}

} // namespace

CodeFootprint accelisa::codeFootprint(const isa::Program &program) {
  CodeFootprint footprint;
  footprint.instructions = program.code.size();
  footprint.bytes = footprint.instructions * isa::kInstrBytes;
  for (const isa::Symbol &symbol : program.symbols) {
    if (!symbol.entry)
      continue;
    uint64_t count = reachable(program, symbol.index);
    footprint.entries.push_back(
        {symbol.name, symbol.index, count, count * isa::kInstrBytes});
  }
  return footprint;
}

void accelisa::printCodeFootprint(llvm::raw_ostream &os,
                                  const CodeFootprint &footprint) {
  size_t width = 5;
  for (const EntryFootprint &entry : footprint.entries)
    width = std::max(width, entry.name.size());
  std::string row = "{0,-" + std::to_string(width) + "}  {1,12}  {2,10}\n";
  os << llvm::formatv(row.c_str(), "entry", "instructions", "code bytes");
  for (const EntryFootprint &entry : footprint.entries)
    os << llvm::formatv(row.c_str(), entry.name, entry.instructions,
                        entry.bytes);
  os << "total: " << footprint.instructions << " instructions, "
     << footprint.bytes << " bytes of code\n";
}
