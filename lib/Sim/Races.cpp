//===- Races.cpp - happens-before race detection --------------------------===//
//
// Vector clocks over the ISA's ordering rules (docs/SIMULATOR.md "Races"):
// program order within a unit, a token given by u to v carries u's clock to
// the instruction of v that takes it, a dispatch carries ctl's clock to the
// dispatched instruction, barrier and halt order everything. The shadow
// state is an interval map per buffer and HBM channel, cleared at every
// barrier and halt.
//
//===----------------------------------------------------------------------===//

#include "Races.h"

#include "Scheduling.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace accel;
using namespace accel::sim;
using namespace accel::sim::detail;

namespace {

llvm::StringRef unitName(unsigned u) { return isa::unitName(isa::Unit(u)); }

std::string spaceName(uint32_t space) {
  if (space < isa::kNumBuffers)
    return isa::bufferName(isa::Buffer(space)).str();
  return ("hbm" + llvm::Twine(space - isa::kNumBuffers)).str();
}

} // namespace

bool RaceDetector::Cell::sameAs(const Cell &o) const {
  auto same = [](const Epoch &a, const Epoch &b) {
    return a.clock == b.clock && a.pc == b.pc;
  };
  if (!same(write, o.write) || (write.clock && writer != o.writer))
    return false;
  for (unsigned u = 0; u < isa::kNumUnits; ++u)
    if (!same(reads[u], o.reads[u]))
      return false;
  return true;
}

RaceDetector::RaceDetector(Machine &m, llvm::ArrayRef<isa::Instruction> code,
                           const RunOptions &options, RunStats &stats)
    : m(m), code(code), options(options), stats(stats),
      shadows(isa::kNumBuffers + m.hbm.channels()) {
  m.races = this;
  m.buffers.log = &log;
  m.hbm.log = &log;
}

RaceDetector::~RaceDetector() {
  m.races = nullptr;
  m.buffers.log = nullptr;
  m.hbm.log = nullptr;
}

void RaceDetector::dispatched(unsigned target) {
  queued[target].push_back(clocks[unsigned(isa::Unit::Ctrl)]);
}

void RaceDetector::took(unsigned from, unsigned self) {
  std::deque<Clock> &channel = tokens[from][self];
  if (channel.empty())
    return;
  for (unsigned u = 0; u < isa::kNumUnits; ++u)
    clocks[self][u] = std::max(clocks[self][u], channel.front()[u]);
  channel.pop_front();
}

void RaceDetector::gave(unsigned self, unsigned to) {
  tokens[self][to].push_back(clocks[self]);
}

void RaceDetector::begin(unsigned u, uint32_t at) {
  unit = u;
  pc = at;
  log.clear();
  if (u != unsigned(isa::Unit::Ctrl) && !queued[u].empty()) {
    for (unsigned v = 0; v < isa::kNumUnits; ++v)
      clocks[u][v] = std::max(clocks[u][v], queued[u].front()[v]);
    queued[u].pop_front();
  }
  ++clocks[u][u];
}

llvm::Error RaceDetector::end() {
  for (const Access &a : log)
    if (llvm::Error err = access(a)) {
      log.clear();
      return err;
    }
  log.clear();
  return llvm::Error::success();
}

void RaceDetector::drain() {
  Clock all{};
  for (const Clock &c : clocks)
    for (unsigned u = 0; u < isa::kNumUnits; ++u)
      all[u] = std::max(all[u], c[u]);
  clocks.fill(all);
  forget();
}

void RaceDetector::forget() {
  for (Shadow &shadow : shadows)
    shadow.clear();
  cells = 0;
}

void RaceDetector::split(Shadow &shadow, uint64_t at) {
  auto it = shadow.upper_bound(at);
  if (it == shadow.begin())
    return;
  --it;
  if (it->first == at || it->second.hi <= at)
    return;
  Cell tail = it->second;
  it->second.hi = at;
  shadow.emplace_hint(std::next(it), at, tail);
  ++cells;
}

void RaceDetector::merge(Shadow &shadow, uint64_t lo, uint64_t hi) {
  auto it = shadow.lower_bound(lo);
  if (it != shadow.begin())
    --it;
  while (it != shadow.end() && it->first <= hi) {
    auto next = std::next(it);
    if (next == shadow.end())
      break;
    if (it->second.hi == next->first && it->second.sameAs(next->second)) {
      it->second.hi = next->second.hi;
      shadow.erase(next);
      --cells;
      continue;
    }
    it = next;
  }
}

llvm::Error RaceDetector::access(const Access &a) {
  Shadow &shadow = shadows[a.space];
  const Clock &now = clocks[unit];
  split(shadow, a.lo);
  split(shadow, a.hi);
  auto it = shadow.lower_bound(a.lo);
  for (uint64_t at = a.lo; at < a.hi;) {
    if (it == shadow.end() || it->first > at) {
      uint64_t end = it == shadow.end() ? a.hi : std::min(a.hi, it->first);
      Cell fresh;
      fresh.hi = end;
      it = shadow.emplace_hint(it, at, fresh);
      ++cells;
    }
    Cell &cell = it->second;
    if (cell.write.clock && cell.writer != unit &&
        now[cell.writer] < cell.write.clock)
      if (llvm::Error err = race(a, at, cell.writer, cell.write, true))
        return err;
    if (a.use == Use::Write) {
      for (unsigned u = 0; u < isa::kNumUnits; ++u)
        if (u != unit && cell.reads[u].clock && now[u] < cell.reads[u].clock)
          if (llvm::Error err = race(a, at, u, cell.reads[u], false))
            return err;
      cell.writer = unit;
      cell.write = {now[unit], pc};
      cell.reads.fill(Epoch());
    } else {
      cell.reads[unit] = {now[unit], pc};
    }
    at = cell.hi;
    ++it;
  }
  merge(shadow, a.lo, a.hi);
  if (cells > kMaxCells)
    forget();
  return llvm::Error::success();
}

std::string RaceDetector::instruction(unsigned u, uint32_t at) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string assembly;
  llvm::raw_string_ostream as(assembly);
  printAssembly(as, code[at], options.symbols);
  // One space between the mnemonic and its operands.
  assembly.erase(
      std::unique(assembly.begin(), assembly.end(),
                  [](char a, char b) { return a == ' ' && b == ' '; }),
      assembly.end());
  os << describe(code[at], at) << " on " << unitName(u) << " (`" << assembly
     << "`)";
  return text;
}

llvm::Error RaceDetector::race(const Access &a, uint64_t byte,
                               unsigned otherUnit, const Epoch &other,
                               bool otherWrote) {
  std::string message =
      "race: " + instruction(unit, pc) +
      (a.use == Use::Write ? " writes " : " reads ") + spaceName(a.space) +
      "[" + hex(a.lo) + ", " + hex(a.hi) + "), and byte " + hex(byte) +
      " was " + (otherWrote ? "written" : "read") + " by " +
      instruction(otherUnit, other.pc) +
      " with no token chain, barrier or halt ordering them (docs/ISA.md "
      "§3 Ordering)";
  if (options.races == RaceCheck::Error)
    return fault(message);
  if (warned.insert({other.pc, pc}).second) {
    ++stats.races;
    if (options.warnings)
      *options.warnings << "warning: " << message << '\n';
  }
  return llvm::Error::success();
}
