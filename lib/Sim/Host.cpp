//===- Host.cpp - the host side of the program ABI ------------------------===//

#include "accel/Sim/Host.h"

#include "accel/Package/ProgramSections.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/JSON.h"

using namespace accel;
using namespace accel::sim;
using llvm::Twine;

char InputError::ID;

namespace json = llvm::json;

namespace {

const char *const kRegionNames[kNumRegions] = {"weights", "kv", "act", "io"};

llvm::Error metaError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "metadata: " + message);
}

/// A non-negative integer member `key` of `obj` (at `path`).
llvm::Expected<uint64_t> getU64(const json::Object &obj, llvm::StringRef key,
                                const Twine &path) {
  const json::Value *v = obj.get(key);
  std::optional<int64_t> i = v ? v->getAsInteger() : std::nullopt;
  if (!i || *i < 0)
    return metaError(path + "." + key + ": expected a non-negative integer");
  return uint64_t(*i);
}

uint64_t align64(uint64_t x) { return (x + 63) / 64 * 64; }

/// An io slot `{"offset", "bytes", "channel"}` at `path`, inside an io
/// region of `ioBytes` (nullopt: unchecked) on one of `channels` channels.
llvm::Expected<IoSlot> parseSlot(const json::Object &item,
                                 const std::string &path, uint64_t channels,
                                 std::optional<uint64_t> ioBytes) {
  llvm::Expected<uint64_t> offset = getU64(item, "offset", path);
  if (!offset)
    return offset.takeError();
  llvm::Expected<uint64_t> bytes = getU64(item, "bytes", path);
  if (!bytes)
    return bytes.takeError();
  llvm::Expected<uint64_t> channel = getU64(item, "channel", path);
  if (!channel)
    return channel.takeError();
  if (*channel >= channels)
    return metaError(path + ".channel: " + Twine(*channel) +
                     " is not an HBM channel");
  if (ioBytes && *offset + *bytes > *ioBytes)
    return metaError(path + ": [" + Twine(*offset) + ", " +
                     Twine(*offset + *bytes) + ") is outside the io region (" +
                     Twine(*ioBytes) + " bytes, metadata hbm.io)");
  return IoSlot{*offset, *bytes, unsigned(*channel)};
}

} // namespace

llvm::StringRef sim::regionName(Region region) {
  return kRegionNames[unsigned(region)];
}

Session::Session(hw::Config config, isa::Program program)
    : hwConfig(std::move(config)), prog(std::move(program)) {
  std::vector<isa::Instruction> code = prog.code;
  sim = std::make_unique<Simulator>(hwConfig, std::move(code));
}

llvm::Expected<std::unique_ptr<Session>>
Session::open(llvm::StringRef path, const hw::Config *fallbackConfig,
              bool withData, llvm::ArrayRef<hw::TimingOverride> overrides) {
  auto withPath = [&](llvm::Error err) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s: %s",
                                   path.str().c_str(),
                                   llvm::toString(std::move(err)).c_str());
  };
  llvm::Expected<package::Package> pkg = package::Package::open(path);
  if (!pkg)
    return withPath(pkg.takeError());
  llvm::Expected<isa::Program> program = package::readProgram(*pkg);
  if (!program)
    return withPath(program.takeError());
  std::optional<hw::Config> config;
  if (auto section = pkg->get(package::SectionKind::Config)) {
    llvm::StringRef text(reinterpret_cast<const char *>(section->data()),
                         section->size());
    llvm::Expected<hw::Config> parsed =
        hw::parseConfig(text, (path + ": config section").str(), overrides);
    if (!parsed)
      return parsed.takeError();
    config = std::move(*parsed);
  } else if (fallbackConfig) {
    config = *fallbackConfig;
  } else {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "%s: the package has no config section; pass a hardware config",
        path.str().c_str());
  }
  if (program->code.size() > config->imemInstructions())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "%s: %zu instructions do not fit the instruction memory (%llu)",
        path.str().c_str(), program->code.size(),
        (unsigned long long)config->imemInstructions());
  std::unique_ptr<Session> session(
      new Session(std::move(*config), std::move(*program)));
  llvm::StringRef text;
  if (auto section = pkg->get(package::SectionKind::Metadata))
    text = llvm::StringRef(reinterpret_cast<const char *>(section->data()),
                           section->size());
  if (llvm::Error err = session->parseMetadata(*pkg, text, withData))
    return withPath(std::move(err));
  return session;
}

llvm::Error Session::parseMetadata(const package::Package &pkg,
                                   llvm::StringRef text, bool withData) {
  if (text.empty())
    return llvm::Error::success();
  llvm::Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return metaError(llvm::toString(parsed.takeError()));
  const json::Object *meta = parsed->getAsObject();
  if (!meta)
    return metaError("expected a JSON object");

  // Region sizes and bases: the regions one after another from offset 0.
  std::array<uint64_t, kNumRegions> sizes{};
  if (const json::Value *hbm = meta->get("hbm")) {
    const json::Object *obj = hbm->getAsObject();
    if (!obj)
      return metaError("hbm: expected an object");
    for (unsigned r = 0; r < kNumRegions; ++r) {
      if (!obj->get(kRegionNames[r]))
        continue;
      llvm::Expected<uint64_t> v = getU64(*obj, kRegionNames[r], "hbm");
      if (!v)
        return v.takeError();
      sizes[r] = *v;
    }
  }
  uint64_t next = 0;
  for (unsigned r = 0; r < kNumRegions; ++r) {
    bases[r] = next;
    next = align64(next + sizes[r]);
  }
  if (next > hwConfig.hbmChannelBytes)
    return metaError("hbm: the regions need " + Twine(next) +
                     " bytes per channel, a channel has " +
                     Twine(hwConfig.hbmChannelBytes));

  if (const json::Object *model = meta->getObject("model")) {
    for (auto [key, field] : {std::pair("vocab", &vocab),
                              std::pair("max_positions", &maxPositions)}) {
      if (!model->get(key))
        continue;
      llvm::Expected<uint64_t> v = getU64(*model, key, "model");
      if (!v)
        return v.takeError();
      *field = *v;
    }
  }

  // The io slots.
  if (const json::Value *io = meta->get("io")) {
    const json::Object *obj = io->getAsObject();
    if (!obj)
      return metaError("io: expected an object");
    if (obj->get("max_rows"))
      if (llvm::Error err = parseForwardIo(*obj, sizes[3]))
        return err;
    for (auto [name, slot] :
         {std::pair("tokens", &tokensSlot), std::pair("logits", &logitsSlot),
          std::pair("token", &tokenSlot)}) {
      const json::Value *v = obj->get(name);
      if (!v)
        continue;
      const json::Object *item = v->getAsObject();
      std::string path = std::string("io.") + name;
      if (!item)
        return metaError(path + ": expected an object");
      // A decoder's slots are checked when the metadata sizes the region.
      llvm::Expected<IoSlot> parsed =
          parseSlot(*item, path, hwConfig.hbmChannels,
                    sizes[3] ? std::optional(sizes[3]) : std::nullopt);
      if (!parsed)
        return parsed.takeError();
      *slot = *parsed;
    }
  }

  // The placement segments, copied once.
  const json::Value *placement = meta->get("placement");
  if (!placement)
    return llvm::Error::success();
  const json::Array *segments = placement->getAsArray();
  if (!segments)
    return metaError("placement: expected an array");
  Hbm &hbm = sim->machine().hbm;
  for (auto [i, value] : llvm::enumerate(*segments)) {
    std::string path = ("placement[" + Twine(i) + "]").str();
    const json::Object *seg = value.getAsObject();
    if (!seg)
      return metaError(path + ": expected an object");
    std::optional<llvm::StringRef> sectionName = seg->getString("section");
    std::optional<llvm::StringRef> regionStr = seg->getString("region");
    if (!sectionName || !regionStr)
      return metaError(path + ": expected \"section\" and \"region\" names");
    std::optional<llvm::ArrayRef<uint8_t>> data;
    for (uint32_t k = 1; k <= package::kNumSectionKinds; ++k)
      if (package::sectionName(package::SectionKind(k)) == *sectionName)
        data = pkg.get(package::SectionKind(k));
    if (!data && withData)
      return metaError(path + ".section: the package has no section \"" +
                       *sectionName + "\"");
    std::optional<unsigned> region;
    for (unsigned r = 0; r < kNumRegions; ++r)
      if (*regionStr == kRegionNames[r])
        region = r;
    if (!region)
      return metaError(path + ".region: \"" + *regionStr +
                       "\" is not weights, kv, act or io");
    llvm::Expected<uint64_t> offset = getU64(*seg, "offset", path);
    if (!offset)
      return offset.takeError();
    llvm::Expected<uint64_t> bytes = getU64(*seg, "bytes", path);
    if (!bytes)
      return bytes.takeError();
    llvm::Expected<uint64_t> channel = getU64(*seg, "channel", path);
    if (!channel)
      return channel.takeError();
    llvm::Expected<uint64_t> at = getU64(*seg, "region_offset", path);
    if (!at)
      return at.takeError();
    if (*at + *bytes > sizes[*region])
      return metaError(path + ": region offset " + Twine(*at) + " + " +
                       Twine(*bytes) + " bytes is outside the " + *regionStr +
                       " region (" + Twine(sizes[*region]) +
                       " bytes, metadata hbm)");
    if (*channel >= hwConfig.hbmChannels)
      return metaError(path + ".channel: " + Twine(*channel) +
                       " is not an HBM channel");
    if (!data)
      continue;
    if (*offset > data->size() || *bytes > data->size() - *offset)
      return metaError(path + ": [" + Twine(*offset) + ", " +
                       Twine(*offset + *bytes) + ") is outside the " +
                       *sectionName + " section (" + Twine(data->size()) +
                       " bytes)");
    if (!withData)
      continue;
    if (llvm::Error err = hbm.write(unsigned(*channel), bases[*region] + *at,
                                    data->slice(*offset, *bytes)))
      return metaError(path + ": " + llvm::toString(std::move(err)));
  }
  return llvm::Error::success();
}

llvm::Error Session::parseForwardIo(const json::Object &io,
                                    uint64_t ioBytes) {
  llvm::Expected<uint64_t> rows = getU64(io, "max_rows", "io");
  if (!rows)
    return rows.takeError();
  if (*rows == 0)
    return metaError("io.max_rows: 0, a forward call takes at least 1 row");
  maxRows = *rows;
  for (auto [key, list] : {std::pair("inputs", &forwardInputs),
                           std::pair("outputs", &forwardOutputs)}) {
    const json::Array *items = io.getArray(key);
    if (!items || items->empty())
      return metaError(Twine("io.") + key +
                       ": expected a non-empty array (the graph's " + key +
                       ")");
    for (auto [i, value] : llvm::enumerate(*items)) {
      std::string path = ("io." + Twine(key) + "[" + Twine(i) + "]").str();
      const json::Object *item = value.getAsObject();
      if (!item)
        return metaError(path + ": expected an object");
      IoTensor t;
      // Every slot lies in the io region the metadata sizes.
      llvm::Expected<IoSlot> slot =
          parseSlot(*item, path, hwConfig.hbmChannels, ioBytes);
      if (!slot)
        return slot.takeError();
      t.slot = *slot;
      llvm::Expected<uint64_t> rowBytes = getU64(*item, "row_bytes", path);
      if (!rowBytes)
        return rowBytes.takeError();
      t.rowBytes = *rowBytes;
      std::optional<llvm::StringRef> name = item->getString("name");
      std::optional<llvm::StringRef> dtype = item->getString("dtype");
      if (!name || !dtype || (*dtype != "f32" && *dtype != "i32"))
        return metaError(path + ": expected a \"name\" and a \"dtype\" "
                                "(f32 or i32)");
      t.name = name->str();
      t.ids = *dtype == "i32";
      if (t.rowBytes == 0 || t.rowBytes % 4 != 0 || (t.ids && t.rowBytes != 4))
        return metaError(path + ".row_bytes: " + Twine(t.rowBytes) +
                         " is not a row of " + *dtype +
                         (t.ids ? " (4 bytes: one token id)"
                                : " (a non-zero multiple of 4)"));
      if (t.rowBytes > t.slot.bytes / *maxRows)
        return metaError(path + ": " + Twine(*maxRows) + " rows of " +
                         Twine(t.rowBytes) + " bytes (io.max_rows) do not " +
                         "fit its " + Twine(t.slot.bytes) + " bytes");
      list->push_back(std::move(t));
    }
  }
  return llvm::Error::success();
}

const std::optional<IoSlot> &Session::ioSlot(llvm::StringRef name) const {
  if (name == "tokens")
    return tokensSlot;
  if (name == "logits")
    return logitsSlot;
  return tokenSlot;
}

llvm::Expected<uint32_t> Session::entry(llvm::StringRef name) const {
  std::string names;
  for (const isa::Symbol &s : prog.symbols) {
    if (!s.entry)
      continue;
    if (s.name == name)
      return s.index;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(), "no entry point \"%s\" (entries: %s)",
      name.str().c_str(), names.empty() ? "none" : names.c_str());
}

llvm::Error Session::call(llvm::StringRef name, llvm::ArrayRef<int32_t> tokens,
                          uint32_t position, const RunOptions &options,
                          RunStats *stats) {
  llvm::Expected<uint32_t> index = entry(name);
  if (!index)
    return index.takeError();
  uint64_t last = uint64_t(position) + (tokens.empty() ? 0 : tokens.size() - 1);
  if (maxPositions && last >= *maxPositions)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "position %llu is past the model's positions [0, %llu) (metadata "
        "model.max_positions: the RoPE table, position table or cache the "
        "model was compiled with; recompile with a larger --max-context)",
        (unsigned long long)last, (unsigned long long)*maxPositions);
  Machine &m = sim->machine();
  m.resetForCall();
  if (!tokens.empty()) {
    if (!tokensSlot)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "the metadata names no io.tokens slot for the input token ids");
    if (4 * tokens.size() > tokensSlot->bytes)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "%zu token ids do not fit io.tokens (%llu bytes)", tokens.size(),
          (unsigned long long)tokensSlot->bytes);
    std::vector<uint8_t> bytes(4 * tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (llvm::Error err = checkTokenId(tokens[i], "input " + Twine(i)))
        return err;
      storeU32(bytes.data() + 4 * i, uint32_t(tokens[i]));
    }
    if (llvm::Error err = m.hbm.write(
            tokensSlot->channel,
            bases[unsigned(Region::Io)] + tokensSlot->offset, bytes))
      return err;
  }
  return run(*index, tokens.size(), position, options, stats);
}

llvm::Error Session::checkTokenId(int32_t id, const Twine &where) const {
  if (!vocab || (id >= 0 && uint64_t(id) < *vocab))
    return llvm::Error::success();
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "token id " + Twine(id) + " (" + where +
          ") is not in the model's vocabulary [0, " + Twine(*vocab) +
          ") (metadata model.vocab)");
}

llvm::Error Session::run(uint32_t index, uint64_t count, uint32_t position,
                         const RunOptions &options, RunStats *stats) {
  Machine &m = sim->machine();
  for (unsigned r = 0; r < kNumRegions; ++r)
    m.regs[1 + r] = uint32_t(bases[r]);
  m.regs[5] = uint32_t(count);
  m.regs[6] = position;
  m.regs[7] = 1;
  RunOptions named = options;
  named.symbols = prog.symbols;
  if (named.maxSteps == 0)
    named.maxSteps = defaultStepLimit(prog.code.size(), count, position);
  return sim->run(index, named, stats);
}

llvm::Expected<uint64_t> Session::inputRows(size_t index,
                                            uint64_t bytes) const {
  auto error = [](const Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   message.str());
  };
  uint64_t rowBytes = forwardInputs[index].rowBytes;
  if (bytes == 0 || bytes % rowBytes != 0)
    return error(Twine(bytes) + " bytes are not whole rows of " +
                 Twine(rowBytes));
  if (bytes / rowBytes > maxRowCount())
    return error(Twine(bytes / rowBytes) + " rows: a call takes 1 to " +
                 Twine(maxRowCount()) +
                 " rows (metadata io.max_rows: the graph's rows)");
  return bytes / rowBytes;
}

llvm::Error Session::callForward(uint64_t rows,
                                 llvm::ArrayRef<std::vector<uint8_t>> data,
                                 const RunOptions &options, RunStats *stats) {
  auto error = [](const Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   message.str());
  };
  if (!maxRows)
    return error("the package has no forward entry (metadata io.max_rows)");
  llvm::Expected<uint32_t> index = entry("forward");
  if (!index)
    return index.takeError();
  if (data.size() != forwardInputs.size())
    return error(Twine(data.size()) + " inputs given, the graph has " +
                 Twine(forwardInputs.size()));
  Machine &m = sim->machine();
  m.resetForCall();
  for (auto [i, t, bytes] : llvm::enumerate(forwardInputs, data)) {
    llvm::Expected<uint64_t> given = inputRows(i, bytes.size());
    if (!given)
      return llvm::make_error<InputError>(
          i, "input '" + t.name + "': " + llvm::toString(given.takeError()));
    if (*given != rows)
      return llvm::make_error<InputError>(
          i, ("input '" + t.name + "': " + Twine(*given) +
              " rows, not the call's " + Twine(rows) +
              " (every input takes the same rows)")
                 .str());
    for (size_t row = 0; t.ids && row < rows; ++row)
      if (llvm::Error err =
              checkTokenId(int32_t(loadU32(bytes.data() + 4 * row)),
                           "input '" + t.name + "', row " + Twine(row)))
        return llvm::make_error<InputError>(i, llvm::toString(std::move(err)));
    if (llvm::Error err = m.hbm.write(
            t.slot.channel, bases[unsigned(Region::Io)] + t.slot.offset,
            bytes))
      return err;
  }
  return run(*index, rows, 0, options, stats);
}

llvm::Expected<std::vector<uint8_t>> Session::output(size_t index,
                                                     uint64_t rows) {
  if (index >= forwardOutputs.size() ||
      rows * forwardOutputs[index].rowBytes > forwardOutputs[index].slot.bytes)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no output %zu of %llu rows", index,
                                   (unsigned long long)rows);
  const IoTensor &t = forwardOutputs[index];
  std::vector<uint8_t> bytes(rows * t.rowBytes);
  if (llvm::Error err = sim->machine().hbm.read(
          t.slot.channel, bases[unsigned(Region::Io)] + t.slot.offset, bytes))
    return std::move(err);
  return bytes;
}

llvm::Expected<std::vector<float>> Session::logits() {
  if (!logitsSlot)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the metadata names no io.logits slot");
  std::vector<uint8_t> bytes(logitsSlot->bytes / 4 * 4);
  if (llvm::Error err = sim->machine().hbm.read(
          logitsSlot->channel, bases[unsigned(Region::Io)] + logitsSlot->offset,
          bytes))
    return std::move(err);
  std::vector<float> out(bytes.size() / 4);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = loadF32(bytes.data() + 4 * i);
  return out;
}

llvm::Expected<uint32_t> Session::token() {
  if (!tokenSlot || tokenSlot->bytes < 4)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the metadata names no io.token slot");
  uint8_t bytes[4];
  if (llvm::Error err = sim->machine().hbm.read(
          tokenSlot->channel, bases[unsigned(Region::Io)] + tokenSlot->offset,
          bytes))
    return std::move(err);
  return loadU32(bytes);
}
