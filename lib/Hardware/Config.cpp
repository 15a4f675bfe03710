//===- Config.cpp - read and check the hardware config --------------------===//

#include "accel/Hardware/Config.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <array>
#include <cmath>
#include <limits>

using namespace accel::hw;
using llvm::StringRef;
using llvm::Twine;
namespace json = llvm::json;

const char *const accel::hw::kBufferNames[kNumBuffers] = {"wgt", "act", "kv",
                                                          "scr", "prm"};

namespace {

/// The largest buffer the ISA addresses: an 18-bit immediate of 64-byte units.
constexpr uint64_t kMaxBufferBytes = uint64_t(1) << 24;
/// The ISA's channel field is 5 bits and offsets are 32-bit registers.
constexpr uint64_t kMaxChannels = 32;
constexpr uint64_t kMaxChannelBytes = uint64_t(1) << 32;
/// The bound of every other count (blocks, bits, cycles, lanes, depths): no
/// engine comes near it, and the quantities derived from two such counts
/// (bytes of a buffer, bits of a queue) cannot overflow 64 bits.
constexpr uint64_t kMaxCount = std::numeric_limits<uint32_t>::max();

/// Reads leaves `{"value": v, "source": "..."}`, remembering the first error.
class Reader {
public:
  explicit Reader(StringRef file) : file(file.str()) {}

  const json::Object *object(const json::Object *parent, StringRef key,
                             const std::string &path) {
    if (!parent || failed())
      return nullptr;
    const json::Value *v = parent->get(key);
    if (!v)
      return fail(path, "missing"), nullptr;
    if (!v->getAsObject())
      return fail(path, "expected an object"), nullptr;
    return v->getAsObject();
  }

  uint64_t uint(const json::Object *parent, StringRef key,
                const std::string &path, uint64_t min = 1,
                uint64_t max = kMaxCount) {
    const json::Value *v = leaf(parent, key, path);
    if (!v)
      return 0;
    std::optional<int64_t> i = v->getAsInteger();
    if (!i)
      return fail(path + ".value", "expected an integer"), 0;
    if (*i < 0 || uint64_t(*i) < min || uint64_t(*i) > max)
      return fail(path + ".value", Twine(*i) + " is out of range [" +
                                       Twine(min) + ", " + Twine(max) + "]"),
             0;
    return uint64_t(*i);
  }

  double number(const json::Object *parent, StringRef key,
                const std::string &path,
                double max = std::numeric_limits<double>::max()) {
    const json::Value *v = leaf(parent, key, path);
    if (!v)
      return 0;
    std::optional<double> d = v->getAsNumber();
    if (!d)
      return fail(path + ".value", "expected a number"), 0;
    if (!(*d > 0) || *d > max || !std::isfinite(*d)) {
      std::string bound = max < std::numeric_limits<double>::max()
                              ? std::to_string(max) + "]"
                              : std::string("inf)");
      return fail(path + ".value", std::to_string(*d) +
                                       " is out of range (0, " + bound),
             0;
    }
    return *d;
  }

  std::string string(const json::Object *parent, StringRef key,
                     const std::string &path) {
    const json::Value *v = leaf(parent, key, path);
    if (!v)
      return "";
    std::optional<StringRef> s = v->getAsString();
    if (!s || s->empty())
      return fail(path + ".value", "expected a non-empty string"), "";
    return s->str();
  }

  /// The object holding the leaf at `key` ("clock_mhz": the root;
  /// "hbm.latency_cycles": the root's "hbm") and the leaf's own name.
  std::pair<const json::Object *, StringRef> parentOf(const json::Object *root,
                                                      StringRef key) {
    auto [section, name] = key.split('.');
    if (name.empty())
      return {root, key};
    return {object(root, section, section.str()), name};
  }

  void fail(const std::string &path, const Twine &message) {
    if (!failed())
      error = file + ": " + path + ": " + message.str();
  }
  bool failed() const { return !error.empty(); }
  llvm::Error takeError() {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
  }

private:
  const json::Value *leaf(const json::Object *parent, StringRef key,
                          const std::string &path) {
    const json::Object *o = object(parent, key, path);
    if (!o)
      return nullptr;
    std::optional<StringRef> source = o->getString("source");
    if (!source || source->trim().empty())
      return fail(path + ".source", "missing: every number needs a source"),
             nullptr;
    if (const json::Value *unit = o->get("unit"); unit && !unit->getAsString())
      return fail(path + ".unit", "expected a string"), nullptr;
    const json::Value *v = o->get("value");
    if (!v)
      return fail(path + ".value", "missing"), nullptr;
    return v;
  }

  std::string file;
  std::string error;
};

/// A field only the simulator's timing model (lib/Sim Timing.cpp, Cost.cpp)
/// and its report read: the compiler reads none of them (it reads the HBM
/// channels and their size and the buffers), and the functional results do
/// not depend on them, so accel-sim --what-if may change them. The queues
/// and tokens are left out: a program's synchronisation depends on them (a
/// dispatch that blocks on a full queue, or a release on a full counter, can
/// deadlock it); so are control.imem_uram (the program must fit it) and the
/// fields nothing but the loader's budget checks reads (device resources,
/// vector.dsp, matrix.accumulator_bram36, dma.host_gbps).
struct TimingField {
  const char *key; ///< its JSON path
  /// An integer field in [min, max], or a number field in (0, realMax].
  uint64_t Config::*count;
  double Config::*real;
  uint64_t min, max;
  double realMax;
};

constexpr TimingField count(const char *key, uint64_t Config::*field,
                            uint64_t min = 1, uint64_t max = kMaxCount) {
  return {key, field, nullptr, min, max, 0};
}
constexpr TimingField real(const char *key, double Config::*field,
                           double max = std::numeric_limits<double>::max()) {
  return {key, nullptr, field, 0, 0, max};
}

/// Every timing field: readConfig reads them from this table, and it is the
/// list of what-if keys.
constexpr TimingField kTimingFields[] = {
    real("clock_mhz", &Config::clockMHz),
    real("hbm.channel_gbps", &Config::hbmChannelGBps),
    count("hbm.latency_cycles", &Config::hbmLatencyCycles, 0),
    count("hbm.burst_bytes", &Config::hbmBurstBytes),
    real("hbm.efficiency", &Config::hbmEfficiency, 1.0),
    count("matrix.dsp", &Config::matrixDsp),
    count("matrix.macs_per_dsp_w8", &Config::macsPerDspW8),
    count("matrix.macs_per_dsp_w4", &Config::macsPerDspW4),
    count("matrix.macs_per_dsp_w2", &Config::macsPerDspW2),
    count("matrix.fp32_macs_per_cycle", &Config::fp32MacsPerCycle),
    count("matrix.pipeline_cycles", &Config::matrixPipelineCycles, 0),
    count("vector.lanes", &Config::vectorLanes),
    count("vector.add_cycles", &Config::addCycles),
    count("vector.mul_cycles", &Config::mulCycles),
    count("vector.div_cycles", &Config::divCycles),
    count("vector.sqrt_cycles", &Config::sqrtCycles),
    count("vector.exp_cycles", &Config::expCycles),
    count("vector.issue_cycles", &Config::vectorIssueCycles, 0),
    count("vector.reduction_rows", &Config::vectorReductionRows, 1, 64),
    count("control.dispatch_per_cycle", &Config::dispatchPerCycle),
    count("control.taken_branch_cycles", &Config::takenBranchCycles, 0),
    count("dma.issue_cycles", &Config::dmaIssueCycles, 0),
    real("energy.int8_mac_pj", &Config::int8MacPJ),
    real("energy.fp32_op_pj", &Config::fp32OpPJ),
    real("energy.hbm_byte_pj", &Config::hbmBytePJ),
    real("energy.sram_byte_pj", &Config::sramBytePJ),
    real("energy.static_w", &Config::staticW),
};

/// The keys of kTimingFields, in its order.
constexpr auto kTimingKeys = [] {
  std::array<const char *, std::size(kTimingFields)> keys{};
  for (size_t i = 0; i < keys.size(); ++i)
    keys[i] = kTimingFields[i].key;
  return keys;
}();

void readTimingFields(Reader &r, const json::Object *root, Config &c) {
  for (const TimingField &f : kTimingFields) {
    auto [parent, name] = r.parentOf(root, f.key);
    if (f.count)
      c.*f.count = r.uint(parent, name, f.key, f.min, f.max);
    else
      c.*f.real = r.number(parent, name, f.key, f.realMax);
  }
}

void readBuffers(Reader &r, const json::Object *root, Config &c) {
  const json::Object *buffers = r.object(root, "buffers", "buffers");
  uint64_t uramUsed = c.imemUram, bramUsed = c.accumulatorBram36;
  for (unsigned i = 0; i < kNumBuffers; ++i) {
    std::string path = std::string("buffers.") + kBufferNames[i];
    const json::Object *b = r.object(buffers, kBufferNames[i], path);
    std::string memory = r.string(b, "memory", path + ".memory");
    BufferConfig &buffer = c.buffers[i];
    buffer.blocks = r.uint(b, "blocks", path + ".blocks");
    if (r.failed())
      return;
    if (memory != "uram" && memory != "bram")
      return r.fail(path + ".memory.value",
                    "'" + memory + "' is neither \"uram\" nor \"bram\"");
    buffer.uram = memory == "uram";
    buffer.bytes = buffer.blocks *
                   (buffer.uram ? c.uramBlockBytes() : c.bram36BlockBytes());
    if (buffer.bytes > kMaxBufferBytes)
      return r.fail(path + ".blocks", Twine(buffer.bytes) +
                                          " bytes exceed the 16 MiB an ISA "
                                          "buffer address reaches");
    (buffer.uram ? uramUsed : bramUsed) += buffer.blocks;
  }
  if (uramUsed > c.uram)
    return r.fail("buffers", Twine(uramUsed) +
                                 " URAM blocks (with control.imem_uram) "
                                 "exceed the device's " +
                                 Twine(c.uram));
  // Four unit queues of queues.depth 16-byte instructions.
  uint64_t queueBram =
      4 * llvm::divideCeil(c.queueDepth * 16, c.bram36BlockBytes());
  if (bramUsed + queueBram > c.bram36)
    return r.fail("buffers", Twine(bramUsed + queueBram) +
                                 " BRAM36 blocks exceed the device's " +
                                 Twine(c.bram36));
}

/// Reads and checks every field of the config whose root is `root`.
Config readConfig(Reader &r, const json::Object *root) {
  Config c;
  if (std::optional<StringRef> name = root->getString("name"))
    c.name = name->str();
  else
    r.fail("name", "missing (a string)");
  if (std::optional<int64_t> format = root->getInteger("format");
      !format || *format != 1)
    r.fail("format", "expected 1, the config format this reader knows");

  const json::Object *dev = r.object(root, "device", "device");
  c.part = r.string(dev, "part", "device.part");
  c.dsp = r.uint(dev, "dsp48e2", "device.dsp48e2");
  c.luts = r.uint(dev, "luts", "device.luts");
  c.registers = r.uint(dev, "registers", "device.registers");
  c.uram = r.uint(dev, "uram", "device.uram");
  c.uramBits = r.uint(dev, "uram_bits", "device.uram_bits");
  c.uramDataBits =
      r.uint(dev, "uram_data_bits", "device.uram_data_bits", 8, c.uramBits);
  c.bram36 = r.uint(dev, "bram36", "device.bram36");
  c.bram36Bits = r.uint(dev, "bram36_bits", "device.bram36_bits");
  c.bram36DataBits = r.uint(dev, "bram36_data_bits", "device.bram36_data_bits",
                            8, c.bram36Bits);

  const json::Object *hbm = r.object(root, "hbm", "hbm");
  c.hbmChannels = r.uint(hbm, "channels", "hbm.channels", 1, kMaxChannels);
  c.hbmChannelBytes =
      r.uint(hbm, "channel_bytes", "hbm.channel_bytes", 64, kMaxChannelBytes);
  if (!r.failed() && c.hbmChannelBytes % 64)
    r.fail("hbm.channel_bytes.value", "must be a multiple of 64");

  const json::Object *mx = r.object(root, "matrix", "matrix");
  c.accumulatorBram36 =
      r.uint(mx, "accumulator_bram36", "matrix.accumulator_bram36", 0);

  const json::Object *vec = r.object(root, "vector", "vector");
  c.vectorDsp = r.uint(vec, "dsp", "vector.dsp", 0);

  const json::Object *q = r.object(root, "queues", "queues");
  c.queueDepth = r.uint(q, "depth", "queues.depth");
  c.tokenCapacity = r.uint(q, "token_capacity", "queues.token_capacity");
  const json::Object *ctl = r.object(root, "control", "control");
  c.imemUram = r.uint(ctl, "imem_uram", "control.imem_uram");

  readBuffers(r, root, c);
  const json::Object *dma = r.object(root, "dma", "dma");
  c.hostGBps = r.number(dma, "host_gbps", "dma.host_gbps");
  readTimingFields(r, root, c);
  if (!r.failed() && c.matrixDsp + c.vectorDsp > c.dsp)
    r.fail("matrix.dsp", Twine(c.matrixDsp) + " + vector.dsp " +
                             Twine(c.vectorDsp) + " exceed the device's " +
                             Twine(c.dsp) + " DSPs");
  return c;
}

/// The leaf object at dotted `key` under `root` (`{"value": ...}`), if any.
json::Object *findLeaf(json::Object &root, StringRef key) {
  json::Object *o = &root;
  llvm::SmallVector<StringRef> parts;
  key.split(parts, '.');
  for (StringRef part : parts) {
    if (!o)
      return nullptr;
    o = o->getObject(part);
  }
  return o && o->get("value") ? o : nullptr;
}

llvm::Error error(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

} // namespace

llvm::ArrayRef<const char *> accel::hw::timingOverrideKeys() {
  return kTimingKeys;
}

llvm::Expected<TimingOverride> accel::hw::parseTimingOverride(StringRef text) {
  auto [key, value] = text.split('=');
  key = key.trim();
  value = value.trim();
  if (key.empty() || !text.contains('=') || value.empty())
    return error("what-if '" + text + "': expected KEY=VALUE");
  TimingOverride o;
  o.key = key.str();
  o.text = value.str();
  int64_t i;
  double d;
  if (!value.getAsInteger(10, i))
    o.value = i;
  else if (!value.getAsDouble(d))
    o.value = d;
  else
    return error("what-if " + text + ": '" + value + "' is not a number");
  return o;
}

llvm::Expected<Config>
accel::hw::parseConfig(StringRef text, StringRef fileName,
                       llvm::ArrayRef<TimingOverride> overrides) {
  llvm::Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return error(fileName +
                 ": invalid JSON: " + llvm::toString(parsed.takeError()));
  json::Object *root = parsed->getAsObject();
  if (!root)
    return error(fileName + ": expected a JSON object");
  Reader r(fileName);
  Config c = readConfig(r, root);
  if (r.failed())
    return r.takeError();
  // Each override in turn, the config read and checked again after each.
  std::vector<TimingOverride> applied;
  for (const TimingOverride &o : overrides) {
    std::string label = "what-if " + o.key + "=" + o.text;
    json::Object *leaf = findLeaf(*root, o.key);
    if (!leaf)
      return error(label + ": " + o.key + " is not a field of the config");
    if (!llvm::is_contained(kTimingKeys, StringRef(o.key)))
      return error(label + ": " + o.key +
                   " is not a timing parameter: the compiled code or the "
                   "engine's structure depends on it (compile with a config "
                   "that changes it)");
    if (llvm::any_of(applied,
                     [&](const TimingOverride &a) { return a.key == o.key; }))
      return error(label + ": " + o.key + " is given twice");
    TimingOverride a = o;
    a.configValue = *leaf->get("value");
    (*leaf)["value"] = o.value;
    applied.push_back(std::move(a));
    Reader check(label);
    c = readConfig(check, root);
    if (check.failed())
      return check.takeError();
  }
  c.timingOverrides = std::move(applied);
  return c;
}

llvm::Expected<Config>
accel::hw::loadConfig(StringRef path,
                      llvm::ArrayRef<TimingOverride> overrides) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return error(path + ": cannot read: " + buffer.getError().message());
  return parseConfig((*buffer)->getBuffer(), path, overrides);
}

double Config::hbmBytesPerCycle() const {
  return hbmChannelGBps * 1e9 / (clockMHz * 1e6);
}

double Config::hbmEffectiveBytesPerCycle() const {
  return hbmBytesPerCycle() * hbmEfficiency;
}

uint64_t Config::macsPerCycle(unsigned weightBits) const {
  switch (weightBits) {
  case 2:
    return matrixDsp * macsPerDspW2;
  case 3:
  case 4:
    return matrixDsp * macsPerDspW4;
  case 8:
    return matrixDsp * macsPerDspW8;
  default:
    return 0;
  }
}

double Config::effectiveMacsPerCycle(unsigned weightBits, unsigned n,
                                     unsigned m) const {
  double dense = double(macsPerCycle(weightBits));
  return n ? dense * m / n : dense;
}

uint64_t Config::readBytesPerCycle(unsigned buffer) const {
  // A URAM word is one of 4096 (72 bits); a BRAM36 word one of 1024 (36).
  const BufferConfig &w = buffers[buffer];
  uint64_t wordBits = w.uram ? uramDataBits / 4096 : bram36DataBits / 1024;
  return w.blocks * wordBits / 8;
}
