//===- Placement.cpp - where a program's data lives in HBM ----------------===//

#include "Placement.h"

#include <algorithm>

using namespace accel::lowering;

StripedRows accel::lowering::stripeRows(int64_t rows, int64_t rowBytes,
                                        int64_t channels) {
  StripedRows s;
  s.rows = rows;
  s.rowBytes = alignTo(rowBytes, kAlign);
  // The most channels (a power of two up to C) that split the padded row
  // into equal 64-byte multiples, so that pieces laid side by side on chip
  // are the row again.
  int64_t chunks = s.rowBytes / kAlign;
  s.channels = 1;
  while (s.channels * 2 <= channels && chunks % (s.channels * 2) == 0)
    s.channels *= 2;
  s.stripe = s.rowBytes / s.channels;
  return s;
}

int64_t RegionLayout::reserveAll(int64_t bytes) {
  int64_t offset = *std::max_element(used.begin(), used.end());
  offset = alignTo(offset, kAlign);
  std::fill(used.begin(), used.end(), offset + alignTo(bytes, kAlign));
  return offset;
}

int64_t RegionLayout::reserveOne(int64_t channel, int64_t bytes) {
  int64_t offset = alignTo(used[channel], kAlign);
  used[channel] = offset + alignTo(bytes, kAlign);
  return offset;
}

int64_t RegionLayout::perChannelBytes() const {
  return *std::max_element(used.begin(), used.end());
}
