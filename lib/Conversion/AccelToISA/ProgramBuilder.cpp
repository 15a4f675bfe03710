//===- ProgramBuilder.cpp - instructions, their accesses, their tokens ----===//

#include "ProgramBuilder.h"

#include <algorithm>
#include <array>

using namespace accel;
using namespace accel::lowering;

namespace {

constexpr int64_t kGranule = 64;
constexpr unsigned kFirstScratch = 16;
constexpr unsigned kScratchCount = 16;

/// Per granule of an access space: the last instruction of each unit that
/// wrote it and that read it (-1: none).
struct Granule {
  std::array<int64_t, isa::kNumUnits> lastWrite, lastRead;
  Granule() {
    lastWrite.fill(-1);
    lastRead.fill(-1);
  }
};

} // namespace

ProgramBuilder::ProgramBuilder(std::vector<int64_t> spaceBytes)
    : spaceBytes(std::move(spaceBytes)) {}

Emitted &ProgramBuilder::emit(isa::Instruction instruction,
                              llvm::ArrayRef<Access> accesses,
                              llvm::StringRef target) {
  Emitted &e = code.emplace_back();
  e.instruction = instruction;
  e.target = target.str();
  e.accesses.assign(accesses.begin(), accesses.end());
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

void ProgramBuilder::insertTokens() {
  std::vector<std::vector<Granule>> spaces(spaceBytes.size());
  for (size_t s = 0; s < spaceBytes.size(); ++s)
    spaces[s].resize((spaceBytes[s] + kGranule - 1) / kGranule);
  // paired[v][u]: the latest instruction of unit v that gives unit u a token
  // some instruction of u already takes; an order to anything of v at or
  // before it is implied.
  std::array<std::array<int64_t, isa::kNumUnits>, isa::kNumUnits> paired;
  for (auto &row : paired)
    row.fill(-1);

  for (size_t i = 0; i < code.size(); ++i) {
    Emitted &e = code[i];
    unsigned unit = static_cast<unsigned>(e.instruction.getSpec().unit);
    // The latest conflicting instruction of every other unit.
    std::array<int64_t, isa::kNumUnits> after;
    after.fill(-1);
    for (const Access &a : e.accesses) {
      std::vector<Granule> &granules = spaces[a.space];
      int64_t first = a.lo / kGranule;
      int64_t last = std::min<int64_t>((a.hi + kGranule - 1) / kGranule,
                                       granules.size());
      for (int64_t g = first; g < last; ++g)
        for (unsigned v = 0; v < isa::kNumUnits; ++v) {
          if (v == unit)
            continue;
          after[v] = std::max(after[v], granules[g].lastWrite[v]);
          if (a.write)
            after[v] = std::max(after[v], granules[g].lastRead[v]);
        }
    }
    for (unsigned v = 0; v < isa::kNumUnits; ++v) {
      if (after[v] < 0 || after[v] <= paired[v][unit])
        continue;
      code[after[v]].instruction.release |= 1u << unit;
      e.instruction.wait |= 1u << v;
      paired[v][unit] = after[v];
    }
    for (const Access &a : e.accesses) {
      std::vector<Granule> &granules = spaces[a.space];
      int64_t first = a.lo / kGranule;
      int64_t last = std::min<int64_t>((a.hi + kGranule - 1) / kGranule,
                                       granules.size());
      for (int64_t g = first; g < last; ++g) {
        Granule &granule = granules[g];
        if (a.write) {
          // This write is ordered after every earlier access to the granule
          // (by the tokens just added, or by its unit's order): later
          // accesses need to be ordered after it alone.
          granule = Granule();
          granule.lastWrite[unit] = static_cast<int64_t>(i);
        } else {
          granule.lastRead[unit] = static_cast<int64_t>(i);
        }
      }
    }
  }
}
