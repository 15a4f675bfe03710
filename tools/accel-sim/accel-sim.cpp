//===- accel-sim.cpp - run a package on the simulated engine --------------===//
//
//   accel-sim model.accel --prompt-ids=1,2,3 --max-new-tokens=N
//       prefill entry over the prompt, then the decode entry per new token
//       (greedy), printing the generated token ids
//   accel-sim prog.accel --entry=NAME [--prompt-ids=...] [--position=P]
//       one call of an entry point
//   accel-sim graph.accel --input=x=x.f32 --output=y=y.f32
//       a forward package (a graph without attention): its entry over the
//       input files' rows, the outputs' rows written to files (raw fp32)
//   --mode=functional|timing|both (default both): the timing model of
//   docs/ENGINE.md §6 prints a summary after the run; --report=FILE.json,
//   --trace=FILE.json (Chrome/Perfetto), --logits-out=FILE (raw fp32)
//   --dump-regs, --dump=SPACE:ADDR:BYTES[:FMT] (SPACE a buffer or hbmN),
//   --trace-insns, --max-steps=N, --config=FILE (when the package has none),
//   --threads=N (the functional matrix unit's threads; default every core),
//   --what-if=KEY=VALUE,... (time the run with config fields that only the
//   timing model reads changed)
//   --races=error|warn|off (default error): races between units (ISA §3)
//
// Errors (a corrupt package, a fault, a deadlock, a runaway, a race) are one
// line on stderr and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "accel/Hardware/Config.h"
#include "accel/ISA/AsmPrinter.h"
#include "accel/Sim/Host.h"
#include "accel/Sim/Numerics.h"
#include "accel/Sim/Report.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace accel;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("accel-sim options");
cl::opt<std::string> packagePath(cl::Positional, cl::Required,
                                 cl::desc("<package.accel>"),
                                 cl::cat(category));
cl::opt<std::string> entryName("entry", cl::desc("Run this entry point once"),
                               cl::value_desc("name"), cl::cat(category));
cl::opt<std::string> promptIds("prompt-ids",
                               cl::desc("Input token ids, comma-separated"),
                               cl::value_desc("ids"), cl::cat(category));
cl::opt<std::string> promptText(
    "prompt",
    cl::desc("Input text, tokenized with the package's tokenizer (a "
             "byte-level one: {\"type\": \"bytes\"}); the output is "
             "printed as text too"),
    cl::value_desc("text"), cl::init(""), cl::cat(category));
cl::opt<unsigned> maxNewTokens("max-new-tokens",
                               cl::desc("Tokens to generate (greedy)"),
                               cl::init(0), cl::cat(category));
cl::opt<std::string> prefillEntry("prefill-entry",
                                  cl::desc("Entry point of the prompt"),
                                  cl::init("prefill"), cl::cat(category));
cl::opt<std::string> decodeEntry("decode-entry",
                                 cl::desc("Entry point of one decode step"),
                                 cl::init("decode"), cl::cat(category));
cl::opt<unsigned> position("position",
                           cl::desc("r6 of an --entry call (default 0)"),
                           cl::init(0), cl::cat(category));
cl::opt<std::string>
    configPath("config", cl::desc("Hardware config, for a package without one"),
               cl::value_desc("file"), cl::cat(category));
// Its description lists hw::timingOverrideKeys(), set in main.
cl::list<std::string> whatIf("what-if", cl::value_desc("key=value"),
                             cl::CommaSeparated, cl::cat(category));
cl::opt<bool> dumpRegs("dump-regs",
                       cl::desc("Print the registers after the run"),
                       cl::cat(category));
cl::list<std::string>
    dumps("dump",
          cl::desc("Print memory after the run: SPACE:ADDR:BYTES[:FMT], SPACE "
                   "a buffer (wgt act kv scr prm) or hbmN (channel N, "
                   "absolute offset), FMT x32 (default), f32, i32 or x8"),
          cl::value_desc("spec"), cl::cat(category));
cl::opt<bool> traceInsns("trace-insns",
                         cl::desc("Print each executed instruction"),
                         cl::cat(category));
cl::opt<uint64_t> maxSteps(
    "max-steps",
    cl::desc("Stop a runaway call after this many executed instructions "
             "(default 0: 16 x code size x (tokens + 1 + (position + "
             "tokens) / 256), at least 2^24)"),
    cl::init(0), cl::cat(category));

enum class Mode { Functional, Timing, Both };
cl::opt<Mode> mode(
    "mode", cl::desc("What to simulate"), cl::init(Mode::Both),
    cl::values(clEnumValN(Mode::Functional, "functional",
                          "the data only (no timing)"),
               clEnumValN(Mode::Timing, "timing",
                          "the timing only: no data effects, no weights "
                          "needed (lds of loaded values reads 0)"),
               clEnumValN(Mode::Both, "both", "data and timing (default)")),
    cl::cat(category));
cl::opt<sim::RaceCheck> races(
    "races",
    cl::desc("Races between units (docs/ISA.md §3 Ordering) in the data "
             "modes"),
    cl::init(sim::RaceCheck::Error),
    cl::values(clEnumValN(sim::RaceCheck::Error, "error",
                          "the first race is an error (default)"),
               clEnumValN(sim::RaceCheck::Warn, "warn",
                          "a warning per pair of instructions, then go on"),
               clEnumValN(sim::RaceCheck::Off, "off", "not checked")),
    cl::cat(category));
cl::opt<std::string> reportPath("report",
                                cl::desc("Write the timing report as JSON "
                                         "('-': stdout)"),
                                cl::value_desc("file.json"), cl::cat(category));
cl::opt<std::string> tracePath("trace",
                               cl::desc("Write the instruction timeline as a "
                                        "Chrome/Perfetto trace"),
                               cl::value_desc("file.json"), cl::cat(category));
cl::opt<uint64_t> traceLimit("trace-limit",
                             cl::desc("Instructions kept in the trace "
                                      "(default 1048576; later ones are "
                                      "dropped)"),
                             cl::init(uint64_t(1) << 20), cl::cat(category));
cl::opt<std::string>
    logitsOut("logits-out",
              cl::desc("Write the last call's logits as raw little-endian "
                       "fp32"),
              cl::value_desc("file"), cl::cat(category));
cl::list<std::string> inputFiles(
    "input",
    cl::desc("A forward package's input: NAME=FILE, its rows as raw "
             "little-endian fp32 (int32 for token ids); the call takes the "
             "rows the files hold"),
    cl::value_desc("name=file"), cl::cat(category));
cl::list<std::string> outputFiles(
    "output",
    cl::desc("Write a forward package's output NAME's rows to FILE as raw "
             "little-endian fp32"),
    cl::value_desc("name=file"), cl::cat(category));
cl::opt<bool> printIo(
    "print-io",
    cl::desc("Print a forward package's inputs and outputs as JSON (max_rows; "
             "each name, dtype and row_bytes, as the metadata was checked; "
             "{} for a decoder) and run nothing"),
    cl::cat(category));
cl::opt<bool> noSummary("no-summary",
                        cl::desc("Do not print the timing summary"),
                        cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::outs().flush();
  llvm::WithColor::error(llvm::errs(), "accel-sim") << message << '\n';
  return 1;
}

/// The package's tokenizer, if it has one: only byte-level tokenizers
/// (`{"type": "bytes"}`: token i is byte i) are understood.
llvm::Expected<bool> byteTokenizer(llvm::StringRef path) {
  llvm::Expected<package::Package> pkg = package::Package::open(path);
  if (!pkg)
    return pkg.takeError();
  std::optional<llvm::ArrayRef<uint8_t>> section =
      pkg->get(package::SectionKind::Tokenizer);
  if (!section)
    return false;
  llvm::StringRef text(reinterpret_cast<const char *>(section->data()),
                       section->size());
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s: tokenizer section: not JSON: %s",
                                   path.str().c_str(),
                                   llvm::toString(json.takeError()).c_str());
  const llvm::json::Object *object = json->getAsObject();
  std::optional<llvm::StringRef> type =
      object ? object->getString("type") : std::nullopt;
  if (!type || *type != "bytes")
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "%s: tokenizer section: not a byte-level tokenizer (\"type\": "
        "\"bytes\"); give --prompt-ids",
        path.str().c_str());
  return true;
}

/// Bytes as text, with what is not printable ASCII escaped.
std::string bytesAsText(llvm::ArrayRef<uint32_t> tokens) {
  std::string text;
  for (uint32_t t : tokens) {
    if ((t >= 0x20 && t < 0x7f) || t == '\n')
      text += char(t);
    else
      text += llvm::formatv("\\x{0:x-2}", t).str();
  }
  return text;
}

llvm::Expected<std::vector<int32_t>> parseIds(llvm::StringRef text) {
  std::vector<int32_t> ids;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef part : parts) {
    int64_t v;
    if (part.trim().getAsInteger(10, v) || v < 0 || v > INT32_MAX)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "--prompt-ids: '%s' is not a token id",
                                     part.str().c_str());
    ids.push_back(int32_t(v));
  }
  return ids;
}

llvm::Error dumpMemory(sim::Machine &m, llvm::StringRef spec) {
  auto bad = [&](const char *why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--dump=%s: %s", spec.str().c_str(), why);
  };
  llvm::SmallVector<llvm::StringRef> parts;
  spec.split(parts, ':');
  if (parts.size() < 3 || parts.size() > 4)
    return bad("expected SPACE:ADDR:BYTES[:FMT]");
  uint64_t addr, bytes;
  if (parts[1].getAsInteger(0, addr) || parts[2].getAsInteger(0, bytes))
    return bad("ADDR and BYTES are integers");
  llvm::StringRef fmt = parts.size() == 4 ? parts[3] : "x32";
  unsigned width = fmt == "x8" ? 1 : 4;
  if (fmt != "x8" && fmt != "x32" && fmt != "f32" && fmt != "i32")
    return bad("FMT is x32, f32, i32 or x8");
  if (bytes % width)
    return bad("BYTES is not a multiple of the element size");
  std::vector<uint8_t> data(bytes);
  llvm::StringRef space = parts[0];
  if (space.consume_front("hbm")) {
    unsigned channel;
    if (space.getAsInteger(10, channel))
      return bad("hbmN names channel N");
    if (llvm::Error err = m.hbm.read(channel, addr, data))
      return err;
  } else {
    std::optional<unsigned> buffer;
    for (unsigned b = 0; b < isa::kNumBuffers; ++b)
      if (isa::bufferName(isa::Buffer(b)) == space)
        buffer = b;
    if (!buffer)
      return bad("SPACE is wgt, act, kv, scr, prm or hbmN");
    llvm::Expected<uint8_t *> p =
        m.buffers.span(*buffer, addr, bytes, sim::Use::Read);
    if (!p)
      return p.takeError();
    std::memcpy(data.data(), *p, bytes);
  }
  for (uint64_t i = 0; i < bytes; i += width) {
    llvm::outs() << parts[0] << "+" << llvm::format_hex(addr + i, 1) << ": ";
    uint32_t word = width == 1 ? data[i] : sim::loadU32(data.data() + i);
    if (fmt == "x8")
      llvm::outs() << llvm::format_hex(word, 4);
    else if (fmt == "x32")
      llvm::outs() << llvm::format_hex(word, 10);
    else if (fmt == "i32")
      llvm::outs() << int32_t(word);
    else
      llvm::outs() << isa::formatF32(word);
    llvm::outs() << '\n';
  }
  return llvm::Error::success();
}

/// `--input` and `--output`'s NAME=FILE: the index of the package's input
/// or output NAME (of `tensors`) and the file.
llvm::Expected<std::pair<size_t, std::string>>
namedFile(llvm::StringRef flag, llvm::StringRef spec,
          llvm::ArrayRef<sim::IoTensor> tensors) {
  auto [name, file] = spec.split('=');
  std::string names;
  for (auto [i, t] : llvm::enumerate(tensors)) {
    if (t.name == name && !file.empty())
      return std::pair(i, file.str());
    names += (names.empty() ? "" : ", ") + t.name;
  }
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "--%s=%s: expected NAME=FILE, NAME one of the package's %s (%s)",
      flag.str().c_str(), spec.str().c_str(), flag.str().c_str(),
      names.c_str());
}

/// The bytes of `--input=spec`'s FILE, rows of the session's input `index`
/// (Session::inputRows): a regular file, checked before it is read.
llvm::Expected<std::vector<uint8_t>> readInput(llvm::StringRef spec,
                                               llvm::StringRef file,
                                               const sim::Session &s,
                                               size_t index) {
  auto error = [&](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   ("--input=" + spec + ": " + message).str());
  };
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(file, status))
    return error(ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return error("not a regular file");
  uint64_t size = status.getSize();
  if (llvm::Expected<uint64_t> rows = s.inputRows(index, size); !rows)
    return error(llvm::toString(rows.takeError()));
  // The size checked, not what the file may have grown to since.
  auto buffer = llvm::MemoryBuffer::getFileSlice(file, size, 0,
                                                 /*IsVolatile=*/true);
  if (!buffer)
    return error(buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

/// A forward package's call: the rows of every input from its --input
/// file (the Session checks that each gives the same rows; its error about
/// an input names that input's --input).
llvm::Error callForward(sim::Session &s, sim::RunReport &report,
                        sim::RunOptions &options) {
  auto error = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   message.str());
  };
  std::vector<std::vector<uint8_t>> data(s.inputs().size());
  std::vector<std::string> specs(s.inputs().size());
  uint64_t rows = 0;
  for (const std::string &spec : inputFiles) {
    llvm::Expected<std::pair<size_t, std::string>> named =
        namedFile("input", spec, s.inputs());
    if (!named)
      return named.takeError();
    auto [index, file] = *named;
    const sim::IoTensor &t = s.inputs()[index];
    if (!specs[index].empty())
      return error("--input=" + spec + ": input '" + t.name +
                   "' is given twice");
    llvm::Expected<std::vector<uint8_t>> bytes = readInput(spec, file, s, index);
    if (!bytes)
      return bytes.takeError();
    if (!rows)
      rows = bytes->size() / t.rowBytes;
    data[index] = std::move(*bytes);
    specs[index] = spec;
  }
  for (auto [t, spec] : llvm::zip(s.inputs(), specs))
    if (spec.empty())
      return error("give the package's input '" + t.name +
                   "' with --input=" + t.name + "=FILE");
  sim::CallTiming &t = report.calls.emplace_back();
  t.entry = "forward";
  t.tokens = uint32_t(rows);
  options.timing = &t;
  return llvm::handleErrors(s.callForward(rows, data, options),
                            [&](const sim::InputError &e) {
                              return error("--input=" + specs[e.index] +
                                           ": " + e.message);
                            });
}

/// --print-io: the forward package's io as the Session read it.
void printForwardIo(const sim::Session &s) {
  llvm::json::OStream json(llvm::outs());
  json.object([&] {
    if (!s.isForward())
      return;
    json.attribute("max_rows", s.maxRowCount());
    for (auto [key, tensors] : {std::pair("inputs", &s.inputs()),
                                std::pair("outputs", &s.outputs())})
      json.attributeArray(key, [&] {
        for (const sim::IoTensor &t : *tensors)
          json.object([&] {
            json.attribute("name", t.name);
            json.attribute("dtype", t.ids ? "i32" : "f32");
            json.attribute("row_bytes", t.rowBytes);
          });
      });
  });
  llvm::outs() << '\n';
}

void printRegs(const sim::Machine &m) {
  for (unsigned r = 0; r < isa::kNumRegisters; ++r)
    llvm::outs() << llvm::format("r%-2u = ", r)
                 << llvm::format_hex(m.regs[r], 10) << " ("
                 << int32_t(m.regs[r]) << ")\n";
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM registers an undocumented `threads` option of its own; this
  // tool's takes its name (so it is made here, after that one is removed).
  if (cl::Option *other = cl::getRegisteredOptions().lookup("threads"))
    other->removeArgument();
  cl::opt<unsigned> threads(
      "threads",
      cl::desc("Threads of the functional matrix unit (default 0: every "
               "core); the results are the same for any count"),
      cl::init(0), cl::cat(category));
  std::string whatIfHelp =
      "Time the run with a config field changed, KEY=VALUE (repeatable or "
      "comma-separated; needs --mode=timing or both), KEY one of the fields "
      "only the timing model reads: " +
      llvm::join(hw::timingOverrideKeys(), ", ");
  whatIf.setDescription(whatIfHelp);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "accel engine simulator\n");

  if (threads)
    llvm::parallel::strategy = llvm::hardware_concurrency(threads);
  bool timed = mode != Mode::Functional;
  bool data = mode != Mode::Timing;
  if (!timed && (!reportPath.empty() || !tracePath.empty()))
    return fail("--report and --trace need --mode=timing or both");
  if (!data && !logitsOut.empty())
    return fail("--logits-out needs the data: --mode=functional or both");
  if (!data && !outputFiles.empty())
    return fail("--output needs the data: --mode=functional or both");
  if (!timed && !whatIf.empty())
    return fail("--what-if changes only the timing model: it needs "
                "--mode=timing or both");
  std::vector<hw::TimingOverride> overrides;
  for (const std::string &text : whatIf) {
    llvm::Expected<hw::TimingOverride> o = hw::parseTimingOverride(text);
    if (!o)
      return fail(llvm::toString(o.takeError()));
    overrides.push_back(std::move(*o));
  }

  std::optional<hw::Config> fallback;
  if (!configPath.empty()) {
    llvm::Expected<hw::Config> c = hw::loadConfig(configPath, overrides);
    if (!c)
      return fail(llvm::toString(c.takeError()));
    fallback = std::move(*c);
  }
  llvm::Expected<std::unique_ptr<sim::Session>> session =
      sim::Session::open(packagePath, fallback ? &*fallback : nullptr,
                         /*withData=*/data && !printIo, overrides);
  if (!session)
    return fail(llvm::toString(session.takeError()));
  if (printIo) {
    printForwardIo(**session);
    return 0;
  }
  llvm::Expected<std::vector<int32_t>> ids = parseIds(promptIds);
  if (!ids)
    return fail(llvm::toString(ids.takeError()));
  if (!promptText.empty()) {
    if (!promptIds.empty())
      return fail("give --prompt or --prompt-ids, not both");
    llvm::Expected<bool> bytes = byteTokenizer(packagePath);
    if (!bytes)
      return fail(llvm::toString(bytes.takeError()));
    if (!*bytes)
      return fail("--prompt needs a package with a tokenizer (accelc "
                  "--tokenizer=FILE)");
    for (unsigned char c : promptText)
      ids->push_back(c);
  }

  sim::Session &s = **session;
  sim::RunReport report;
  report.config = &s.config();
  report.package = packagePath;
  report.mode = mode == Mode::Both ? "both" : "timing";
  report.prefillEntry = prefillEntry;
  sim::Timeline timeline;
  timeline.limit = traceLimit;

  sim::RunOptions options;
  options.maxSteps = maxSteps;
  options.timed = timed;
  options.data = data;
  options.races = races;
  options.warnings = &llvm::errs();
  if (!tracePath.empty())
    options.timeline = &timeline;
  if (traceInsns)
    options.trace = &llvm::outs();
  auto call = [&](llvm::StringRef entry, llvm::ArrayRef<int32_t> tokens,
                  uint32_t at) {
    sim::CallTiming &t = report.calls.emplace_back();
    t.entry = entry.str();
    t.position = at;
    t.tokens = uint32_t(tokens.size());
    options.timing = &t;
    return s.call(entry, tokens, at, options);
  };

  // --output's outputs, named before the run.
  std::vector<std::pair<size_t, std::string>> outputs;
  if (s.isForward()) {
    if (!ids->empty() || maxNewTokens || !logitsOut.empty() ||
        (!entryName.empty() && entryName != "forward"))
      return fail("a forward package runs its graph over --input rows; "
                  "--prompt-ids, --prompt, --max-new-tokens, --logits-out "
                  "and other entries are for decoders");
    for (const std::string &spec : outputFiles) {
      llvm::Expected<std::pair<size_t, std::string>> named =
          namedFile("output", spec, s.outputs());
      if (!named)
        return fail(llvm::toString(named.takeError()));
      outputs.push_back(std::move(*named));
    }
    if (llvm::Error err = callForward(s, report, options))
      return fail(llvm::toString(std::move(err)));
  } else if (!inputFiles.empty() || !outputFiles.empty()) {
    return fail("--input and --output are for a forward package (accelc of "
                "a graph without attention)");
  } else if (!entryName.empty()) {
    if (maxNewTokens)
      return fail("--entry runs one call; --max-new-tokens needs the "
                  "prefill and decode entries");
    if (llvm::Error err = call(entryName, *ids, position))
      return fail(llvm::toString(std::move(err)));
    if (s.ioSlot("token"))
      if (llvm::Expected<uint32_t> t = s.token())
        llvm::outs() << "token: " << *t << '\n';
  } else {
    if (ids->empty())
      return fail("give --entry=NAME, or --prompt-ids to generate");
    std::vector<uint32_t> generated;
    uint32_t length = uint32_t(ids->size());
    if (llvm::Error err = call(prefillEntry, *ids, 0))
      return fail(prefillEntry + ": " + llvm::toString(std::move(err)));
    for (unsigned i = 0; i < maxNewTokens; ++i) {
      llvm::Expected<uint32_t> t = s.token();
      if (!t)
        return fail(llvm::toString(t.takeError()));
      generated.push_back(*t);
      if (i + 1 == maxNewTokens)
        break;
      int32_t next = int32_t(*t);
      if (llvm::Error err = call(decodeEntry, next, length))
        return fail(decodeEntry + " at position " + llvm::Twine(length) + ": " +
                    llvm::toString(std::move(err)));
      ++length;
    }
    llvm::outs() << "tokens:";
    for (uint32_t t : generated)
      llvm::outs() << ' ' << t;
    llvm::outs() << '\n';
    if (!promptText.empty())
      llvm::outs() << "text: " << promptText << bytesAsText(generated)
                   << '\n';
    report.promptTokens = uint32_t(ids->size());
    report.generated = std::move(generated);
  }

  // Each output file is renamed into place whole; if a later one cannot be
  // written, the earlier ones of this run are removed too.
  std::vector<std::string> written;
  auto failWriting = [&](const llvm::Twine &message) {
    for (const std::string &path : written)
      if (path != "-")
        llvm::sys::fs::remove(path);
    return fail(message);
  };
  if (!logitsOut.empty()) {
    llvm::Expected<std::vector<float>> logits = s.logits();
    if (!logits)
      return fail(llvm::toString(logits.takeError()));
    llvm::Error err =
        llvm::writeToOutput(logitsOut, [&](llvm::raw_ostream &os) {
          for (float v : *logits) {
            uint8_t bytes[4];
            sim::storeF32(bytes, v);
            os.write(reinterpret_cast<const char *>(bytes), 4);
          }
          return llvm::Error::success();
        });
    if (err)
      return fail("--logits-out: " + llvm::toString(std::move(err)));
    written.push_back(logitsOut);
  }
  for (auto [index, file] : outputs) {
    llvm::Expected<std::vector<uint8_t>> rows =
        s.output(index, report.calls.back().tokens);
    if (!rows)
      return failWriting(llvm::toString(rows.takeError()));
    if (llvm::Error err = llvm::writeToOutput(file, [&](llvm::raw_ostream &os) {
          os.write(reinterpret_cast<const char *>(rows->data()), rows->size());
          return llvm::Error::success();
        }))
      return failWriting("--output=" + s.outputs()[index].name + "=" + file +
                         ": " + llvm::toString(std::move(err)));
    written.push_back(file);
  }
  if (timed) {
    report.traceTruncated = timeline.truncated;
    if (!noSummary)
      sim::printSummary(llvm::outs(), report);
    if (!reportPath.empty()) {
      if (llvm::Error err = sim::writeJson(reportPath, sim::reportJson(report)))
        return failWriting("--report: " + llvm::toString(std::move(err)));
      written.push_back(reportPath);
    }
    if (!tracePath.empty())
      if (llvm::Error err = sim::writeTrace(tracePath, timeline, s.config()))
        return failWriting("--trace: " + llvm::toString(std::move(err)));
  }

  if (dumpRegs)
    printRegs(s.simulator().machine());
  for (const std::string &spec : dumps)
    if (llvm::Error err = dumpMemory(s.simulator().machine(), spec))
      return fail(llvm::toString(std::move(err)));
  return 0;
}
