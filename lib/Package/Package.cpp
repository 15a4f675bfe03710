//===- Package.cpp - write and read .accel packages -----------------------===//
//
// Implements docs/FORMATS.md §5. All integers little-endian.
//
//===----------------------------------------------------------------------===//

#include "accel/Package/Package.h"

#include "accel/Support/AtomicOutput.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstring>
#include <optional>

#include <unistd.h>

using namespace accel::package;
using llvm::ArrayRef;
using llvm::Twine;
namespace endian = llvm::support::endian;

namespace {

llvm::Error fail(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string hex(uint64_t value) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format_hex(value, 2);
  return s;
}

llvm::Error failAt(uint64_t offset, const Twine &message) {
  return fail("offset " + hex(offset) + ": " + message);
}

} // namespace

llvm::StringRef accel::package::sectionName(SectionKind kind) {
  switch (kind) {
  case SectionKind::Code:
    return "code";
  case SectionKind::Weights:
    return "weights";
  case SectionKind::Params:
    return "params";
  case SectionKind::Metadata:
    return "metadata";
  case SectionKind::Config:
    return "config";
  case SectionKind::Symbols:
    return "symbols";
  case SectionKind::Tokenizer:
    return "tokenizer";
  }
  return "unknown";
}

bool accel::package::isPackage(ArrayRef<uint8_t> bytes) {
  return bytes.size() >= sizeof(kMagic) &&
         std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0;
}

/// Checks the sections' kinds: each at most once, a code section.
static llvm::Error checkKinds(ArrayRef<Section> sections) {
  bool seen[kNumSectionKinds + 1] = {};
  for (const Section &s : sections) {
    uint32_t kind = uint32_t(s.kind);
    if (kind < 1 || kind > kNumSectionKinds)
      return fail("unknown section kind " + Twine(kind));
    if (seen[kind])
      return fail("two " + sectionName(s.kind) + " sections");
    seen[kind] = true;
  }
  if (!seen[uint32_t(SectionKind::Code)])
    return fail("a package needs a code section");
  return llvm::Error::success();
}

namespace {
/// Where the sections of a package lie.
struct Layout {
  uint64_t tableEnd = 0;         ///< the header and the section table
  std::vector<uint64_t> offsets; ///< each section's
  uint64_t total = 0;            ///< the package's bytes
};
} // namespace

static Layout layOut(ArrayRef<uint64_t> sizes) {
  Layout layout;
  layout.tableEnd = kHeaderBytes + kEntryBytes * sizes.size();
  uint64_t offset = llvm::alignTo(layout.tableEnd, kAlign);
  for (uint64_t size : sizes) {
    layout.offsets.push_back(offset);
    offset = llvm::alignTo(offset + size, kAlign);
  }
  layout.total = offset;
  return layout;
}

/// Writes the header and the section table into `head` (layout.tableEnd
/// bytes), the sections' sizes and CRCs given.
static void writeHead(uint8_t *head, ArrayRef<Section> sections,
                      const Layout &layout, ArrayRef<uint64_t> sizes,
                      ArrayRef<uint32_t> crcs) {
  std::memset(head, 0, layout.tableEnd);
  std::memcpy(head, kMagic, sizeof(kMagic));
  endian::write32le(head + 8, kVersion);
  endian::write32le(head + 12, sections.size());
  endian::write64le(head + 16, layout.total);
  for (auto [i, s] : llvm::enumerate(sections)) {
    uint8_t *e = head + kHeaderBytes + kEntryBytes * i;
    endian::write32le(e, uint32_t(s.kind));
    endian::write64le(e + 8, layout.offsets[i]);
    endian::write64le(e + 16, sizes[i]);
    endian::write32le(e + 24, crcs[i]);
  }
  endian::write32le(head + 24,
                    llvm::crc32(ArrayRef<uint8_t>(head, layout.tableEnd)));
}

llvm::Expected<std::vector<uint8_t>>
accel::package::build(ArrayRef<Section> sections) {
  if (llvm::Error err = checkKinds(sections))
    return std::move(err);
  std::vector<uint64_t> sizes;
  std::vector<uint32_t> crcs;
  for (const Section &s : sections) {
    if (!s.file.empty())
      return fail("the " + sectionName(s.kind) +
                  " section is a file: write the package with write()");
    sizes.push_back(s.data.size());
    crcs.push_back(llvm::crc32(s.data));
  }
  Layout layout = layOut(sizes);
  std::vector<uint8_t> bytes(layout.total, 0);
  writeHead(bytes.data(), sections, layout, sizes, crcs);
  for (auto [i, s] : llvm::enumerate(sections))
    if (!s.data.empty())
      std::memcpy(&bytes[layout.offsets[i]], s.data.data(), s.data.size());
  return bytes;
}

llvm::Error accel::package::writeAtomically(llvm::StringRef path,
                                            ArrayRef<uint8_t> bytes) {
  accel::AtomicOutput out;
  if (llvm::Error err = out.open(path))
    return err;
  out.stream().write(reinterpret_cast<const char *>(bytes.data()),
                     bytes.size());
  return out.keep();
}

/// Bytes read from a file section at a time.
constexpr size_t kReadChunk = size_t(1) << 23;

llvm::Error accel::package::appendRanges(
    accel::AtomicOutput &out, llvm::StringRef file,
    ArrayRef<std::pair<uint64_t, uint64_t>> ranges) {
  llvm::raw_fd_ostream &os = out.stream();
  int in = -1;
  if (std::error_code ec = llvm::sys::fs::openFileForRead(file, in))
    return fail("cannot read '" + file + "': " + ec.message());
  os.flush();
  uint64_t at = os.tell();
  std::vector<char> chunk;
  llvm::Error err = llvm::Error::success();
  for (auto [offset, size] : ranges) {
    loff_t from = loff_t(offset);
    for (uint64_t left = size; left && !err;) {
      size_t n = std::min<uint64_t>(left, kReadChunk);
      ssize_t copied = ::copy_file_range(in, &from, out.fd(), nullptr, n, 0);
      if (copied < 0 && (errno == EXDEV || errno == ENOSYS ||
                         errno == EINVAL || errno == EOPNOTSUPP)) {
        // Another file system or kernel: through a buffer.
        chunk.resize(n);
        copied = ::pread(in, chunk.data(), n, from);
        if (copied > 0) {
          ssize_t wrote = ::write(out.fd(), chunk.data(), copied);
          if (wrote != copied) {
            errno = wrote < 0 ? errno : EIO;
            copied = -1;
          } else {
            from += copied;
          }
        }
      }
      if (copied < 0 && errno == EINTR)
        continue;
      if (copied < 0)
        err = fail("cannot copy '" + file + "': " +
                   std::error_code(errno, std::generic_category()).message());
      else if (copied == 0)
        err = fail("'" + file + "' ends before its bytes [" + Twine(offset) +
                   ", " + Twine(offset + size) + ")");
      left -= uint64_t(std::max<ssize_t>(copied, 0));
      at += uint64_t(std::max<ssize_t>(copied, 0));
    }
  }
  ::close(in);
  os.seek(at);
  return err;
}

llvm::Error accel::package::write(llvm::StringRef path,
                                  ArrayRef<Section> sections) {
  if (llvm::Error err = checkKinds(sections))
    return err;
  std::vector<uint64_t> sizes;
  for (const Section &s : sections) {
    uint64_t size = 0;
    for (auto [offset, bytes] : s.ranges)
      size += bytes;
    sizes.push_back(s.data.size() + size);
  }
  Layout layout = layOut(sizes);
  accel::AtomicOutput out;
  if (llvm::Error err = out.open(path))
    return err;
  // The header and table are written last, once the CRCs are known; the
  // sections stream through, a file section's ranges copied by the kernel.
  llvm::raw_fd_ostream &os = out.stream();
  os.write_zeros(layout.offsets.empty() ? layout.tableEnd
                                        : layout.offsets.front());
  std::vector<uint32_t> crcs;
  for (auto [i, s] : llvm::enumerate(sections)) {
    crcs.push_back(s.ranges.empty() ? llvm::crc32(s.data) : s.crc32);
    os.write(reinterpret_cast<const char *>(s.data.data()), s.data.size());
    if (!s.ranges.empty())
      if (llvm::Error err = appendRanges(out, s.file, s.ranges))
        return err;
    os.write_zeros(llvm::alignTo(sizes[i], kAlign) - sizes[i]);
  }
  std::vector<uint8_t> head(layout.tableEnd);
  writeHead(head.data(), sections, layout, sizes, crcs);
  os.pwrite(reinterpret_cast<const char *>(head.data()), head.size(), 0);
  return out.keep();
}

llvm::Expected<Package> Package::open(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read '" + path + "': " + buffer.getError().message());
  return fromBuffer(std::move(*buffer));
}

llvm::Expected<Package>
Package::fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer) {
  ArrayRef<uint8_t> b(
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart()),
      buffer->getBufferSize());
  if (b.size() < kHeaderBytes)
    return failAt(b.size(), "truncated package: " + Twine(b.size()) +
                                " bytes, the header alone is 64");
  if (!isPackage(b))
    return failAt(0, "bad magic: not an accel package (expected 'ACCELPKG')");
  uint32_t version = endian::read32le(&b[8]);
  if (version != kVersion)
    return failAt(8, "package version " + Twine(version) +
                         ", this tool reads version " + Twine(kVersion));
  uint32_t count = endian::read32le(&b[12]);
  uint64_t size = endian::read64le(&b[16]);
  if (size != b.size())
    return failAt(16, "the header says " + Twine(size) +
                          " bytes, the file has " + Twine(b.size()) +
                          (size > b.size() ? " (truncated)" : ""));
  uint64_t tableEnd = kHeaderBytes + kEntryBytes * uint64_t(count);
  if (count > kNumSectionKinds || tableEnd > b.size())
    return failAt(12, Twine(count) + " sections do not fit the file");
  for (uint64_t i = 28; i < kHeaderBytes; ++i)
    if (b[i])
      return failAt(i, "reserved header byte is not 0");
  // The header CRC covers the header and the table, its own field as 0.
  std::vector<uint8_t> table(b.begin(), b.begin() + tableEnd);
  endian::write32le(&table[24], 0);
  uint32_t headerCrc = endian::read32le(&b[24]);
  if (uint32_t crc = llvm::crc32(table); crc != headerCrc)
    return failAt(24, "header CRC mismatch: the header says " + hex(headerCrc) +
                          ", the header and section table give " + hex(crc));

  Package package;
  bool seen[kNumSectionKinds + 1] = {};
  uint64_t previousEnd = tableEnd;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t at = kHeaderBytes + kEntryBytes * i;
    const uint8_t *e = &b[at];
    SectionEntry entry{SectionKind(endian::read32le(e)),
                       endian::read64le(e + 8), endian::read64le(e + 16),
                       endian::read32le(e + 24)};
    uint32_t kind = uint32_t(entry.kind);
    if (kind < 1 || kind > kNumSectionKinds)
      return failAt(at, "unknown section kind " + Twine(kind));
    if (seen[kind])
      return failAt(at, "a second " + sectionName(entry.kind) + " section");
    seen[kind] = true;
    if (endian::read32le(e + 4) || endian::read32le(e + 28))
      return failAt(at, "reserved section-table bytes are not 0");
    if (entry.offset % kAlign || entry.offset < previousEnd)
      return failAt(at + 8, sectionName(entry.kind) + " section offset " +
                                Twine(entry.offset) +
                                " is misaligned or overlaps the previous one");
    if (entry.size > b.size() || entry.offset > b.size() - entry.size)
      return failAt(at + 16, sectionName(entry.kind) + " section [" +
                                 Twine(entry.offset) + ", +" +
                                 Twine(entry.size) +
                                 ") runs past the end of the file (truncated)");
    uint32_t crc = llvm::crc32(b.slice(entry.offset, entry.size));
    if (crc != entry.crc32)
      return failAt(entry.offset, sectionName(entry.kind) +
                                      " section CRC mismatch: the table says " +
                                      hex(entry.crc32) + ", the bytes give " +
                                      hex(crc));
    previousEnd = entry.offset + entry.size;
    package.entries.push_back(entry);
  }
  if (!seen[uint32_t(SectionKind::Code)])
    return failAt(12, "the package has no code section");
  package.buffer = std::move(buffer);
  return std::move(package);
}

std::optional<ArrayRef<uint8_t>> Package::get(SectionKind kind) const {
  for (const SectionEntry &e : entries)
    if (e.kind == kind)
      return bytes().slice(e.offset, e.size);
  return std::nullopt;
}

ArrayRef<uint8_t> Package::bytes() const {
  return {reinterpret_cast<const uint8_t *>(buffer->getBufferStart()),
          buffer->getBufferSize()};
}
