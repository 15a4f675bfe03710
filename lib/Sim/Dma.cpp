//===- Dma.cpp - load and store ------------------------------------------===//
//
// docs/ISA.md §5.1: rows rotate over `nch` channels at the same offset.
//
//===----------------------------------------------------------------------===//

#include "accel/Sim/Machine.h"

#include "llvm/ADT/Twine.h"

using namespace accel;
using namespace accel::sim;
using llvm::Twine;

llvm::Error sim::executeDma(Machine &m, const Op &op) {
  bool isLoad = op.instr->opcode == isa::Opcode::Load;
  uint64_t rows = uint64_t(uint32_t(op.get("rn"))) + uint64_t(op.get("rimm"));
  uint64_t len = uint64_t(op.get("len"));
  uint64_t hbmBase = uint64_t(uint32_t(op.get("rh")));
  uint64_t bufBase = uint64_t(uint32_t(op.get("rs")));
  if (hbmBase % 64)
    return fault("HBM offset register value " + hex(hbmBase) +
                 " is not a multiple of 64");
  if (bufBase % 64)
    return fault("on-chip address register value " + hex(bufBase) +
                 " is not a multiple of 64");
  hbmBase += uint64_t(op.get("himm"));
  bufBase += uint64_t(op.get("simm"));
  uint64_t nch = uint64_t(1) << op.get("nch");
  uint64_t first = uint64_t(op.get("ch"));
  uint64_t hstride = uint64_t(op.get("hstride"));
  uint64_t sstride = uint64_t(op.get("sstride"));
  unsigned buffer = op.buf("buf");
  // The rows' on-chip spans may not overlap, so a register row count
  // cannot make one instruction move the same bytes billions of times.
  if (rows > 1 && sstride < len)
    return fault(Twine(rows) + " rows of " + Twine(len) +
                 " bytes overlap on chip (sstride " + Twine(sstride) +
                 " < len)");
  for (uint64_t i = 0; i < rows; ++i) {
    unsigned channel = unsigned((first + i % nch) % m.hbm.channels());
    uint64_t offset = hbmBase + (i / nch) * hstride;
    llvm::Expected<uint8_t *> p = m.buffers.span(
        buffer, bufBase + i * sstride, len, isLoad ? Use::Write : Use::Read);
    if (!p)
      return fault("row " + Twine(i) + ": " + llvm::toString(p.takeError()));
    llvm::Error err = isLoad ? m.hbm.read(channel, offset, {*p, size_t(len)})
                             : m.hbm.write(channel, offset, {*p, size_t(len)});
    if (err)
      return fault("row " + Twine(i) + ": " + llvm::toString(std::move(err)));
  }
  return llvm::Error::success();
}
