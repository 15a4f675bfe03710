//===- PackageTest.cpp - writing and reading .accel packages --------------===//

#include "accel/Package/Package.h"

#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

using namespace accel::package;

namespace {

std::vector<uint8_t> sample() {
  static const uint8_t code[32] = {1, 2, 3};
  static const uint8_t meta[] = {'{', '}'};
  return cantFail(
      build({{SectionKind::Code, code}, {SectionKind::Metadata, meta}}));
}

std::string readError(std::vector<uint8_t> bytes) {
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(
      reinterpret_cast<const char *>(bytes.data()), bytes.size()));
  llvm::Expected<Package> p = Package::fromBuffer(std::move(buffer));
  return p ? "" : llvm::toString(p.takeError());
}

TEST(Package, LayoutAndRoundTrip) {
  std::vector<uint8_t> bytes = sample();
  // Header 64 + table 2 x 32 = 128; code at 128 (32 bytes), metadata at 192.
  ASSERT_EQ(bytes.size(), 256u);
  EXPECT_EQ(llvm::support::endian::read64le(&bytes[64 + 8]), 128u);
  EXPECT_EQ(llvm::support::endian::read64le(&bytes[96 + 8]), 192u);
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(
      reinterpret_cast<const char *>(bytes.data()), bytes.size()));
  llvm::Expected<Package> p = Package::fromBuffer(std::move(buffer));
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  ASSERT_EQ(p->sections().size(), 2u);
  EXPECT_EQ(p->get(SectionKind::Code)->size(), 32u);
  EXPECT_EQ((*p->get(SectionKind::Metadata))[1], '}');
  EXPECT_FALSE(p->get(SectionKind::Weights).has_value());
}

TEST(Package, RejectsCorruptFiles) {
  std::vector<uint8_t> bytes = sample();
  EXPECT_EQ(readError({bytes.begin(), bytes.begin() + 40}),
            "offset 0x28: truncated package: 40 bytes, the header alone is 64");
  std::vector<uint8_t> truncated(bytes.begin(), bytes.begin() + 200);
  EXPECT_EQ(readError(truncated),
            "offset 0x10: the header says 256 bytes, the file has 200 "
            "(truncated)");
  std::vector<uint8_t> magic = bytes;
  magic[0] = 'X';
  EXPECT_EQ(readError(magic),
            "offset 0x0: bad magic: not an accel package (expected "
            "'ACCELPKG')");
  std::vector<uint8_t> version = bytes;
  version[8] = 4;
  EXPECT_EQ(readError(version),
            "offset 0x8: package version 4, this tool reads version 3");
  std::vector<uint8_t> section = bytes;
  section[130] ^= 1;
  EXPECT_NE(readError(section).find("offset 0x80: code section CRC mismatch"),
            std::string::npos);
  std::vector<uint8_t> table = bytes;
  table[64 + 16] = 200; // the code section's size
  EXPECT_NE(readError(table).find("offset 0x18: header CRC mismatch"),
            std::string::npos);
}

TEST(Package, BuildRejectsBadSectionLists) {
  static const uint8_t x[1] = {0};
  EXPECT_EQ(llvm::toString(build({{SectionKind::Metadata, x}}).takeError()),
            "a package needs a code section");
  EXPECT_EQ(
      llvm::toString(
          build({{SectionKind::Code, x}, {SectionKind::Code, x}}).takeError()),
      "two code sections");
}

TEST(Package, WritesAtomically) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("accel-pkg", dir));
  std::string path = (dir + "/p.accel").str();
  static const uint8_t code[16] = {};
  ASSERT_FALSE(bool(write(path, {{SectionKind::Code, code}})));
  llvm::Expected<Package> p = Package::open(path);
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  // A failed build writes nothing.
  std::string other = (dir + "/q.accel").str();
  llvm::Error err = write(other, {});
  EXPECT_TRUE(bool(err));
  llvm::consumeError(std::move(err));
  EXPECT_FALSE(llvm::sys::fs::exists(other));
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    EXPECT_EQ(llvm::sys::path::filename(it->path()), "p.accel");
  llvm::sys::fs::remove_directories(dir);
}

TEST(Package, SectionsOfFileRanges) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("accel-pkg", dir));
  std::string file = (dir + "/regions").str(), path = (dir + "/p.accel").str();
  std::vector<uint8_t> regions(3000);
  for (size_t i = 0; i < regions.size(); ++i)
    regions[i] = uint8_t(i * 7 + 1);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    ASSERT_FALSE(ec);
    os.write(reinterpret_cast<const char *>(regions.data()), regions.size());
  }
  // A head in memory, then ranges of the file out of order, one twice; a
  // second section of the same file, whole, after it.
  static const uint8_t code[16] = {9}, head[5] = {1, 2, 3, 4, 5};
  std::vector<std::pair<uint64_t, uint64_t>> ranges = {
      {2000, 1000}, {0, 64}, {2000, 1000}};
  std::vector<uint8_t> expect(head, head + 5);
  for (auto [offset, size] : ranges)
    expect.insert(expect.end(), regions.begin() + offset,
                  regions.begin() + offset + size);
  std::vector<uint8_t> whole(head, head + 5);
  whole.insert(whole.end(), regions.begin(), regions.end());
  ASSERT_FALSE(bool(write(
      path, {{SectionKind::Code, code},
             {SectionKind::Weights, head, file, ranges, llvm::crc32(expect)},
             {SectionKind::Params, head, file, {{0, regions.size()}},
              llvm::crc32(whole)}})));
  llvm::Expected<Package> p = Package::open(path); // checks every CRC
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  std::optional<llvm::ArrayRef<uint8_t>> weights = p->get(SectionKind::Weights);
  ASSERT_TRUE(weights.has_value());
  EXPECT_EQ(std::vector<uint8_t>(weights->begin(), weights->end()), expect);
  std::optional<llvm::ArrayRef<uint8_t>> params = p->get(SectionKind::Params);
  ASSERT_TRUE(params.has_value());
  EXPECT_EQ(std::vector<uint8_t>(params->begin(), params->end()), whole);
  // A range past the file's end fails the write, which leaves nothing.
  std::string other = (dir + "/q.accel").str();
  llvm::Error err = write(other, {{SectionKind::Code, code},
                                  {SectionKind::Weights, {}, file,
                                   {{2990, 64}}, 0}});
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "'" + file + "' ends before its bytes [2990, 3054)");
  EXPECT_FALSE(llvm::sys::fs::exists(other));
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
