//===- IntElementsTest.cpp - packing and unpacking B-bit fields -----------===//

#include "accel/Support/IntElements.h"

#include "gtest/gtest.h"

#include <random>

using namespace accel;

namespace {

/// Field `i` of `packed`, read bit by bit (IntElements.h's layout).
uint64_t bitByBit(const std::vector<uint8_t> &packed, unsigned bits,
                  uint64_t i) {
  uint64_t value = 0;
  for (unsigned b = 0; b < bits; ++b) {
    uint64_t bit = i * bits + b;
    value |= uint64_t(packed[bit / 8] >> (bit % 8) & 1) << b;
  }
  return value;
}

TEST(IntElements, PackIntFields) {
  std::mt19937 random(7);
  for (unsigned bits = 1; bits <= 8; ++bits)
    for (uint64_t count : {1u, 3u, 4u, 7u, 8u, 9u, 33u, 1000u}) {
      std::vector<uint8_t> values(count);
      for (uint8_t &v : values)
        v = uint8_t(random() & ((1u << bits) - 1));
      std::vector<uint8_t> packed(intBlobBytes(count, bits), 0xff);
      packIntFields(values.data(), count, bits, packed.data());
      for (uint64_t i = 0; i < count; ++i)
        ASSERT_EQ(bitByBit(packed, bits, i), values[i])
            << bits << " bits, element " << i;
      // The last byte's bits beyond the values are cleared.
      if (uint64_t used = count * bits % 8) {
        EXPECT_EQ(packed.back() >> used, 0) << bits << " bits, " << count;
      }
    }
}

TEST(IntElements, UnpackIntFieldsFromAnyElement) {
  std::mt19937 random(11);
  constexpr uint64_t kCount = 301;
  for (unsigned bits = 1; bits <= 8; ++bits) {
    std::vector<uint8_t> packed(intBlobBytes(kCount, bits));
    for (uint8_t &byte : packed)
      byte = uint8_t(random());
    // Every start (aligned to a byte or not) and length, including the
    // fields before a byte boundary and the partial tail.
    for (uint64_t first : {0u, 1u, 3u, 7u, 8u, 13u})
      for (uint64_t n : {0u, 1u, 5u, 8u, 17u, 64u, 280u}) {
        std::vector<uint64_t> unsignedOut(n);
        std::vector<int64_t> signedOut(n);
        unpackIntFields<uint64_t>(packed.data(), bits, first, unsignedOut);
        unpackIntFields<int64_t>(packed.data(), bits, first, signedOut);
        for (uint64_t i = 0; i < n; ++i) {
          uint64_t expected = bitByBit(packed, bits, first + i);
          ASSERT_EQ(unsignedOut[i], expected)
              << bits << " bits, first " << first << ", element " << i;
          ASSERT_EQ(uint64_t(signedOut[i]), expected);
          ASSERT_EQ(intFieldAt(packed.data(), bits, first + i), expected);
        }
      }
  }
}

TEST(IntElements, PackThenUnpackRoundTrips) {
  std::mt19937 random(3);
  for (unsigned bits : {2u, 3u, 4u}) {
    std::vector<uint8_t> values(1 << 12);
    for (uint8_t &v : values)
      v = uint8_t(random() & ((1u << bits) - 1));
    std::vector<uint8_t> packed(intBlobBytes(values.size(), bits));
    packIntFields(values.data(), values.size(), bits, packed.data());
    std::vector<uint64_t> out(values.size());
    unpackIntFields<uint64_t>(packed.data(), bits, 0, out);
    for (uint64_t i = 0; i < values.size(); ++i)
      ASSERT_EQ(out[i], values[i]) << bits << " bits, element " << i;
  }
}

} // namespace
