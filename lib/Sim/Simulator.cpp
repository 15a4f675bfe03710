//===- Simulator.cpp - dispatcher, unit queues and tokens -----------------===//
//
// docs/ISA.md §3 in a deterministic functional interleaving: control runs
// until it blocks (a wait token, a full queue, a barrier or halt with busy
// units), then ld, st, mx and vec each run until they block; repeated until
// halt. A round in which nothing moves is a deadlock. With
// RunOptions::timed the event-driven timing model (Timing.cpp) schedules
// instead.
//
//===----------------------------------------------------------------------===//

#include "Races.h"
#include "Scheduling.h"

#include "accel/ISA/AsmPrinter.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"

#include <algorithm>

using namespace accel;
using namespace accel::sim;
using namespace accel::sim::detail;
using isa::Opcode;
using isa::Unit;
using llvm::Twine;

uint64_t sim::defaultStepLimit(uint64_t codeSize, uint64_t tokens,
                               uint64_t position) {
  uint64_t perCode = tokens + 1 + (position + tokens) / 256;
  return std::max<uint64_t>(uint64_t(1) << 24, 16 * codeSize * perCode);
}

Simulator::Simulator(const hw::Config &config,
                     std::vector<isa::Instruction> code)
    : state(config), program(std::move(code)) {}

namespace {

constexpr unsigned kCtl = unsigned(Unit::Ctrl);

llvm::StringRef unitName(unsigned u) { return isa::unitName(Unit(u)); }

std::string tokenWait(const Machine &m, unsigned self, uint8_t mask,
                      uint8_t taken) {
  for (unsigned u = 0; u < isa::kNumUnits; ++u)
    if ((mask >> u & 1) && !(taken >> u & 1) && m.tokens[u][self] == 0)
      return ("waits for a token from " + unitName(u) + " (T[" + unitName(u) +
              "->" + unitName(self) + "] = 0)")
          .str();
  return "";
}

std::string tokenGive(const Machine &m, unsigned self, uint8_t mask,
                      uint8_t given) {
  for (unsigned v = 0; v < isa::kNumUnits; ++v)
    if ((mask >> v & 1) && !(given >> v & 1))
      return ("waits to give a token to " + unitName(v) + " (T[" +
              unitName(self) + "->" + unitName(v) + "] is full at " +
              Twine(m.config.tokenCapacity) + ")")
          .str();
  return "";
}

std::string blockedReason(const Machine &m,
                          llvm::ArrayRef<isa::Instruction> code,
                          const CtlProgress &ctl, unsigned unit) {
  if (unit == kCtl) {
    const isa::Instruction &in = code[ctl.pc];
    std::string where = "ctl at " + describe(in, ctl.pc) + " ";
    unsigned target = unsigned(in.getSpec().unit);
    if (target != kCtl)
      return where + "waits to dispatch: the " + unitName(target).str() +
             " queue is full";
    if (ctl.executed)
      return where + tokenGive(m, kCtl, in.release, ctl.given);
    if (std::string w = tokenWait(m, kCtl, in.wait, ctl.taken); !w.empty())
      return where + w;
    return where + "waits for every unit to be idle";
  }
  const UnitState &us = m.units[unit];
  if (!us.current)
    return (unitName(unit) + " is idle").str();
  const Op &op = *us.current;
  std::string where =
      (unitName(unit) + " at " + describe(*op.instr, op.pc) + " ").str();
  if (us.executed)
    return where + tokenGive(m, unit, op.instr->release, us.releasesGiven);
  return where + tokenWait(m, unit, op.instr->wait, us.waitsTaken);
}

class Run {
public:
  Run(Machine &m, llvm::ArrayRef<isa::Instruction> code,
      const RunOptions &options, RunStats &stats)
      : m(m), code(code), options(options), stats(stats) {}

  llvm::Error run(uint32_t entry);

private:
  llvm::Error stepControl();
  llvm::Error stepUnit(unsigned unit);

  Machine &m;
  llvm::ArrayRef<isa::Instruction> code;
  const RunOptions &options;
  RunStats &stats;
  bool progress = false;
  bool halted = false;
  CtlProgress ctl;
};

llvm::Error Run::stepControl() {
  while (!halted) {
    if (ctl.pc >= code.size())
      return fault("the program counter ran past the end of the code (" +
                   Twine(code.size()) + " instructions) without halt");
    const isa::Instruction &in = code[ctl.pc];
    unsigned unit = unsigned(in.getSpec().unit);
    if (unit != kCtl) {
      UnitState &target = m.units[unit];
      if (target.queue.size() >= m.config.queueDepth)
        return llvm::Error::success();
      target.queue.push_back(dispatch(m, in, ctl.pc));
      ++ctl.pc;
      progress = true;
      continue;
    }
    if (!takeWaits(m, kCtl, in.wait, ctl.taken, progress))
      return llvm::Error::success();
    if (!ctl.executed) {
      if (in.opcode == Opcode::Halt || in.opcode == Opcode::Barrier)
        for (unsigned u = 1; u < isa::kNumUnits; ++u)
          if (!m.units[u].idle())
            return llvm::Error::success();
      if (llvm::Error err = countStep(options, stats, kCtl, in, ctl.pc))
        return err;
      if (llvm::Error err =
              executeCtl(m, in, ctl.pc, uint32_t(code.size()), ctl.nextPc))
        return err;
      ctl.executed = true;
      progress = true;
    }
    if (!giveReleases(m, kCtl, in.release, ctl.given, progress))
      return llvm::Error::success();
    if (in.opcode == Opcode::Halt)
      halted = true;
    else
      ctl = CtlProgress{ctl.nextPc};
    progress = true;
  }
  return llvm::Error::success();
}

llvm::Error Run::stepUnit(unsigned unit) {
  UnitState &us = m.units[unit];
  while (true) {
    if (!us.current) {
      if (us.queue.empty())
        return llvm::Error::success();
      us.current = us.queue.front();
      us.queue.pop_front();
      us.waitsTaken = us.releasesGiven = 0;
      us.executed = false;
      progress = true;
    }
    const Op &op = *us.current;
    if (!takeWaits(m, unit, op.instr->wait, us.waitsTaken, progress))
      return llvm::Error::success();
    if (!us.executed) {
      if (llvm::Error err = countStep(options, stats, unit, *op.instr, op.pc))
        return err;
      if (llvm::Error err = executeData(m, unit, op))
        return err;
      us.executed = true;
      progress = true;
    }
    if (!giveReleases(m, unit, op.instr->release, us.releasesGiven, progress))
      return llvm::Error::success();
    us.current.reset();
    progress = true;
  }
}

llvm::Error Run::run(uint32_t entry) {
  ctl.pc = entry;
  while (!halted) {
    progress = false;
    if (llvm::Error err = stepControl())
      return err;
    for (unsigned u = 1; u < isa::kNumUnits && !halted; ++u)
      if (llvm::Error err = stepUnit(u))
        return err;
    if (!progress)
      return deadlock(m, code, ctl);
  }
  return checkCountersAtHalt(m, code, ctl.pc);
}

} // namespace

void detail::printAssembly(llvm::raw_ostream &os, const isa::Instruction &in,
                           llvm::ArrayRef<isa::Symbol> symbols) {
  isa::printInstruction(os, in, [&](uint32_t target) {
    for (const isa::Symbol &s : symbols)
      if (s.index == target)
        return s.name;
    return (".L" + Twine(target)).str();
  });
}

std::string detail::describe(const isa::Instruction &in, uint32_t pc) {
  return ("instruction " + Twine(pc) + " (" + in.getSpec().mnemonic + ")")
      .str();
}

bool detail::takeWaits(Machine &m, unsigned self, uint8_t mask, uint8_t &taken,
                       bool &progress, unsigned *missing) {
  for (unsigned u = 0; u < isa::kNumUnits; ++u) {
    if (!(mask >> u & 1) || (taken >> u & 1))
      continue;
    if (m.tokens[u][self] == 0) {
      if (missing)
        *missing = u;
      return false;
    }
    --m.tokens[u][self];
    if (m.races)
      m.races->took(u, self);
    taken |= 1 << u;
    progress = true;
  }
  return true;
}

bool detail::giveReleases(Machine &m, unsigned self, uint8_t mask,
                          uint8_t &given, bool &progress, unsigned *missing) {
  for (unsigned v = 0; v < isa::kNumUnits; ++v) {
    if (!(mask >> v & 1) || (given >> v & 1))
      continue;
    if (m.tokens[self][v] >= m.config.tokenCapacity) {
      if (missing)
        *missing = v;
      return false;
    }
    ++m.tokens[self][v];
    if (m.races)
      m.races->gave(self, v);
    given |= 1 << v;
    progress = true;
  }
  return true;
}

Op detail::dispatch(const Machine &m, const isa::Instruction &in, uint32_t pc) {
  Op op;
  op.instr = &in;
  op.pc = pc;
  op.v = in.fields;
  for (auto [i, field] : llvm::enumerate(in.getSpec().format->fields))
    if (field.kind == isa::FieldKind::Reg)
      op.v[i] = m.regs[in.fields[i]];
  if (m.races)
    m.races->dispatched(unsigned(in.getSpec().unit));
  return op;
}

llvm::Error detail::countStep(const RunOptions &options, RunStats &stats,
                              unsigned unit, const isa::Instruction &in,
                              uint32_t pc) {
  if (stats.steps >= options.maxSteps)
    return fault("step limit of " + Twine(options.maxSteps) +
                 " instructions reached (a runaway program?) at " +
                 describe(in, pc) + " on " + unitName(unit) +
                 "; a longer run needs a higher limit (accel-sim "
                 "--max-steps=N)");
  ++stats.steps;
  ++stats.executed[unit];
  if (options.trace) {
    *options.trace << llvm::format("%-4s %6u  ", unitName(unit).data(), pc);
    printAssembly(*options.trace, in, options.symbols);
    *options.trace << '\n';
  }
  return llvm::Error::success();
}

llvm::Error detail::executeData(Machine &m, unsigned unit, const Op &op) {
  if (m.races)
    m.races->begin(unit, op.pc);
  llvm::Error err = llvm::Error::success();
  switch (Unit(unit)) {
  case Unit::Load:
  case Unit::Store:
    err = executeDma(m, op);
    break;
  case Unit::Matrix:
    err = executeMatrix(m, op);
    break;
  default:
    err = executeVector(m, op);
    break;
  }
  if (err)
    return fault("fault at " + describe(*op.instr, op.pc) + " on " +
                 unitName(unit) + ": " + llvm::toString(std::move(err)));
  return m.races ? m.races->end() : llvm::Error::success();
}

llvm::Error detail::executeCtl(Machine &m, const isa::Instruction &in,
                               uint32_t pc, uint32_t codeSize,
                               uint32_t &nextPc) {
  nextPc = pc + 1;
  if (in.opcode == Opcode::Halt || in.opcode == Opcode::Barrier) {
    if (m.races)
      m.races->drain();
    return llvm::Error::success();
  }
  if (m.races)
    m.races->begin(kCtl, pc);
  if (llvm::Error err = executeControl(m, in, pc, codeSize, nextPc))
    return fault("fault at " + describe(in, pc) +
                 " on ctl: " + llvm::toString(std::move(err)));
  return m.races ? m.races->end() : llvm::Error::success();
}

llvm::Error detail::deadlock(const Machine &m,
                             llvm::ArrayRef<isa::Instruction> code,
                             const CtlProgress &ctl) {
  std::string message = "deadlock: every unit is blocked";
  for (unsigned u = 0; u < isa::kNumUnits; ++u)
    message += "; " + blockedReason(m, code, ctl, u);
  return fault(message);
}

llvm::Error detail::checkCountersAtHalt(const Machine &m,
                                        llvm::ArrayRef<isa::Instruction> code,
                                        uint32_t pc) {
  std::string nonzero;
  for (unsigned u = 0; u < isa::kNumUnits; ++u)
    for (unsigned v = 0; v < isa::kNumUnits; ++v)
      if (m.tokens[u][v])
        nonzero += (Twine(nonzero.empty() ? "" : ", ") + "T[" + unitName(u) +
                    "->" + unitName(v) + "] = " + Twine(m.tokens[u][v]))
                       .str();
  if (!nonzero.empty())
    return fault("halt at " + describe(code[pc], pc) +
                 " with token counters not 0: " + nonzero);
  return llvm::Error::success();
}

llvm::Error Simulator::run(uint32_t entry, const RunOptions &options,
                           RunStats *stats) {
  if (entry >= program.size())
    return fault("entry instruction " + Twine(entry) +
                 " is outside the code (" + Twine(program.size()) +
                 " instructions)");
  RunStats local;
  RunStats &counts = stats ? *stats : local;
  std::optional<RaceDetector> races;
  if (options.data && options.races != RaceCheck::Off)
    races.emplace(state, program, options, counts);
  if (options.timed)
    return runTimed(state, program, entry, options, counts);
  Run run(state, program, options, counts);
  return run.run(entry);
}
