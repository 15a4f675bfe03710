//===- InsertTokens.cpp - accel-insert-tokens -----------------------------===//
//
// Gives an accelisa program the dependency tokens docs/ISA.md §3 requires:
// every pair of accesses by different units to overlapping bytes, one of
// them a write, gets a wait/release pair, paired in program order so that
// every token given is taken (AccelPasses.td).
//
// What each instruction reads and writes: InstructionAccesses.h.
//
// A call (`jal`) and a return (`jr`) need no barrier: the subroutine's
// first instructions, one of each data unit that accesses nothing (its
// entry slots), stand for what its callers' units may still be accessing
// at a call, the union over its calls; its last such instructions (exit
// slots) release what the code after any of its calls waits for, and the
// slots right after each call (return slots) take those tokens, so that
// every call gives and takes the same ones (AccelPasses.td, docs/ISA.md
// §7).
//
//===----------------------------------------------------------------------===//

#include "InstructionAccesses.h"
#include "Placement.h"
#include "RegisterRanges.h"

#include "accel/Dialect/AccelISA/AccelISAOps.h"
#include "accel/Dialect/AccelISA/Instruction.h"
#include "accel/Transforms/Passes.h"
#include "accel/Hardware/Config.h"

#include "llvm/ADT/DenseMap.h"

#include <array>
#include <limits>
#include <map>
#include <tuple>

namespace accel {
#define GEN_PASS_DEF_INSERTTOKENS
#include "Accel/AccelPasses.h.inc"
} // namespace accel

using namespace mlir;
using namespace accel;
using namespace accel::lowering;
using isa::Opcode;

namespace {

constexpr int64_t kGranule = 64;
int64_t roundUp(int64_t bytes) {
  return (bytes + kGranule - 1) / kGranule * kGranule;
}

/// The last instruction of each unit that wrote or read each byte of one
/// access space, as spans [start, end) of bytes that share them: an access
/// costs the logarithm of the spans plus the spans it covers, and a write
/// merges the spans it covers into one.
class SpanMap {
public:
  struct Last {
    std::array<int64_t, isa::kNumUnits> write, read;
    Last() {
      write.fill(-1);
      read.fill(-1);
    }
    bool operator==(const Last &o) const {
      return write == o.write && read == o.read;
    }
  };

  explicit SpanMap(int64_t bytes = 0) : bytes(bytes) { clear(); }
  int64_t size() const { return bytes; }
  void clear() {
    spans.clear();
    spans[0] = Span{bytes, Last()};
  }
  /// Calls `f(last)` for every span that overlaps [lo, hi).
  template <typename F> void forEach(int64_t lo, int64_t hi, F f) const {
    if (lo >= hi)
      return;
    auto it = std::prev(spans.upper_bound(lo));
    for (; it != spans.end() && it->first < hi; ++it)
      f(it->second.last);
  }
  /// Calls `f(start, end, last)` for every span.
  template <typename F> void forEachSpan(F f) const {
    for (const auto &[start, span] : spans)
      f(start, span.end, span.last);
  }
  /// Records that instruction `n` of `unit` wrote or read [lo, hi); a
  /// write is the span's only access unless `keep` (the other units'
  /// accesses stay).
  void record(int64_t lo, int64_t hi, unsigned unit, int64_t n, bool write,
              bool keep = false) {
    if (lo >= hi)
      return;
    split(lo);
    split(hi);
    auto first = spans.find(lo), end = spans.lower_bound(hi);
    if (write && !keep) {
      spans.erase(first, end);
      Last last;
      last.write[unit] = n;
      first = spans.emplace(lo, Span{hi, last}).first;
      end = std::next(first);
    } else {
      for (auto it = first; it != end; ++it)
        (write ? it->second.last.write : it->second.last.read)[unit] = n;
    }
    // Merge equal neighbours from the span before `lo` to the one at `hi`.
    auto it = first == spans.begin() ? first : std::prev(first);
    while (it != spans.end() && it->first <= hi) {
      auto next = std::next(it);
      if (next != spans.end() && next->second.last == it->second.last) {
        it->second.end = next->second.end;
        spans.erase(next);
        continue;
      }
      it = next;
    }
  }

private:
  struct Span {
    int64_t end;
    Last last;
  };
  /// Makes a span start at `x` (inside the space).
  void split(int64_t x) {
    if (x <= 0 || x >= bytes)
      return;
    auto it = std::prev(spans.upper_bound(x));
    if (it->first == x)
      return;
    Span tail = it->second;
    it->second.end = x;
    spans.emplace(x, tail);
  }

  int64_t bytes;
  std::map<int64_t, Span> spans; ///< start -> span; they cover [0, bytes)
};

class TokenInserter {
public:
  TokenInserter(const std::vector<int64_t> &bufferBytes, int64_t channels,
                int64_t channelBytes)
      : model(channels) {
    for (int64_t bytes : bufferBytes)
      spaces.emplace_back(roundUp(bytes));
    for (int64_t s = 0; s < 4 * channels; ++s)
      spaces.emplace_back(roundUp(channelBytes));
    reset();
  }

  LogicalResult run(accelisa::ProgramOp program);

private:
  /// Each unit's accesses, as spans of whole granules.
  using Footprint = std::array<std::vector<Access>, isa::kNumUnits>;
  template <typename T>
  using PerPair = std::array<std::array<T, isa::kNumUnits>, isa::kNumUnits>;
  /// A `jal` target and what its calls agree on.
  struct Subroutine {
    /// [v][u]: unit v's accesses outstanding at a call that nothing has
    /// ordered unit u after yet (over every call).
    PerPair<std::vector<Access>> entry;
    Footprint head; ///< its own accesses before its first barrier
    Footprint exit; ///< its own accesses after its last barrier
    bool fenced = false; ///< a barrier inside: at the return, every
                         ///< access before the call is complete
    /// [v][u]: the code after some call orders a unit-u access after a
    /// unit-v access of the call or before it.
    PerPair<bool> out{};
    /// [v][u]: a token from v to u given before a call and taken after it
    /// (passed), and where none may be (forbidden: the subroutine's code or
    /// its exit slots give v's tokens to u, which would be taken in its
    /// place).
    PerPair<bool> passed{}, forbidden{};
    /// Each `jal`, and the (v, u) the code after it takes a token for
    /// (at the access, not the return slot).
    std::map<size_t, PerPair<bool>> calls;
    size_t ret = 0; ///< its one `jr`
  };
  void reset();
  /// Checks that each subroutine runs from its label to its one `jr`, which
  /// only its calls enter and only that `jr` leaves, with no call inside;
  /// sets their `ret`.
  LogicalResult checkSubroutines(std::map<size_t, Subroutine> &subroutines,
                                 ArrayRef<Operation *> ops,
                                 const std::vector<isa::Instruction> &code,
                                 const std::vector<int64_t> &targets,
                                 ArrayRef<std::pair<size_t, Operation *>> entries);
  /// `a` as the granules it touches, [lo, hi) within its space.
  std::pair<int64_t, int64_t> span(const Access &a) const;
  /// Adds to open[v][u] the accesses of each data unit v outstanding now
  /// (since the last barrier) that nothing has ordered before unit u's next
  /// instruction yet.
  void outstanding(PerPair<std::vector<Access>> &open) const;
  /// Whether `accesses` and `foot` touch a granule, one of them writing.
  bool conflict(ArrayRef<Access> accesses, ArrayRef<Access> foot) const;
  /// Records `accesses` as instruction `n`'s of `unit`.
  void seed(ArrayRef<Access> accesses, unsigned unit, int64_t n);
  /// `s.head`, `s.exit` and `s.fenced`, from its entry `e` to its `jr`.
  void footprints(Subroutine &s, size_t e,
                     const std::vector<isa::Instruction> &code,
                     const std::vector<bool> &isLabel,
                     const std::vector<std::optional<Registers>> &before,
                     const Registers &unknown);

  AccessModel model;
  std::vector<SpanMap> spaces;
  std::array<std::array<int64_t, isa::kNumUnits>, isa::kNumUnits> paired;
  bool pending = false; ///< accesses since the last barrier
  /// The calls since the last barrier (`jal`, subroutine).
  std::vector<std::pair<size_t, Subroutine *>> chain;
};

void TokenInserter::reset() {
  for (SpanMap &space : spaces)
    space.clear();
  for (auto &row : paired)
    row.fill(-1);
  pending = false;
  chain.clear();
}

/// A data unit's instruction that accesses nothing: a `load` or `store` of
/// no rows, `mcfg`, `maset`, `vaset`. A subroutine's boundary slots are
/// these.
bool isTokenSlot(const isa::Instruction &i) {
  switch (i.opcode) {
  case Opcode::Load:
  case Opcode::Store:
    return i.get("rn") == 0 && i.get("rimm") == 0;
  case Opcode::Mcfg:
  case Opcode::Maset:
  case Opcode::Vaset:
    return true;
  default:
    return false;
  }
}

/// Whether `unit` is one of the four data units (not the control unit,
/// which completes an instruction before it dispatches the next one).
bool isDataUnit(unsigned unit) {
  return unit != static_cast<unsigned>(isa::Unit::Ctrl);
}

std::pair<int64_t, int64_t> TokenInserter::span(const Access &a) const {
  int64_t end = spaces[a.space].size();
  int64_t hi = a.hi < 0 ? end : std::min(roundUp(a.hi), end);
  int64_t lo = std::max<int64_t>(a.lo, 0) / kGranule * kGranule;
  return std::make_pair(std::min(lo, end), hi);
}

void TokenInserter::outstanding(PerPair<std::vector<Access>> &open) const {
  for (unsigned space = 0; space < spaces.size(); ++space)
    spaces[space].forEachSpan(
        [&](int64_t lo, int64_t hi, const SpanMap::Last &last) {
          for (unsigned v = 0; v < isa::kNumUnits; ++v) {
            if (!isDataUnit(v))
              continue;
            for (auto [n, write] : {std::pair(last.write[v], true),
                                    std::pair(last.read[v], false)}) {
              if (n < 0)
                continue;
              for (unsigned u = 0; u < isa::kNumUnits; ++u)
                if (u != v && n > paired[v][u])
                  open[v][u].push_back({space, lo, hi, write});
            }
          }
        });
}

bool TokenInserter::conflict(ArrayRef<Access> accesses,
                             ArrayRef<Access> foot) const {
  for (const Access &a : accesses) {
    auto [lo, hi] = span(a);
    for (const Access &f : foot)
      if (f.space == a.space && f.lo < hi && lo < f.hi && (a.write || f.write))
        return true;
  }
  return false;
}

/// `spans` sorted, and merged where they touch (same space and kind).
void mergeSpans(std::vector<Access> &spans) {
  llvm::sort(spans, [](const Access &a, const Access &b) {
    return std::tie(a.space, a.write, a.lo) < std::tie(b.space, b.write, b.lo);
  });
  std::vector<Access> merged;
  for (const Access &a : spans) {
    if (!merged.empty() && merged.back().space == a.space &&
        merged.back().write == a.write && a.lo <= merged.back().hi) {
      merged.back().hi = std::max(merged.back().hi, a.hi);
      continue;
    }
    merged.push_back(a);
  }
  spans = std::move(merged);
}

void TokenInserter::seed(ArrayRef<Access> accesses, unsigned unit,
                         int64_t n) {
  for (const Access &a : accesses) {
    auto [lo, hi] = span(a);
    spaces[a.space].record(lo, hi, unit, n, a.write, /*keep=*/true);
    pending = true;
  }
}

void TokenInserter::footprints(
    Subroutine &s, size_t e, const std::vector<isa::Instruction> &code,
    const std::vector<bool> &isLabel,
    const std::vector<std::optional<Registers>> &before,
    const Registers &unknown) {
  for (size_t k = e; k < s.ret; ++k) {
    const isa::Instruction &i = code[k];
    model.setRegisters(before[k] ? &*before[k] : &unknown);
    if (isLabel[k])
      model.forgetState();
    if (i.opcode == Opcode::Barrier || i.opcode == Opcode::Halt) {
      for (auto &accesses : s.exit)
        accesses.clear();
      s.fenced = true;
      continue;
    }
    unsigned unit = static_cast<unsigned>(i.getSpec().unit);
    for (const Access &a : model.accessesOf(i)) {
      auto [lo, hi] = span(a);
      if (!s.fenced)
        s.head[unit].push_back({a.space, lo, hi, a.write});
      if (isDataUnit(unit))
        s.exit[unit].push_back({a.space, lo, hi, a.write});
    }
  }
  model.forgetState();
}

/// Whether `i` moves control elsewhere than the next instruction (a branch,
/// `jmp`, `jal`, `jr`).
bool isTransfer(const isa::Instruction &i) {
  return i.getSpec().unit == isa::Unit::Ctrl &&
         (i.getSpec().format->name == StringRef("branch") ||
          i.opcode == Opcode::Jmp || i.opcode == Opcode::Jal ||
          i.opcode == Opcode::Jr);
}

LogicalResult TokenInserter::checkSubroutines(
    std::map<size_t, Subroutine> &subroutines, ArrayRef<Operation *> ops,
    const std::vector<isa::Instruction> &code,
    const std::vector<int64_t> &targets,
    ArrayRef<std::pair<size_t, Operation *>> entries) {
  for (auto &[e, s] : subroutines) {
    Operation *call = ops[s.calls.begin()->first];
    StringRef name = accelisa::getTarget(call).getValue();
    auto error = [&](Operation *op, const Twine &what,
                     const Twine &why = " (only calls may enter it)") {
      return op->emitError("accel-insert-tokens: ")
             << what << " subroutine @" << name << why;
    };
    size_t ret = e;
    while (ret < code.size() && code[ret].opcode != Opcode::Jr)
      ++ret;
    if (ret == code.size())
      return error(call, "no `jr` ends the called", "");
    s.ret = ret;
    if (e > 0 && code[e - 1].opcode != Opcode::Jr &&
        code[e - 1].opcode != Opcode::Jmp && code[e - 1].opcode != Opcode::Halt)
      return error(ops[e - 1], "control falls through from this instruction "
                               "into");
    for (auto [at, entry] : entries)
      if (at >= e && at <= ret)
        return error(entry, "this entry point is inside");
    for (size_t n = 0; n < code.size(); ++n) {
      bool inside = n >= e && n < ret;
      if (inside && subroutines.count(n) && n != e)
        return error(ops[n], "this instruction starts a subroutine inside",
                     "");
      if (inside && code[n].opcode == Opcode::Jal)
        return error(ops[n], "this call is inside",
                     ", before its `jr` (calls do not nest)");
      if (targets[n] < 0 || code[n].opcode == Opcode::Jal)
        continue;
      size_t to = targets[n];
      if (inside && to == e)
        return error(ops[n], "this branch goes back to the start of");
      if (inside && (to < e || to > ret))
        return error(ops[n], "this branch leaves", " other than by its `jr`");
      if (!inside && to >= e && to <= ret)
        return error(ops[n], "this branch goes into");
    }
  }
  return success();
}

LogicalResult TokenInserter::run(accelisa::ProgramOp program) {
  std::vector<Operation *> ops;
  llvm::DenseMap<StringRef, size_t> labels; ///< label -> next instruction
  std::vector<size_t> entries;
  std::vector<std::pair<size_t, Operation *>> entryOps;
  for (Operation &op : program.getBody().front()) {
    if (accelisa::getOpcode(&op))
      ops.push_back(&op);
    else if (auto symbol = op.getAttrOfType<StringAttr>(
                 SymbolTable::getSymbolAttrName()))
      labels[symbol.getValue()] = ops.size();
    if (llvm::isa<accelisa::EntryOp>(op)) {
      entries.push_back(ops.size());
      entryOps.push_back({ops.size(), &op});
    }
  }
  std::vector<isa::Instruction> code;
  for (Operation *op : ops) {
    isa::Instruction i = accelisa::getInstruction(op);
    i.wait = i.release = 0;
    code.push_back(i);
  }
  std::vector<int64_t> targets(code.size(), -1);
  for (size_t n = 0; n < code.size(); ++n)
    if (FlatSymbolRefAttr target = accelisa::getTarget(ops[n]))
      targets[n] = labels.lookup(target.getValue());
  std::vector<std::optional<Registers>> before =
      analyzeRegisters(code, targets, entries);
  // Where control never arrives, registers but r0 are unknown.
  Registers unknown;
  unknown.fill(RegisterRange::top());
  unknown[0] = RegisterRange::constant(0);

  std::vector<bool> isLabel(code.size() + 1, false);
  for (auto [name, index] : labels)
    isLabel[index] = true;
  // A call returns with the unit state its subroutine left.
  for (size_t n = 0; n < code.size(); ++n)
    if (code[n].opcode == Opcode::Jal)
      isLabel[n + 1] = true;

  // The subroutines, by entry: their calls, and what each accesses after
  // its last barrier (which the code after a call must order its own
  // accesses after).
  std::map<size_t, Subroutine> subroutines;
  for (size_t n = 0; n < code.size(); ++n)
    if (code[n].opcode == Opcode::Jal)
      subroutines[targets[n]].calls[n] = {};
  if (failed(checkSubroutines(subroutines, ops, code, targets, entryOps)))
    return failure();
  // Labels a backward branch goes to: what follows runs more than once.
  std::vector<bool> loopHead(code.size() + 1, false);
  for (size_t n = 0; n < code.size(); ++n)
    if (targets[n] >= 0 && size_t(targets[n]) <= n &&
        code[n].opcode != Opcode::Jal)
      loopHead[targets[n]] = true;
  std::vector<bool> isReturn(code.size(), false);
  for (auto &[e, s] : subroutines)
    isReturn[s.ret] = true;
  for (auto &[e, s] : subroutines)
    footprints(s, e, code, isLabel, before, unknown);

  // The tokens, with tokens passed over calls wherever no subroutine's own
  // tokens between the same units forbid them; where some do, again with
  // those forbidden, until none does.
  /// Each unit's last instruction.
  std::array<int64_t, isa::kNumUnits> lastOf;
  /// For each instruction, the first in program order that gives a token it
  /// takes (a call for its subroutine's exit slots).
  std::vector<int64_t> takesFrom;
  auto take = [&](size_t k, unsigned v, int64_t from) {
    code[k].wait |= 1u << v;
    takesFrom[k] = std::min(takesFrom[k], from);
  };
  auto assign = [&]() -> LogicalResult {
    reset();
    for (isa::Instruction &i : code)
      i.wait = i.release = 0;
    lastOf.fill(-1);
    takesFrom.assign(code.size(), std::numeric_limits<int64_t>::max());
    for (auto &[e, s] : subroutines) {
      s.entry = {};
      s.out = s.passed = {};
      for (auto &[call, taken] : s.calls)
        taken = {};
    }
    /// The subroutine whose code this is, until its first barrier, which
    /// completes its callers' accesses.
    Subroutine *entered = nullptr;
    bool entrySlots = false; ///< in entered's entry slots
    /// Each unit's entry slot in entered (-1: none).
    std::array<int64_t, isa::kNumUnits> entrySlot;
    for (size_t n = 0; n < code.size(); ++n) {
      isa::Instruction &i = code[n];
      model.setRegisters(before[n] ? &*before[n] : &unknown);
      // Control may arrive at a label from elsewhere (or after a call), with
      // other unit state.
      if (isLabel[n])
        model.forgetState();
      unsigned unit = static_cast<unsigned>(i.getSpec().unit);
      // A subroutine is entered by its calls only: its entry slot of unit v
      // stands for what v may still be accessing at a call.
      if (auto s = subroutines.find(n); s != subroutines.end()) {
        reset();
        entered = &s->second;
        entrySlots = true;
        entrySlot.fill(-1);
        for (auto &row : entered->entry)
          for (std::vector<Access> &spans : row)
            mergeSpans(spans);
      }
      entrySlots = entrySlots && !loopHead[n] && isTokenSlot(i);
      if (isTransfer(i) && i.opcode != Opcode::Jal && !isReturn[n] && pending)
        return ops[n]->emitError(
            "accel-insert-tokens orders straight-line code: a jump or branch "
            "with accesses since the last barrier (put a barrier before it)");
      if (entrySlots && entrySlot[unit] < 0)
        entrySlot[unit] = static_cast<int64_t>(n);
      if (i.opcode == Opcode::Jal) {
        // The subroutine's accesses after its last barrier stand as the
        // `jal`'s, each unit's before its exit slot; unless that barrier
        // completes them, those before the call stay as they were.
        Subroutine &s = subroutines[targets[n]];
        if (pending && size_t(targets[n]) <= n)
          return ops[n]->emitError("accel-insert-tokens: a call with accesses "
                                   "since the last barrier must come before its "
                                   "subroutine in the program");
        // Accesses of the calls before that this subroutine's unit u
        // would wait for, complete by now in all likelihood, are ordered
        // before u's last instruction since the last call, so that u does
        // not wait for them through an entry slot (for everything done
        // before the call).
        if (!chain.empty())
          for (unsigned u = 0; u < isa::kNumUnits; ++u)
            for (unsigned v = 0; v < isa::kNumUnits; ++v) {
              auto [last, before] = chain.back();
              int64_t at = lastOf[u];
              if (u == v || !isDataUnit(u) || at <= int64_t(last) ||
                  paired[v][u] >= int64_t(last) ||
                  (code[at].wait & (1u << v)) ||
                  llvm::none_of(chain, [&](auto call) {
                    return conflict(s.head[u], call.second->exit[v]);
                  }))
                continue;
              take(at, v, int64_t(last));
              before->out[v][u] = true;
              before->calls[last][v][u] = true;
              paired[v][u] = static_cast<int64_t>(last);
            }
        outstanding(s.entry);
        if (s.fenced)
          reset();
        chain.push_back({n, &s});
        for (unsigned v = 0; v < isa::kNumUnits; ++v)
          seed(s.exit[v], v, static_cast<int64_t>(n));
        continue;
      }
      if (i.opcode == Opcode::Jr) {
        // The code after its calls waits for its accesses (the exit slots).
        reset();
        entered = nullptr;
        continue;
      }
      if (i.opcode == Opcode::Barrier || i.opcode == Opcode::Halt) {
        reset();
        entered = nullptr;
        continue;
      }
      SmallVector<Access, 6> accesses = model.accessesOf(i);
      lastOf[unit] = static_cast<int64_t>(n);
      std::array<int64_t, isa::kNumUnits> after;
      after.fill(-1);
      for (const Access &a : accesses) {
        auto [lo, hi] = span(a);
        spaces[a.space].forEach(lo, hi, [&](const SpanMap::Last &last) {
          for (unsigned v = 0; v < isa::kNumUnits; ++v) {
            if (v == unit)
              continue;
            after[v] = std::max(after[v], last.write[v]);
            if (a.write)
              after[v] = std::max(after[v], last.read[v]);
          }
        });
      }
      // In a subroutine, before its own accesses of unit v order unit u's:
      // those of v outstanding at a call, through v's entry slot.
      for (unsigned v = 0; entered && v < isa::kNumUnits; ++v) {
        if (v == unit || paired[v][unit] >= 0 ||
            !conflict(accesses, entered->entry[v][unit]))
          continue;
        if (entrySlot[v] < 0)
          return ops[n]->emitError("accel-insert-tokens: this instruction "
                                   "follows accesses of unit ")
                 << isa::unitName(isa::Unit(v))
                 << " outstanding at a call of its subroutine, which begins "
                    "with no instruction of that unit that accesses nothing "
                    "(put a barrier before the call)";
        after[v] = std::max(after[v], entrySlot[v]);
      }
      for (unsigned v = 0; v < isa::kNumUnits; ++v) {
        if (after[v] < 0 || after[v] <= paired[v][unit])
          continue;
        // An access of a call, or one before calls that may not pass a token
        // over them: the last call's exit slot gives the token.
        int64_t from = after[v];
        if (!chain.empty() && size_t(from) <= chain.back().first) {
          bool viaExit = code[from].opcode == Opcode::Jal;
          for (auto [call, s] : chain)
            viaExit |= call > size_t(from) && s->forbidden[v][unit];
          auto [last, s] = chain.back();
          if (viaExit) {
            take(n, v, int64_t(last));
            s->out[v][unit] = true;
            s->calls[last][v][unit] = true;
            paired[v][unit] = static_cast<int64_t>(last);
            continue;
          }
          for (auto [call, s] : chain)
            if (call > size_t(from))
              s->passed[v][unit] = true;
        }
        take(n, v, from);
        paired[v][unit] = from;
        code[from].release |= 1u << unit;
      }
      for (const Access &a : accesses) {
        auto [lo, hi] = span(a);
        spaces[a.space].record(lo, hi, unit, static_cast<int64_t>(n), a.write);
        pending = true;
      }
    }
    if (pending)
      return program.emitError("accel-insert-tokens: the program does not end "
                               "with a barrier or halt after its last access");

    // Each (v, u) the code after some call orders: the subroutine's exit slot
    // of unit v gives unit u a token, which the code after every call takes,
    // at the access that needs it or else at u's return slot.
    for (auto &[e, s] : subroutines) {
      for (unsigned v = 0; v < isa::kNumUnits; ++v)
        for (unsigned u = 0; u < isa::kNumUnits; ++u) {
          if (!s.out[v][u])
            continue;
          std::optional<size_t> exit;
          for (size_t k = s.ret; !exit && k > e && isTokenSlot(code[k - 1]);
               --k)
            if (static_cast<unsigned>(code[k - 1].getSpec().unit) == v)
              exit = k - 1;
          if (!exit)
            return ops[s.ret]->emitError(
                       "accel-insert-tokens: the code after a call of this "
                       "subroutine waits for its unit ")
                   << isa::unitName(isa::Unit(v))
                   << ", and it ends with no instruction of that unit that "
                      "accesses nothing before its return (end it with one, "
                      "or put a barrier before the return)";
          code[*exit].release |= 1u << u;
          for (auto &[call, taken] : s.calls) {
            if (taken[v][u])
              continue;
            std::optional<size_t> slot;
            for (size_t k = call + 1; !slot && k < code.size() &&
                                      !loopHead[k] && isTokenSlot(code[k]);
                 ++k)
              if (static_cast<unsigned>(code[k].getSpec().unit) == u)
                slot = k;
            if (!slot)
              return ops[call]->emitError("accel-insert-tokens: the code after "
                                          "this call waits for the subroutine's "
                                          "unit ")
                     << isa::unitName(isa::Unit(v)) << ", but no instruction of "
                     << isa::unitName(isa::Unit(u))
                     << " that accesses nothing follows the call (put one "
                        "right after it, or a barrier before the "
                        "subroutine's return)";
            take(*slot, v, int64_t(call));
          }
        }
    }
    return success();
  };
  for (bool again = true; again;) {
    if (failed(assign()))
      return failure();
    again = false;
    for (auto &[e, s] : subroutines) {
      PerPair<bool> own = s.out;
      for (size_t k = e; k <= s.ret; ++k)
        for (unsigned v = 0; v < isa::kNumUnits; ++v)
          if (code[k].wait & (1u << v))
            own[v][static_cast<unsigned>(code[k].getSpec().unit)] = true;
      for (unsigned v = 0; v < isa::kNumUnits; ++v)
        for (unsigned u = 0; u < isa::kNumUnits; ++u)
          if (s.passed[v][u] && own[v][u]) {
            s.forbidden[v][u] = true;
            again = true;
          }
    }
  }

  // A forward branch must not skip an instruction that gives or takes a
  // token, or the pairs would no longer match, unless no pair crosses it: no
  // access precedes the branch since the last barrier (checked above), nothing
  // it skips takes a token given before it (an entry or exit slot's) and
  // nothing from its target up to the next barrier takes a token (a skipped
  // call's exit slots would give it). A subroutine's `jr` counts as taking
  // one: the code after its calls may wait for its exit slots, which a
  // branch to or among them skips. A loop must
  // not take a token given before it: it would take it on every pass.
  for (size_t n = 0; n < code.size(); ++n) {
    Operation *op = ops[n];
    if (targets[n] < 0 || code[n].opcode == Opcode::Jal)
      continue;
    size_t to = targets[n];
    for (size_t k = to; k <= n; ++k)
      if (takesFrom[k] < int64_t(to))
        return ops[k]->emitError("accel-insert-tokens: this instruction in a "
                                 "loop takes on every pass a token instruction ")
               << takesFrom[k] << " gives once, before the loop (put a "
                                  "barrier before the loop)";
    bool crossed = false;
    for (size_t k = to; k < code.size() && code[k].opcode != Opcode::Barrier &&
                        code[k].opcode != Opcode::Halt;
         ++k)
      crossed |= code[k].wait != 0 || isReturn[k];
    for (size_t k = n + 1; k < to; ++k)
      if ((crossed && (code[k].wait || code[k].release ||
                       code[k].opcode == Opcode::Jal)) ||
          takesFrom[k] < int64_t(n))
        return op->emitError("accel-insert-tokens: this branch skips "
                             "instruction ")
               << k << ", which takes or gives a dependency token";
  }
  MLIRContext *context = program.getContext();
  Builder b(context);
  for (auto [op, i] : llvm::zip(ops, code)) {
    op->setAttr(accelisa::kWaitAttr, b.getI64IntegerAttr(i.wait));
    op->setAttr(accelisa::kReleaseAttr, b.getI64IntegerAttr(i.release));
  }
  return success();
}

struct InsertTokensPass
    : public accel::impl::InsertTokensBase<InsertTokensPass> {
  using InsertTokensBase::InsertTokensBase;

  void runOnOperation() override {
    std::string path = configPath.empty() ? ACCEL_DEFAULT_CONFIG
                                          : std::string(configPath);
    llvm::Expected<hw::Config> config = hw::loadConfig(path);
    if (!config) {
      getOperation().emitError("accel-insert-tokens: ")
          << llvm::toString(config.takeError());
      return signalPassFailure();
    }
    std::vector<int64_t> buffers;
    for (const hw::BufferConfig &buffer : config->buffers)
      buffers.push_back(static_cast<int64_t>(buffer.bytes));
    WalkResult walk = getOperation().walk([&](accelisa::ProgramOp program) {
      TokenInserter inserter(buffers, int64_t(config->hbmChannels),
                             int64_t(config->hbmChannelBytes));
      return failed(inserter.run(program)) ? WalkResult::interrupt()
                                           : WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
