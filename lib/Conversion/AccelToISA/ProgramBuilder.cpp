//===- ProgramBuilder.cpp - the instructions the lowering emits -----------===//

#include "ProgramBuilder.h"

using namespace accel;
using namespace accel::lowering;

namespace {
constexpr unsigned kFirstScratch = 16;
constexpr unsigned kScratchCount = 16;
} // namespace

Emitted &ProgramBuilder::emit(isa::Instruction instruction,
                              llvm::StringRef target) {
  Emitted &e = code.emplace_back();
  e.instruction = instruction;
  e.target = target.str();
  e.labels.assign(pendingLabels.begin(), pendingLabels.end());
  e.entries.assign(pendingEntries.begin(), pendingEntries.end());
  pendingLabels.clear();
  pendingEntries.clear();
  return e;
}

void ProgramBuilder::label(llvm::StringRef name) {
  pendingLabels.push_back(name.str());
}

void ProgramBuilder::entry(llvm::StringRef name) {
  pendingEntries.push_back(name.str());
}

unsigned ProgramBuilder::scratch() {
  unsigned reg = kFirstScratch + nextScratch;
  nextScratch = (nextScratch + 1) % kScratchCount;
  return reg;
}

unsigned ProgramBuilder::constant(int64_t value) {
  if (value == 0)
    return 0;
  unsigned reg = scratch();
  isa::Instruction addi = isa::Instruction::create(isa::Opcode::Addi);
  addi.set("rd", reg);
  addi.set("rs1", 0);
  addi.set("imm", value);
  emit(addi);
  return reg;
}

void ProgramBuilder::beginSection() {
  outside = std::move(code);
  code.clear();
  outsideScratch = nextScratch;
  nextScratch = 0;
  std::swap(pendingLabels, outsideLabels);
}

std::vector<Emitted> ProgramBuilder::endSection() {
  std::vector<Emitted> section = std::move(code);
  code = std::move(outside);
  nextScratch = outsideScratch;
  std::swap(pendingLabels, outsideLabels);
  return section;
}

void ProgramBuilder::append(std::vector<Emitted> section) {
  for (Emitted &e : section)
    code.push_back(std::move(e));
}
