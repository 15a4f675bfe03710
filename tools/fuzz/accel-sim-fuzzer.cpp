//===- accel-sim-fuzzer.cpp - libFuzzer target: packages + simulator ------===//
//
// Bytes -> (checksums repaired) -> a package file -> sim::Session::open (the package reader, the
// program and metadata checks of accel-sim) -> one call of every entry point
// with a small step budget, functional and timed (accel-sim's default
// --mode=both), then the logits and the token as accel-sim reads them; a
// forward package's (metadata io.max_rows) forward entry is also called
// over a few rows of its inputs, and its outputs read.
// Races are checked as warnings, not errors: the detector sees every access
// and the run goes on past a race (a mutated program rarely keeps its
// tokens right), so the rest of the simulator is still reached.
// Packages without a config section run on configs/u280.json with at most
// kMaxBlocks memory blocks per on-chip buffer (the seeds embed the same
// config, tools/fuzz/make-seeds.py): clearing the full 34 MiB of buffers per
// call would cost more than running the program.
//
// A mutated package almost never keeps its size field and CRCs right, and
// would stop at those checks: the harness first sets the header's file size
// and recomputes the CRC of every section the table places inside the input,
// then the header's (docs/FORMATS.md §5), so mutations reach the contents.
//
//===----------------------------------------------------------------------===//

#include "accel/Hardware/Config.h"
#include "accel/Sim/Host.h"
#include "accel/Sim/Timing.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace accel;

namespace {

/// Instructions per call: enough for the seeds' loops, small enough that an
/// input runs in milliseconds.
constexpr uint64_t kMaxSteps = 20000;
constexpr uint64_t kMaxBlocks = 4;
/// The most bytes of one forward input or output a call writes or reads.
constexpr uint64_t kMaxIoBytes = 1 << 20;

const hw::Config &fallbackConfig() {
  static const hw::Config config = [] {
    llvm::Expected<hw::Config> c = hw::loadConfig(ACCEL_FUZZ_CONFIG);
    if (!c) {
      llvm::errs() << llvm::toString(c.takeError()) << '\n';
      abort();
    }
    for (hw::BufferConfig &buffer : c->buffers) {
      uint64_t blockBytes = buffer.bytes / buffer.blocks;
      buffer.blocks = std::min(buffer.blocks, kMaxBlocks);
      buffer.bytes = buffer.blocks * blockBytes;
    }
    return std::move(*c);
  }();
  return config;
}

/// Session::open reads a path: each input is written to this process's file.
const std::string &packagePath() {
  static const std::string path = [] {
    llvm::SmallString<128> p;
    if (llvm::sys::fs::createTemporaryFile("accel-sim-fuzzer", "accel", p)) {
      llvm::errs() << "cannot create a temporary file\n";
      abort();
    }
    return std::string(p);
  }();
  return path;
}

/// The input with the header's size and the CRCs made to match its bytes.
std::vector<uint8_t> repairChecksums(llvm::ArrayRef<uint8_t> input) {
  namespace endian = llvm::support::endian;
  std::vector<uint8_t> b(input.begin(), input.end());
  if (b.size() < package::kHeaderBytes)
    return b;
  endian::write64le(&b[16], b.size());
  uint64_t count = endian::read32le(&b[12]);
  uint64_t tableEnd = package::kHeaderBytes + package::kEntryBytes * count;
  if (count > package::kNumSectionKinds || tableEnd > b.size())
    return b;
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t *e = &b[package::kHeaderBytes + package::kEntryBytes * i];
    uint64_t offset = endian::read64le(e + 8), size = endian::read64le(e + 16);
    if (size <= b.size() && offset <= b.size() - size)
      endian::write32le(
          e + 24, llvm::crc32(llvm::ArrayRef<uint8_t>(b).slice(offset, size)));
  }
  endian::write32le(&b[24], 0);
  endian::write32le(&b[24],
                    llvm::crc32(llvm::ArrayRef<uint8_t>(b).take_front(tableEnd)));
  return b;
}

/// A forward package (io.max_rows): one call of its forward entry over up
/// to 3 rows of small token ids or floats, then each output's rows.
void callForward(sim::Session &s, sim::RunOptions &options) {
  uint64_t rows = std::min<uint64_t>(s.maxRowCount(), 3);
  std::vector<std::vector<uint8_t>> data;
  for (const sim::IoTensor &input : s.inputs()) {
    if (input.rowBytes > kMaxIoBytes / rows)
      return;
    std::vector<uint8_t> &bytes = data.emplace_back(rows * input.rowBytes);
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4)
      llvm::support::endian::write32le(
          &bytes[i], input.ids ? uint32_t(i / 4 % 3)
                               : llvm::bit_cast<uint32_t>(0.25f * (i / 4 % 7)));
  }
  sim::CallTiming timing;
  options.timing = &timing;
  if (llvm::Error err = s.callForward(rows, data, options))
    llvm::consumeError(std::move(err));
  for (size_t i = 0; i < s.outputs().size(); ++i)
    if (s.outputs()[i].rowBytes <= kMaxIoBytes / rows)
      if (auto out = s.output(i, rows); !out)
        llvm::consumeError(out.takeError());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(packagePath(), ec);
    if (ec)
      abort();
    std::vector<uint8_t> bytes = repairChecksums({data, size});
    os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  }
  llvm::Expected<std::unique_ptr<sim::Session>> session =
      sim::Session::open(packagePath(), &fallbackConfig());
  if (!session) {
    llvm::consumeError(session.takeError());
    return 0;
  }
  sim::Session &s = **session;
  sim::RunOptions options;
  options.maxSteps = kMaxSteps;
  options.timed = true;
  options.races = sim::RaceCheck::Warn;
  const int32_t tokens[] = {1, 2, 3};
  for (const isa::Symbol &symbol : s.program().symbols) {
    if (!symbol.entry)
      continue;
    sim::CallTiming timing;
    options.timing = &timing;
    llvm::ArrayRef<int32_t> in;
    if (s.ioSlot("tokens"))
      in = tokens;
    if (llvm::Error err = s.call(symbol.name, in, 0, options))
      llvm::consumeError(std::move(err));
    if (llvm::Expected<std::vector<float>> logits = s.logits(); !logits)
      llvm::consumeError(logits.takeError());
    if (llvm::Expected<uint32_t> token = s.token(); !token)
      llvm::consumeError(token.takeError());
  }
  if (s.isForward())
    callForward(s, options);
  return 0;
}
