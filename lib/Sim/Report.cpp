//===- Report.cpp - the timing report: summary, JSON and trace ------------===//

#include "accel/Sim/Report.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace accel;
using namespace accel::sim;
using isa::Unit;
namespace json = llvm::json;

namespace {

constexpr unsigned kCtl = unsigned(Unit::Ctrl);
constexpr unsigned kTimelineCalls = isa::kNumUnits;

llvm::StringRef unitName(unsigned u) { return isa::unitName(Unit(u)); }

/// Sums `b` into `a` (the totals over calls).
void accumulate(CallTiming &a, const CallTiming &b) {
  a.cycles += b.cycles;
  a.tokens += b.tokens;
  for (unsigned u = 0; u < isa::kNumUnits; ++u) {
    UnitTiming &x = a.units[u];
    const UnitTiming &y = b.units[u];
    x.busy += y.busy;
    x.instructions += y.instructions;
    x.dispatched += y.dispatched;
    x.contention += y.contention;
    for (unsigned s = 0; s < kNumStalls; ++s)
      for (unsigned v = 0; v < isa::kNumUnits; ++v)
        x.stalls[s][v] += y.stalls[s][v];
  }
  a.hbmReadBytes += b.hbmReadBytes;
  a.hbmWriteBytes += b.hbmWriteBytes;
  a.macs += b.macs;
  a.macCycles += b.macCycles;
  a.fp32Ops += b.fp32Ops;
  a.sramBytes += b.sramBytes;
  a.macPJ += b.macPJ;
  a.fp32PJ += b.fp32PJ;
  a.hbmPJ += b.hbmPJ;
  a.sramPJ += b.sramPJ;
}

/// What a CallTiming means in seconds, bytes per second and joules.
struct Metrics {
  double seconds = 0;
  uint64_t hbmBytes = 0;
  double gbps = 0, peakGbps = 0, modelledGbps = 0;
  double memoryCycles = 0, boundCycles = 0;
  bool computeBound = false;
  double macRate = 0; ///< the modelled MACs per cycle of the mix executed
  double dynamicJ = 0, staticJ = 0, totalJ = 0;

  Metrics(const CallTiming &t, const hw::Config &c) {
    double hz = c.clockMHz * 1e6;
    seconds = hz > 0 ? double(t.cycles) / hz : 0;
    hbmBytes = t.hbmReadBytes + t.hbmWriteBytes;
    gbps = seconds > 0 ? double(hbmBytes) / seconds / 1e9 : 0;
    peakGbps = c.hbmChannelGBps * double(c.hbmChannels);
    modelledGbps = peakGbps * c.hbmEfficiency;
    double perCycle = c.hbmEffectiveBytesPerCycle() * double(c.hbmChannels);
    memoryCycles = perCycle > 0 ? double(hbmBytes) / perCycle : 0;
    computeBound = t.macCycles > memoryCycles;
    boundCycles = std::max(memoryCycles, t.macCycles);
    macRate = t.macCycles > 0 ? double(t.macs) / t.macCycles : 0;
    dynamicJ = (t.macPJ + t.fp32PJ + t.hbmPJ + t.sramPJ) * 1e-12;
    staticJ = c.staticW * seconds;
    totalJ = dynamicJ + staticJ;
  }
};

std::string stallLabel(unsigned kind, unsigned other) {
  if (Stall(kind) == Stall::Drain)
    return "barrier/halt drain";
  return (sim::stallName(Stall(kind)) + " " + unitName(other)).str();
}

json::Object callJson(const CallTiming &t, const hw::Config &c) {
  Metrics x(t, c);
  json::Object units;
  for (unsigned u = 0; u < isa::kNumUnits; ++u) {
    const UnitTiming &ut = t.units[u];
    json::Object stalls;
    for (unsigned s = 0; s < kNumStalls; ++s) {
      json::Object by;
      for (unsigned v = 0; v < isa::kNumUnits; ++v)
        if (ut.stalls[s][v])
          by[unitName(v)] = ut.stalls[s][v];
      if (!by.empty())
        stalls[sim::stallName(Stall(s))] = std::move(by);
    }
    json::Object unit{
        {"busy_cycles", ut.busy},
        {"utilization", t.cycles ? double(ut.busy) / double(t.cycles) : 0.0},
        {"instructions", ut.instructions},
        {"stall_cycles", std::move(stalls)}};
    if (u == kCtl)
      unit["dispatched"] = ut.dispatched;
    if (u == unsigned(Unit::Load) || u == unsigned(Unit::Store))
      unit["hbm_contention_cycles"] = ut.contention;
    units[unitName(u)] = std::move(unit);
  }
  return json::Object{
      {"entry", t.entry},
      {"position", t.position},
      {"tokens", t.tokens},
      {"cycles", t.cycles},
      {"seconds", x.seconds},
      {"units", std::move(units)},
      {"hbm",
       json::Object{{"read_bytes", t.hbmReadBytes},
                    {"write_bytes", t.hbmWriteBytes},
                    {"gbps", x.gbps},
                    {"fraction_of_peak", x.peakGbps ? x.gbps / x.peakGbps : 0},
                    {"fraction_of_modelled_peak",
                     x.modelledGbps ? x.gbps / x.modelledGbps : 0}}},
      {"compute",
       json::Object{{"macs", t.macs},
                    {"mac_cycles", t.macCycles},
                    {"modelled_macs_per_cycle", x.macRate},
                    {"macs_per_second", x.seconds ? t.macs / x.seconds : 0},
                    {"fp32_ops", t.fp32Ops},
                    {"sram_bytes", t.sramBytes}}},
      {"roofline",
       json::Object{{"memory_cycles", x.memoryCycles},
                    {"compute_cycles", t.macCycles},
                    {"bound_cycles", x.boundCycles},
                    {"bound", x.computeBound ? "compute" : "memory"},
                    {"fraction_of_bound",
                     t.cycles ? x.boundCycles / double(t.cycles) : 0.0}}},
      {"energy", json::Object{{"mac_j", t.macPJ * 1e-12},
                              {"fp32_j", t.fp32PJ * 1e-12},
                              {"hbm_j", t.hbmPJ * 1e-12},
                              {"sram_j", t.sramPJ * 1e-12},
                              {"static_j", x.staticJ},
                              {"total_j", x.totalJ}}}};
}

/// The decode steps: every call after the prefill.
llvm::ArrayRef<CallTiming> decodeSteps(const RunReport &r) {
  llvm::ArrayRef<CallTiming> calls = r.calls;
  if (!calls.empty() && calls.front().entry == r.prefillEntry)
    return calls.drop_front();
  return {};
}

const CallTiming *prefill(const RunReport &r) {
  if (!r.calls.empty() && r.calls.front().entry == r.prefillEntry)
    return &r.calls.front();
  return nullptr;
}

CallTiming total(llvm::ArrayRef<CallTiming> calls) {
  CallTiming sum;
  sum.entry = "total";
  for (const CallTiming &c : calls)
    accumulate(sum, c);
  return sum;
}

std::string si(double v, const char *unit) {
  const char *prefixes[] = {"", "k", "M", "G", "T"};
  unsigned i = 0;
  while (std::abs(v) >= 1000 && i + 1 < std::size(prefixes)) {
    v /= 1000;
    ++i;
  }
  std::string text = llvm::formatv("{0:f2} {1}{2}", v, prefixes[i], unit);
  return llvm::StringRef(text).rtrim().str();
}

/// A config value as the config file would write it (15 digits at most).
std::string number(const json::Value &v) {
  if (std::optional<int64_t> i = v.getAsInteger())
    return std::to_string(*i);
  std::string text;
  llvm::raw_string_ostream(text)
      << llvm::format("%.15g", v.getAsNumber().value_or(0));
  return text;
}

json::Array whatIfJson(const hw::Config &c) {
  json::Array out;
  for (const hw::TimingOverride &o : c.timingOverrides)
    out.push_back(json::Object{
        {"key", o.key}, {"value", o.value}, {"config_value", o.configValue}});
  return out;
}

std::string small(double v, const char *unit) {
  const char *prefixes[] = {"", "m", "u", "n", "p"};
  unsigned i = 0;
  while (v != 0 && std::abs(v) < 1 && i + 1 < std::size(prefixes)) {
    v *= 1000;
    ++i;
  }
  return llvm::formatv("{0:f2} {1}{2}", v, prefixes[i], unit).str();
}

} // namespace

llvm::StringRef sim::stallName(Stall stall) {
  switch (stall) {
  case Stall::TokenWait:
    return "token_wait";
  case Stall::TokenFull:
    return "token_full";
  case Stall::QueueFull:
    return "queue_full";
  case Stall::Drain:
    return "drain";
  }
  return "";
}

json::Value sim::reportJson(const RunReport &r) {
  const hw::Config &c = *r.config;
  json::Array calls;
  for (const CallTiming &t : r.calls)
    calls.push_back(callJson(t, c));
  json::Object out{
      {"format", 1},
      {"package", r.package},
      {"mode", r.mode},
      {"config", c.name},
      {"what_if", whatIfJson(c)},
      {"clock_mhz", c.clockMHz},
      {"prompt_tokens", r.promptTokens},
      {"tokens", json::Array(r.generated)},
      {"peak",
       json::Object{
           {"hbm_gbps", c.hbmChannelGBps * double(c.hbmChannels)},
           {"hbm_modelled_gbps",
            c.hbmChannelGBps * double(c.hbmChannels) * c.hbmEfficiency},
           {"hbm_bytes_per_cycle",
            c.hbmEffectiveBytesPerCycle() * double(c.hbmChannels)},
           {"macs_per_cycle", json::Object{{"w2", c.macsPerCycle(2)},
                                           {"w4", c.macsPerCycle(4)},
                                           {"w8", c.macsPerCycle(8)},
                                           {"fp32", c.fp32MacsPerCycle}}}}},
      {"calls", std::move(calls)},
      {"total", callJson(total(r.calls), c)},
      {"trace_truncated", r.traceTruncated}};
  if (const CallTiming *p = prefill(r)) {
    Metrics x(*p, c);
    double tokens = std::max<double>(p->tokens, 1);
    out["prefill"] = json::Object{
        {"tokens", p->tokens},
        {"cycles", p->cycles},
        {"seconds", x.seconds},
        {"tokens_per_second", x.seconds ? p->tokens / x.seconds : 0},
        {"joules", x.totalJ},
        {"joules_per_token", x.totalJ / tokens},
        {"tokens_per_joule", x.totalJ ? tokens / x.totalJ : 0}};
  }
  llvm::ArrayRef<CallTiming> steps = decodeSteps(r);
  if (!steps.empty()) {
    CallTiming sum = total(steps);
    Metrics x(sum, c);
    double n = double(steps.size());
    json::Array cycles;
    for (const CallTiming &s : steps)
      cycles.push_back(s.cycles);
    out["decode"] = json::Object{
        {"steps", steps.size()},
        {"cycles", std::move(cycles)},
        {"mean_cycles", double(sum.cycles) / n},
        {"mean_seconds", x.seconds / n},
        {"tokens_per_second", x.seconds ? n / x.seconds : 0},
        {"joules_per_token", x.totalJ / n},
        {"tokens_per_joule", x.totalJ ? n / x.totalJ : 0},
        {"hbm_fraction_of_peak", x.peakGbps ? x.gbps / x.peakGbps : 0}};
  }
  return out;
}

void sim::printSummary(llvm::raw_ostream &os, const RunReport &r) {
  const hw::Config &c = *r.config;
  os << "timing: " << c.name << " at " << llvm::formatv("{0}", c.clockMHz)
     << " MHz (mode " << r.mode << ")\n";
  if (!c.timingOverrides.empty()) {
    os << "  what-if:";
    for (auto [i, o] : llvm::enumerate(c.timingOverrides))
      os << (i ? ", " : " ") << o.key << " = " << number(o.value)
         << " (config: " << number(o.configValue) << ")";
    os << '\n';
  }
  llvm::ArrayRef<CallTiming> steps = decodeSteps(r);
  if (const CallTiming *p = prefill(r)) {
    Metrics x(*p, c);
    os << llvm::formatv("  prefill: {0} tokens, {1} cycles, {2}, {3} token/s, "
                        "{4}/token\n",
                        p->tokens, p->cycles, small(x.seconds, "s"),
                        si(x.seconds ? p->tokens / x.seconds : 0, ""),
                        small(x.totalJ / std::max<double>(p->tokens, 1), "J"));
  }
  if (!steps.empty()) {
    CallTiming sum = total(steps);
    Metrics x(sum, c);
    double n = double(steps.size());
    os << llvm::formatv("  decode: {0} steps, mean {1:f1} cycles, {2}, {3} "
                        "token/s, {4}/token, {5:f1} token/J\n",
                        steps.size(), double(sum.cycles) / n,
                        small(x.seconds / n, "s"),
                        si(x.seconds ? n / x.seconds : 0, ""),
                        small(x.totalJ / n, "J"), x.totalJ ? n / x.totalJ : 0);
    for (auto [i, s] : llvm::enumerate(steps)) {
      if (i == 8 && steps.size() > 9) {
        os << "    ... " << steps.size() - 8 << " more steps\n";
        break;
      }
      os << llvm::formatv("    step {0} at position {1}: {2} cycles, {3}\n",
                          i + 1, s.position, s.cycles,
                          small(Metrics(s, c).seconds, "s"));
    }
  }
  if (!prefill(r) && steps.empty())
    for (const CallTiming &t : r.calls)
      os << llvm::formatv("  {0}: {1} cycles, {2}\n", t.entry, t.cycles,
                          small(Metrics(t, c).seconds, "s"));

  CallTiming sum = total(r.calls);
  Metrics x(sum, c);
  os << "  units over " << sum.cycles << " cycles:\n";
  for (unsigned u = 0; u < isa::kNumUnits; ++u) {
    const UnitTiming &ut = sum.units[u];
    os << llvm::formatv("    {0,-3} busy {1} cycles ({2:f1}%), {3} "
                        "instructions",
                        unitName(u), ut.busy,
                        sum.cycles ? 100.0 * ut.busy / sum.cycles : 0.0,
                        ut.instructions);
    if (u == kCtl)
      os << ", " << ut.dispatched << " dispatched";
    if (ut.contention)
      os << ", " << ut.contention << " cycles of HBM channel contention";
    os << '\n';
    std::string stalls;
    for (unsigned s = 0; s < kNumStalls; ++s)
      for (unsigned v = 0; v < isa::kNumUnits; ++v)
        if (ut.stalls[s][v])
          stalls += llvm::formatv("{0}{1} {2}", stalls.empty() ? "" : ", ",
                                  stallLabel(s, v), ut.stalls[s][v])
                        .str();
    if (!stalls.empty())
      os << "        stalls (cycles): " << stalls << '\n';
  }
  os << llvm::formatv("  HBM: {0} read, {1} written, {2}/s: {3:f1}% of the "
                      "peak {4}/s ({5:f1}% of the modelled {6}/s)\n",
                      si(double(sum.hbmReadBytes), "B"),
                      si(double(sum.hbmWriteBytes), "B"), si(x.gbps * 1e9, "B"),
                      x.peakGbps ? 100 * x.gbps / x.peakGbps : 0,
                      si(x.peakGbps * 1e9, "B"),
                      x.modelledGbps ? 100 * x.gbps / x.modelledGbps : 0,
                      si(x.modelledGbps * 1e9, "B"));
  os << llvm::formatv("  matrix: {0} MACs at a modelled {1:f0} MAC/cycle; "
                      "roofline bound {2:f0} cycles ({3}), reached {4:f1}%\n",
                      si(double(sum.macs), ""), x.macRate, x.boundCycles,
                      x.computeBound ? "compute" : "memory",
                      sum.cycles ? 100 * x.boundCycles / sum.cycles : 0);
  os << llvm::formatv("  energy: {0} (MAC {1}, fp32 {2}, HBM {3}, SRAM {4}, "
                      "static {5})\n",
                      small(x.totalJ, "J"), small(sum.macPJ * 1e-12, "J"),
                      small(sum.fp32PJ * 1e-12, "J"),
                      small(sum.hbmPJ * 1e-12, "J"),
                      small(sum.sramPJ * 1e-12, "J"), small(x.staticJ, "J"));
  if (r.traceTruncated)
    os << "  trace: truncated at its slice limit\n";
}

llvm::Error sim::writeJson(llvm::StringRef path, const json::Value &value) {
  return llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    os << llvm::formatv("{0:2}", value) << '\n';
    return llvm::Error::success();
  });
}

llvm::Error sim::writeTrace(llvm::StringRef path, const Timeline &timeline,
                            const hw::Config &config) {
  double perUs = config.clockMHz > 0 ? config.clockMHz : 1;
  return llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    json::OStream j(os);
    j.objectBegin();
    j.attribute("displayTimeUnit", "ns");
    j.attributeObject("otherData", [&] {
      j.attribute("config", config.name);
      j.attribute("clock_mhz", config.clockMHz);
      j.attribute("truncated", timeline.truncated);
    });
    j.attributeArray("traceEvents", [&] {
      auto name = [&](const char *kind, unsigned tid, llvm::StringRef text) {
        j.object([&] {
          j.attribute("name", kind);
          j.attribute("ph", "M");
          j.attribute("pid", 1);
          j.attribute("tid", tid);
          j.attributeObject("args", [&] { j.attribute("name", text); });
        });
      };
      name("process_name", 0, "accel engine (" + config.name + ")");
      for (unsigned u = 0; u < isa::kNumUnits; ++u)
        name("thread_name", u, unitName(u));
      name("thread_name", kTimelineCalls, "calls");
      auto slice = [&](llvm::StringRef label, llvm::StringRef cat, unsigned tid,
                       uint64_t start, uint64_t cycles,
                       std::optional<uint32_t> index) {
        j.object([&] {
          j.attribute("name", label);
          j.attribute("cat", cat);
          j.attribute("ph", "X");
          j.attribute("pid", 1);
          j.attribute("tid", tid);
          j.attribute("ts", double(start) / perUs);
          j.attribute("dur", double(cycles) / perUs);
          j.attributeObject("args", [&] {
            if (index)
              j.attribute("index", *index);
            j.attribute("start_cycle", start);
            j.attribute("cycles", cycles);
          });
        });
      };
      for (const Timeline::Span &c : timeline.calls)
        slice(c.name, "call", kTimelineCalls, c.start, c.cycles, std::nullopt);
      for (const TraceSlice &s : timeline.slices)
        slice(s.mnemonic, unitName(s.unit), s.unit, s.start, s.cycles, s.pc);
    });
    j.objectEnd();
    return llvm::Error::success();
  });
}
