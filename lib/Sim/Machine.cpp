//===- Machine.cpp - the engine's architectural state ---------------------===//

#include "accel/Sim/Machine.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"

#include <algorithm>

using namespace accel;
using namespace accel::sim;
using llvm::Twine;

llvm::Error sim::fault(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string sim::hex(uint64_t value) {
  return "0x" + llvm::utohexstr(value, /*LowerCase=*/true);
}

//===----------------------------------------------------------------------===//
// HBM
//===----------------------------------------------------------------------===//

Hbm::Hbm(unsigned channels, uint64_t channelBytes)
    : numChannels(channels), bytesPerChannel(channelBytes), pages(channels) {}

llvm::Error Hbm::check(unsigned channel, uint64_t offset, uint64_t size) const {
  if (channel >= numChannels)
    return fault("HBM channel " + Twine(channel) + " does not exist (" +
                 Twine(numChannels) + " channels)");
  if (offset > bytesPerChannel || size > bytesPerChannel - offset)
    return fault("HBM range [" + hex(offset) + ", " + hex(offset + size) +
                 ") of channel " + Twine(channel) + " is past the channel's " +
                 Twine(bytesPerChannel) + " bytes");
  return llvm::Error::success();
}

llvm::Error Hbm::read(unsigned channel, uint64_t offset,
                      llvm::MutableArrayRef<uint8_t> out) const {
  if (llvm::Error err = check(channel, offset, out.size()))
    return err;
  if (log && !out.empty())
    log->push_back(
        {offset, offset + out.size(), isa::kNumBuffers + channel, Use::Read});
  const auto &map = pages[channel];
  uint64_t done = 0;
  while (done < out.size()) {
    uint64_t at = offset + done, page = at / kPageBytes,
             within = at % kPageBytes;
    uint64_t n = std::min<uint64_t>(kPageBytes - within, out.size() - done);
    auto it = map.find(page);
    if (it == map.end())
      std::memset(out.data() + done, 0, n);
    else
      std::memcpy(out.data() + done, it->second.get() + within, n);
    done += n;
  }
  return llvm::Error::success();
}

llvm::Error Hbm::write(unsigned channel, uint64_t offset,
                       llvm::ArrayRef<uint8_t> in) {
  if (llvm::Error err = check(channel, offset, in.size()))
    return err;
  if (log && !in.empty())
    log->push_back(
        {offset, offset + in.size(), isa::kNumBuffers + channel, Use::Write});
  auto &map = pages[channel];
  uint64_t done = 0;
  while (done < in.size()) {
    uint64_t at = offset + done, page = at / kPageBytes,
             within = at % kPageBytes;
    uint64_t n = std::min<uint64_t>(kPageBytes - within, in.size() - done);
    std::unique_ptr<uint8_t[]> &p = map[page];
    if (!p)
      p = std::make_unique<uint8_t[]>(kPageBytes);
    std::memcpy(p.get() + within, in.data() + done, n);
    done += n;
  }
  return llvm::Error::success();
}

uint64_t Hbm::allocatedBytes() const {
  uint64_t n = 0;
  for (const auto &map : pages)
    n += map.size() * kPageBytes;
  return n;
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

Buffers::Buffers(const hw::Config &config) {
  for (unsigned i = 0; i < isa::kNumBuffers; ++i) {
    mem[i].assign(config.buffers[i].bytes, 0);
    touched[i] = {mem[i].size(), 0};
  }
}

llvm::Expected<uint8_t *> Buffers::span(unsigned buffer, uint64_t addr,
                                        uint64_t size, Use use) {
  if (buffer >= isa::kNumBuffers)
    return fault("buffer id " + Twine(buffer) + " does not exist");
  uint64_t total = mem[buffer].size();
  if (addr > total || size > total - addr)
    return fault(isa::bufferName(isa::Buffer(buffer)) + "[" + hex(addr) + ", " +
                 hex(addr + size) + ") is outside the buffer (" + Twine(total) +
                 " bytes)");
  if (log && size)
    log->push_back({addr, addr + size, buffer, use});
  auto &[lo, hi] = touched[buffer];
  lo = std::min(lo, addr);
  hi = std::max(hi, addr + size);
  return mem[buffer].data() + addr;
}

void Buffers::clear() {
  for (unsigned i = 0; i < isa::kNumBuffers; ++i) {
    auto &[lo, hi] = touched[i];
    if (lo < hi)
      std::fill(mem[i].begin() + lo, mem[i].begin() + hi, 0);
    touched[i] = {mem[i].size(), 0};
  }
}

//===----------------------------------------------------------------------===//
// Configuration, operands, machine
//===----------------------------------------------------------------------===//

uint64_t AttnConfig::recordBytes() const {
  if (recu)
    return 64 * uint64_t(recu);
  return uint64_t(isa::kvRecordBytes(kvh, hd, fmt, bits, group()));
}

int64_t Op::get(llvm::StringRef name) const {
  std::optional<unsigned> i = isa::fieldIndex(*instr->getSpec().format, name);
  if (!i)
    llvm::report_fatal_error(Twine(instr->getSpec().mnemonic) +
                             " has no field " + name);
  return v[*i];
}

Machine::Machine(const hw::Config &config)
    : config(config), buffers(config),
      hbm(unsigned(config.hbmChannels), config.hbmChannelBytes) {}

void Machine::resetForCall() {
  regs.fill(0);
  buffers.clear();
  for (auto &row : tokens)
    row.fill(0);
  for (UnitState &unit : units)
    unit = UnitState();
  matrix.reset();
  attn.reset();
  rope.reset();
  matrixAttn.reset();
}
