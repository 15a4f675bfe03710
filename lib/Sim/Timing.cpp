//===- Timing.cpp - the event-driven timing model -------------------------===//
//
// docs/ENGINE.md §6 over the semantics of Machine.h: one clock; the
// dispatcher issues `control.dispatch_per_cycle` instructions per cycle (a
// taken branch costs `control.taken_branch_cycles` more), a data instruction
// reaches its unit's queue (depth `queues.depth`) the cycle after dispatch;
// a unit starts the head of its queue when it is free and holds its wait
// tokens, runs for the cycles of Cost.cpp and gives its release tokens when
// it ends. HBM channels are shared: each channel serves its transfers one
// after another in the order they start (so concurrent loads and stores on a
// channel share its bandwidth). Time advances from one event (an
// instruction's end, a dispatch slot, a queue arrival) to the next; when no
// event is left and nothing can move, the program is deadlocked.
//
//===----------------------------------------------------------------------===//

#include "Scheduling.h"

using namespace accel;
using namespace accel::sim;
using namespace accel::sim::detail;
using isa::Opcode;
using isa::Unit;

namespace {

constexpr unsigned kCtl = unsigned(Unit::Ctrl);
constexpr uint64_t kNever = ~uint64_t(0);

bool isJump(Opcode op) {
  return op == Opcode::Jmp || op == Opcode::Jal || op == Opcode::Jr;
}

bool isBranch(Opcode op) {
  return op == Opcode::Beq || op == Opcode::Bne || op == Opcode::Blt ||
         op == Opcode::Bge || op == Opcode::Bltu || op == Opcode::Bgeu;
}

class TimedRun {
public:
  TimedRun(Machine &m, llvm::ArrayRef<isa::Instruction> code,
           const RunOptions &options, RunStats &stats, CallTiming &t)
      : m(m), cfg(m.config), code(code), options(options), stats(stats), t(t),
        chFree(cfg.hbmChannels, 0),
        perCycle(std::max<uint64_t>(cfg.dispatchPerCycle, 1)) {}

  llvm::Error run(uint32_t entry);

private:
  struct Block {
    bool active = false;
    Stall kind = Stall::TokenWait;
    unsigned other = 0;
    uint64_t since = 0;
  };

  void block(unsigned u, Stall kind, unsigned other) {
    Block &b = blocks[u];
    if (b.active && b.kind == kind && b.other == other)
      return;
    unblock(u);
    b = Block{true, kind, other, now};
  }
  void unblock(unsigned u) {
    Block &b = blocks[u];
    if (b.active)
      t.units[u].stalls[unsigned(b.kind)][b.other] += now - b.since;
    b.active = false;
  }

  /// Takes one of the dispatcher's slots at `now`.
  void useSlot() {
    if (slotCycle != now) {
      slotCycle = now;
      slots = 0;
      ++t.units[kCtl].busy;
    }
    ++slots;
    ctlNext = slots < perCycle ? now : now + 1;
  }

  void record(unsigned unit, const Op &op, uint64_t cycles) {
    Timeline *tl = options.timeline;
    if (!tl)
      return;
    if (tl->slices.size() >= tl->limit) {
      tl->truncated = true;
      return;
    }
    tl->slices.push_back({op.instr->getSpec().mnemonic, op.pc, uint8_t(unit),
                          tl->offset + now, cycles});
  }

  bool allIdle() const {
    for (unsigned u = 1; u < isa::kNumUnits; ++u)
      if (!m.units[u].idle())
        return false;
    return true;
  }

  llvm::Expected<bool> stepCtl();
  llvm::Expected<bool> stepUnit(unsigned unit);
  llvm::Expected<uint64_t> start(unsigned unit, const Op &op);
  uint64_t dmaCycles(unsigned unit, const Op &op);
  uint64_t nextEvent() const;

  Machine &m;
  const hw::Config &cfg;
  llvm::ArrayRef<isa::Instruction> code;
  const RunOptions &options;
  RunStats &stats;
  CallTiming &t;
  std::vector<uint64_t> chFree; ///< the cycle each HBM channel is free
  uint64_t perCycle;

  uint64_t now = 0;
  CtlProgress ctl;
  bool halted = false;
  uint64_t ctlNext = 0; ///< the dispatcher's next slot
  uint64_t ctlEnd = 0;  ///< the executed control instruction's end
  uint64_t slotCycle = kNever, slots = 0;
  std::array<uint64_t, isa::kNumUnits> ends{}; ///< each unit's current end
  std::array<Block, isa::kNumUnits> blocks;
};

llvm::Expected<bool> TimedRun::stepCtl() {
  bool moved = false;
  while (!halted) {
    if (ctl.executed) {
      const isa::Instruction &in = code[ctl.pc];
      if (now < ctlEnd)
        return moved;
      unsigned missing = 0;
      if (!giveReleases(m, kCtl, in.release, ctl.given, moved, &missing)) {
        block(kCtl, Stall::TokenFull, missing);
        return moved;
      }
      unblock(kCtl);
      moved = true;
      if (in.opcode == Opcode::Halt) {
        halted = true;
        t.cycles = now;
        return moved;
      }
      ctl = CtlProgress{ctl.nextPc};
      continue;
    }
    if (ctlNext > now)
      return moved;
    if (ctl.pc >= code.size())
      return fault("the program counter ran past the end of the code (" +
                   llvm::Twine(code.size()) + " instructions) without halt");
    const isa::Instruction &in = code[ctl.pc];
    unsigned unit = unsigned(in.getSpec().unit);
    if (unit != kCtl) {
      UnitState &target = m.units[unit];
      if (target.queue.size() >= cfg.queueDepth) {
        block(kCtl, Stall::QueueFull, unit);
        return moved;
      }
      unblock(kCtl);
      Op op = dispatch(m, in, ctl.pc);
      op.dispatched = now;
      target.queue.push_back(op);
      ++t.units[kCtl].dispatched;
      useSlot();
      ++ctl.pc;
      moved = true;
      continue;
    }
    unsigned missing = 0;
    if (!takeWaits(m, kCtl, in.wait, ctl.taken, moved, &missing)) {
      block(kCtl, Stall::TokenWait, missing);
      return moved;
    }
    bool drains = in.opcode == Opcode::Halt || in.opcode == Opcode::Barrier;
    if (drains && !allIdle()) {
      block(kCtl, Stall::Drain, kCtl);
      return moved;
    }
    unblock(kCtl);
    if (llvm::Error err = countStep(options, stats, kCtl, in, ctl.pc))
      return std::move(err);
    if (llvm::Error err =
            executeCtl(m, in, ctl.pc, uint32_t(code.size()), ctl.nextPc))
      return std::move(err);
    Op op;
    op.instr = &in;
    op.pc = ctl.pc;
    record(kCtl, op, 1);
    ++t.units[kCtl].instructions;
    useSlot();
    if (isJump(in.opcode) ||
        (isBranch(in.opcode) && ctl.nextPc != ctl.pc + 1)) {
      ctlNext = now + 1 + cfg.takenBranchCycles;
      t.units[kCtl].busy += cfg.takenBranchCycles;
    }
    ctl.executed = true;
    ctlEnd = in.release || drains ? now + 1 : now;
    moved = true;
  }
  return moved;
}

uint64_t TimedRun::dmaCycles(unsigned unit, const Op &op) {
  DmaTraffic traffic = dmaTraffic(cfg, op);
  uint64_t issued = now + cfg.dmaIssueCycles;
  if (traffic.channels.empty())
    return std::max<uint64_t>(cfg.dmaIssueCycles, 1);
  uint64_t last = issued, longest = 0;
  for (auto [channel, bytes] : traffic.channels) {
    uint64_t cycles = channelCycles(cfg, bytes);
    uint64_t begin = std::max(issued, chFree[channel]);
    chFree[channel] = begin + cycles;
    last = std::max(last, begin + cycles);
    longest = std::max(longest, cycles);
  }
  t.units[unit].contention += last - (issued + longest);
  if (unit == unsigned(Unit::Load))
    t.hbmReadBytes += traffic.bytes;
  else
    t.hbmWriteBytes += traffic.bytes;
  t.hbmPJ += double(traffic.bytes) * cfg.hbmBytePJ;
  t.sramBytes += traffic.bytes;
  t.sramPJ += double(traffic.bytes) * cfg.sramBytePJ;
  return last + cfg.hbmLatencyCycles - now;
}

llvm::Expected<uint64_t> TimedRun::start(unsigned unit, const Op &op) {
  Opcode code = op.instr->opcode;
  bool config = code == Opcode::Mcfg || code == Opcode::Vaset ||
                code == Opcode::Maset || code == Opcode::Vrset;
  if (options.data || config)
    if (llvm::Error err = executeData(m, unit, op))
      return std::move(err);
  llvm::Expected<uint64_t> cycles = uint64_t(0);
  switch (Unit(unit)) {
  case Unit::Load:
  case Unit::Store:
    cycles = dmaCycles(unit, op);
    break;
  case Unit::Matrix:
    cycles = matrixCycles(m, op, t);
    break;
  default:
    cycles = vectorCycles(m, op, t);
    break;
  }
  if (!cycles)
    return fault("fault at " + describe(*op.instr, op.pc) + " on " +
                 isa::unitName(Unit(unit)) + ": " +
                 llvm::toString(cycles.takeError()));
  return std::max<uint64_t>(*cycles, 1);
}

llvm::Expected<bool> TimedRun::stepUnit(unsigned unit) {
  UnitState &us = m.units[unit];
  bool moved = false;
  while (true) {
    if (us.current && us.executed) {
      if (now < ends[unit])
        return moved;
      unsigned missing = 0;
      if (!giveReleases(m, unit, us.current->instr->release, us.releasesGiven,
                        moved, &missing)) {
        block(unit, Stall::TokenFull, missing);
        return moved;
      }
      unblock(unit);
      us.current.reset();
      moved = true;
    }
    if (!us.current) {
      if (us.queue.empty() || us.queue.front().dispatched >= now)
        return moved;
      us.current = us.queue.front();
      us.queue.pop_front();
      us.waitsTaken = us.releasesGiven = 0;
      us.executed = false;
      moved = true;
    }
    const Op &op = *us.current;
    unsigned missing = 0;
    if (!takeWaits(m, unit, op.instr->wait, us.waitsTaken, moved, &missing)) {
      block(unit, Stall::TokenWait, missing);
      return moved;
    }
    unblock(unit);
    if (llvm::Error err = countStep(options, stats, unit, *op.instr, op.pc))
      return std::move(err);
    llvm::Expected<uint64_t> cycles = start(unit, op);
    if (!cycles)
      return cycles.takeError();
    record(unit, op, *cycles);
    t.units[unit].busy += *cycles;
    ++t.units[unit].instructions;
    ends[unit] = now + *cycles;
    us.executed = true;
    moved = true;
  }
}

uint64_t TimedRun::nextEvent() const {
  uint64_t next = kNever;
  auto later = [&](uint64_t when) {
    if (when > now)
      next = std::min(next, when);
  };
  if (ctl.executed)
    later(ctlEnd);
  else if (!blocks[kCtl].active)
    later(ctlNext);
  for (unsigned u = 1; u < isa::kNumUnits; ++u) {
    const UnitState &us = m.units[u];
    if (us.current && us.executed)
      later(ends[u]);
    else if (!us.current && !us.queue.empty())
      later(us.queue.front().dispatched + 1);
  }
  return next;
}

llvm::Error TimedRun::run(uint32_t entry) {
  ctl.pc = entry;
  while (true) {
    bool moved = true;
    while (moved && !halted) {
      moved = false;
      llvm::Expected<bool> c = stepCtl();
      if (!c)
        return c.takeError();
      moved |= *c;
      for (unsigned u = 1; u < isa::kNumUnits && !halted; ++u) {
        llvm::Expected<bool> s = stepUnit(u);
        if (!s)
          return s.takeError();
        moved |= *s;
      }
    }
    if (halted)
      break;
    uint64_t next = nextEvent();
    if (next == kNever)
      return deadlock(m, code, ctl);
    now = next;
  }
  for (unsigned u = 0; u < isa::kNumUnits; ++u)
    unblock(u);
  if (options.timeline) {
    options.timeline->calls.push_back(
        {t.entry, options.timeline->offset, t.cycles});
    options.timeline->offset += t.cycles;
  }
  return checkCountersAtHalt(m, code, ctl.pc);
}

} // namespace

llvm::Error detail::runTimed(Machine &m, llvm::ArrayRef<isa::Instruction> code,
                             uint32_t entry, const RunOptions &options,
                             RunStats &stats) {
  CallTiming local;
  TimedRun run(m, code, options, stats,
               options.timing ? *options.timing : local);
  return run.run(entry);
}
