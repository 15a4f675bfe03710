//===- Simulator.cpp - dispatcher, unit queues and tokens -----------------===//
//
// docs/ISA.md §3 in a deterministic functional interleaving: control runs
// until it blocks (a wait token, a full queue, a barrier or halt with busy
// units), then ld, st, mx and vec each run until they block; repeated until
// halt. A round in which nothing moves is a deadlock.
//
//===----------------------------------------------------------------------===//

#include "accel/Sim/Simulator.h"

#include "accel/ISA/AsmPrinter.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"

using namespace accel;
using namespace accel::sim;
using isa::Opcode;
using isa::Unit;
using llvm::Twine;

Simulator::Simulator(const hw::Config &config,
                     std::vector<isa::Instruction> code)
    : state(config), program(std::move(code)) {}

namespace {

constexpr unsigned kCtl = unsigned(Unit::Ctrl);

llvm::StringRef unitName(unsigned u) { return isa::unitName(Unit(u)); }

std::string describe(const isa::Instruction &in, uint32_t pc) {
  return ("instruction " + Twine(pc) + " (" + in.getSpec().mnemonic + ")")
      .str();
}

class Run {
public:
  Run(Machine &m, llvm::ArrayRef<isa::Instruction> code,
      const RunOptions &options, RunStats &stats)
      : m(m), code(code), options(options), stats(stats) {}

  llvm::Error run(uint32_t entry);

private:
  /// Takes the tokens of `mask` not yet in `taken`; true when all are.
  bool takeWaits(unsigned self, uint8_t mask, uint8_t &taken) {
    for (unsigned u = 0; u < isa::kNumUnits; ++u) {
      if (!(mask >> u & 1) || (taken >> u & 1))
        continue;
      if (m.tokens[u][self] == 0)
        return false;
      --m.tokens[u][self];
      taken |= 1 << u;
      progress = true;
    }
    return true;
  }
  /// Gives the tokens of `mask` not yet in `given`; true when all are.
  bool giveReleases(unsigned self, uint8_t mask, uint8_t &given) {
    for (unsigned v = 0; v < isa::kNumUnits; ++v) {
      if (!(mask >> v & 1) || (given >> v & 1))
        continue;
      if (m.tokens[self][v] >= m.config.tokenCapacity)
        return false;
      ++m.tokens[self][v];
      given |= 1 << v;
      progress = true;
    }
    return true;
  }

  llvm::Error countStep(unsigned unit, const isa::Instruction &in,
                        uint32_t pc) {
    if (stats.steps >= options.maxSteps)
      return fault("step limit of " + Twine(options.maxSteps) +
                   " instructions reached (a runaway program?) at " +
                   describe(in, pc) + " on " + unitName(unit));
    ++stats.steps;
    ++stats.executed[unit];
    if (options.trace) {
      *options.trace << llvm::format("%-4s %6u  ", unitName(unit).data(), pc);
      isa::printInstruction(*options.trace, in, [&](uint32_t target) {
        for (const isa::Symbol &s : options.symbols)
          if (s.index == target)
            return s.name;
        return (".L" + Twine(target)).str();
      });
      *options.trace << '\n';
    }
    return llvm::Error::success();
  }

  llvm::Error stepControl();
  llvm::Error stepUnit(unsigned unit);
  std::string blockedReason(unsigned unit) const;
  std::string tokenWait(unsigned self, uint8_t mask, uint8_t taken) const;
  std::string tokenGive(unsigned self, uint8_t mask, uint8_t given) const;

  Machine &m;
  llvm::ArrayRef<isa::Instruction> code;
  const RunOptions &options;
  RunStats &stats;
  bool progress = false;
  bool halted = false;
  uint32_t pc = 0, nextPc = 0;
  uint8_t ctlTaken = 0, ctlGiven = 0;
  bool ctlExecuted = false;
};

llvm::Error Run::stepControl() {
  while (!halted) {
    if (pc >= code.size())
      return fault("the program counter ran past the end of the code (" +
                   Twine(code.size()) + " instructions) without halt");
    const isa::Instruction &in = code[pc];
    unsigned unit = unsigned(in.getSpec().unit);
    if (unit != kCtl) {
      UnitState &target = m.units[unit];
      if (target.queue.size() >= m.config.queueDepth)
        return llvm::Error::success();
      Op op;
      op.instr = &in;
      op.pc = pc;
      op.v = in.fields;
      for (auto [i, field] : llvm::enumerate(in.getSpec().format->fields))
        if (field.kind == isa::FieldKind::Reg)
          op.v[i] = m.regs[in.fields[i]];
      target.queue.push_back(op);
      ++pc;
      progress = true;
      continue;
    }
    if (!takeWaits(kCtl, in.wait, ctlTaken))
      return llvm::Error::success();
    if (!ctlExecuted) {
      bool waitsForIdle =
          in.opcode == Opcode::Halt || in.opcode == Opcode::Barrier;
      if (waitsForIdle)
        for (unsigned u = 1; u < isa::kNumUnits; ++u)
          if (!m.units[u].idle())
            return llvm::Error::success();
      if (llvm::Error err = countStep(kCtl, in, pc))
        return err;
      if (waitsForIdle) {
        nextPc = pc + 1;
      } else if (llvm::Error err =
                     executeControl(m, in, pc, uint32_t(code.size()), nextPc)) {
        return fault("fault at " + describe(in, pc) +
                     " on ctl: " + llvm::toString(std::move(err)));
      }
      ctlExecuted = true;
      progress = true;
    }
    if (!giveReleases(kCtl, in.release, ctlGiven))
      return llvm::Error::success();
    if (in.opcode == Opcode::Halt)
      halted = true;
    else
      pc = nextPc;
    ctlTaken = ctlGiven = 0;
    ctlExecuted = false;
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
    if (!takeWaits(unit, op.instr->wait, us.waitsTaken))
      return llvm::Error::success();
    if (!us.executed) {
      if (llvm::Error err = countStep(unit, *op.instr, op.pc))
        return err;
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
      us.executed = true;
      progress = true;
    }
    if (!giveReleases(unit, op.instr->release, us.releasesGiven))
      return llvm::Error::success();
    us.current.reset();
    progress = true;
  }
}

std::string Run::tokenWait(unsigned self, uint8_t mask, uint8_t taken) const {
  for (unsigned u = 0; u < isa::kNumUnits; ++u)
    if ((mask >> u & 1) && !(taken >> u & 1) && m.tokens[u][self] == 0)
      return ("waits for a token from " + unitName(u) + " (T[" + unitName(u) +
              "->" + unitName(self) + "] = 0)")
          .str();
  return "";
}

std::string Run::tokenGive(unsigned self, uint8_t mask, uint8_t given) const {
  for (unsigned v = 0; v < isa::kNumUnits; ++v)
    if ((mask >> v & 1) && !(given >> v & 1))
      return ("waits to give a token to " + unitName(v) + " (T[" +
              unitName(self) + "->" + unitName(v) + "] is full at " +
              Twine(m.config.tokenCapacity) + ")")
          .str();
  return "";
}

std::string Run::blockedReason(unsigned unit) const {
  if (unit == kCtl) {
    const isa::Instruction &in = code[pc];
    std::string where = "ctl at " + describe(in, pc) + " ";
    unsigned target = unsigned(in.getSpec().unit);
    if (target != kCtl)
      return where + "waits to dispatch: the " + unitName(target).str() +
             " queue is full";
    if (ctlExecuted)
      return where + tokenGive(kCtl, in.release, ctlGiven);
    if (std::string w = tokenWait(kCtl, in.wait, ctlTaken); !w.empty())
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
    return where + tokenGive(unit, op.instr->release, us.releasesGiven);
  return where + tokenWait(unit, op.instr->wait, us.waitsTaken);
}

llvm::Error Run::run(uint32_t entry) {
  if (entry >= code.size())
    return fault("entry instruction " + Twine(entry) +
                 " is outside the code (" + Twine(code.size()) +
                 " instructions)");
  pc = entry;
  while (!halted) {
    progress = false;
    if (llvm::Error err = stepControl())
      return err;
    for (unsigned u = 1; u < isa::kNumUnits && !halted; ++u)
      if (llvm::Error err = stepUnit(u))
        return err;
    if (!progress) {
      std::string message = "deadlock: every unit is blocked";
      for (unsigned u = 0; u < isa::kNumUnits; ++u)
        message += "; " + blockedReason(u);
      return fault(message);
    }
  }
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

} // namespace

llvm::Error Simulator::run(uint32_t entry, const RunOptions &options,
                           RunStats *stats) {
  RunStats local;
  Run run(state, program, options, stats ? *stats : local);
  return run.run(entry);
}
